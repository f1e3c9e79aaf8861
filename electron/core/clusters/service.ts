// Imported clusters: the kubeconfig checks run before anything connects, each context is reached
// once (so a wrong CA, an expired certificate or a refused token is found at import, not later),
// and only then are the sanitised credentials stored, encrypted, all contexts or none.
import { readFileSync, statSync } from 'node:fs';
import type { ClusterNodeView, ClusterView, KubeconfigProblemView, SitePolicy } from '../../../shared/api';
import { ConsoleError } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { Db, SecretsVault } from '../store';
import { KubeClient } from './client';
import {
  MAX_REFERENCED_FILE_BYTES,
  listKubeconfigContexts,
  parseKubeconfig,
  sanitizedKubeconfig,
  type KubeconfigProblem,
} from './kubeconfig';

export interface ClusterRecord {
  id: number;
  name: string;
  server: string;
  context: string;
  oidcGroupPrefix: string;
}

const secretName = (cluster: string) => `cluster-kubeconfig:${cluster}`;

/** Fields whose refusal is the site's policy (exit 3 in the CLI), not a broken file. */
const POLICY_FIELDS = new Set(['exec', 'auth-provider', 'insecure-skip-tls-verify', 'proxy-url']);

function problemsText(problems: KubeconfigProblem[]): string {
  return problems.map((p) => `${p.message} (${p.hint})`).join('\n');
}

/** A file a kubeconfig names, read once, bounded; undefined when it cannot be read. */
function readReferencedFile(filePath: string): Buffer | undefined {
  try {
    if (statSync(filePath).size > MAX_REFERENCED_FILE_BYTES) return undefined;
    return readFileSync(filePath);
  } catch {
    return undefined;
  }
}

const GPU_RESOURCE = /^nvidia\.com\/(gpu|mig-.+)$/;

function gpuResources(map: Record<string, string> | undefined): Record<string, string> {
  return Object.fromEntries(Object.entries(map ?? {}).filter(([k]) => GPU_RESOURCE.test(k)));
}

export class ClusterService {
  private readonly clients = new Map<string, KubeClient>();

  constructor(
    private readonly deps: { db: Db; vault: SecretsVault; clock: Clock; policy: () => SitePolicy },
  ) {}

  contexts(kubeconfig: string, fileName?: string) {
    const listed = listKubeconfigContexts(kubeconfig, fileName ? { fileName } : {});
    if (!listed.ok) {
      throw new ConsoleError('FAILED', `the kubeconfig cannot be read: ${problemsText(listed.errors)}`);
    }
    return { contexts: listed.contexts };
  }

