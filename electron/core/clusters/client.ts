// The one way the console talks to a cluster. @kubernetes/client-node loads the sanitised
// kubeconfig of one imported context (never the operator's file) and supplies the TLS material and
// credentials (including an allowlisted exec plugin); requests are plain JSON over one keep-alive
// HTTPS agent per cluster. Not client-node's generic object API: its serializer maps fields through
// its TypeScript models and silently drops keys spelled as in the API (`default` of a LimitRange
// item, `from` of a NetworkPolicy rule), which the console's read-back caught. Every failure
// becomes an operator-worded error naming the context and server.
import { Agent, request, type RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { ClusterConnectionError, describeClusterError, type ClusterTarget } from './errors';

/** The field manager of everything the console applies (server-side apply ownership). */
export const FIELD_MANAGER = 'enclave-console';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [field: string]: unknown };
  [field: string]: unknown;
}

type ObjectRef = Pick<KubeObject, 'apiVersion' | 'kind'> & { metadata: { name: string; namespace?: string } };

export interface NodeObject extends KubeObject {
  metadata: KubeObject['metadata'] & { labels?: Record<string, string> };
  spec?: { unschedulable?: boolean };
  status?: {
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
    conditions?: { type: string; status: string }[];
    nodeInfo?: { kubeletVersion?: string };
  };
}

/** An answer other than 2xx: the status and the raw body (a Kubernetes Status), as client-node reports it. */
export class KubeHttpError extends Error {
  constructor(
    readonly code: number,
    readonly body: string,
  ) {
    super(`HTTP ${code}`);
    this.name = 'KubeHttpError';
  }
}

/** The HTTP status of a failed call, when the API server answered at all. */
export function statusOf(error: unknown): number | undefined {
  return error instanceof ClusterConnectionError ? error.status : undefined;
}

const REQUEST_TIMEOUT_MS = 30_000;
const STALE = new Set(['ECONNRESET', 'EPIPE']);

export class KubeClient {
  private readonly config = new KubeConfig();
  private readonly server: URL;
  private readonly agent = new Agent({ keepAlive: true, maxSockets: 16, timeout: 15_000 });
  private readonly resources = new Map<
    string,
    Promise<Map<string, { plural: string; namespaced: boolean }>>
  >();

  constructor(
    kubeconfigYaml: string,
    readonly target: ClusterTarget,
  ) {
    this.config.loadFromString(kubeconfigYaml);
    const cluster = this.config.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    this.server = new URL(cluster.server);
  }

