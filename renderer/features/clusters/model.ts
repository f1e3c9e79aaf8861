import type { ClusterNodeView } from '../../../shared/api';
import type { Tone } from '../../ui/Badge';

/** The MIG manager's `nvidia.com/mig.config.state`. */
export const MIG_STATE_TONE: Partial<Record<string, Tone>> = {
  success: 'ok',
  pending: 'warn',
  rebooting: 'warn',
  failed: 'danger',
};

/** `nvidia.com/gpu` and every `nvidia.com/mig-*` resource the nodes carry, GPUs first. */
export function gpuResources(nodes: readonly ClusterNodeView[]): string[] {
  const all = new Set<string>();
  for (const n of nodes)
    for (const r of [...Object.keys(n.capacity), ...Object.keys(n.allocatable)]) all.add(r);
  return [...all].sort((a, b) =>
    a === b
      ? 0
      : a === 'nvidia.com/gpu'
        ? -1
        : b === 'nvidia.com/gpu'
          ? 1
          : a.localeCompare(b, 'en', { numeric: true }),
  );
}

/** `nvidia.com/mig-1g.10gb` → `mig-1g.10gb`; the full name stays in the cell's title. */
export function resourceLabel(resource: string): string {
  return resource.startsWith('nvidia.com/') ? resource.slice('nvidia.com/'.length) : resource;
}
