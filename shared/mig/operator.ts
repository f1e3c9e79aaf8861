// MIG through the NVIDIA GPU Operator (mig.md §7): the operator's MIG manager applies the
// mig-parted config a node's `nvidia.com/mig.config` label names and reports progress in
// `nvidia.com/mig.config.state`; the device plugin then advertises one extended resource per MIG
// profile (mixed strategy). This plans such a change as the resources the node should offer
// afterwards, so the applier can verify them. Pure; shared with the renderer.
import { GPU_MODELS, findModel, modelForProductName, type GpuModel } from './catalog';
import type { NamedLayout } from './layout';
import { resolveLayout } from './named-layouts';

export const MIG_CONFIG_LABEL = 'nvidia.com/mig.config';
export const MIG_CONFIG_STATE_LABEL = 'nvidia.com/mig.config.state';

/** The catalogue model of a node's `nvidia.com/gpu.product` label (`NVIDIA-H100-80GB-HBM3`). */
export function modelForNodeProduct(product: string): GpuModel | undefined {
  return (
    findModel(product) ??
    modelForProductName(product) ??
    modelForProductName(product.replace(/-/g, ' ')) ??
    GPU_MODELS.find((m) => m.productNames.some((p) => p.replace(/ /g, '-') === product))
  );
}

/** The device plugin's resource for a MIG profile (`+` is not allowed in resource names). */
export const migResource = (profile: string) => `nvidia.com/mig-${profile.replace(/\+/g, '.')}`;

/**
 * `nvidia.com/gpu` and each `nvidia.com/mig-*` a node offers once every GPU has the named layout,
 * and the GPU instances per profile name behind them.
 */
export function expectedNodeResources(
  model: GpuModel,
  gpus: number,
  named: NamedLayout,
):
  | { ok: true; resources: Record<string, number>; instances: Record<string, number> }
  | { ok: false; message: string } {
  const resources: Record<string, number> = { 'nvidia.com/gpu': 0 };
  const instances: Record<string, number> = {};
  for (let i = 0; i < gpus; i++) {
    const resolved = resolveLayout(named, i, model.key);
    if (!resolved.ok) return resolved;
    if (!resolved.layout.migEnabled) resources['nvidia.com/gpu'] = (resources['nvidia.com/gpu'] ?? 0) + 1;
    for (const gi of resolved.layout.gpuInstances) {
      const key = migResource(gi.profile);
      resources[key] = (resources[key] ?? 0) + 1;
      instances[gi.profile] = (instances[gi.profile] ?? 0) + 1;
    }
  }
  return { ok: true, resources, instances };
}

/** GPU resources of a node's allocatable, as numbers (`nvidia.com/gpu` always present). */
export function nodeGpuResources(allocatable: Record<string, string> | undefined): Record<string, number> {
  const out: Record<string, number> = { 'nvidia.com/gpu': 0 };
  for (const [k, v] of Object.entries(allocatable ?? {})) {
    if (k === 'nvidia.com/gpu' || k.startsWith('nvidia.com/mig-')) out[k] = Number(v);
  }
  return out;
}

/** Resources whose counts differ (zero counts as absent). */
export function resourceChanges(
  before: Record<string, number>,
  after: Record<string, number>,
): { resource: string; before: number; after: number }[] {
  const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return keys
    .map((resource) => ({ resource, before: before[resource] ?? 0, after: after[resource] ?? 0 }))
    .filter((c) => c.before !== c.after);
}
