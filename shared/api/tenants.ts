import { z } from 'zod';
import { EVERY_ROLE } from '../roles';
import { Timestamp } from './common';
import { ClusterName, TENANT_ADMINS } from './clusters';
import { procedure } from './define';

// Tenants (design.md §2 tenants/): a tenant spec → Kubernetes objects (pure) → a plan made by a
// server-side-apply dry run on the live cluster → apply with field manager `enclave-console`,
// read back → drift against what was last applied → decommission. Every plan, apply, drift
// finding and decommission is a ledger entry.

/** The tenant spec's YAML (docs/tenant-spec.md). */
const SpecText = z
  .string()
  .min(1, 'the tenant spec is empty')
  .max(1024 * 1024);
const TenantName = z
  .string()
  .min(1)
  .max(63)
  .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, 'a tenant name is a DNS label');

export const ObjectRefSchema = z.object({
  apiVersion: z.string(),
  kind: z.string(),
  name: z.string(),
  namespace: z.string().optional(),
});
export type ObjectRef = z.infer<typeof ObjectRefSchema>;

/** One field that differs; `path` is dotted with [i] and ["key.with.dots"] (`spec.hard["requests.cpu"]`). */
export const FieldChangeSchema = z.object({
  path: z.string(),
  /** Absent: the field does not exist on that side. */
  before: z.unknown().optional(),
  after: z.unknown().optional(),
});
export type FieldChange = z.infer<typeof FieldChangeSchema>;

export const ObjectChangeSchema = z.object({
  object: ObjectRefSchema,
  /**
   * Plan: create, update or unchanged (as the dry run said). Drift: changed (fields differ from the
   * last apply), missing (deleted on the cluster), extra (a quota, limit range, network policy,
   * role or binding in the namespace that the console did not apply).
   */
  action: z.enum(['create', 'update', 'unchanged', 'changed', 'missing', 'extra']),
  fields: z.array(FieldChangeSchema),
});
export type ObjectChange = z.infer<typeof ObjectChangeSchema>;

/** One GPU resource: what the fleet offers, what other tenants reserved, what this tenant asks. */
export const CapacityRowSchema = z.object({
  /** `nvidia.com/gpu` or `nvidia.com/mig-<profile>`. */
  resource: z.string(),
  /** Sum of node allocatable on the cluster. */
  offered: z.number(),
  /** MIG slices of that profile in the layouts last read from the inventory hosts (informational). */
  inHostLayouts: z.number().nullable(),
  /** Reserved by the other tenants' quotas on this cluster. */
  reservedByOthers: z.number(),
  /** This tenant's quota. */
  requested: z.number(),
  /** offered − reservedByOthers − requested; negative means over-committed. */
  free: z.number(),
});
export type CapacityRow = z.infer<typeof CapacityRowSchema>;

export const CapacitySchema = z.object({
  cluster: z.string(),
  rows: z.array(CapacityRowSchema),
  /** Operator-worded lines for each over-committed resource, with the numbers: such a plan cannot be applied. */
  overcommitted: z.array(z.string()),
});

export const TenantHealth = z.enum(['healthy', 'drifted', 'failed', 'unknown', 'decommissioning']);

export const TenantSummary = z.object({
  name: z.string(),
  cluster: z.string(),
  organisation: z.string(),
  createdAt: Timestamp,
  lastAppliedAt: Timestamp.nullable(),
  /** From the last apply and the last drift check; `unknown` before either. */
  health: TenantHealth,
  /** Objects that differed at the last drift check; null when never checked. */
  driftedObjects: z.number().int().nullable(),
  driftCheckedAt: Timestamp.nullable(),
});
export type TenantSummary = z.infer<typeof TenantSummary>;