  async import(input: {
    kubeconfig: string;
    fileName?: string | undefined;
    contexts?: string[] | undefined;
    name?: string | undefined;
    oidcGroupPrefix: string;
    replace: boolean;
  }): Promise<{
    imported: { name: string; context: string; server: string; version: string }[];
    warnings: KubeconfigProblemView[];
    filesRead: string[];
  }> {
    let contexts = input.contexts;
    if (!contexts) {
      const current = this.contexts(input.kubeconfig, input.fileName).contexts.find((c) => c.current);
      if (!current) {
        throw new ConsoleError('BAD_REQUEST', 'the kubeconfig has no current-context', {
          hint: 'name the contexts to import (--context NAME)',
        });
      }
      contexts = [current.name];
    }
    if (input.name && contexts.length > 1) {
      throw new ConsoleError('BAD_REQUEST', 'a cluster name can be given only when importing one context');
    }
    const parsed = parseKubeconfig(input.kubeconfig, {
      ...(input.fileName ? { fileName: input.fileName } : {}),
      readFile: readReferencedFile,
      execAllowlist: this.deps.policy().kubeconfigExecAllowlist,
      contexts,
      now: this.deps.clock.now(),
    });
    if (!parsed.ok) {
      const byPolicy = parsed.errors.some((e) => POLICY_FIELDS.has(e.field));
      throw new ConsoleError(
        byPolicy ? 'FORBIDDEN' : 'FAILED',
        `the kubeconfig was not imported, nothing was stored:\n${problemsText(parsed.errors)}`,
        {
          hint: parsed.errors.some((e) => e.field === 'exec')
            ? 'an exec plugin runs only when a security officer allows its exact command line (enclave policy set --allow-kubeconfig-exec "…")'
            : byPolicy
              ? 'the site does not allow what the kubeconfig asks for; each problem says what to use instead'
              : 'fix the kubeconfig and import it again',
          issues: parsed.errors.map((e) => ({
            path: `${e.entry}${e.line ? ` line ${e.line}` : ''}: ${e.field}`,
            message: e.message,
          })),
        },
      );
    }
    const planned = parsed.clusters.map((c) => ({ c, name: input.name ?? c.context.toLowerCase() }));
    for (const { name } of planned) {
      if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(name) || name.length > 63) {
        throw new ConsoleError('BAD_REQUEST', `"${name}" cannot be a cluster name in the console`, {
          hint: 'give one with --name (lower-case letters, digits and -)',
        });
      }
      if (!input.replace && this.find(name)) {
        throw new ConsoleError('CONFLICT', `a cluster named ${name} is already imported`, {
          hint: 'use another --name, or --replace to renew its credentials',
        });
      }
    }
    // Reach every cluster before storing any: a kubeconfig that half works is not half imported.
    const reached = await Promise.all(
      planned.map(async ({ c, name }) => {
        const yaml = sanitizedKubeconfig(c);
        const version = await new KubeClient(yaml, {
          context: c.context,
          server: c.cluster.server,
        }).version();
        return { c, name, yaml, version: version.gitVersion };
      }),
    );
    const now = this.deps.clock.now().toISOString();
    this.deps.db.transaction(() => {
      for (const { c, name, yaml, version } of reached) {
        this.deps.db
          .prepare(
            `INSERT INTO clusters (name, server, context, added_at, oidc_group_prefix, version)
             VALUES (?, ?, ?, ?, ?, ?)
             ON CONFLICT (name) DO UPDATE SET server = excluded.server, context = excluded.context,
               oidc_group_prefix = excluded.oidc_group_prefix, version = excluded.version`,
          )
          .run(name, c.cluster.server, c.context, now, input.oidcGroupPrefix, version);
        this.deps.vault.put(secretName(name), Buffer.from(yaml, 'utf8'));
      }
    })();
    for (const { name } of reached) this.forget(name);
    return {
      imported: reached.map(({ c, name, version }) => ({
        name,
        context: c.context,
        server: c.cluster.server,
        version,
      })),
      warnings: parsed.warnings,
      filesRead: parsed.filesRead,
    };
  }

  find(name: string): ClusterRecord | undefined {
    return this.deps.db
      .prepare(
        'SELECT id, name, server, context, oidc_group_prefix AS oidcGroupPrefix FROM clusters WHERE name = ?',
      )
      .get(name) as ClusterRecord | undefined;
  }

  get(name: string): ClusterRecord {
    const found = this.find(name);
    if (!found) {
      throw new ConsoleError('NOT_FOUND', `no cluster named ${name}`, {
        hint: 'see enclave clusters list, or import it with enclave clusters import KUBECONFIG',
      });
    }
    return found;
  }

  /** The named cluster, or the only one when none is named. */
  resolve(name: string | undefined): ClusterRecord {
    if (name) return this.get(name);
    const names = this.deps.db.prepare('SELECT name FROM clusters ORDER BY name').pluck().all() as string[];
    if (names.length === 1) return this.get(names[0] as string);
    throw new ConsoleError(
      names.length === 0 ? 'NOT_FOUND' : 'BAD_REQUEST',
      names.length === 0 ? 'no cluster is imported' : `say which cluster: ${names.join(', ')}`,
      {
        hint:
          names.length === 0
            ? 'import one with enclave clusters import KUBECONFIG'
            : 'give --cluster NAME, or `cluster:` in the tenant spec',
      },
    );
  }

  /** One client per cluster, reused (its keep-alive connections with it) until the cluster changes. */
  client(name: string): KubeClient {
    const cached = this.clients.get(name);
    if (cached) return cached;
    const record = this.get(name);
    const yaml = this.deps.vault.get(secretName(name));
    if (!yaml) {
      throw new ConsoleError('FAILED', `the credentials of cluster ${name} are missing`, {
        hint: 'import its kubeconfig again with --replace',
      });
    }
    const client = new KubeClient(yaml.toString('utf8'), { context: record.context, server: record.server });
    this.clients.set(name, client);
    return client;
  }

  private forget(name: string): void {
    this.clients.get(name)?.close();
    this.clients.delete(name);
  }

  async view(name: string): Promise<ClusterView> {
    const record = this.get(name);
    const client = this.client(name);
    const [version, nodes, namespaces] = await Promise.all([
      client.version(),
      client.listNodes(),
      client.list('v1', 'Namespace'),
    ]);
    const nodeViews: ClusterNodeView[] = nodes.map((n) => {
      const labels = n.metadata.labels ?? {};
      const ready = n.status?.conditions?.find((c) => c.type === 'Ready')?.status === 'True';
      const count = labels['nvidia.com/gpu.count'];
      return {
        name: n.metadata.name,
        ready,
        unschedulable: n.spec?.unschedulable === true,
        kubeletVersion: n.status?.nodeInfo?.kubeletVersion ?? null,
        gpuProduct: labels['nvidia.com/gpu.product'] ?? null,
        gpuCount: count && /^\d+$/.test(count) ? Number(count) : null,
        migCapable: labels['nvidia.com/mig.capable'] === 'true',
        migStrategy: labels['nvidia.com/mig.strategy'] ?? null,
        migConfig: labels['nvidia.com/mig.config'] ?? null,
        migConfigState: labels['nvidia.com/mig.config.state'] ?? null,
        capacity: gpuResources(n.status?.capacity),
        allocatable: gpuResources(n.status?.allocatable),
        labels: Object.fromEntries(
          Object.entries(labels).filter(([k]) => k.startsWith('nvidia.com/') || k.endsWith('node-pool')),
        ),
      };
    });
    const totals: Record<string, number> = {};
    for (const n of nodeViews) {
      for (const [k, v] of Object.entries(n.allocatable)) totals[k] = (totals[k] ?? 0) + Number(v);
    }
    return {
      name: record.name,
      server: record.server,
      context: record.context,
      version: version.gitVersion,
      platform: version.platform || null,
      readAt: this.deps.clock.now().toISOString(),
      gpuOperator: gpuOperatorPresence(nodeViews, namespaces),
      nodes: nodeViews,
      totals,
    };
  }

  remove(name: string): { removed: string } {
    const record = this.get(name);
    const tenants = this.deps.db
      .prepare('SELECT name FROM tenants WHERE cluster_id = ? ORDER BY name')
      .pluck()
      .all(record.id) as string[];
    if (tenants.length > 0) {
      throw new ConsoleError('CONFLICT', `cluster ${name} still has tenants: ${tenants.join(', ')}`, {
        hint: 'decommission them first (enclave tenants decommission NAME)',
      });
    }
    this.deps.db.transaction(() => {
      this.deps.db.prepare('DELETE FROM clusters WHERE id = ?').run(record.id);
      this.deps.db.prepare('DELETE FROM secrets WHERE name = ?').run(secretName(name));
    })();
    this.forget(name);
    return { removed: name };
  }
}

