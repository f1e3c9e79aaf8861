// The one way the console talks to a cluster: @kubernetes/client-node loaded from the sanitised
// kubeconfig of one imported context (never the operator's file), with every failure turned into
// an operator-worded error naming the context and server.
import {
  CoreV1Api,
  KubeConfig,
  KubernetesObjectApi,
  PatchStrategy,
  VersionApi,
  type KubernetesObject as ClientObject,
  type V1Node,
} from '@kubernetes/client-node';
import { describeClusterError, type ClusterTarget } from './errors';

/** The field manager of everything the console applies (server-side apply ownership). */
export const FIELD_MANAGER = 'enclave-console';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [field: string]: unknown };
  [field: string]: unknown;
}

/** The HTTP status of a failed call, when the API server answered at all. */
export function statusOf(error: unknown): number | undefined {
  let e: unknown = error;
  for (let i = 0; i < 8 && typeof e === 'object' && e !== null; i++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'number') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export class KubeClient {
  private readonly config = new KubeConfig();
  private readonly objects: KubernetesObjectApi;
  private readonly core: CoreV1Api;

  constructor(
    kubeconfigYaml: string,
    readonly target: ClusterTarget,
  ) {
    this.config.loadFromString(kubeconfigYaml);
    this.objects = KubernetesObjectApi.makeApiClient(this.config);
    this.core = this.config.makeApiClient(CoreV1Api);
  }

  /** Runs a call; any failure becomes a ClusterConnectionError (with `.status` for HTTP answers). */
  private async call<T>(fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (error) {
      throw describeClusterError(error, this.target);
    }
  }

  version(): Promise<{ gitVersion: string; platform: string }> {
    return this.call(() => this.config.makeApiClient(VersionApi).getCode());
  }

  listNodes(): Promise<V1Node[]> {
    return this.call(async () => (await this.core.listNode()).items);
  }

  /** One object, or undefined when the cluster says 404. */
  async read(ref: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<KubeObject | undefined> {
    try {
      const header = {
        apiVersion: ref.apiVersion,
        kind: ref.kind,
        metadata: { name: ref.metadata.name, namespace: ref.metadata.namespace },
      };
      return (await this.objects.read(header as Parameters<KubernetesObjectApi['read']>[0])) as KubeObject;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw describeClusterError(error, this.target);
    }
  }

  list(apiVersion: string, kind: string, namespace?: string, labelSelector?: string): Promise<KubeObject[]> {
    return this.call(
      async () =>
        (
          await this.objects.list(
            apiVersion,
            kind,
            namespace,
            undefined,
            undefined,
            undefined,
            undefined,
            labelSelector,
          )
        ).items as KubeObject[],
    );
  }

  /** Server-side apply as the console's field manager, taking over fields others changed (force). */
  apply(object: KubeObject, options: { dryRun?: boolean } = {}): Promise<KubeObject> {
    return this.call(
      async () =>
        (await this.objects.patch(
          object as ClientObject,
          undefined,
          options.dryRun ? 'All' : undefined,
          FIELD_MANAGER,
          true,
          PatchStrategy.ServerSideApply,
        )) as KubeObject,
    );
  }

  /** Deletes an object; false when it was already gone. */
  async delete(ref: Pick<KubeObject, 'apiVersion' | 'kind' | 'metadata'>): Promise<boolean> {
    try {
      await this.objects.delete(
        { apiVersion: ref.apiVersion, kind: ref.kind, metadata: ref.metadata } as ClientObject,
        undefined,
        undefined,
        undefined,
        undefined,
        'Background',
      );
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw describeClusterError(error, this.target);
    }
  }
}
