// The driver's answers as read-back: after every create and destroy of a plan run on the simulator,
// the state carried forward from the answer equals the state the listings show (CI placements aside,
// which only the listings have); answers that do not confirm the step are refused with the reason.
import { describe, expect, it } from 'vitest';
import { confirmStep } from '../../electron/core/gpu/confirmations';
import { stepCommand } from '../../shared/mig/commands';
import type { GpuMigState, MigLayout } from '../../shared/mig/layout';
import { planMigLayout } from '../../shared/mig/plan';
import { createHostState } from '../lab/nvidia-smi/state';
import { readMigState, runCommand } from '../support/mig-sim';

/** The state without what only the listings know (CI placements). */
const comparable = (g: GpuMigState) =>
  g.gpuInstances
    .map((gi) => ({
      id: gi.id,
      profile: gi.profile,
      start: gi.start,
      size: gi.size,
      cis: gi.computeInstances.map((ci) => `${ci.id}:${ci.profile}`).sort(),
    }))
    .sort((a, b) => a.id - b.id);

const layouts: [string, MigLayout, MigLayout][] = [
  [
    'empty → balanced',
    { migEnabled: true, gpuInstances: [] },
    {
      migEnabled: true,
      gpuInstances: [
        { profile: '3g.40gb' },
        { profile: '2g.20gb' },
        { profile: '1g.10gb' },
        { profile: '1g.10gb' },
      ],
    },
  ],
  [
    'all-1g → 3g split into 1c CIs',
    { migEnabled: true, gpuInstances: Array.from({ length: 7 }, () => ({ profile: '1g.10gb' })) },
    {
      migEnabled: true,
      gpuInstances: [
        { profile: '3g.40gb', computeInstances: [{ profile: '1c.3g.40gb' }, { profile: '1c.3g.40gb' }] },
        { profile: '4g.40gb' },
      ],
    },
  ],
];

for (const scheme of ['standard', 'swappedHalves'] as const) {
  for (const [name, from, to] of layouts) {
    it(`${name} (${scheme} GI IDs): every answer carries the state the listings show`, () => {
      let host = createHostState({
        hostname: 'confirm',
        gpus: [{ model: 'A100-80GB' }],
        driverVersion: '580.173.02',
        migEnabled: true,
        giIdScheme: scheme,
      });
      // Reach `from` by running its plan the same way.
      for (const target of [from, to]) {
        const current = readMigState(host)[0] as GpuMigState;
        const planned = planMigLayout(current, target);
        if (!planned.ok) throw new Error(JSON.stringify(planned.problems));
        let carried = current;
        let confirmedSteps = 0;
        for (const step of planned.plan.steps) {
          const command = stepCommand(step, (gi) => {
            const found = carried.gpuInstances.find((g) => g.profile === gi.profile && g.start === gi.start);
            if (!found) throw new Error(`no GI at ${gi.start}`);
            return found.id;
          });
          if (command === null) continue;
          const run = runCommand(host, command);
          expect(run.exitCode, run.stdout).toBe(0);
          host = run.state;
          const listed = readMigState(host)[0] as GpuMigState;
          const answer = confirmStep(step, carried, run.stdout);
          if (answer.ok) {
            confirmedSteps++;
            expect(comparable(answer.state)).toEqual(comparable(listed));
          }
          carried = listed;
        }
        expect(confirmedSteps).toBe(planned.plan.steps.filter((s) => s.kind.includes('instance')).length);
      }
    });
  }
}

describe('answers that do not confirm their step', () => {
  const gpu: GpuMigState = {
    index: 0,
    uuid: 'GPU-x',
    name: 'NVIDIA H100 80GB HBM3',
    model: 'H100-80GB-SXM5',
    migCurrent: true,
    migPending: true,
    processes: [],
    gpuInstances: [],
  };
  const create = {
    kind: 'create-gpu-instance',
    gpu: 0,
    gi: { profile: '3g.40gb', start: 4 },
    profileId: 9,
  } as const;

  it('accepts the reference line and records the placement asked for', () => {
    const answer = confirmStep(
      create,
      gpu,
      'Successfully created GPU instance ID  2 on GPU  0 using profile MIG 3g.40gb (ID  9)\n',
    );
    expect(answer.ok && answer.state.gpuInstances).toEqual([
      { id: 2, profileId: 9, profile: '3g.40gb', start: 4, size: 4, computeInstances: [] },
    ]);
  });

  it.each([
    [
      'another profile',
      'Successfully created GPU instance ID  2 on GPU  0 using profile MIG 4g.40gb (ID  5)',
    ],
    ['another GPU', 'Successfully created GPU instance ID  2 on GPU  1 using profile MIG 3g.40gb (ID  9)'],
    ['a failure', 'Unable to create a GPU instance on GPU  0 using profile 9:4: Insufficient Resources'],
    [
      'two lines',
      'Successfully created GPU instance ID  2 on GPU  0 using profile MIG 3g.40gb (ID  9)\nWarning: x',
    ],
    ['nothing', ''],
  ])('refuses %s', (_what, output) => {
    expect(confirmStep(create, gpu, output).ok).toBe(false);
  });

  it('never confirms mode changes or resets (the listings decide whether a mode is pending)', () => {
    expect(
      confirmStep(
        { kind: 'set-mig-mode', gpu: 0, enable: true, resetRequired: false },
        gpu,
        'Enabled MIG Mode for GPU 00000000:18:00.0\nAll done.',
      ).ok,
    ).toBe(false);
  });

  it('refuses an R450 compute-instance answer without the CI ID, so the listings are read instead', () => {
    const withGi = {
      ...gpu,
      gpuInstances: [{ id: 1, profileId: 9, profile: '3g.40gb', start: 0, size: 4, computeInstances: [] }],
    };
    const step = {
      kind: 'create-compute-instance',
      gpu: 0,
      gi: { profile: '3g.40gb', start: 0 },
      profile: '1c.3g.40gb',
      profileId: 0,
    } as const;
    expect(
      confirmStep(
        step,
        withGi,
        'Successfully created compute instance on GPU  0 GPU instance ID  1 using profile MIG 1c.3g.40gb (ID  0)',
      ).ok,
    ).toBe(false);
    const ok = confirmStep(
      step,
      withGi,
      'Successfully created compute instance ID  0 on GPU  0 GPU instance ID  1 using profile MIG 1c.3g.40gb (ID  0)',
    );
    expect(ok.ok && ok.state.gpuInstances[0]?.computeInstances).toEqual([
      { id: 0, profileId: 0, profile: '1c.3g.40gb', start: null, size: null },
    ]);
  });
});
