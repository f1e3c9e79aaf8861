// Tenants on clusters (design.md §3): spec → objects (pure, render.ts) → plan (a server-side-apply
// dry run of each object on the live cluster, with GPU capacity) → apply as field manager
// `enclave-console`, object by object in provisioning order, then every object read back → drift
// (the live objects against what was applied) → decommission. What was applied is kept in SQLite so
// drift can be judged later, by this console or another reading the same data directory.
import { createHash } from 'node:crypto';
import { stringify } from 'yaml';
import type { ObjectChange, ObjectRef, TenantSummary } from '../../../shared/api';
import { ConsoleError } from '../../../shared/errors';
import { parseTenantSpec, TenantSpecError, type TenantSpec } from '../../../shared/tenants';
import type { Clock } from '../clock';
import type { ClusterRecord, ClusterService } from '../clusters/service';
import { statusOf, type KubeClient, type KubeObject } from '../clusters/client';
import type { Db } from '../store';
import { capacityPlan, gpuReservations } from './capacity';
import { appliedFieldsDrift, desiredPart, objectDiff } from './diff';
import { loadKubernetesSchemas, validateObjects, type KubernetesSchemas } from './openapi';
import { renderTenant, TENANCY_DOMAIN, type KubernetesObject } from './render';

const TENANT_LABEL = `${TENANCY_DOMAIN}/tenant`;
/** Kinds a tenant namespace holds that decide its isolation: one the console did not apply is drift. */
const GUARDED_KINDS = [
  { apiVersion: 'v1', kind: 'ResourceQuota' },
  { apiVersion: 'v1', kind: 'LimitRange' },
  { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role' },
  { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding' },
] as const;

export type TenantPlan = {
  tenant: string;
  cluster: string;
  objects: ObjectChange[];
  capacity: ReturnType<typeof capacityPlan>;
  planDigest: string;
};

interface TenantRecord {
  id: number;
  name: string;
  clusterName: string;
  organisation: string;
  createdAt: string;
  spec: string | null;
  appliedObjects: string | null;
  lastAppliedAt: string | null;
  status: TenantSummary['health'];
  lastDrift: string | null;
  driftCheckedAt: string | null;
}

const refOf = (o: KubernetesObject | KubeObject): ObjectRef => ({
  apiVersion: o.apiVersion,
  kind: o.kind,
  name: o.metadata.name,
  ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
});
const label = (o: ObjectRef) => `${o.kind} ${o.namespace ? `${o.namespace}/` : ''}${o.name}`;

/** Canonical JSON (sorted keys) for digests. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonical(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The live state of a tenant's objects, aligned with `objects` (undefined: absent): the namespace
 * read, then one list per kind inside it rather than one read per object (a new tenant costs one
 * request). Also every object of the guarded kinds found there, for drift's `extra`.
 */
async function readTenantObjects(
  client: KubeClient,
  objects: readonly KubernetesObject[],
): Promise<{ live: (KubeObject | undefined)[]; guarded: KubeObject[] }> {
  const [namespace, ...inside] = objects;
  if (!namespace) return { live: [], guarded: [] };
  const ns = await client.read(namespace as KubeObject);
  if (!ns) return { live: objects.map(() => undefined), guarded: [] };
  const kinds = new Map<string, { apiVersion: string; kind: string }>();
  for (const k of [...GUARDED_KINDS, ...inside]) kinds.set(`${k.apiVersion}/${k.kind}`, k);
  const lists = await Promise.all(
    [...kinds.values()].map((k) => client.list(k.apiVersion, k.kind, namespace.metadata.name)),
  );
  const byKey = new Map<string, KubeObject>();
  for (const item of lists.flat()) byKey.set(`${item.apiVersion}/${item.kind}/${item.metadata.name}`, item);
  const guardedKinds = new Set(GUARDED_KINDS.map((k) => `${k.apiVersion}/${k.kind}`));
  return {
    live: [ns, ...inside.map((o) => byKey.get(`${o.apiVersion}/${o.kind}/${o.metadata.name}`))],
    guarded: lists.flat().filter((o) => guardedKinds.has(`${o.apiVersion}/${o.kind}`)),
  };
}

export interface TenantServiceDeps {
  db: Db;
  clusters: ClusterService;
  clock: Clock;
  /** Where the OpenAPI documents are (next to the bundle when built). */
  schemaDir?: string;
}

export class TenantService {
  private schemas: KubernetesSchemas | undefined;

  constructor(private readonly deps: TenantServiceDeps) {}

  private schemaSet(): KubernetesSchemas {
    this.schemas ??= this.deps.schemaDir
      ? loadKubernetesSchemas(this.deps.schemaDir)
      : loadKubernetesSchemas();
    return this.schemas;
  }

  /** Parses the spec; a bad one is refused with each field and line. */
  parse(specText: string): TenantSpec {
    try {
      return parseTenantSpec(specText);
    } catch (error) {
      if (!(error instanceof TenantSpecError)) throw error;
      throw new ConsoleError('BAD_REQUEST', `the tenant spec is not valid:\n${error.message}`, {
        hint: 'see docs/tenant-spec.md for every field',
        issues: error.issues.map((i) => ({
          path: `${i.field}${i.line === undefined ? '' : ` (line ${i.line})`}`,
          message: i.message,
        })),
      });
    }
  }

  /** The spec's objects for a cluster (its OIDC group prefix), checked against the official schemas. */
  renderFor(spec: TenantSpec, cluster: Pick<ClusterRecord, 'oidcGroupPrefix'>): KubernetesObject[] {
    const objects = renderTenant(spec, { oidcGroupPrefix: cluster.oidcGroupPrefix });
    const issues = validateObjects(this.schemaSet(), objects);
    if (issues.length > 0) {
      throw new ConsoleError(
        'FAILED',
        'the rendered objects do not validate against the Kubernetes schemas',
        {
          hint: 'this is a console bug: report it with the spec',
          issues: issues.map((i) => ({ path: `${i.object} ${i.path}`, message: i.message })),
        },
      );
    }
    return objects;
  }

  render(specText: string, clusterName: string | undefined) {
    const spec = this.parse(specText);
    const name = clusterName ?? spec.cluster;
    const cluster = name ? this.deps.clusters.get(name) : undefined;
    const objects = this.renderFor(spec, cluster ?? { oidcGroupPrefix: 'oidc:' });
    return {
      tenant: spec.name,
      cluster: cluster?.name ?? null,
      objects: objects as Record<string, unknown>[],
      manifest: objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n'),
    };
  }

  private target(specText: string, clusterName: string | undefined) {
    const spec = this.parse(specText);
    const cluster = this.deps.clusters.resolve(clusterName ?? spec.cluster);
    return {
      spec,
      cluster,
      client: this.deps.clusters.client(cluster.name),
      objects: this.renderFor(spec, cluster),
    };
  }

  /** The plan: what a server-side apply of each object would change, and the GPU capacity it takes. */
  async plan(specText: string, clusterName: string | undefined): Promise<TenantPlan> {
    const { spec, cluster, client, objects } = this.target(specText, clusterName);
    return this.planObjects(spec, cluster, client, objects);
  }

  private async planObjects(
    spec: TenantSpec,
    cluster: ClusterRecord,
    client: KubeClient,
    objects: KubernetesObject[],
  ): Promise<TenantPlan> {
    const { live: current } = await readTenantObjects(client, objects);
    const namespace = current[0];
    if ((namespace?.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp) {
      throw new ConsoleError(
        'CONFLICT',
        `namespace ${spec.name} is being terminated on cluster ${cluster.name}`,
        {
          hint: 'wait until it is gone (enclave tenants decommission finishes it), then apply again',
        },
      );
    }
    // Objects inside a namespace that does not exist yet cannot be dry-run (the server answers 404):
    // they are new, and were checked against the schemas already.
    const dryRuns = await Promise.all(
      objects.map((o, i) =>
        namespace || i === 0
          ? client.apply(o as KubeObject, { dryRun: true }).catch((error: unknown) => {
              // Say which object the cluster refused (an immutable field, a webhook, validation).
              if (!(error instanceof ConsoleError) || statusOf(error) === undefined) throw error;
              throw new ConsoleError(
                error.code,
                `the cluster refuses ${label(refOf(o))} of tenant ${spec.name}: ${error.message}`,
                {
                  hint: `nothing was changed; fix the object on the cluster or the spec (${error.hint ?? ''})`,
                },
              );
            })
          : Promise.resolve(undefined),
      ),
    );
    const changes: ObjectChange[] = objects.map((o, i) => {
      const before = current[i];
      const after = dryRuns[i] ?? (o as KubeObject);
      if (!before)
        return { object: refOf(o), action: 'create', fields: objectDiff(undefined, desiredPart(after)) };
      const fields = objectDiff(desiredPart(before), desiredPart(after));
      return { object: refOf(o), action: fields.length ? 'update' : 'unchanged', fields };
    });
    const capacity = await this.capacityFor(client, cluster, spec.name, objects);
    const planDigest = createHash('sha256')
      .update(canonical({ cluster: cluster.name, objects, actions: changes.map((c) => c.action) }))
      .digest('hex');
    return { tenant: spec.name, cluster: cluster.name, objects: changes, capacity, planDigest };
  }

  private async capacityFor(
    client: KubeClient,
    cluster: ClusterRecord,
    tenant: string,
    objects: KubernetesObject[],
  ): Promise<ReturnType<typeof capacityPlan>> {
    const [nodes, quotas] = await Promise.all([
      client.listNodes(),
      client.list('v1', 'ResourceQuota', undefined, TENANT_LABEL),
    ]);
    const offered: Record<string, number> = {};
    const nodeNames = new Set<string>();
    for (const n of nodes) {
      nodeNames.add(n.metadata.name);
      for (const [k, v] of Object.entries(n.status?.allocatable ?? {})) {
        if (/^nvidia\.com\/(gpu|mig-.+)$/.test(k)) offered[k] = (offered[k] ?? 0) + Number(v);
      }
    }
    const hardOf = (q: KubeObject) => (q.spec as { hard?: Record<string, string> } | undefined)?.hard;
    const quota = objects.find((o) => o.kind === 'ResourceQuota');
    return capacityPlan({
      cluster: cluster.name,
      tenant,
      offered,
      inHostLayouts: this.hostLayoutSlices(nodeNames),
      others: quotas.filter((q) => q.metadata.namespace !== tenant).map((q) => gpuReservations(hardOf(q))),
      current: gpuReservations(
        hardOf(quotas.find((q) => q.metadata.namespace === tenant) ?? ({} as KubeObject)),
      ),
      requested: gpuReservations(quota ? hardOf(quota as KubeObject) : undefined),
    });
  }

  /** MIG instances per profile in the layouts last read from inventory hosts named like the nodes. */
  private hostLayoutSlices(nodeNames: Set<string>): Record<string, number> | null {
    const rows = this.deps.db
      .prepare(
        `SELECT h.name AS host, g.mig_layout AS layout FROM gpus g JOIN hosts h ON h.id = g.host_id
         WHERE g.mig_layout IS NOT NULL`,
      )
      .all() as { host: string; layout: string }[];
    const matching = rows.filter((r) => nodeNames.has(r.host));
    if (matching.length === 0) return null;
    const out: Record<string, number> = {};
    for (const r of matching) {
      for (const gi of JSON.parse(r.layout) as { profile: string }[]) {
        const key = `nvidia.com/mig-${gi.profile}`;
        out[key] = (out[key] ?? 0) + 1;
      }
    }
    return out;
  }

  /** Applies the plan (re-made now; refused if it differs from the reviewed digest), then reads back. */
  async apply(
    specText: string,
    clusterName: string | undefined,
    options: {
      planDigest?: string | undefined;
      signal?: AbortSignal | undefined;
      onProgress?: (event: {
        object: ObjectRef;
        done: number;
        total: number;
        phase: 'applying' | 'applied' | 'failed' | 'verified';
      }) => void;
    } = {},
  ): Promise<TenantPlan & { appliedAt: string; verified: boolean; problems: string[] }> {
    const { spec, cluster, client, objects } = this.target(specText, clusterName);
    const plan = await this.planObjects(spec, cluster, client, objects);
    // The plan shows over-commitment with its numbers; applying one is refused, nothing changed.
    if (plan.capacity.overcommitted.length > 0) {
      throw new ConsoleError(
        'CONFLICT',
        `tenant ${spec.name} would over-commit cluster ${cluster.name}; nothing was applied:\n${plan.capacity.overcommitted.join('\n')}`,
        { hint: "lower the tenant's GPU or MIG quota, or add capacity (MIG layouts, nodes) first" },
      );
    }
    if (options.planDigest && options.planDigest !== plan.planDigest) {
      throw new ConsoleError(
        'CONFLICT',
        `the plan for tenant ${spec.name} changed since it was reviewed; nothing was applied`,
        {
          hint: 'plan again (the cluster or the spec changed) and review the new plan',
        },
      );
    }
    const total = objects.length;
    const record = this.upsertTenant(spec, cluster, specText);
    let done = 0;
    try {
      for (const o of objects) {
        if (options.signal?.aborted) throw new ConsoleError('CANCELLED', 'cancelled');
        options.onProgress?.({ object: refOf(o), done, total, phase: 'applying' });
        await client.apply(o as KubeObject);
        done++;
        options.onProgress?.({ object: refOf(o), done, total, phase: 'applied' });
      }
    } catch (error) {
      const stoppedAt = objects[done];
      if (stoppedAt) options.onProgress?.({ object: refOf(stoppedAt), done, total, phase: 'failed' });
      this.setStatus(record, 'failed');
      const applied = objects.slice(0, done).map((o) => label(refOf(o)));
      const message = error instanceof Error ? error.message : String(error);
      throw new ConsoleError(
        error instanceof ConsoleError && error.code === 'CANCELLED' ? 'CANCELLED' : 'FAILED',
        `tenant ${spec.name} is half applied on cluster ${cluster.name}: ${done} of ${total} objects applied${applied.length ? ` (${applied.join(', ')})` : ''}; stopped at ${label(refOf(objects[done] as KubernetesObject))}: ${message}`,
        {
          hint: 'apply again: server-side apply is idempotent and takes up where this stopped; or decommission the tenant',
        },
      );
    }
    // Read back: every field the console applied must hold on the cluster now.
    const { live } = await readTenantObjects(client, objects);
    const problems: string[] = [];
    objects.forEach((o, i) => {
      const got = live[i];
      if (!got) problems.push(`${label(refOf(o))} is missing right after the apply`);
      else {
        for (const f of appliedFieldsDrift(o, got))
          problems.push(`${label(refOf(o))}: ${f.path} did not take`);
      }
      options.onProgress?.({ object: refOf(o), done: i + 1, total, phase: 'verified' });
    });
    const appliedAt = this.deps.clock.now().toISOString();
    this.deps.db
      .prepare(
        `UPDATE tenants SET spec = ?, applied_objects = ?, plan_digest = ?, last_applied_at = ?, status = ?,
           last_drift = ?, drift_checked_at = ? WHERE id = ?`,
      )
      .run(
        specText,
        JSON.stringify(objects),
        plan.planDigest,
        appliedAt,
        problems.length ? 'failed' : 'healthy',
        problems.length ? null : '[]',
        problems.length ? null : appliedAt,
        record.id,
      );
    return { ...plan, appliedAt, verified: problems.length === 0, problems };
  }

  private upsertTenant(spec: TenantSpec, cluster: ClusterRecord, specText: string): { id: number } {
    const now = this.deps.clock.now().toISOString();
    this.deps.db
      .prepare(
        `INSERT INTO tenants (name, cluster_id, created_at, organisation, spec) VALUES (?, ?, ?, ?, ?)
         ON CONFLICT (cluster_id, name) DO UPDATE SET organisation = excluded.organisation`,
      )
      .run(spec.name, cluster.id, now, spec.organisation, specText);
    return this.deps.db
      .prepare('SELECT id FROM tenants WHERE cluster_id = ? AND name = ?')
      .get(cluster.id, spec.name) as { id: number };
  }

  private setStatus(record: { id: number }, status: TenantSummary['health']): void {
    this.deps.db.prepare('UPDATE tenants SET status = ? WHERE id = ?').run(status, record.id);
  }

  private record(name: string, clusterName: string | undefined): TenantRecord {
    const cluster = clusterName ? this.deps.clusters.get(clusterName) : undefined;
    const rows = this.deps.db
      .prepare(
        `SELECT t.id, t.name, c.name AS clusterName, t.organisation, t.created_at AS createdAt, t.spec,
                t.applied_objects AS appliedObjects, t.last_applied_at AS lastAppliedAt, t.status,
                t.last_drift AS lastDrift, t.drift_checked_at AS driftCheckedAt
         FROM tenants t JOIN clusters c ON c.id = t.cluster_id
         WHERE t.name = ? AND (? IS NULL OR t.cluster_id = ?)`,
      )
      .all(name, cluster?.id ?? null, cluster?.id ?? null) as TenantRecord[];
    if (rows.length === 0) {
      throw new ConsoleError(
        'NOT_FOUND',
        `no tenant ${name}${cluster ? ` on cluster ${cluster.name}` : ''}`,
        {
          hint: 'see enclave tenants list; a tenant is recorded when it is first applied',
        },
      );
    }
    if (rows.length > 1) {
      throw new ConsoleError(
        'BAD_REQUEST',
        `tenant ${name} is on several clusters: ${rows.map((r) => r.clusterName).join(', ')}`,
        {
          hint: 'say which with --cluster',
        },
      );
    }
    return rows[0] as TenantRecord;
  }

  private summary(r: TenantRecord): TenantSummary {
    return {
      name: r.name,
      cluster: r.clusterName,
      organisation: r.organisation,
      createdAt: r.createdAt,
      lastAppliedAt: r.lastAppliedAt,
      health: r.status,
      driftedObjects: r.lastDrift === null ? null : (JSON.parse(r.lastDrift) as unknown[]).length,
      driftCheckedAt: r.driftCheckedAt,
    };
  }

  get(name: string, clusterName: string | undefined) {
    const r = this.record(name, clusterName);
    return {
      summary: this.summary(r),
      spec: r.spec ?? '',
      objects: r.appliedObjects ? (JSON.parse(r.appliedObjects) as Record<string, unknown>[]) : [],
      lastDrift: r.lastDrift ? (JSON.parse(r.lastDrift) as ObjectChange[]) : null,
    };
  }

  /** What changed on the cluster since the last apply; recorded as the tenant's drift state. */
  async drift(
    input: { spec: string; cluster?: string | undefined } | { name: string; cluster?: string | undefined },
  ) {
    const spec = 'spec' in input ? this.parse(input.spec) : undefined;
    const r = this.record(spec?.name ?? (input as { name: string }).name, input.cluster ?? spec?.cluster);
    if (!r.appliedObjects || !r.lastAppliedAt) {
      throw new ConsoleError(
        'CONFLICT',
        `tenant ${r.name} has not been applied yet, so nothing can have drifted`,
        {
          hint: 'apply it first (enclave tenants apply FILE)',
        },
      );
    }
    const applied = JSON.parse(r.appliedObjects) as KubeObject[];
    const client = this.deps.clusters.client(r.clusterName);
    const { live, guarded } = await readTenantObjects(client, applied as KubernetesObject[]);
    const changes: ObjectChange[] = [];
    applied.forEach((o, i) => {
      const got = live[i];
      if (!got) changes.push({ object: refOf(o), action: 'missing', fields: [] });
      else {
        const fields = appliedFieldsDrift(o, got);
        if (fields.length) changes.push({ object: refOf(o), action: 'changed', fields });
      }
    });
    const known = new Set(applied.map((o) => `${o.apiVersion}/${o.kind}/${o.metadata.name}`));
    for (const item of guarded) {
      if (known.has(`${item.apiVersion}/${item.kind}/${item.metadata.name}`)) continue;
      changes.push({
        object: refOf(item),
        action: 'extra',
        fields: objectDiff(undefined, desiredPart({ ...item, metadata: { name: item.metadata.name } })),
      });
    }
    let specDiffers = false;
    if (spec) {
      const cluster = this.deps.clusters.get(r.clusterName);
      specDiffers = objectDiff(applied, this.renderFor(spec, cluster)).length > 0;
    }
    const checkedAt = this.deps.clock.now().toISOString();
    this.deps.db
      .prepare(
        `UPDATE tenants SET last_drift = ?, drift_checked_at = ?,
           status = CASE WHEN status IN ('healthy', 'drifted') THEN ? ELSE status END WHERE id = ?`,
      )
      .run(JSON.stringify(changes), checkedAt, changes.length ? 'drifted' : 'healthy', r.id);
    return {
      tenant: r.name,
      cluster: r.clusterName,
      checkedAt,
      lastAppliedAt: r.lastAppliedAt,
      changes,
      specDiffers,
    };
  }

  /** Deletes the tenant's namespace and waits for the cluster to finish terminating it. */
  async decommission(
    name: string,
    clusterName: string | undefined,
    options: {
      timeoutSeconds: number;
      signal?: AbortSignal | undefined;
      onProgress?: (event: { phase: string; message: string }) => void;
    },
  ) {
    const r = this.record(name, clusterName);
    const client = this.deps.clusters.client(r.clusterName);
    const ns = { apiVersion: 'v1', kind: 'Namespace', metadata: { name } };
    const found = await client.read(ns);
    if (found) {
      // Only a namespace the console made for this tenant: never kube-system by a typo.
      const labels = (found.metadata.labels ?? {}) as Record<string, string>;
      if (labels[TENANT_LABEL] !== name) {
        throw new ConsoleError(
          'CONFLICT',
          `namespace ${name} on cluster ${r.clusterName} is not tenant ${name}'s (it lacks the ${TENANT_LABEL}=${name} label); nothing was deleted`,
          {
            hint: 'check the cluster; the console deletes only namespaces it provisioned',
          },
        );
      }
    }
    this.setStatus(r, 'decommissioning');
    const started = Date.now();
    const waited = () => Math.round((Date.now() - started) / 100) / 10;
    if (found) {
      options.onProgress?.({ phase: 'deleting', message: `deleting namespace ${name}` });
      await client.delete(ns);
    }
    for (;;) {
      const now = await client.read(ns);
      if (!now) break;
      const conditions = (
        (now.status as { conditions?: { type: string; status: string; message?: string }[] } | undefined)
          ?.conditions ?? []
      ).filter((c) => c.status === 'True' && c.message);
      const remaining = conditions.map((c) => `${c.type}: ${c.message}`);
      options.onProgress?.({
        phase: 'terminating',
        message: remaining.length ? remaining.join('; ') : `namespace ${name} is terminating`,
      });
      if (options.signal?.aborted || waited() >= options.timeoutSeconds) {
        return {
          tenant: name,
          cluster: r.clusterName,
          outcome: 'terminating' as const,
          waitedSeconds: waited(),
          remaining,
        };
      }
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    this.deps.db.prepare('DELETE FROM tenants WHERE id = ?').run(r.id);
    options.onProgress?.({ phase: 'gone', message: `namespace ${name} is gone` });
    return {
      tenant: name,
      cluster: r.clusterName,
      outcome: 'gone' as const,
      waitedSeconds: waited(),
      remaining: [],
    };
  }

  async capacity(clusterName: string) {
    const cluster = this.deps.clusters.get(clusterName);
    const client = this.deps.clusters.client(clusterName);
    const plan = await this.capacityFor(client, cluster, '', []);
    return plan;
  }
}
