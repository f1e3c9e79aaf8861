// The MIG state read-back (electron/core/gpu/mig-state.ts) on the lab simulator's outputs (mig.md
// §5.3, §5.9, §5.12, §6) and on garbled ones: "nothing there" answers are empty lists, anything
// off-grammar a ParseError naming the command and the line.
import { describe, expect, it } from 'vitest';
import {
  MIG_STATE_COMMANDS,
  QUERY_COMPUTE_APPS_COMMAND,
  parseComputeApps,
  parseMigState,
} from '../../electron/core/gpu/mig-state';
import type { MigStateOutputs } from '../../electron/core/gpu/mig-state';
import { NvidiaSmiFailure, ParseError } from '../../electron/core/gpu/nvidia-smi';
import { createHostState } from '../lab/nvidia-smi/state';
import type { HostProfile, HostState } from '../lab/nvidia-smi/state';
import { readMigState, runCommand } from '../support/mig-sim';

function host(profile: Omit<HostProfile, 'hostname'>, ...commands: string[]): HostState {
  let state = createHostState({ hostname: 'lab-gpu-1', ...profile });
  for (const c of commands) {
    const r = runCommand(state, c);
    expect(r.exitCode, `${c}: ${r.stdout}`).toBe(0);
    state = r.state;
  }
  return state;
}

function outputs(state: HostState): MigStateOutputs {
  const out = (c: string): string => runCommand(state, c).stdout;
  return {
    gpus: out(MIG_STATE_COMMANDS.gpus),
    gpuInstances: out(MIG_STATE_COMMANDS.gpuInstances),
    computeInstances: out(MIG_STATE_COMMANDS.computeInstances),
    processes: out(MIG_STATE_COMMANDS.processes),
  };
}

/** The error a parse throws, for checking its command and line. */
function thrown(fn: () => unknown): ParseError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ParseError) return e;
    throw e;
  }
  throw new Error('expected a ParseError');
}

describe('read-back commands', () => {
  it('are the listing commands for every GPU of the host', () => {
    expect(MIG_STATE_COMMANDS).toEqual({
      gpus: 'nvidia-smi --query-gpu=index,uuid,name,pci.bus_id,memory.total,driver_version,mig.mode.current,mig.mode.pending --format=csv,noheader,nounits',
      gpuInstances: 'nvidia-smi mig -lgi',
      computeInstances: 'nvidia-smi mig -lci',
      processes: 'nvidia-smi --query-compute-apps=pid,name,gpu_uuid --format=csv,noheader',
    });
  });
});

