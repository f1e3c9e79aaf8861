import { z } from 'zod';
import { EVERY_ROLE } from '../roles';
import type { Role } from '../roles';
import { Timestamp } from './common';
import { procedure } from './define';
import { secret } from './secret';

// Kubernetes clusters reached through kubeconfig (design.md §2 clusters/): import with the safety
// checks done before anything connects, then a read-only view of nodes, GPUs and MIG resources.

/** Who may import and remove clusters: their credentials reach every tenant. */
export const CLUSTER_ADMINS: readonly Role[] = ['admin'];
/** Who provisions tenants on them. */
export const TENANT_ADMINS: readonly Role[] = ['tenant-admin', 'admin'];

export const ClusterName = z
  .string()
  .min(1)
  .max(63)
  .regex(
    /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/,
    'use lower-case letters, digits and "-", starting and ending with a letter or digit',
  );

/** A kubeconfig's text: it holds credentials, so it is never logged or put in the ledger. */
const KubeconfigText = secret(
  z
    .string()
    .min(1, 'the kubeconfig is empty')
    .max(4 * 1024 * 1024),
);

export const KubeconfigProblemSchema = z.object({
  /** `context "prod"`, `cluster "prod"`, `user "admin"`, or `kubeconfig`. */
  entry: z.string(),
  field: z.string(),
  message: z.string(),
  hint: z.string(),
  line: z.number().int().optional(),
});
export type KubeconfigProblemView = z.infer<typeof KubeconfigProblemSchema>;

export const KubeconfigContextSchema = z.object({
  name: z.string(),
  cluster: z.string().optional(),
  user: z.string().optional(),
  namespace: z.string().optional(),
  server: z.string().optional(),
  current: z.boolean(),
});

/** One node as the cluster view shows it: GPU labels and resources, not the whole object. */
export const ClusterNodeView = z.object({
  name: z.string(),
  ready: z.boolean(),
  unschedulable: z.boolean(),
  kubeletVersion: z.string().nullable(),
  /** `nvidia.com/gpu.product`, e.g. NVIDIA-H100-80GB-HBM3. */
  gpuProduct: z.string().nullable(),
  gpuCount: z.number().int().nullable(),
  migCapable: z.boolean(),
  /** `nvidia.com/mig.strategy`: single or mixed. */
  migStrategy: z.string().nullable(),
  /** `nvidia.com/mig.config` and its `.state` (pending, success, failed) from the MIG manager. */
  migConfig: z.string().nullable(),
  migConfigState: z.string().nullable(),
  /** `nvidia.com/gpu` and every `nvidia.com/mig-*` resource, as quantities. */
  capacity: z.record(z.string(), z.string()),
  allocatable: z.record(z.string(), z.string()),
  /** The node's `nvidia.com/*` labels and its node-pool label when present. */
  labels: z.record(z.string(), z.string()),
});
export type ClusterNodeView = z.infer<typeof ClusterNodeView>;

export const ClusterView = z.object({
  name: z.string(),
  server: z.string(),
  context: z.string(),
  version: z.string(),
  platform: z.string().nullable(),
  readAt: Timestamp,
  gpuOperator: z.object({
    present: z.boolean(),
    namespace: z.string().nullable(),
    /** What the presence was judged on, for the operator to check. */
    evidence: z.string(),
  }),
  nodes: z.array(ClusterNodeView),
  /** Allocatable across the nodes: `nvidia.com/gpu` and each `nvidia.com/mig-*`, summed. */
  totals: z.record(z.string(), z.number()),
});
export type ClusterView = z.infer<typeof ClusterView>;

export const clusterProcedures = [
  procedure({
    id: 'clusters.contexts',
    summary: 'The contexts a kubeconfig holds, to choose which to import; nothing connects or is stored.',
    input: z.strictObject({ kubeconfig: KubeconfigText, fileName: z.string().max(4096).optional() }),
    output: z.object({ contexts: z.array(KubeconfigContextSchema) }),
    roles: CLUSTER_ADMINS,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'clusters.import',
    summary:
      'Import contexts of a kubeconfig: checked (exec plugins only when the site policy allows that exact command, no insecure TLS, files read once), each cluster reached once, then its credentials stored encrypted.',
    input: z.strictObject({
      kubeconfig: KubeconfigText,
      /** For messages and for resolving relative file references. */
      fileName: z.string().max(4096).optional(),
      /** Contexts to import; default: the current context. */
      contexts: z.array(z.string().min(1).max(253)).min(1).optional(),
      /** The console's name for the cluster (one context only); default: the context name. */
      name: ClusterName.optional(),
      /** The API server's OIDC group prefix (`--oidc-groups-prefix`), put before tenant groups. */
      oidcGroupPrefix: z.string().max(64).default('oidc:'),
      /** Replace a cluster of the same name (its tenants stay). */
      replace: z.boolean().default(false),
    }),
    output: z.object({
      imported: z.array(
        z.object({ name: z.string(), context: z.string(), server: z.string(), version: z.string() }),
      ),
      warnings: z.array(KubeconfigProblemSchema),
      /** Files the kubeconfig named and the import read (absolute paths). */
      filesRead: z.array(z.string()),
    }),
    roles: CLUSTER_ADMINS,
    audited: true,
    mutates: true,
    target: (input) => (input.name ? `cluster ${input.name}` : `kubeconfig ${input.fileName ?? '(pasted)'}`),
    auditResult: (output) => output.imported,
    action: { title: 'Import a kubeconfig…', palette: true, page: 'clusters' },
  }),
  procedure({
    id: 'clusters.view',
    summary:
      'Read a cluster now: version, nodes, GPU Operator presence, GPU and MIG capacity and allocatable, MIG strategy and config labels.',
    input: z.strictObject({ cluster: ClusterName }),
    output: ClusterView,
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'clusters.remove',
    summary: 'Forget a cluster and its stored credentials (refused while tenants are recorded on it).',
    input: z.strictObject({ cluster: ClusterName }),
    output: z.object({ removed: z.string() }),
    roles: CLUSTER_ADMINS,
    audited: true,
    mutates: true,
    target: (input) => `cluster ${input.cluster}`,
  }),
] as const;