/**
 * The GPU Operator labels every GPU node through its feature discovery (`nvidia.com/gpu.present`,
 * `nvidia.com/gpu.deploy.*`) and, installed with its Helm chart, lives in a namespace of its own.
 */
function gpuOperatorPresence(
  nodes: ClusterNodeView[],
  namespaces: { metadata: { name: string; labels?: unknown } }[],
): ClusterView['gpuOperator'] {
  const deployLabelled = nodes.filter((n) =>
    Object.keys(n.labels).some((k) => k.startsWith('nvidia.com/gpu.deploy.')),
  );
  const namespace =
    namespaces.find((ns) => {
      const labels = (ns.metadata.labels ?? {}) as Record<string, string>;
      return labels['app.kubernetes.io/name'] === 'gpu-operator' || labels['app'] === 'gpu-operator';
    })?.metadata.name ??
    namespaces.find((ns) => ns.metadata.name === 'gpu-operator')?.metadata.name ??
    null;
  const present = deployLabelled.length > 0;
  const evidence = present
    ? `${deployLabelled.length} of ${nodes.length} nodes carry the operator's nvidia.com/gpu.deploy.* labels${namespace ? `; namespace ${namespace}` : ''}`
    : namespace
      ? `namespace ${namespace} exists but no node carries the operator's nvidia.com/gpu.deploy.* labels`
      : "no node carries the operator's nvidia.com/gpu.deploy.* labels";
  return { present, namespace, evidence };
}
