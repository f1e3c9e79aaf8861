// A MIG GPU the catalogue does not know: its model is built from what its host prints (-lgip and
// -lgipp), and then plans made with it run on the simulator to exactly the asked layout.
import { describe, expect, it } from 'vitest';
import {
  hostMigCapabilityCommand,
  hostPlacementsCommand,
  hostProfilesCommand,
  modelFromHostOutputs,
  parseMigCapability,
} from '../../electron/core/gpu/host-model';
import { findModel, rememberHostReadModel } from '../../shared/mig/catalog';
import type { MigLayout } from '../../shared/mig/layout';
import { planMigLayout } from '../../shared/mig/plan';
import { validateLayout } from '../../shared/mig/validate';
import { createHostState } from '../lab/nvidia-smi/state';
import { executePlan, layoutMismatches, readMigState, runCommand } from '../support/mig-sim';

const NAME = 'NVIDIA Fictional MIG Accelerator';

for (const [catalogued, driverVersion] of [
  ['A100-80GB', '580.173.02'],
  ['H100-80GB-SXM5', '535.183.01'],
  ['A30-24GB', '550.127.06'],
] as const) {
  describe(`an uncatalogued GPU that is really a ${catalogued} (driver ${driverVersion})`, () => {
    const state = createHostState({
      hostname: `odd-${catalogued}`,
      gpus: [{ model: catalogued, name: NAME }],
      driverVersion,
      migEnabled: true,
    });
    const out = (command: string) => runCommand(state, command).stdout;
    const reference = findModel(catalogued);

    it('reads as a MIG GPU without a catalogue model, and its tables make the same geometry', () => {
      expect(readMigState(state)[0]?.model).toBeNull();
      const capability = parseMigCapability(out(hostMigCapabilityCommand(0)));
      expect(capability?.migCapable).toBe(true);
      const model = modelFromHostOutputs(0, NAME, capability?.memoryTotalMiB ?? 0, {
        profiles: out(hostProfilesCommand(0)),
        placements: out(hostPlacementsCommand(0)),
      });
      expect(model.key).toBe(`host:${NAME}`);
      expect(model.memorySlots).toBe(reference?.memorySlots);
      expect(model.computeSlots).toBe(reference?.computeSlots);
      const geometry = (m: typeof model) =>
        m.giProfiles
          .map((p) => [
            p.id,
            p.name,
            p.computeSlices,
            p.memorySlices,
            p.maxInstances,
            p.placementStarts.join(','),
          ])
          .sort((a, b) => Number(a[0]) - Number(b[0]));
      expect(geometry(model)).toEqual(geometry(reference as typeof model));
      rememberHostReadModel(model);
      expect(findModel(model.key)).toBe(model);
    });

    it('plans with that model, and the plan runs on the host to exactly the layout', () => {
      const model = findModel(`host:${NAME}`);
      if (!model) throw new Error('the previous test remembers the model');
      const oneG = model.giProfiles.find(
        (p) => p.computeSlices === 1 && p.memorySlices === 1 && p.attributes.length === 0,
      );
      const desired: MigLayout = {
        migEnabled: true,
        gpuInstances: [{ profile: oneG?.name ?? '?' }, { profile: oneG?.name ?? '?' }],
      };
      expect(validateLayout(model, desired).ok).toBe(true);
      const current = {
        ...(readMigState(state)[0] as ReturnType<typeof readMigState>[number]),
        model: model.key,
      };
      const planned = planMigLayout(current, desired);
      expect(planned.ok, JSON.stringify(planned)).toBe(true);
      if (!planned.ok) return;
      const after = executePlan(state, planned.plan).state;
      const read = {
        ...(readMigState(after)[0] as ReturnType<typeof readMigState>[number]),
        model: model.key,
      };
      expect(layoutMismatches(read, desired)).toEqual([]);
    });
  });
}

describe('parseMigCapability', () => {
  it('tells MIG GPUs from others and refuses what it cannot read', () => {
    expect(parseMigCapability('81920, Disabled\n')).toEqual({ memoryTotalMiB: 81920, migCapable: true });
    expect(parseMigCapability('24564, [N/A]\n')).toEqual({ memoryTotalMiB: 24564, migCapable: false });
    expect(parseMigCapability('garbled')).toBeNull();
  });
});