describe('parseMigState on simulator output', () => {
  it('a mixed host: MIG on with GIs and CIs, MIG off with processes, a GPU without MIG', () => {
    const state = host(
      {
        gpus: [
          { model: 'H100-80GB-SXM5' },
          { model: 'A100-80GB' },
          { model: 'non-mig', name: 'NVIDIA L40S' },
        ],
        processes: [
          { gpu: 1, pid: 4242, name: '/usr/bin/python3', usedMiB: 900 },
          { gpu: 1, pid: 77, name: 'nv-hostengine', usedMiB: 10 },
        ],
      },
      'nvidia-smi -i 0 -mig 1',
      // The CAP capture's layout (mig.md §4.3): 1g 6:1, 1g+me 4:1, 3g 0:4.
      'nvidia-smi mig -i 0 -cgi 19,20,9',
      'nvidia-smi mig -i 0 -gi 1 -cci 0',
      'nvidia-smi mig -i 0 -gi 11 -cci',
    );
    const [h100, a100, l40s, ...rest] = parseMigState(outputs(state));
    expect(rest).toEqual([]);
    expect(h100).toMatchObject({
      index: 0,
      name: 'NVIDIA H100 80GB HBM3',
      model: 'H100-80GB-SXM5',
      migCurrent: true,
      migPending: true,
      processes: [],
    });
    expect(h100?.uuid).toMatch(/^GPU-/);
    expect(h100?.gpuInstances).toEqual([
      {
        id: 1,
        profileId: 9,
        profile: '3g.40gb',
        start: 0,
        size: 4,
        // 580 puts a lone 1c at the highest free slice (mig.md §4.5).
        computeInstances: [{ id: 0, profileId: 0, profile: '1c.3g.40gb', start: 2, size: 1 }],
      },
      {
        id: 11,
        profileId: 20,
        profile: '1g.10gb+me',
        start: 4,
        size: 1,
        // The CI of a +me GI is named without +me (mig.md §1).
        computeInstances: [{ id: 0, profileId: 0, profile: '1g.10gb', start: 0, size: 1 }],
      },
      { id: 13, profileId: 19, profile: '1g.10gb', start: 6, size: 1, computeInstances: [] },
    ]);
    expect(a100).toMatchObject({
      index: 1,
      model: 'A100-80GB',
      migCurrent: false,
      migPending: false,
      gpuInstances: [],
      processes: [
        { pid: 4242, name: '/usr/bin/python3' },
        { pid: 77, name: 'nv-hostengine' },
      ],
    });
    expect(l40s).toMatchObject({
      index: 2,
      name: 'NVIDIA L40S',
      model: null,
      migCurrent: false,
      gpuInstances: [],
    });
  });

  it('"nothing there" answers are empty lists, not errors', () => {
    const off = host({ gpus: [{ model: 'A30-24GB' }] });
    const o = outputs(off);
    expect(o.gpuInstances.trim()).toBe('No MIG-enabled devices found.');
    expect(o.computeInstances.trim()).toBe('No MIG-enabled devices found.');
    expect(o.processes).toBe('');
    expect(parseMigState(o)).toMatchObject([
      { model: 'A30-24GB', migCurrent: false, gpuInstances: [], processes: [] },
    ]);

    const empty = host({ gpus: [{ model: 'A30-24GB' }], migEnabled: true });
    const e = outputs(empty);
    expect(e.gpuInstances.trim()).toBe('No GPU instances found: Not Found');
    expect(e.computeInstances.trim()).toBe('No compute instances found: Not Found');
    expect(parseMigState(e)).toMatchObject([{ migCurrent: true, migPending: true, gpuInstances: [] }]);

    const noCi = host({ gpus: [{ model: 'A30-24GB' }], migEnabled: true }, 'nvidia-smi mig -cgi 0');
    const n = outputs(noCi);
    expect(n.computeInstances.trim()).toBe('No compute instances found: Not Found');
    expect(parseMigState(n)[0]?.gpuInstances).toEqual([
      { id: 0, profileId: 0, profile: '4g.24gb', start: 0, size: 4, computeInstances: [] },
    ]);
  });

  it('a pending Ampere mode change reads as the split state', () => {
    const state = host(
      { gpus: [{ model: 'A100-40GB' }], resetAllowed: false },
      'nvidia-smi -i 0 -mig 1', // the VM forbids the reset: pending enable (mig.md §5.5)
    );
    expect(parseMigState(outputs(state))[0]).toMatchObject({ migCurrent: false, migPending: true });
  });

  it('a MIG GPU the catalogue does not know has model null', () => {
    const state = host({ gpus: [{ model: 'A100-80GB', name: 'NVIDIA A800 80GB PCIe' }], migEnabled: true });
    expect(parseMigState(outputs(state))[0]).toMatchObject({
      name: 'NVIDIA A800 80GB PCIe',
      model: null,
      migCurrent: true,
    });
  });

  it('GI IDs are read, never derived: the swapped-halves driver', () => {
    const state = host(
      {
        gpus: [{ model: 'A100-80GB', name: 'NVIDIA A100 80GB PCIe' }],
        giIdScheme: 'swappedHalves',
        migEnabled: true,
      },
      'nvidia-smi mig -cgi 9:0,9:4 -C',
    );
    expect(readMigState(state)[0]?.gpuInstances.map((g) => [g.id, g.start])).toEqual([
      [2, 0],
      [1, 4],
    ]);
  });

  it('R450 tables: the CI placement is unknown (null)', () => {
    const state = host(
      { gpus: [{ model: 'A100-40GB' }], driverVersion: '450.80.02', migEnabled: true },
      'nvidia-smi mig -cgi 19 -C',
    );
    expect(readMigState(state)[0]?.gpuInstances).toEqual([
      {
        id: 13,
        profileId: 19,
        profile: '1g.5gb',
        start: 6,
        size: 1,
        computeInstances: [{ id: 0, profileId: 0, profile: '1g.5gb', start: null, size: null }],
      },
    ]);
  });

  it('several GPUs with GIs: each GI and CI lands on its own GPU', () => {
    const state = host(
      { gpus: [{ model: 'H200-141GB', count: 2 }], migEnabled: true },
      'nvidia-smi mig -i 0 -cgi 0 -C',
      'nvidia-smi mig -i 1 -cgi 9:4,14:0',
      'nvidia-smi mig -i 1 -gi 2 -cci 1c.3g.71gb,1c.3g.71gb',
    );
    const [a, b] = readMigState(state);
    expect(a?.gpuInstances.map((g) => [g.profile, g.computeInstances.map((c) => c.profile)])).toEqual([
      ['7g.141gb', ['7g.141gb']],
    ]);
    expect(
      b?.gpuInstances.map((g) => [g.profile, g.start, g.computeInstances.map((c) => c.profile)]),
    ).toEqual([
      ['2g.35gb', 0, []],
      ['3g.71gb', 4, ['1c.3g.71gb', '1c.3g.71gb']],
    ]);
  });
});

