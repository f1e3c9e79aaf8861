// The applier against the pure simulator as its "host": deferred verification from one read of the
// host, and the rollback it starts when a GPU does not read back as its layout.
import { describe, expect, it } from 'vitest';
import {
  applyMigPlan,
  readHostMigState,
  verifyApplied,
  type MigCommandRunner,
} from '../../electron/core/gpu/apply';
import type { GpuMigState, MigLayout } from '../../shared/mig/layout';
import { matchesLayout, layoutOf } from '../../shared/mig/observed';
import { planMigLayout } from '../../shared/mig/plan';
import { createHostState, type HostState } from '../lab/nvidia-smi/state';
import { runCommand } from '../support/mig-sim';

function simulatedHost(state: HostState): {
  runner: MigCommandRunner;
  commands: string[];
  state: () => HostState;
  set: (s: HostState) => void;
} {
  let now = state;
  const commands: string[] = [];
  return {
    commands,
    state: () => now,
    set: (s) => (now = s),
    runner: {
      run: async (command) => {
        commands.push(command);
        const r = runCommand(now, command);
        now = r.state;
        return { exitCode: r.exitCode, stdout: r.stdout, stderr: '' };
      },
    },
  };
}

const balanced: MigLayout = {
  migEnabled: true,
  gpuInstances: [
    { profile: '3g.40gb' },
    { profile: '2g.20gb' },
    { profile: '1g.10gb' },
    { profile: '1g.10gb' },
  ],
};

describe('deferred verification', () => {
  it('applies with the driver confirming each step (no listing until the host is read once), then verifies', async () => {
    const host = simulatedHost(
      createHostState({
        hostname: 'v',
        gpus: [{ model: 'H100-80GB-SXM5' }],
        driverVersion: '580.173.02',
        migEnabled: true,
      }),
    );
    const before = (await readHostMigState(host.runner))[0] as GpuMigState;
    const planned = planMigLayout(before, balanced);
    if (!planned.ok) throw new Error('plan');
    host.commands.length = 0;
    const applied = await applyMigPlan(host.runner, planned.plan, before, balanced, { deferVerify: true });
    expect(applied.outcome).toBe('applied');
    // Only the plan's own commands ran: every create was confirmed by the driver's answer.
    expect(host.commands.every((c) => / -cgi | -cci /.test(c))).toBe(true);
    expect(applied.steps.some((s) => s.step.kind === 'verify')).toBe(false);
    const read = (await readHostMigState(host.runner))[0];
    const verified = await verifyApplied(host.runner, planned.plan, before, balanced, applied, read);
    expect(verified.outcome).toBe('applied');
    expect(verified.steps.at(-1)).toMatchObject({ step: { kind: 'verify' }, ok: true });
  });

  it('rolls a GPU back when the host does not read back as its layout', async () => {
    const host = simulatedHost(
      createHostState({
        hostname: 'w',
        gpus: [{ model: 'A100-80GB' }],
        driverVersion: '550.90.07',
        migEnabled: true,
      }),
    );
    const start: MigLayout = { migEnabled: true, gpuInstances: [{ profile: '7g.80gb', start: 0 }] };
    const first = planMigLayout((await readHostMigState(host.runner))[0] as GpuMigState, start);
    if (!first.ok) throw new Error('plan');
    await applyMigPlan(
      host.runner,
      first.plan,
      (await readHostMigState(host.runner))[0] as GpuMigState,
      start,
    );
    const before = (await readHostMigState(host.runner))[0] as GpuMigState;
    const planned = planMigLayout(before, balanced);
    if (!planned.ok) throw new Error('plan');
    const applied = await applyMigPlan(host.runner, planned.plan, before, balanced, { deferVerify: true });
    expect(applied.outcome).toBe('applied');
    // Someone destroys an instance behind the console's back before the host is read.
    const victim = (await readHostMigState(host.runner))[0]?.gpuInstances.find(
      (gi) => gi.profile === '2g.20gb',
    );
    await host.runner.run(`nvidia-smi mig -i 0 -gi ${victim?.id} -dci`);
    await host.runner.run(`nvidia-smi mig -i 0 -gi ${victim?.id} -dgi`);
    const read = (await readHostMigState(host.runner))[0];
    const verified = await verifyApplied(host.runner, planned.plan, before, balanced, applied, read);
    expect(verified.outcome).toBe('rolled-back');
    expect(verified.steps.at(-1)).toMatchObject({ step: { kind: 'verify' }, ok: false });
    expect(verified.rollback.length).toBeGreaterThan(0);
    const after = (await readHostMigState(host.runner))[0] as GpuMigState;
    expect(matchesLayout(after, layoutOf(before))).toBe(true);
  });
});
