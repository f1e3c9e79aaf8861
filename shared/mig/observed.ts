// What a GPU looks like now, in the vocabulary of layouts: the layout to roll back to, the layout
// recorded as applied (to notice drift after a reboot), and the check that a GPU matches a layout.
import type { GpuMigState, MigLayout } from './layout';
import { planMigLayout } from './plan';

/** The GPU's current layout, every GI at its placement with its CIs (the rollback target). */
export function layoutOf(gpu: GpuMigState): MigLayout {
  return {
    migEnabled: gpu.migCurrent,
    gpuInstances: [...gpu.gpuInstances]
      .sort((a, b) => a.start - b.start)
      .map((gi) => ({
        profile: gi.profile,
        start: gi.start,
        computeInstances: [...gi.computeInstances]
          .sort((a, b) => (a.start ?? 0) - (b.start ?? 0) || a.id - b.id)
          .map((ci) => ({ profile: ci.profile })),
      })),
  };
}

/**
 * Whether the GPU already is in `layout`: planning it needs no step. Processes do not matter here
 * (the plan is forced), and a layout that cannot be planned for this GPU never matches.
 */
export function matchesLayout(gpu: GpuMigState, layout: MigLayout): boolean {
  const planned = planMigLayout(gpu, layout, { force: true });
  return planned.ok && planned.plan.steps.length === 0;
}
