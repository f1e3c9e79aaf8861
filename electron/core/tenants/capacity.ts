// GPU capacity accounting: whole GPUs and MIG slices reserved by tenant quotas against what the
// cluster's nodes offer. A tenant whose quota would take the cluster past what it offers is
// refused at plan time with the numbers, so the site never promises slices it does not have. Pure.
import type { CapacityRow } from '../../../shared/api';

/** A quota key the device plugin's resources are reserved under (k8s-tenancy.md §1.2). */
const RESERVED = /^requests\.(nvidia\.com\/(?:gpu|mig-.+))$/;

/** `nvidia.com/gpu` → count, from a ResourceQuota's spec.hard. */
export function gpuReservations(hard: Record<string, string | number> | undefined): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, value] of Object.entries(hard ?? {})) {
    const m = RESERVED.exec(key);
    if (m?.[1]) out[m[1]] = (out[m[1]] ?? 0) + Number(value);
  }
  return out;
}

export interface CapacityInput {
  cluster: string;
  tenant: string;
  /** Summed node allocatable per resource. */
  offered: Record<string, number>;
  /** MIG instances per `nvidia.com/mig-<profile>` in the host layouts the console last read. */
  inHostLayouts: Record<string, number> | null;
  /** The other tenants' reservations. */
  others: Record<string, number>[];
  requested: Record<string, number>;
  /** What this tenant's quota on the cluster holds now (a re-apply that asks no more is never refused). */
  current: Record<string, number>;
}

export function capacityPlan(input: CapacityInput): {
  cluster: string;
  rows: CapacityRow[];
  overcommitted: string[];
} {
  const reservedByOthers: Record<string, number> = {};
  for (const o of input.others) {
    for (const [k, v] of Object.entries(o)) reservedByOthers[k] = (reservedByOthers[k] ?? 0) + v;
  }
  const resources = [
    ...new Set([
      ...Object.keys(input.offered),
      ...Object.keys(reservedByOthers),
      ...Object.keys(input.requested),
    ]),
  ].sort((a, b) => (a === 'nvidia.com/gpu' ? -1 : b === 'nvidia.com/gpu' ? 1 : a.localeCompare(b)));
  const rows: CapacityRow[] = resources.map((resource) => {
    const offered = input.offered[resource] ?? 0;
    const others = reservedByOthers[resource] ?? 0;
    const requested = input.requested[resource] ?? 0;
    return {
      resource,
      offered,
      inHostLayouts: input.inHostLayouts === null ? null : (input.inHostLayouts[resource] ?? 0),
      reservedByOthers: others,
      requested,
      free: offered - others - requested,
    };
  });
  const overcommitted = rows
    .filter((r) => r.free < 0 && r.requested > (input.current[r.resource] ?? 0))
    .map(
      (r) =>
        `${r.resource}: tenant ${input.tenant} asks for ${r.requested}, other tenants hold ${r.reservedByOthers}, cluster ${input.cluster} offers ${r.offered} (${-r.free} too many)`,
    );
  return { cluster: input.cluster, rows, overcommitted };
}