  /** One JSON request; a failure becomes a ClusterConnectionError (with `.status` for HTTP answers). */
  private async send<T>(
    method: string,
    path: string,
    options: { body?: unknown; contentType?: string; query?: Record<string, string | undefined> } = {},
  ): Promise<T> {
    const url = new URL(
      path.replace(/^\//, ''),
      this.server.href.endsWith('/') ? this.server : `${this.server.href}/`,
    );
    for (const [k, v] of Object.entries(options.query ?? {})) if (v !== undefined) url.searchParams.set(k, v);
    const opts: RequestOptions = { method, headers: { Accept: 'application/json' } };
    try {
      await this.config.applyToHTTPSOptions(opts);
      const payload = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
      if (payload) {
        opts.headers = {
          ...opts.headers,
          'Content-Type': options.contentType ?? 'application/json',
          'Content-Length': String(payload.length),
        };
      }
      opts.agent = this.agent;
      opts.timeout = REQUEST_TIMEOUT_MS;
      const once = () =>
        new Promise<{ code: number; text: string }>((resolve, reject) => {
          const req = request(url, opts, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () =>
              resolve({ code: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
            );
            res.on('error', reject);
          });
          req.once('timeout', () =>
            req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })),
          );
          req.once('error', (error: NodeJS.ErrnoException) =>
            reject(Object.assign(error, { staleSocket: req.reusedSocket && STALE.has(error.code ?? '') })),
          );
          req.end(payload);
        });
      // A kept-alive connection the server (or the network) closed while idle fails at once; every
      // request the console makes is idempotent (reads, server-side apply, deletes), so it is sent
      // again, once, on a fresh connection.
      const { code, text } = await once().catch((error: { staleSocket?: boolean }) => {
        if (error.staleSocket) return once();
        throw error;
      });
      if (code < 200 || code >= 300) throw new KubeHttpError(code, text);
      return (text ? JSON.parse(text) : undefined) as T;
    } catch (error) {
      throw describeClusterError(error, this.target);
    }
  }

  /** Where a kind lives (plural, namespaced), from the API server's discovery, cached per group version. */
  private async resourceOf(
    apiVersion: string,
    kind: string,
  ): Promise<{ plural: string; namespaced: boolean }> {
    let found = this.resources.get(apiVersion);
    if (!found) {
      const path = apiVersion.includes('/') ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
      found = this.send<{ resources: { name: string; kind: string; namespaced: boolean }[] }>(
        'GET',
        path,
      ).then(
        (list) =>
          new Map(
            list.resources
              .filter((r) => !r.name.includes('/'))
              .map((r) => [r.kind, { plural: r.name, namespaced: r.namespaced }]),
          ),
      );
      found.catch(() => this.resources.delete(apiVersion));
      this.resources.set(apiVersion, found);
    }
    const resource = (await found).get(kind);
    if (!resource) throw new Error(`cluster ${this.target.context} does not serve ${kind} in ${apiVersion}`);
    return resource;
  }

  private async pathOf(ref: { apiVersion: string; kind: string }, namespace?: string, name?: string) {
    const { plural, namespaced } = await this.resourceOf(ref.apiVersion, ref.kind);
    const base = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`;
    const ns = namespaced && namespace ? `/namespaces/${encodeURIComponent(namespace)}` : '';
    return `${base}${ns}/${plural}${name ? `/${encodeURIComponent(name)}` : ''}`;
  }

  version(): Promise<{ gitVersion: string; platform: string }> {
    return this.send('GET', '/version');
  }

  async listNodes(): Promise<NodeObject[]> {
    return (await this.send<{ items: NodeObject[] }>('GET', '/api/v1/nodes')).items;
  }

  /** One object, or undefined when the cluster says 404. */
  async read(ref: ObjectRef): Promise<KubeObject | undefined> {
    try {
      const object = await this.send<KubeObject>(
        'GET',
        await this.pathOf(ref, ref.metadata.namespace, ref.metadata.name),
      );
      // Built-in kinds may come back without apiVersion/kind on some paths; the ref has them.
      return { ...object, apiVersion: ref.apiVersion, kind: ref.kind };
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw error;
    }
  }

  async list(
    apiVersion: string,
    kind: string,
    namespace?: string,
    labelSelector?: string,
  ): Promise<KubeObject[]> {
    const out = await this.send<{ items: KubeObject[] }>(
      'GET',
      await this.pathOf({ apiVersion, kind }, namespace),
      {
        query: { labelSelector },
      },
    );
    // List items of built-in kinds carry no apiVersion/kind (k8s-tenancy.md §3.5).
    return out.items.map((item) => ({ ...item, apiVersion, kind }));
  }

  /** Server-side apply as the console's field manager, taking over fields others changed (force). */
  async apply(object: KubeObject, options: { dryRun?: boolean } = {}): Promise<KubeObject> {
    return this.send('PATCH', await this.pathOf(object, object.metadata.namespace, object.metadata.name), {
      body: object,
      contentType: 'application/apply-patch+yaml',
      query: { fieldManager: FIELD_MANAGER, force: 'true', dryRun: options.dryRun ? 'All' : undefined },
    });
  }

  /** A JSON merge patch (RFC 7386), e.g. one label; not server-side apply, so no field ownership taken. */
  async mergePatch(ref: ObjectRef, patch: Record<string, unknown>): Promise<KubeObject> {
    return this.send('PATCH', await this.pathOf(ref, ref.metadata.namespace, ref.metadata.name), {
      body: patch,
      contentType: 'application/merge-patch+json',
      query: { fieldManager: FIELD_MANAGER },
    });
  }

  /** Deletes an object (background propagation); false when it was already gone. */
  async delete(ref: ObjectRef): Promise<boolean> {
    try {
      await this.send('DELETE', await this.pathOf(ref, ref.metadata.namespace, ref.metadata.name), {
        body: { kind: 'DeleteOptions', apiVersion: 'v1', propagationPolicy: 'Background' },
      });
      return true;
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw error;
    }
  }

  close(): void {
    this.agent.destroy();
  }
}