describe('parseMigState on garbled output', () => {
  const base = (): MigStateOutputs =>
    outputs(
      host({ gpus: [{ model: 'H100-80GB-SXM5' }], migEnabled: true }, 'nvidia-smi mig -cgi 9:0,19:6 -C'),
    );

  it('a cut -lgi table names -lgi and the line', () => {
    const o = base();
    const lines = o.gpuInstances.split('\n');
    const e = thrown(() => parseMigState({ ...o, gpuInstances: lines.slice(0, 6).join('\n') }));
    expect(e.command).toBe('nvidia-smi mig -lgi');
    // The row is there but not the border that closes it.
    expect(e.lineNumber).toBe(6);
    expect(e.message).toMatch(/^nvidia-smi mig -lgi: line 6 ends the output inside the table/);
  });

  it('a shifted -lci row names -lci and the line', () => {
    const o = base();
    const garbled = o.computeInstances.replace('|   0     ', '|   0 xx  ');
    const e = thrown(() => parseMigState({ ...o, computeInstances: garbled }));
    expect(e.command).toBe('nvidia-smi mig -lci');
    expect(e.lineNumber).toBe(7);
  });

  it('a CI of a GI that -lgi did not list', () => {
    const o = base();
    const e = thrown(() =>
      parseMigState({ ...o, computeInstances: o.computeInstances.replace('    13  ', '    12  ') }),
    );
    expect(e.command).toBe('nvidia-smi mig -lci');
    expect(e.message).toContain('names GPU instance 12 of GPU 0, which -lgi did not list');
    expect(e.lineNumber).toBeGreaterThan(6);
  });

  it('a GI on a GPU that --query-gpu did not list', () => {
    const o = base();
    const e = thrown(() =>
      parseMigState({ ...o, gpuInstances: o.gpuInstances.replace('|   0  MIG 1g', '|   3  MIG 1g') }),
    );
    expect(e.command).toBe('nvidia-smi mig -lgi');
    expect(e.message).toContain('names GPU 3, which --query-gpu did not list');
  });

  it('a CSV with a translated mode word names the query and the line', () => {
    const o = base();
    const e = thrown(() =>
      parseMigState({ ...o, gpus: o.gpus.replace('Enabled, Enabled', 'Aktiviert, Aktiviert') }),
    );
    expect(e.command).toMatch(/^nvidia-smi --query-gpu=/);
    expect(e.lineNumber).toBe(1);
  });

  it('a failure answer is NvidiaSmiFailure, not an empty list', () => {
    const o = base();
    const e = thrown(() =>
      parseMigState({ ...o, gpuInstances: 'No GPU instances found: Permission denied\n' }),
    );
    expect(e).toBeInstanceOf(NvidiaSmiFailure);
    expect((e as NvidiaSmiFailure).nvmlError).toBe('Permission denied');
    const ci = thrown(() =>
      parseMigState({
        ...o,
        computeInstances: 'Failed to display compute instances: Insufficient Permissions\n',
      }),
    );
    expect(ci).toBeInstanceOf(NvidiaSmiFailure);
    expect(ci.command).toBe('nvidia-smi mig -lci');
  });

  it('a process on a GPU --query-gpu did not list', () => {
    const o = base();
    const e = thrown(() =>
      parseMigState({ ...o, processes: '12, python, GPU-00000000-0000-0000-0000-000000000000\n' }),
    );
    expect(e.command).toBe(QUERY_COMPUTE_APPS_COMMAND);
    expect(e.lineNumber).toBe(1);
  });
});

describe('parseComputeApps', () => {
  const uuid = 'GPU-0d0831da-0c98-2717-6446-8acd91d39b65';

  it('reads pid, name and GPU UUID; a name may hold commas', () => {
    expect(parseComputeApps(`23804, /tmp/loadgen, ${uuid}\r\n7, a, b, ${uuid}\n`)).toEqual([
      { pid: 23804, name: '/tmp/loadgen', gpuUuid: uuid },
      { pid: 7, name: 'a, b', gpuUuid: uuid },
    ]);
  });

  it('no processes: nothing, a header alone, or the "none" sentence', () => {
    expect(parseComputeApps('')).toEqual([]);
    expect(parseComputeApps('\n')).toEqual([]);
    expect(parseComputeApps('pid, process_name, gpu_uuid\n')).toEqual([]);
    expect(parseComputeApps('No running processes found\n')).toEqual([]);
  });

  it('garbled lines name the line', () => {
    const bad = thrown(() => parseComputeApps(`12, ok, ${uuid}\nabc, python, ${uuid}\n`));
    expect(bad.message).toBe(
      `${QUERY_COMPUTE_APPS_COMMAND}: line 2 has "abc" where pid should be: "abc, python, ${uuid}"`,
    );
    expect(thrown(() => parseComputeApps('12, python\n')).reason).toBe('has 2 values, expected 3');
    expect(thrown(() => parseComputeApps('12, python, MIG-5ff0d535\n')).reason).toContain('gpu_uuid');
    expect(thrown(() => parseComputeApps(`12, , ${uuid}\n`)).reason).toBe('has no process name');
  });
});
