import { z } from 'zod';
import { EVERY_ROLE } from '../roles';
import { procedure } from './define';
import { Empty, Timestamp } from './common';

/**
 * Read-only lists behind the GPUs, Clusters, Tenants and Bundles pages.
 * The capabilities that fill them (SSH hosts, MIG, Kubernetes tenants, offline
 * bundles) extend these rows as they land.
 */
export const GpuRow = z.object({
  host: z.string(),
  index: z.number().int(),
  uuid: z.string(),
  model: z.string(),
  memoryMiB: z.number().int(),
  migMode: z.enum(['enabled', 'disabled', 'unsupported']),
  migPending: z.enum(['enabled', 'disabled', 'unsupported']),
  busId: z.string().nullable(),
  driverVersion: z.string().nullable(),
  /** MIG devices (compute instances) found on it at discovery. */
  migDevices: z.number().int(),
  /** Its GPU instances (memory slots) as last read by a MIG read or apply; null before one. */
  gpuInstances: z
    .array(z.object({ profile: z.string(), start: z.number().int(), size: z.number().int() }))
    .nullable(),
  migReadAt: Timestamp.nullable(),
});

export const ClusterRow = z.object({
  name: z.string(),
  server: z.string(),
  context: z.string(),
  /** The API server's OIDC group prefix that tenant group bindings carry. */
  oidcGroupPrefix: z.string(),
  addedAt: Timestamp,
});
export const BundleRow = z.object({
  name: z.string(),
  kind: z.string(),
  version: z.string(),
  sha256: z.string(),
  installedAt: Timestamp,
  /** Who installed it, and where (hosts, a cluster, the workstation); null for rows from before. */
  installedBy: z.string().nullable().optional(),
  targets: z.array(z.string()).optional(),
});

const list = <Id extends string, R extends z.ZodType>(id: Id, summary: string, row: R) =>
  procedure({
    id,
    summary,
    input: Empty,
    output: z.array(row),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  });

export const inventoryProcedures = [
  list('gpus.list', 'GPUs discovered on the inventory hosts.', GpuRow),
  list('clusters.list', 'Kubernetes clusters imported from kubeconfig.', ClusterRow),
  list('bundles.list', 'Offline bundles installed on this workstation.', BundleRow),
] as const;
