// MIG partitioning end to end: the real dispatcher (admin and operator clients), the real applier,
// SSH to real sshd lab hosts running the nvidia-smi simulator, and the ledger. One lab of seven small
// hosts is shared by every test; each group of tests owns its hosts (see PROFILES) and runs its tests
// in order, side by side with the other groups. Faults are the lab's (test/lab/site labFault), aimed
// at single commands (`-cgi`, the Nth match); a reboot is simulated by rewriting the host's state file.
import { chownSync, chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleClient } from '../../shared/client';
import type { ConsoleError } from '../../shared/errors';
import type { GpuMigState } from '../../shared/mig/layout';
import { parseMigPartedConfig } from '../../shared/mig/mig-parted';
import type { AuditEntryView } from '../../shared/api';
import { labDown, labFault, labFaultSeen, labUp, type LabHost, type LabState } from '../lab/site';
import { gpuModel } from '../lab/nvidia-smi/catalogue';
import { giIdFor } from '../lab/nvidia-smi/geometry';
import { createHostState, type HostProfile } from '../lab/nvidia-smi/state';
import { readState, writeStateAtomically } from '../lab/nvidia-smi/state-file';
import { openTestCore, type TestCore } from '../support/core';
import { layoutMismatches } from '../support/mig-sim';

const sshd = existsSync('/usr/sbin/sshd');
const simulator = path.resolve(import.meta.dirname, '../../out/lab/nvidia-smi.mjs');
const ready = sshd && existsSync(simulator);
if (!ready)
  console.log(
    'mig: skipped here: needs /usr/sbin/sshd (openssh-server) and out/lab/nvidia-smi.mjs (node build/build.mjs)',
  );

/** The lab's hosts, in order gpu01…gpu07: small, so each apply stays a few seconds. */
const PROFILES: Omit<HostProfile, 'hostname'>[] = [
  // gpu01: named layouts, re-apply, change, all GPUs, then the host lost mid-apply.
  { gpus: [{ model: 'A100-40GB', count: 2 }], driverVersion: '535.183.01', migEnabled: true },
  // gpu02: Ampere MIG off -> on (reset), a process on GPU 1, Ampere reboot.
  {
    gpus: [{ model: 'A100-80GB', count: 2 }],
    driverVersion: '550.90.07',
    migEnabled: false,
    processes: [{ gpu: 1, pid: 4242, name: 'python3 train.py', usedMiB: 2048 }],
  },
  // gpu03: Hopper with the swapped-halves GI-ID scheme, drift after a reboot.
  {
    gpus: [{ model: 'H100-80GB-SXM5', count: 2 }],
    driverVersion: '570.86.15',
    migEnabled: true,
    giIdScheme: 'swappedHalves',
  },
  // gpu04: garbled output, Hopper MIG off -> on (no reset), mig-parted configs, rollbacks.
  { gpus: [{ model: 'H200-141GB', count: 1 }], driverVersion: '575.51.03', migEnabled: false },
  // gpu05-07: the fleet.
  { gpus: [{ model: 'H100-80GB-SXM5', count: 1 }], driverVersion: '580.173.02', migEnabled: true },
  { gpus: [{ model: 'A100-40GB', count: 1 }], driverVersion: '535.183.01', migEnabled: true },
  {
    gpus: [{ model: 'H100-80GB-SXM5', count: 1 }],
    driverVersion: '570.86.15',
    migEnabled: true,
    giIdScheme: 'swappedHalves',
  },
];
const FLEET = new Set([4, 5, 6]);

let lab: LabState;
let work: string;
let t: TestCore;
let admin: ConsoleClient;
let operator: ConsoleClient;
const name = (i: number) => (lab.hosts[i] as LabHost).name;
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: ConsoleError) => e,
  );

async function gpus(host: number): Promise<GpuMigState[]> {
  return (await admin.call('gpu.state', { host: name(host) })).gpus;
}
async function gpu(host: number, index: number): Promise<GpuMigState> {
  const found = (await gpus(host)).find((g) => g.index === index);
  if (!found) throw new Error(`${name(host)} has no GPU ${index}`);
  return found;
}
/** A GPU's instances as `profile@start[CI profiles]`, sorted: placements and CIs included. */
const shape = (g: GpuMigState) =>
  g.gpuInstances
    .map(
      (gi) =>
        `${gi.profile}@${gi.start}[${gi.computeInstances
          .map((c) => c.profile)
          .sort()
          .join(',')}]`,
    )
    .sort();
const each = (profile: string, starts: number[]) => starts.map((s) => `${profile}@${s}[${profile}]`).sort();

/** The ledger index now: entries after it were written later. */
const mark = () => t.core.ledger.list({ limit: 1 }).entries[0]?.index ?? -1;
/**
 * The ledger entries written after `m` about these hosts (by lab index; null: any target), oldest
 * first. Tests of different hosts run side by side, so each looks only at its own hosts' entries.
 */
const since = (m: number, hosts: number | number[] | null, procedure?: string) => {
  const names = hosts === null ? null : [hosts].flat().map(name);
  return t.core.ledger
    .list({ limit: 5000 })
    .entries.filter(
      (e) =>
        e.index > m &&
        (procedure === undefined || e.procedure === procedure) &&
        (names === null || names.some((n) => e.target === `host ${n}` || e.target?.startsWith(`host ${n} `))),
    )
    .sort((a, b) => a.index - b.index);
};
interface StepInput {
  step: string;
  command: string | null;
  exitCode: number | null;
  outputSha256: string;
  ok: boolean;
  error: string | null;
}
const stepOf = (e: AuditEntryView) => e.input as StepInput;

/**
 * What a reboot does to the host's GPUs (mig.md §6, docs/mig.md §4): every GPU and compute instance
 * and every process is gone; Hopper and later also lose MIG mode, Ampere keeps it (stored in the
 * InfoROM) and a pending change takes effect.
 */
function reboot(host: number): void {
  const h = lab.hosts[host] as LabHost;
  const state = readState(h.gpuStateFile);
  for (const g of state.gpus) {
    g.gis = [];
    g.processes = [];
    const ampere = g.modelKey !== null && gpuModel(g.modelKey).migChangeNeedsReset;
    g.migCurrent = ampere ? g.migPending : false;
    g.migPending = g.migCurrent;
  }
  writeStateAtomically(h.gpuStateFile, state);
  const owner = statSync(h.hostDir);
  chownSync(h.gpuStateFile, owner.uid, owner.gid);
}