/** The tenant a spec names, for the ledger entry's target (the spec is validated later). */
const specTarget = (input: { spec: string } | { name: string }) => {
  const name = 'name' in input ? input.name : /^name:\s*['"]?([a-z0-9-]+)/m.exec(input.spec)?.[1];
  return name ? `tenant ${name}` : undefined;
};

const Target = z.object({
  spec: SpecText,
  /** The cluster to provision on; default: the spec's `cluster`, else the only cluster imported. */
  cluster: ClusterName.optional(),
});

const planOutput = z.object({
  tenant: z.string(),
  cluster: z.string(),
  objects: z.array(ObjectChangeSchema),
  capacity: CapacitySchema,
  /** SHA-256 over the rendered objects and the dry run's actions: apply refuses a different plan. */
  planDigest: z.string(),
});

/** What the ledger keeps of a plan: the digest and one line per object. */
const planRecord = (plan: z.output<typeof planOutput>) => ({
  tenant: plan.tenant,
  cluster: plan.cluster,
  planDigest: plan.planDigest,
  actions: plan.objects.map((o) => `${o.action} ${o.object.kind}/${o.object.name}`),
});

export const tenantProcedures = [
  procedure({
    id: 'tenants.list',
    summary: 'Tenants provisioned on the clusters, with health and drift from the last apply and check.',
    input: z.strictObject({}),
    output: z.array(TenantSummary),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'tenants.render',
    summary:
      'The Kubernetes objects a tenant spec becomes (namespace, quota, limits, network policies, RBAC), validated against the official schemas; nothing connects.',
    input: Target,
    output: z.object({
      tenant: z.string(),
      cluster: z.string().nullable(),
      objects: z.array(z.record(z.string(), z.unknown())),
      /** The objects as one multi-document YAML, as `kubectl apply -f` takes it. */
      manifest: z.string(),
    }),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'tenants.plan',
    summary:
      'Plan a tenant on its cluster: a server-side-apply dry run of every object, shown per object as a field diff, with GPU and MIG capacity; over-commitment is shown with the numbers (and such a plan cannot be applied).',
    input: Target,
    output: planOutput,
    roles: TENANT_ADMINS,
    audited: true,
    mutates: false,
    target: specTarget,
    auditResult: planRecord,
    action: { title: 'Plan a tenant…', palette: true, page: 'tenants' },
  }),
  procedure({
    id: 'tenants.apply',
    summary:
      'Apply a tenant with server-side apply (field manager enclave-console), object by object in provisioning order, then read every object back; refused when it would over-commit GPU capacity.',
    input: Target.extend({
      /** The digest of the reviewed plan: refused, changing nothing, when the plan made now differs. */
      planDigest: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
    }),
    output: planOutput.extend({
      appliedAt: Timestamp,
      /** Every object read back after the apply matches what was applied. */
      verified: z.boolean(),
      problems: z.array(z.string()),
    }),
    events: z.object({
      object: ObjectRefSchema,
      done: z.number().int(),
      total: z.number().int(),
      phase: z.enum(['applying', 'applied', 'failed', 'verified']),
    }),
    roles: TENANT_ADMINS,
    audited: true,
    mutates: true,
    target: specTarget,
    auditResult: (output) => ({
      ...planRecord(output),
      verified: output.verified,
      problems: output.problems,
    }),
    action: { title: 'Apply a tenant…', palette: true, page: 'tenants' },
  }),
  procedure({
    id: 'tenants.drift',
    summary:
      'What changed on the cluster since the tenant was last applied: each object read now and compared with what the console applied.',
    input: z.union([Target, z.strictObject({ name: TenantName, cluster: ClusterName.optional() })]),
    output: z.object({
      tenant: z.string(),
      cluster: z.string(),
      checkedAt: Timestamp,
      lastAppliedAt: Timestamp,
      changes: z.array(ObjectChangeSchema),
      /** When a spec was given: it renders differently from what was last applied (plan it). */
      specDiffers: z.boolean(),
    }),
    roles: EVERY_ROLE,
    audited: true,
    mutates: false,
    target: specTarget,
    auditResult: (output) => ({
      tenant: output.tenant,
      cluster: output.cluster,
      changes: output.changes.map((c) => ({
        object: `${c.object.kind}/${c.object.name}`,
        action: c.action,
        fields: c.fields.map((f) => f.path),
      })),
    }),
  }),
  procedure({
    id: 'tenants.decommission',
    summary:
      "Delete a tenant's namespace (and everything in it) and wait until the cluster has finished terminating it.",
    input: z.strictObject({
      name: TenantName,
      cluster: ClusterName.optional(),
      /** How long to wait for termination before reporting it still in progress. */
      timeoutSeconds: z.number().int().min(1).max(3600).default(300),
    }),
    output: z.object({
      tenant: z.string(),
      cluster: z.string(),
      /** gone: the namespace no longer exists; terminating: still going when the wait ended. */
      outcome: z.enum(['gone', 'terminating']),
      waitedSeconds: z.number(),
      remaining: z.array(z.string()),
    }),
    events: z.object({ phase: z.string(), message: z.string() }),
    roles: ['admin'],
    audited: true,
    mutates: true,
    target: (input) => `tenant ${input.name}`,
    auditResult: (output) => output,
    action: { title: 'Decommission a tenant…', palette: true, page: 'tenants' },
  }),
  procedure({
    id: 'tenants.get',
    summary: 'One tenant: its spec as last applied, the objects applied, and its last drift check.',
    input: z.strictObject({ name: TenantName, cluster: ClusterName.optional() }),
    output: z.object({
      summary: TenantSummary,
      spec: z.string(),
      objects: z.array(z.record(z.string(), z.unknown())),
      lastDrift: z.array(ObjectChangeSchema).nullable(),
    }),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'tenants.capacity',
    summary: 'GPU and MIG slices reserved by tenant quotas on a cluster against what its nodes offer.',
    input: z.strictObject({ cluster: ClusterName }),
    output: CapacitySchema,
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
] as const;
