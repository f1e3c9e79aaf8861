import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { enclave } from '../support/cli';

/** `enclave gpu …` against a lab host: the contract shapes of design.md §8 and their exit codes. */
const sshd = existsSync('/usr/sbin/sshd');
if (!sshd) console.log('cli-gpu: skipped here: /usr/sbin/sshd is missing (apt-get install openssh-server)');
const work = mkdtempSync(path.join(tmpdir(), 'enclave-cli-gpu-'));
chmodSync(work, 0o711);
const state = path.join(work, 'lab');
const data = path.join(work, 'data');
const asAdmin = { ENCLAVE_OPERATOR: 'alice', ENCLAVE_PASSPHRASE: 'correct horse battery staple' };
const gpu = (args: string[]) => enclave(['gpu', ...args, '--data-dir', data], asAdmin);

afterAll(async () => {
  if (existsSync(path.join(state, 'lab.json'))) await enclave(['lab', 'down', '--state', state]);
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!sshd)(`enclave gpu on the command line${sshd ? '' : ' (skipped: no sshd)'}`, () => {
  it('lists layouts, plans (JSON with steps), applies with --yes, re-applies as a no-op, reads state, exports', async () => {
    expect((await enclave(['lab', 'up', '--hosts', '1', '--state', state])).code).toBe(0);
    await enclave(['init', '--admin', 'alice', '--data-dir', data], {
      ENCLAVE_PASSPHRASE: asAdmin.ENCLAVE_PASSPHRASE,
    });
    const imported = await enclave(
      ['hosts', 'import', path.join(state, 'inventory.yaml'), '--yes', '--data-dir', data],
      asAdmin,
    );
    expect(imported.code, imported.stdout + imported.stderr).toBe(0);

    const layouts = await gpu(['layouts', '--json']);
    expect(layouts.code, layouts.stderr).toBe(0);
    const names = (JSON.parse(layouts.stdout) as { name: string }[]).map((l) => l.name);
    expect(names).toEqual(expect.arrayContaining(['all-1g', 'balanced', 'all-disabled', 'all-3g.40gb']));

    const plan = await gpu(['plan', '--host', 'gpu01', '--gpu', '0', '--layout', 'all-1g', '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    const planned = JSON.parse(plan.stdout) as { steps: { kind: string }[]; gpus: { gpu: number }[] };
    expect(planned.gpus.map((g) => g.gpu)).toEqual([0]);
    expect(planned.steps.filter((s) => s.kind === 'create-gpu-instance').length).toBeGreaterThan(0);

    const unasked = await gpu(['apply', '--host', 'gpu01', '--gpu', '0', '--layout', 'all-1g']);
    expect(unasked.code).toBe(2);
    expect(unasked.stderr).toContain('--yes');

    const apply = await gpu(['apply', '--host', 'gpu01', '--gpu', '0', '--layout', 'all-1g', '--yes']);
    expect(apply.code, apply.stdout + apply.stderr).toBe(0);
    expect(apply.stdout).toMatch(/gpu01\s+0\s+applied/);

    const again = await gpu(['apply', '--host', 'gpu01', '--gpu', '0', '--layout', 'all-1g', '--yes']);
    expect(again.code).toBe(0);
    expect(again.stdout).toContain('no changes');

    const read = await gpu(['state', '--host', 'gpu01', '--json']);
    const gpus = (
      JSON.parse(read.stdout) as { gpus: { index: number; gpuInstances: { profile: string }[] }[] }
    ).gpus;
    expect(gpus[0]?.gpuInstances.length).toBe(7);
    expect(new Set(gpus[0]?.gpuInstances.map((g) => g.profile))).toEqual(
      new Set([expect.stringMatching(/^1g\./)]),
    );

    const unknown = await gpu(['plan', '--host', 'gpu01', '--layout', 'no-such-layout']);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain('there is no MIG layout named no-such-layout');

    // A layout file: an explicit placement that does not exist is refused with exit 3, naming it.
    const file = path.join(work, 'bad-layout.yaml');
    writeFileSync(file, 'migEnabled: true\ngpuInstances:\n  - profile: 2g.10gb\n    start: 6\n');
    const bad = await gpu(['plan', '--host', 'gpu01', '--gpu', '0', '--layout', file]);
    expect(bad.code).toBe(3);
    expect(bad.stdout).toMatch(/cannot start at slot 6/);

    const exported = await gpu(['export-mig-parted', '--host', 'gpu01']);
    expect(exported.code, exported.stderr).toBe(0);
    expect(exported.stdout).toMatch(/^version: v1\nmig-configs:\n( {2}#.*\n)? {2}current:\n/);
    expect(exported.stdout).toMatch(/1g\.5gb: 7/);
  }, 90_000);
});