/** Tests of one group run in order; the groups (each with hosts of its own) run side by side. */
const group = (title: string, fn: () => void) => describe(title, { concurrent: true }, fn);

describe.skipIf(!ready)(`MIG over SSH${ready ? '' : ' (skipped: no sshd or simulator)'}`, () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'enclave-mig-'));
    chmodSync(work, 0o711); // the lab's login user must reach its host directories
    lab = await labUp({
      hosts: PROFILES.length,
      stateDir: path.join(work, 'lab'),
      seedHost: (h, i) =>
        writeStateAtomically(
          h.gpuStateFile,
          createHostState({ hostname: h.name, ...(PROFILES[i] as Omit<HostProfile, 'hostname'>) }),
        ),
    });
    const key = readFileSync(lab.operatorKey, 'utf8');
    t = await openTestCore();
    admin = await t.connectAs(['admin']);
    operator = await t.connectAs(['operator']);
    await Promise.all(
      lab.hosts.map((h, i) =>
        admin.call('hosts.add', {
          name: h.name,
          address: h.address,
          port: h.port,
          user: h.user,
          privateKey: key,
          labels: { ...h.labels, pool: FLEET.has(i) ? 'fleet' : 'solo' },
          fingerprint: h.fingerprint,
        }),
      ),
    );
  }, 60_000);
  afterAll(async () => {
    t?.close();
    if (lab) await labDown(lab.stateDir);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  group('named layouts on one host (gpu01, 2× A100-40GB)', () => {
    it.sequential(
      'applies all-1g to one GPU: exactly that layout reads back, the ledger holds plan, every step and the result',
      async () => {
        const m = mark();
        const out = await operator.call('gpu.apply', {
          host: name(0),
          gpus: [0],
          layout: { name: 'all-1g' },
        });
        const [plan] = out.plans;
        const [result] = out.results;
        expect(out.results).toHaveLength(1);
        expect(result?.outcome).toBe('applied');
        expect(result?.error).toBeNull();
        // 7 GPU instances at their explicit placements, 7 compute instances, then the verify step.
        expect(plan?.steps.map((s) => s.kind)).toEqual([
          ...Array<string>(7).fill('create-gpu-instance'),
          ...Array<string>(7).fill('create-compute-instance'),
          'verify',
        ]);

        const now = await gpus(0);
        expect(shape(now[0] as GpuMigState)).toEqual(each('1g.5gb', [0, 1, 2, 3, 4, 5, 6]));
        expect(layoutMismatches(now[0] as GpuMigState, plan?.desired as never)).toEqual([]);
        expect(now[1]?.gpuInstances).toEqual([]); // the other GPU was not touched

        const entries = since(m, 0);
        expect(entries.map((e) => e.procedure)).toEqual([
          'gpu.apply.plan',
          ...Array<string>(15).fill('gpu.apply.step'),
          'gpu.apply',
        ]);
        const [planEntry] = entries;
        expect(planEntry?.target).toBe(`host ${name(0)}`);
        expect(planEntry?.planDigest).toMatch(/^[0-9a-f]{64}$/);
        expect(planEntry?.input).toMatchObject({ layout: 'all-1g', plans: [{ gpu: 0, steps: plan?.steps }] });
        const steps = entries.slice(1, -1).map(stepOf);
        expect(steps.map((s) => s.command)).toEqual(result?.steps.map((s) => s.command));
        expect(steps.slice(0, 7).map((s) => s.command)).toEqual(
          [0, 1, 2, 3, 4, 5, 6].map((start) => `nvidia-smi mig -i 0 -cgi 19:${start}`),
        );
        // Each compute instance goes into the GI ID read back for its placement.
        const ids = new Map(now[0]?.gpuInstances.map((gi) => [gi.start, gi.id]));
        expect(steps.slice(7, 14).map((s) => s.command)).toEqual(
          [0, 1, 2, 3, 4, 5, 6].map((start) => `nvidia-smi mig -i 0 -gi ${ids.get(start)} -cci 0`),
        );
        expect(steps.every((s) => s.ok && s.error === null)).toBe(true);
        expect(steps.slice(0, 14).every((s) => s.exitCode === 0)).toBe(true);
        expect(steps[14]).toMatchObject({ command: null, exitCode: null, ok: true });
        for (const e of entries.slice(1, -1)) expect(e.target).toBe(`host ${name(0)} GPU 0`);
        const final = entries.at(-1);
        expect(final).toMatchObject({
          procedure: 'gpu.apply',
          outcome: 'ok',
          target: `host ${name(0)} GPU 0`,
        });
        expect(final?.result).toEqual([
          {
            gpu: 0,
            outcome: 'applied',
            steps: result?.steps.map((s) => ({ command: s.command, exitCode: s.exitCode, ok: true })),
            rollback: 0,
            error: null,
          },
        ]);
      },
      60_000,
    );

    it.sequential(
      'applies only the plan the operator reviewed: another plan digest is refused and nothing changes',
      async () => {
        const before = await gpus(0);
        const plan = await operator.call('gpu.plan', {
          host: name(0),
          gpus: [1],
          layout: { name: 'all-2g' },
        });
        expect(plan.planDigest).toMatch(/^[0-9a-f]{64}$/);
        const other = await operator.call('gpu.plan', {
          host: name(0),
          gpus: [1],
          layout: { name: 'all-3g' },
        });
        expect(other.planDigest).not.toBe(plan.planDigest);
        const refused = await operator
          .call('gpu.apply', {
            host: name(0),
            gpus: [1],
            layout: { name: 'all-2g' },
            planDigest: other.planDigest,
          })
          .then(
            () => null,
            (e: ConsoleError) => e,
          );
        expect(refused?.code).toBe('CONFLICT');
        expect(refused?.message).toContain('plan you reviewed');
        expect(await gpus(0)).toEqual(before);
      },
      60_000,
    );

    it.sequential(
      're-applying the same layout plans no step and changes nothing',
      async () => {
        const before = await gpu(0, 0);
        const plan = await operator.call('gpu.plan', {
          host: name(0),
          gpus: [0],
          layout: { name: 'all-1g' },
        });
        expect(plan.gpus[0]).toMatchObject({ ok: true, steps: [], problems: [] });
        expect(plan.gpus[0]?.kept).toHaveLength(7);
        const m = mark();
        const out = await operator.call('gpu.apply', {
          host: name(0),
          gpus: [0],
          layout: { name: 'all-1g' },
        });
        expect(out.results[0]).toMatchObject({ outcome: 'unchanged', steps: [], rollback: [], error: null });
        expect(since(m, 0).map((e) => e.procedure)).toEqual(['gpu.apply.plan', 'gpu.apply']);
        expect(since(m, 0, 'gpu.apply.step')).toEqual([]);
        expect(await gpu(0, 0)).toEqual(before);
      },
      60_000,
    );

    it.sequential(
      'changes all-1g to balanced keeping the GPU instances that fit (never destroyed)',
      async () => {
        const before = await gpu(0, 0);
        const m = mark();
        const out = await operator.call('gpu.apply', {
          host: name(0),
          gpus: [0],
          layout: { name: 'balanced' },
        });
        expect(out.results[0]?.outcome).toBe('applied');
        const kept = out.plans[0]?.kept ?? [];
        // 3g.20gb at 4-7 and 2g.10gb at 0-1 leave the 1g instances at slots 2 and 3 in place.
        expect(kept).toEqual([
          { profile: '1g.5gb', start: 2 },
          { profile: '1g.5gb', start: 3 },
        ]);
        const keptIds = before.gpuInstances
          .filter((gi) => gi.start === 2 || gi.start === 3)
          .map((gi) => gi.id);
        const commands = since(m, 0, 'gpu.apply.step').map((e) => stepOf(e).command ?? '');
        const destroyed = commands.flatMap((c) => /-gi (\d+) (?:-ci \d+ -dci|-dgi)$/.exec(c)?.[1] ?? []);
        expect(destroyed).toHaveLength(10); // 5 CIs and 5 GIs
        for (const id of keptIds) expect(destroyed).not.toContain(String(id));
        const after = await gpu(0, 0);
        expect(shape(after)).toEqual(
          ['1g.5gb@2[1g.5gb]', '1g.5gb@3[1g.5gb]', '2g.10gb@0[2g.10gb]', '3g.20gb@4[3g.20gb]'].sort(),
        );
        // The kept instances are the same ones: same GI and CI IDs as before.
        for (const start of [2, 3])
          expect(after.gpuInstances.find((gi) => gi.start === start)).toEqual(
            before.gpuInstances.find((gi) => gi.start === start),
          );
      },
      60_000,
    );

    it.sequential(
      'applies a layout to every GPU of the host in one call',
      async () => {
        const m = mark();
        const out = await operator.call('gpu.apply', { host: name(0), layout: { name: 'all-3g' } });
        expect(out.results.map((r) => [r.gpu, r.outcome])).toEqual([
          [0, 'applied'],
          [1, 'applied'],
        ]);
        for (const g of await gpus(0)) expect(shape(g)).toEqual(each('3g.20gb', [0, 4]));
        const entries = since(m, 0);
        expect(entries[0]?.procedure).toBe('gpu.apply.plan');
        expect((entries[0]?.input as { plans: { gpu: number }[] }).plans.map((p) => p.gpu)).toEqual([0, 1]);
        const stepTargets = since(m, 0, 'gpu.apply.step').map((e) => e.target);
        // Each GPU's steps in turn; then one read of the host verifies both (the verify steps last).
        const n = (i: number) => (out.results[i]?.steps.length ?? 1) - 1;
        expect(stepTargets).toEqual([
          ...Array<string>(n(0)).fill(`host ${name(0)} GPU 0`),
          ...Array<string>(n(1)).fill(`host ${name(0)} GPU 1`),
          `host ${name(0)} GPU 0`,
          `host ${name(0)} GPU 1`,
        ]);
        expect(out.results.map((r) => r.steps.at(-1)?.step.kind)).toEqual(['verify', 'verify']);
        expect(entries.at(-1)).toMatchObject({ procedure: 'gpu.apply', target: `host ${name(0)}` });
        expect((entries.at(-1)?.result as { outcome: string }[]).map((r) => r.outcome)).toEqual([
          'applied',
          'applied',
        ]);
      },
      60_000,
    );

    it.sequential(
      'fails, saying what to check, when the host cannot be reached again; the next GPU is not started',
      async () => {
        // Both GPUs have 2× 3g.20gb. GPU 0's first -cgi hangs; meanwhile the host goes down for good
        // (sshd stopped, its sessions killed): the link drops and cannot come back.
        await labFault(lab.stateDir, name(0), 'slow', '30', { match: ' -cgi ', nth: 1 });
        const m = mark();
        const applying = operator.call('gpu.apply', { host: name(0), layout: { name: 'balanced' } });
        for (let i = 0; (await labFaultSeen(lab.stateDir, name(0), 'slow')) < 1; i++) {
          if (i > 200) throw new Error('the -cgi never started');
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
        await labFault(lab.stateDir, name(0), 'down');
        const out = await applying.finally(async () => {
          await labFault(lab.stateDir, name(0), 'up');
          await labFault(lab.stateDir, name(0), 'clear');
        });
        const [r, next] = out.results;
        expect(r?.outcome).toBe('failed');
        expect(r?.finalState).toBeNull();
        expect(r?.rollback).toEqual([]);
        expect(r?.steps.at(-1)).toMatchObject({ command: 'nvidia-smi mig -i 0 -cgi 14:0', ok: false });
        expect(r?.steps.at(-1)?.error).toMatch(
          new RegExp(
            `^the connection dropped before the command finished; the state could not be read back: cannot reach ${name(0)} `,
          ),
        );
        expect(r?.error).toContain(
          "The GPU's state could not be read back, so it was not rolled back: check GPU 0 (nvidia-smi mig -lgi) once the host answers",
        );
        // GPU 1 is not touched while GPU 0's state is unknown.
        expect(next).toMatchObject({
          gpu: 1,
          outcome: 'refused',
          steps: [],
          rollback: [],
          error: `not started: GPU 0 failed and was left as described there, so no further GPU of ${name(0)} was changed`,
        });
        expect(since(m, 0, 'gpu.apply.step').map((e) => e.target)).toEqual(
          r?.steps.map(() => `host ${name(0)} GPU 0`),
        );
        expect(since(m, 0, 'gpu.apply.rollback').map((e) => e.input)).toEqual([
          { reason: expect.any(String), steps: null },
        ]);
        expect(since(m, 0, 'gpu.apply').at(-1)?.result).toMatchObject([
          { gpu: 0, outcome: 'failed' },
          { gpu: 1, outcome: 'refused', steps: [] },
        ]);
        // Back up: GPU 0 is as its last step left it (the -cgi never ran), GPU 1 as it was.
        const now = await gpus(0);
        expect(shape(now[0] as GpuMigState)).toEqual(each('3g.20gb', [4]));
        expect(shape(now[1] as GpuMigState)).toEqual(each('3g.20gb', [0, 4]));
      },
      60_000,
    );

    it.sequential(
      'keeps what a MIG read saw with the discovered GPUs, for fleet views, across a new discovery',
      async () => {
        await admin.call('hosts.discover', { hosts: [name(0)] });
        const state = await operator.call('gpu.state', { host: name(0) });
        const listed = async () => (await admin.call('gpus.list', {})).filter((g) => g.host === name(0));
        const slots = (gis: { profile: string; start: number; size: number }[] | null) =>
          (gis ?? []).map((gi) => `${gi.profile}@${gi.start}+${gi.size}`).sort();
        const rows = await listed();
        expect(rows.map((g) => slots(g.gpuInstances))).toEqual(
          state.gpus.map((g) =>
            slots(g.gpuInstances.map(({ profile, start, size }) => ({ profile, start, size }))),
          ),
        );
        expect(rows.every((g) => g.migReadAt !== null)).toBe(true);
        await admin.call('hosts.discover', { hosts: [name(0)] });
        expect((await listed()).map((g) => slots(g.gpuInstances))).toEqual(
          rows.map((g) => slots(g.gpuInstances)),
        );
      },
      60_000,
    );

    it.sequential(
      'reads the listings after every step when asked, with the same result',
      async () => {
        const out = await operator.call('gpu.apply', {
          host: name(0),
          gpus: [1],
          layout: { name: 'all-1g' },
          readBack: 'every-step',
        });
        const [r] = out.results;
        expect(r?.outcome).toBe('applied');
        expect(r?.steps.every((st) => st.ok)).toBe(true);
        expect(shape((await gpus(0))[1] as GpuMigState)).toEqual(each('1g.5gb', [0, 1, 2, 3, 4, 5, 6]));
      },
      60_000,
    );
  });

  group('MIG mode and processes (gpu02, 2× A100-80GB, MIG off, a process on GPU 1)', () => {
    it.sequential(
      'turns MIG on on an Ampere GPU with the reset the plan flags',
      async () => {
        const plan = await operator.call('gpu.plan', {
          host: name(1),
          gpus: [0],
          layout: { name: 'all-7g' },
        });
        const row = plan.gpus[0];
        expect(row?.steps.slice(0, 2)).toEqual([
          { kind: 'set-mig-mode', gpu: 0, enable: true, resetRequired: true },
          { kind: 'reset-gpu', gpu: 0 },
        ]);
        expect(row?.descriptions.slice(0, 2)).toEqual([
          'enable MIG mode on GPU 0 (takes effect after a GPU reset)',
          'reset GPU 0',
        ]);
        expect(row?.warnings.join(' ')).toContain('applies a MIG-mode change only after a GPU reset');
        const out = await operator.call('gpu.apply', {
          host: name(1),
          gpus: [0],
          layout: { name: 'all-7g' },
        });
        expect(out.results[0]?.outcome).toBe('applied');
        expect(out.results[0]?.steps.map((s) => s.command)).toEqual([
          'nvidia-smi -i 0 -mig 1',
          'nvidia-smi -r -i 0',
          'nvidia-smi mig -i 0 -cgi 0:0',
          'nvidia-smi mig -i 0 -gi 0 -cci 4',
          null,
        ]);
        const now = await gpu(1, 0);
        expect([now.migCurrent, now.migPending]).toEqual([true, true]);
        expect(shape(now)).toEqual(each('7g.80gb', [0]));
      },
      60_000,
    );

    it.sequential(
      'refuses while a process runs, forbids an operator’s force, and reports the driver refusing an admin’s force',
      async () => {
        const before = await gpu(1, 1);
        expect(before.processes).toEqual([{ pid: 4242, name: 'python3 train.py' }]);
        const plan = await operator.call('gpu.plan', {
          host: name(1),
          gpus: [1],
          layout: { name: 'all-7g' },
        });
        expect(plan.gpus[0]).toMatchObject({ ok: false, steps: [] });
        expect(plan.gpus[0]?.problems).toEqual([
          {
            code: 'processes-running',
            message:
              'GPU 1 has 1 process running: 4242 (python3 train.py). Stop it before changing MIG, or force the change',
          },
        ]);

        let m = mark();
        const refused = await failure(
          operator.call('gpu.apply', { host: name(1), gpus: [1], layout: { name: 'all-7g' } }),
        );
        expect(refused.code).toBe('CONFLICT');
        expect(refused.message).toBe(
          `${name(1)}: nothing was changed. GPU 1 has 1 process running: 4242 (python3 train.py). Stop it before changing MIG, or force the change`,
        );
        expect(refused.hint).toContain('apply with force');
        expect(since(m, 1).map((e) => [e.procedure, e.outcome])).toEqual([['gpu.apply', 'error']]);

        m = mark();
        const forbidden = await failure(
          operator.call('gpu.apply', { host: name(1), gpus: [1], layout: { name: 'all-7g' }, force: true }),
        );
        expect(forbidden.code).toBe('FORBIDDEN');
        expect(since(m, 1).map((e) => [e.procedure, e.outcome])).toEqual([['gpu.apply', 'error']]);
        expect(await gpu(1, 1)).toEqual(before);

        // An admin's force: the mode goes pending (the process holds the GPU), the reset is refused by
        // the driver, and the pending mode is set back, so the GPU reads back as before.
        m = mark();
        const out = await admin.call('gpu.apply', {
          host: name(1),
          gpus: [1],
          layout: { name: 'all-7g' },
          force: true,
        });
        expect(out.plans[0]?.warnings[0]).toBe(
          'Forced while a process runs on GPU 1 (4242 (python3 train.py)); the driver may refuse with "In use by another client"',
        );
        const r = out.results[0];
        expect(r?.outcome).toBe('rolled-back');
        expect(r?.steps.map((s) => [s.command, s.exitCode, s.ok])).toEqual([
          ['nvidia-smi -i 1 -mig 1', 0, true],
          ['nvidia-smi -r -i 1', 255, false],
        ]);
        expect(r?.steps[0]?.output).toContain('MIG mode is in pending enable state');
        expect(r?.steps[1]?.error).toMatch(
          /^exited 255: GPU 00000000:28:00\.0: In use by another client 1 device is currently being used/,
        );
        expect(r?.rollback.map((s) => [s.command, s.ok])).toEqual([
          ['nvidia-smi -i 1 -mig 0', true],
          [null, true],
        ]);
        expect(await gpu(1, 1)).toEqual(before);
        expect(since(m, 1).map((e) => e.procedure)).toEqual([
          'gpu.apply.plan',
          'gpu.apply.step',
          'gpu.apply.step',
          'gpu.apply.rollback',
          'gpu.apply.rollback-step',
          'gpu.apply.rollback-step',
          'gpu.apply',
        ]);
      },
      60_000,
    );

    it.sequential(
      'an Ampere reboot keeps MIG mode but loses the instances: drift, and the recorded layout re-created without a reset',
      async () => {
        reboot(1);
        const state = await operator.call('gpu.state', { host: name(1) });
        expect(state.drift).toEqual([
          expect.objectContaining({
            gpu: 0,
            layoutName: 'all-7g',
            summary: 'applied 1× 7g.80gb, now MIG enabled, no GPU instances',
          }),
        ]);
        const out = await operator.call('gpu.apply', {
          host: name(1),
          gpus: [0],
          layout: { recorded: true },
        });
        expect(out.results[0]?.steps.map((s) => s.step.kind)).toEqual([
          'create-gpu-instance',
          'create-compute-instance',
          'verify',
        ]);
        expect(shape(await gpu(1, 0))).toEqual(each('7g.80gb', [0]));
        expect((await operator.call('gpu.state', { host: name(1) })).drift).toEqual([]);
        // GPU 1 was never applied (its forced apply was rolled back): there is nothing to restore.
        const none = await failure(
          operator.call('gpu.apply', { host: name(1), gpus: [1], layout: { recorded: true } }),
        );
        expect(none.code).toBe('CONFLICT');
        expect(none.message).toBe(
          `${name(1)}: nothing was changed. GPU 1: no layout was recorded as applied to GPU 1 of ${name(1)}`,
        );
      },
      60_000,
    );
  });

  group('GPU-instance IDs and drift on Hopper (gpu03, 2× H100-80GB, swapped-halves IDs)', () => {
    const sim = gpuModel('H100-80GB-SXM5');

    it.sequential(
      'applies balanced, then all-3g, with the IDs the driver gives (read back, never predicted)',
      async () => {
        for (const layout of ['balanced', 'all-3g']) {
          const m = mark();
          const out = await operator.call('gpu.apply', {
            host: name(2),
            gpus: [0],
            layout: { name: layout },
          });
          expect(out.results[0]?.outcome).toBe('applied');
          const now = await gpu(2, 0);
          expect(layoutMismatches(now, out.plans[0]?.desired as never)).toEqual([]);
          // Every ID is the swapped-halves one for its placement; the standard map would differ.
          for (const gi of now.gpuInstances)
            expect(gi.id).toBe(giIdFor(sim, 'swappedHalves', gi.start, gi.size));
          expect(now.gpuInstances.some((gi) => gi.id !== giIdFor(sim, 'standard', gi.start, gi.size))).toBe(
            true,
          );
          const commands = since(m, 2, 'gpu.apply.step').map((e) => stepOf(e).command ?? '');
          const byStart = new Map(now.gpuInstances.map((gi) => [gi.start, gi.id]));
          const created =
            out.results[0]?.steps.filter((s) => s.step.kind === 'create-compute-instance') ?? [];
          for (const s of created) {
            const at = s.step.kind === 'create-compute-instance' ? s.step.gi.start : -1;
            expect(s.command).toMatch(new RegExp(`^nvidia-smi mig -i 0 -gi ${byStart.get(at)} -cci \\d+$`));
            expect(commands).toContain(s.command);
          }
          if (layout === 'balanced')
            expect(shape(now)).toEqual(
              ['1g.10gb@2[1g.10gb]', '1g.10gb@3[1g.10gb]', '2g.20gb@0[2g.20gb]', '3g.40gb@4[3g.40gb]'].sort(),
            );
          else expect(shape(now)).toEqual(each('3g.40gb', [0, 4]));
        }
      },
      60_000,
    );

    it.sequential(
      'a Hopper reboot loses MIG mode and layout: drift with a summary, and gpu.apply {recorded} restores it',
      async () => {
        const applied = await operator.call('gpu.apply', {
          host: name(2),
          gpus: [1],
          layout: { name: 'all-7g' },
        });
        expect(applied.results[0]?.outcome).toBe('applied');
        const recorded = await gpu(2, 0);
        expect((await operator.call('gpu.state', { host: name(2) })).drift).toEqual([]);

        reboot(2);
        const state = await operator.call('gpu.state', { host: name(2) });
        expect(state.gpus.every((g) => !g.migCurrent && !g.migPending && g.gpuInstances.length === 0)).toBe(
          true,
        );
        expect(state.drift.map((d) => [d.gpu, d.layoutName, d.summary])).toEqual([
          [0, 'all-3g', 'applied 2× 3g.40gb, now MIG disabled'],
          [1, 'all-7g', 'applied 1× 7g.80gb, now MIG disabled'],
        ]);
        expect(state.drift[0]?.recorded.gpuInstances.map((gi) => [gi.profile, gi.start])).toEqual([
          ['3g.40gb', 0],
          ['3g.40gb', 4],
        ]);

        const out = await operator.call('gpu.apply', {
          host: name(2),
          gpus: [0],
          layout: { recorded: true },
        });
        const r = out.results[0];
        expect(r?.outcome).toBe('applied');
        // Hopper: MIG on at once, no reset.
        expect(r?.steps.map((s) => s.step.kind)).toEqual([
          'set-mig-mode',
          'create-gpu-instance',
          'create-gpu-instance',
          'create-compute-instance',
          'create-compute-instance',
          'verify',
        ]);
        expect(r?.steps[0]?.step).toEqual({
          kind: 'set-mig-mode',
          gpu: 0,
          enable: true,
          resetRequired: false,
        });
        const now = await gpu(2, 0);
        expect(shape(now)).toEqual(shape(recorded));
        const after = await operator.call('gpu.state', { host: name(2) });
        expect(after.drift.map((d) => d.gpu)).toEqual([1]);
      },
      60_000,
    );
  });

  group('garbled output, Hopper MIG on, mig-parted configs, rollbacks (gpu04, 1× H200, MIG off)', () => {
    it.sequential(
      'reports garbled nvidia-smi output naming the host, the command and the line, and changes nothing',
      async () => {
        const h = lab.hosts[3] as LabHost;
        const before = readState(h.gpuStateFile);
        const m = mark();
        try {
          await labFault(lab.stateDir, name(3), 'garble', undefined, { match: '--query-gpu' });
          const state = await failure(operator.call('gpu.state', { host: name(3) }));
          expect(state.code).toBe('FAILED');
          expect(state.message).toBe(
            `${name(3)}: nvidia-smi --query-gpu=index,uuid,name,pci.bus_id,memory.total,driver_version,mig.mode.current,mig.mode.pending: line 2 has 1 values, expected 8: "@@ garbled by the enclave lab @@"`,
          );
          expect(state.hint).toContain('nothing was changed');

          await labFault(lab.stateDir, name(3), 'garble', '4242 python3 GPU-0000', {
            match: 'query-compute-apps',
          });
          const plan = await failure(
            operator.call('gpu.plan', { host: name(3), layout: { name: 'all-7g' } }),
          );
          expect(plan.code).toBe('FAILED');
          expect(plan.message).toBe(
            `${name(3)}: nvidia-smi --query-compute-apps=pid,name,gpu_uuid --format=csv,noheader: line 2 has 1 values, expected 3: "4242 python3 GPU-0000"`,
          );
          const apply = await failure(
            operator.call('gpu.apply', { host: name(3), layout: { name: 'all-7g' } }),
          );
          expect(apply.code).toBe('FAILED');
          expect(apply.message).toBe(plan.message);
        } finally {
          await labFault(lab.stateDir, name(3), 'clear');
        }
        expect(readState(h.gpuStateFile)).toEqual(before);
        expect(since(m, 3).map((e) => [e.procedure, e.outcome])).toEqual([['gpu.apply', 'error']]);
      },
      60_000,
    );

    it.sequential(
      'turns MIG on on a Hopper GPU at once: no reset in the plan',
      async () => {
        const out = await operator.call('gpu.apply', { host: name(3), layout: { name: 'all-7g' } });
        const r = out.results[0];
        expect(r?.outcome).toBe('applied');
        expect(r?.steps.map((s) => s.step)).toEqual([
          { kind: 'set-mig-mode', gpu: 0, enable: true, resetRequired: false },
          expect.objectContaining({ kind: 'create-gpu-instance' }),
          expect.objectContaining({ kind: 'create-compute-instance' }),
          { kind: 'verify', gpu: 0 },
        ]);
        expect(out.plans[0]?.warnings).toEqual([]);
        expect(r?.steps[0]?.command).toBe('nvidia-smi -i 0 -mig 1');
        expect(shape(await gpu(3, 0))).toEqual(each('7g.141gb', [0]));
      },
      60_000,
    );

    it.sequential(
      'imports an nvidia-mig-parted config, applies one of its configs by name, and exports the host as mig-parted YAML',
      async () => {
        const yaml = readFileSync(
          path.resolve(import.meta.dirname, '../fixtures/mig-parted/config-default.yaml'),
          'utf8',
        );
        const imported = await operator.call('gpu.importMigParted', { yaml });
        expect(imported.imported).toContain('all-3g.71gb');
        expect(imported.replaced).toEqual([]);
        const layouts = await operator.call('gpu.layouts', {});
        expect(layouts.find((l) => l.name === 'all-3g.71gb')).toMatchObject({ source: 'mig-parted' });

        const m = mark();
        const out = await operator.call('gpu.apply', { host: name(3), layout: { name: 'all-3g.71gb' } });
        expect(out.results[0]?.outcome).toBe('applied');
        expect(shape(await gpu(3, 0))).toEqual(each('3g.71gb', [0, 4]));
        expect(since(m, 3, 'gpu.apply.plan')[0]?.input).toMatchObject({ layout: 'all-3g.71gb' });

        const exported = await operator.call('gpu.exportMigParted', { host: name(3) });
        const back = parseMigPartedConfig(exported.yaml);
        if (!back.ok) throw new Error(back.errors.join('; '));
        expect(back.layouts.map((l) => l.name)).toEqual(['current']);
        expect(back.layouts[0]?.entries).toEqual([
          {
            devices: [0],
            layout: { migEnabled: true, gpuInstances: [{ profile: '3g.71gb' }, { profile: '3g.71gb' }] },
          },
        ]);
        expect(exported.yaml).toContain('      3g.71gb: 2\n');
      },
      60_000,
    );

    it.sequential(
      'rolls back when a command fails mid-apply: the previous layout reads back, the ledger has the rollback',
      async () => {
        // gpu04 GPU 0 has 2× 3g.71gb (the mig-parted config). balanced keeps the one at 4-7; the 2nd -cgi fails.
        await labFault(
          lab.stateDir,
          name(3),
          'fail',
          'Failed to create GPU instances: Unknown Error (injected)',
          {
            match: ' -cgi ',
            nth: 2,
          },
        );
        const m = mark();
        const out = await operator
          .call('gpu.apply', { host: name(3), gpus: [0], layout: { name: 'balanced' } })
          .finally(() => labFault(lab.stateDir, name(3), 'clear'));
        const r = out.results[0];
        expect(r?.outcome).toBe('rolled-back');
        expect(r?.steps.map((s) => [s.command, s.exitCode, s.ok])).toEqual([
          [expect.stringMatching(/^nvidia-smi mig -i 0 -gi \d+ -ci 0 -dci$/), 0, true],
          [expect.stringMatching(/^nvidia-smi mig -i 0 -gi \d+ -dgi$/), 0, true],
          ['nvidia-smi mig -i 0 -cgi 14:0', 0, true],
          ['nvidia-smi mig -i 0 -cgi 19:2', 1, false],
        ]);
        expect(r?.steps[3]?.error).toContain(
          'exited 1: Failed to create GPU instances: Unknown Error (injected)',
        );
        expect(r?.rollback.map((s) => s.step.kind)).toEqual([
          'destroy-gpu-instance',
          'create-gpu-instance',
          'create-compute-instance',
          'verify',
        ]);
        expect(r?.rollback.every((s) => s.ok)).toBe(true);
        expect(r?.error).toMatch(
          /^create 1g\.18gb at slot 2: exited 1: .*The GPU was rolled back to its previous layout\.$/,
        );
        const now = await gpu(3, 0);
        expect(shape(now)).toEqual(each('3g.71gb', [0, 4]));
        expect(r?.finalState).toEqual(now);

        const entries = since(m, 3);
        expect(entries.map((e) => e.procedure)).toEqual([
          'gpu.apply.plan',
          ...Array<string>(4).fill('gpu.apply.step'),
          'gpu.apply.rollback',
          ...Array<string>(4).fill('gpu.apply.rollback-step'),
          'gpu.apply',
        ]);
        expect(stepOf(entries[4] as AuditEntryView)).toMatchObject({
          command: 'nvidia-smi mig -i 0 -cgi 19:2',
          exitCode: 1,
          ok: false,
        });
        expect(entries[5]?.input).toEqual({ reason: expect.stringContaining('exited 1'), steps: 4 });
        expect(entries.slice(6, 10).map((e) => stepOf(e).command)).toEqual(r?.rollback.map((s) => s.command));
        expect(entries.at(-1)?.result).toMatchObject([{ gpu: 0, outcome: 'rolled-back', rollback: 4 }]);
      },
      60_000,
    );

    it.sequential(
      'rolls back when the connection drops mid-apply, before or after the command ran (found by reading back)',
      async () => {
        const rebuild = [
          'create 3g.71gb at slots 0–3',
          'create compute instance 3g.71gb in 3g.71gb at slots 0–3',
          'verify GPU 0 reads back as planned',
        ];
        for (const when of ['0', 'after'] as const) {
          // The first -cgi: the link is cut before it runs (0), or once it has run, before its answer arrives.
          await labFault(lab.stateDir, name(3), 'drop', when, { match: ' -cgi ', nth: 1 });
          const m = mark();
          const out = await operator
            .call('gpu.apply', { host: name(3), gpus: [0], layout: { name: 'balanced' } })
            .finally(() => labFault(lab.stateDir, name(3), 'clear'));
          const r = out.results[0];
          expect(r?.outcome).toBe('rolled-back');
          expect(r?.steps.at(-1)).toMatchObject({
            command: 'nvidia-smi mig -i 0 -cgi 14:0',
            exitCode: null,
            ok: false,
            error: 'the connection dropped before the command finished',
          });
          // What the host reads back decides the way back: once the -cgi had run, its 2g.35gb goes first.
          expect(r?.rollback.map((s) => s.description)).toEqual(
            when === 'after'
              ? [expect.stringMatching(/^destroy 2g\.35gb at slots 0–1 \(GI \d+\)$/), ...rebuild]
              : rebuild,
          );
          expect(shape(await gpu(3, 0))).toEqual(each('3g.71gb', [0, 4]));
          expect(since(m, 3, 'gpu.apply.rollback')).toHaveLength(1);
          expect(since(m, 3, 'gpu.apply.rollback-step')).toHaveLength(r?.rollback.length ?? -1);
        }
      },
      60_000,
    );
  });

  group('fleet applies (gpu05 H100, gpu06 A100-40GB, gpu07 H100; label pool=fleet)', () => {
    type FleetEvent = { host: string; status: string; gpu?: number };
    const transitions = (events: FleetEvent[]) =>
      events.filter((e) => e.gpu === undefined).map((e) => `${e.host} ${e.status}`);
    let runId = '';

    it.sequential(
      'plans every selected host for review first, changing nothing',
      async () => {
        const before = await Promise.all([4, 5, 6].map((i) => gpus(i)));
        const preview = await operator.call('gpu.fleetPlan', { layout: 'all-3g', labels: { pool: 'fleet' } });
        expect(preview.hosts.map((h) => h.host)).toEqual([name(4), name(5), name(6)]);
        for (const h of preview.hosts) {
          expect(h.error).toBeNull();
          expect(h.gpus.length).toBeGreaterThan(0);
          expect(h.gpus.every((g) => g.ok && g.steps.some((st) => st.kind === 'create-gpu-instance'))).toBe(
            true,
          );
        }
        const narrowed = await operator.call('gpu.fleetPlan', {
          layout: 'all-3g',
          labels: { pool: 'fleet' },
          models: ['A100-40GB'],
        });
        expect(narrowed.hosts.map((h) => h.gpus.length)).toEqual([0, expect.any(Number), 0]);
        expect(await Promise.all([4, 5, 6].map((i) => gpus(i)))).toEqual(before);
      },
      60_000,
    );

    it.sequential(
      'applies the canary first, stops once failures pass the limit (the rest pending), and resumes',
      async () => {
        // Every -cgi on gpu06 fails: its apply rolls back and the host counts as failed.
        await labFault(
          lab.stateDir,
          name(5),
          'fail',
          'Failed to create GPU instances: Insufficient Resources (injected)',
          {
            match: ' -cgi ',
          },
        );
        const events: FleetEvent[] = [];
        const run = await operator
          .call(
            'gpu.fleetApply',
            { layout: 'all-3g', labels: { pool: 'fleet' }, canary: name(4), batchSize: 1, maxFailures: 0 },
            { onEvent: (e) => events.push(e) },
          )
          .finally(() => labFault(lab.stateDir, name(5), 'clear'));
        runId = run.id;
        expect(run.id).toMatch(/^f-[0-9a-f]{16}$/);
        expect(run.status).toBe('stopped');
        expect(run.note).toBe('1 host failed (limit 0); 1 not started');
        expect(run.hosts.map((h) => [h.position, h.host, h.status])).toEqual([
          [0, name(4), 'done'],
          [1, name(5), 'failed'],
          [2, name(6), 'pending'],
        ]);
        expect(transitions(events)).toEqual([
          `${name(4)} running`,
          `${name(4)} done`,
          `${name(5)} running`,
          `${name(5)} failed`,
        ]);
        expect(run.hosts[1]?.gpus[0]?.outcome).toBe('rolled-back');
        expect(run.hosts[1]?.error).toMatch(
          /^GPU 0: create 3g\.20gb at slots 0–3: exited 1: .*Insufficient Resources \(injected\)/,
        );
        expect(shape(await gpu(4, 0))).toEqual(each('3g.40gb', [0, 4]));
        expect((await gpu(5, 0)).gpuInstances).toEqual([]);
        expect((await gpu(6, 0)).gpuInstances).toEqual([]);
        const listed = await operator.call('gpu.fleetRuns', {});
        expect(listed.find((r) => r.id === run.id)?.status).toBe('stopped');

        const m = mark();
        const resumed = await operator.call('gpu.fleetApply', { resume: run.id });
        expect(resumed.status).toBe('done');
        expect(resumed.note).toBeNull();
        expect(resumed.hosts.map((h) => h.status)).toEqual(['done', 'done', 'done']);
        // The canary, already done, is not applied again.
        expect(since(m, [4, 5, 6], 'gpu.apply.plan').map((e) => e.target)).toEqual([
          `host ${name(5)}`,
          `host ${name(6)}`,
        ]);
        expect(since(m, null, 'gpu.fleetApply').map((e) => [e.target, e.outcome])).toEqual([
          [`fleet run ${run.id}`, 'ok'],
        ]);
        expect(shape(await gpu(5, 0))).toEqual(each('3g.20gb', [0, 4]));
        expect(shape(await gpu(6, 0))).toEqual(each('3g.40gb', [0, 4]));
        const done = (await operator.call('gpu.fleetRuns', {})).find((r) => r.id === run.id);
        expect(done?.status).toBe('done');
        expect(done?.hosts.map((h) => h.status)).toEqual(['done', 'done', 'done']);
        await expect(operator.call('gpu.fleetApply', { resume: run.id })).rejects.toMatchObject({
          code: 'CONFLICT',
        });
      },
      60_000,
    );

    it.sequential(
      'a failing canary stops the run before any other host; a run cut short shows interrupted and resumes',
      async () => {
        // Only the H100s: gpu06 (A100) is skipped. The canary cannot even be read.
        await labFault(lab.stateDir, name(4), 'fail', 'nvidia-smi: driver not loaded (injected)');
        const run = await operator
          .call('gpu.fleetApply', {
            layout: 'all-7g',
            labels: { pool: 'fleet' },
            models: ['H100-80GB-SXM5'],
            batchSize: 2,
          })
          .finally(() => labFault(lab.stateDir, name(4), 'clear'));
        expect(run.status).toBe('stopped');
        expect(run.note).toBe(`the canary ${name(4)} failed; no other host was started`);
        expect(run.hosts.map((h) => h.status)).toEqual(['failed', 'pending', 'pending']);
        expect(run.hosts[0]?.error).toContain(`${name(4)}: nvidia-smi`);
        expect(run.hosts[0]?.error).toContain('driver not loaded (injected)');

        // What a console killed while the canary ran leaves behind: the run and that host 'running'.
        t.core.db
          .prepare(
            `UPDATE mig_fleet_runs SET status = 'running', finished_at = NULL, note = NULL WHERE id = ?`,
          )
          .run(run.id);
        t.core.db
          .prepare(
            `UPDATE mig_fleet_hosts SET status = 'running', result = NULL, finished_at = NULL WHERE run_id = ? AND position = 0`,
          )
          .run(run.id);
        const listed = (await operator.call('gpu.fleetRuns', {})).find((r) => r.id === run.id);
        expect(listed?.status).toBe('interrupted');
        expect(listed?.hosts.map((h) => h.status)).toEqual(['running', 'pending', 'pending']);
        // The older run is still there, newest first.
        expect((await operator.call('gpu.fleetRuns', {})).map((r) => r.id)).toEqual([run.id, runId]);

        const events: FleetEvent[] = [];
        const resumed = await operator.call(
          'gpu.fleetApply',
          { resume: run.id },
          { onEvent: (e) => events.push(e) },
        );
        expect(resumed.status).toBe('done');
        expect(resumed.hosts.map((h) => [h.host, h.status])).toEqual([
          [name(4), 'done'],
          [name(5), 'skipped'],
          [name(6), 'done'],
        ]);
        // The canary alone, then the rest as one batch of two.
        expect(transitions(events)).toEqual([
          `${name(4)} running`,
          `${name(4)} done`,
          `${name(5)} running`,
          `${name(6)} running`,
          `${name(5)} skipped`,
          `${name(6)} done`,
        ]);
        expect(shape(await gpu(4, 0))).toEqual(each('7g.80gb', [0]));
        expect(shape(await gpu(5, 0))).toEqual(each('3g.20gb', [0, 4])); // skipped: not an H100
        expect(shape(await gpu(6, 0))).toEqual(each('7g.80gb', [0]));
      },
      60_000,
    );

    it.sequential(
      'a run an administrator forced can only be resumed by an administrator',
      async () => {
        await labFault(lab.stateDir, name(4), 'fail', 'nvidia-smi: driver not loaded (injected)');
        const run = await admin
          .call('gpu.fleetApply', {
            layout: 'all-7g',
            labels: { pool: 'fleet' },
            models: ['H100-80GB-SXM5'],
            force: true,
          })
          .finally(() => labFault(lab.stateDir, name(4), 'clear'));
        expect(run.status).toBe('stopped');
        const refused = await failure(operator.call('gpu.fleetApply', { resume: run.id }));
        expect(refused.code).toBe('FORBIDDEN');
        expect((await operator.call('gpu.fleetRuns', { limit: 1 }))[0]).toMatchObject({
          id: run.id,
          status: 'stopped',
        });
        const resumed = await admin.call('gpu.fleetApply', { resume: run.id });
        expect(resumed.status).toBe('done');
        expect(resumed.hosts.map((h) => h.gpus.map((g) => g.outcome))).toEqual([
          ['unchanged'],
          [],
          ['unchanged'],
        ]);
      },
      60_000,
    );
  });
});
