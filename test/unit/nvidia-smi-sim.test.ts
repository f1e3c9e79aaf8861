// The simulated nvidia-smi against ../shared/reference/mig.md and mig-profiles.json: every sample
// output reproduced byte for byte (fixtures in test/fixtures/nvidia-smi/, named after the mig.md
// section), every placement rule enforced, both GI-ID schemes and table widths, MIG-mode changes,
// and state that survives across invocations of the real CLI.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GPU_MODELS, RAW_GPUS } from '../lab/nvidia-smi/catalogue';
import { runNvidiaSmi } from '../lab/nvidia-smi/commands';
import type { SmiResult } from '../lab/nvidia-smi/commands';
import { gibFromMiB } from '../lab/nvidia-smi/format';
import { createHostState } from '../lab/nvidia-smi/state';
import type { HostProfile, HostState } from '../lab/nvidia-smi/state';
import { bundleForTest } from '../support/ledger';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/nvidia-smi');
const NOW = new Date('2026-07-29T10:00:00Z');

function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

interface Step {
  argv: string[];
  /** Expected stdout; `prefixOnly` when the sample was cut with `...`. */
  output: string;
  prefixOnly: boolean;
}

/** Splits a fixture into `$ command` / `# command` steps and the output that followed each. */
function transcript(name: string, argvWhenNoCommand: string[] = []): Step[] {
  const steps: Step[] = [];
  for (const line of fixture(name).replace(/\n$/, '').split('\n')) {
    const cmd = /^[$#] (?:sudo )?nvidia-smi ?(.*)$/.exec(line);
    if (cmd) {
      steps.push({ argv: splitArgs(cmd[1] ?? ''), output: '', prefixOnly: false });
      continue;
    }
    if (steps.length === 0) steps.push({ argv: argvWhenNoCommand, output: '', prefixOnly: false });
    const step = steps[steps.length - 1] as Step;
    if (line === '...') step.prefixOnly = true;
    else step.output += `${line}\n`;
  }
  return steps;
}

function splitArgs(s: string): string[] {
  return (s.match(/"[^"]*"|\S+/g) ?? []).map((a) => a.replace(/^"|"$/g, ''));
}

/** Runs argv against the state, updating it in place (as the state file would). */
class Host {
  constructor(public state: HostState) {}
  static of(profile: Omit<HostProfile, 'hostname'>): Host {
    return new Host(createHostState({ hostname: 'lab-gpu-1', ...profile }));
  }
  run(...argv: string[]): SmiResult {
    const r = runNvidiaSmi(this.state, argv, { now: NOW });
    this.state = r.state;
    return r;
  }
  ok(...argv: string[]): string {
    const r = this.run(...argv);
    expect(r.exitCode, `${argv.join(' ')}: ${r.stdout}${r.stderr}`).toBe(0);
    return r.stdout;
  }
  replay(steps: Step[]): void {
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      expect(step.output.length).toBeGreaterThan(0);
      const r = this.run(...step.argv);
      if (step.prefixOnly) expect(r.stdout.startsWith(step.output), r.stdout).toBe(true);
      else expect(r.stdout).toBe(step.output);
    }
  }
}

/** The CAP capture host: H100 80GB HBM3, driver 580.173.02, GIs 3g at 0:4, 1g+me at 4:1, 1g at 6:1. */
function capHost(): Host {
  const host = Host.of({
    gpus: [{ model: 'H100-80GB-SXM5' }],
    driverVersion: '580.173.02',
    migEnabled: true,
    busIds: ['00000000:00:09.0'],
  });
  const gpu = host.state.gpus[0];
  if (gpu) gpu.uuid = 'GPU-0d0831da-0c98-2717-6446-8acd91d39b65';
  expect(host.ok('mig', '-cgi', '19,20,9')).toContain(
    'GPU instance ID  1 on GPU  0 using profile MIG 3g.40gb (ID  9)',
  );
  host.ok('mig', '-gi', '1', '-cci', '0');
  host.ok('mig', '-cci');
  // Real MIG UUIDs from the capture, so -L matches byte for byte.
  const uuids: Record<number, string> = {
    1: 'MIG-5ff0d535-9a82-5af6-80df-768b9d3ac092',
    11: 'MIG-8443519f-66f7-5962-8955-60dba0866f3a',
    13: 'MIG-ee6996fb-86fb-5405-83f0-b20887da1bb3',
  };
  for (const gi of host.state.gpus[0]?.gis ?? []) for (const ci of gi.cis) ci.uuid = uuids[gi.id] ?? ci.uuid;
  return host;
}

/** The Azure A100 80GB PCIe host (driver 515.86.01, narrow tables, swapped-halves GI IDs). */
function azureA100(): Host {
  return Host.of({
    gpus: [{ model: 'A100-80GB', name: 'NVIDIA A100 80GB PCIe' }],
    driverVersion: '515.86.01',
    giIdScheme: 'swappedHalves',
    migEnabled: true,
  });
}

describe('mig.md samples, byte for byte', () => {
  it('§5.2 -L lists MIG devices by GI then CI, +me dropped, padded name', () => {
    capHost().replay(transcript('5.2-L-h100-cap.txt', ['-L']));
  });

  it('§5.3 --query-gpu CSV, with header and units variants', () => {
    const host = capHost();
    host.replay(transcript('5.3-query-gpu-csv.txt'));
    const q = '--query-gpu=index,uuid,name,pci.bus_id,mig.mode.current,mig.mode.pending,memory.total';
    expect(host.ok(q, '--format=csv')).toBe(
      'index, uuid, name, pci.bus_id, mig.mode.current, mig.mode.pending, memory.total [MiB]\n' +
        '0, GPU-0d0831da-0c98-2717-6446-8acd91d39b65, NVIDIA H100 80GB HBM3, 00000000:00:09.0, Enabled, Enabled, 81559 MiB\n',
    );
    expect(host.ok('--query-gpu=memory.total', '--format=csv,noheader,nounits')).toBe('81559\n');
    const bad = host.run('--query-gpu=index,xyz', '--format=csv');
    expect(bad.exitCode).toBe(2);
    expect(bad.stdout).toContain('Field "xyz" is not a valid field to query.');
  });

  it('§5.3 GPUs without MIG print [N/A] for both MIG fields', () => {
    const host = Host.of({ gpus: [{ model: 'non-mig', name: 'NVIDIA GeForce RTX 4070 Laptop GPU' }] });
    expect(host.ok('--query-gpu=index,name,mig.mode.current,mig.mode.pending', '--format=csv,noheader')).toBe(
      '0, NVIDIA GeForce RTX 4070 Laptop GPU, [N/A], [N/A]\n',
    );
  });

  it('§5.4 -q shows the MIG Mode block', () => {
    const out = capHost().ok('-q', '-i', '0');
    expect(out).toContain(fixture('5.4-q-mig-mode.txt'));
    expect(out).toContain('Driver Version                            : 580.173.02\n');
  });

  it('§5.4 -q -x reproduces the mig_mode and mig_devices elements and the document head', () => {
    const host = Host.of({
      gpus: [{ model: 'H100-80GB-SXM5' }],
      driverVersion: '575.57.08',
      cudaVersion: '12.9',
      migEnabled: true,
      busIds: ['00000000:00:09.0'],
    });
    host.ok('mig', '-cgi', '9:0', '-C');
    const gi = host.state.gpus[0]?.gis[0];
    if (gi) gi.overheadBytes = 297.5 * 1024 * 1024; // used 298 MiB, free 40151 MiB as captured
    const out = host.ok('-q', '-x');
    const sample = fixture('5.4-q-x-partial.xml')
      .split('\n')
      .filter((l) => !l.includes('<!--'));
    const from = sample.findIndex((l) => l.includes('<mig_mode>'));
    const to = sample.findIndex((l) => l.includes('</mig_devices>'));
    expect(out).toContain(`${sample.slice(from, to + 1).join('\n')}\n`);
    const head = sample.slice(0, 9).filter((l) => !l.includes('...'));
    expect(out.split('\n').slice(0, 3)).toEqual(head.slice(0, 3));
    for (const l of head.slice(4)) expect(out).toContain(`${l}\n`);
    // The sample places uuid right after mig_devices.
    expect(out).toMatch(/<\/mig_devices>\n\t\t<uuid>GPU-/);
    // MIG disabled: mig_devices holds the text None.
    const off = Host.of({ gpus: [{ model: 'H100-80GB-SXM5' }] }).ok('-q', '-x');
    expect(off).toContain('<current_mig>Disabled</current_mig>');
    expect(off).toContain('<mig_devices>\n\t\t\tNone\n\t\t</mig_devices>');
  });

  it('§5.5 -i 0 -mig 1 on Hopper switches at once', () => {
    const host = Host.of({ gpus: [{ model: 'H100-80GB-SXM5' }], busIds: ['00000000:36:00.0'] });
    host.replay(transcript('5.5-mig-enable-one.txt'));
    expect(host.ok('--query-gpu=mig.mode.current,mig.mode.pending', '--format=csv,noheader')).toBe(
      'Enabled, Enabled\n',
    );
  });

  it('§5.5 -mig 1 without -i applies to every GPU', () => {
    const host = Host.of({
      gpus: [{ model: 'H100-80GB-SXM5', count: 2 }],
      busIds: ['00000000:8B:00.0', '00000000:8C:00.0'],
    });
    host.replay(transcript('5.5-mig-enable-all.txt'));
  });

  it('§5.5 -mig 0 warns when persistence mode is off', () => {
    const host = Host.of({
      gpus: [{ model: 'GH200-96GB' }],
      migEnabled: true,
      persistenceMode: false,
      busIds: ['00000001:00:00.0'],
    });
    host.replay(transcript('5.5-mig-disable-persistence-warning.txt'));
  });

  it('§5.5 Ampere in a VM: pending enable, reset refused, split current/pending', () => {
    const host = Host.of({
      gpus: [{ model: 'A100-40GB' }],
      resetAllowed: false,
      busIds: ['00000000:00:03.0'],
    });
    host.replay(transcript('5.5-mig-ampere-pending-vm.txt'));
    expect(host.ok('--query-gpu=mig.mode.current,mig.mode.pending', '--format=csv,noheader')).toBe(
      'Disabled, Enabled\n',
    );
    expect(host.run('mig', '-lgi').stdout).toBe('No MIG-enabled devices found.\n');
  });

  it('§5.5 Ampere busy: pending enable until a reset succeeds (§6)', () => {
    const host = Host.of({
      gpus: [{ model: 'A100-80GB' }],
      busIds: ['00000000:07:00.0'],
      processes: [{ gpu: 0, pid: 4242, name: 'dcgm-exporter', usedMiB: 12 }],
    });
    host.replay(transcript('5.5-mig-ampere-pending-busy.txt'));
    expect(host.ok('--query-gpu=mig.mode.current,mig.mode.pending', '--format=csv,noheader')).toBe(
      'Disabled, Enabled\n',
    );
    const refused = host.run('-r', '-i', '0');
    expect(refused.exitCode).toBe(255);
    expect(refused.stdout).toContain('GPU 00000000:07:00.0: In use by another client');
    host.state.gpus[0]?.processes.splice(0);
    expect(host.ok('-r', '-i', '0')).toBe('GPU 00000000:07:00.0 was successfully reset.\nAll done.\n');
    expect(host.ok('--query-gpu=mig.mode.current,mig.mode.pending', '--format=csv,noheader')).toBe(
      'Enabled, Enabled\n',
    );
  });

  it('§5.5 Hopper busy: refused, no pending state, non-zero exit', () => {
    const host = Host.of({
      gpus: [{ model: 'GH200-96GB' }],
      migEnabled: true,
      busIds: ['00000009:01:00.0'],
      processes: [{ gpu: 0, pid: 77, name: '/usr/bin/python3', usedMiB: 500 }],
    });
    const [step] = transcript('5.5-mig-hopper-busy.txt');
    const r = host.run(...(step?.argv ?? []));
    expect(r.stdout).toBe(step?.output);
    expect(r.exitCode).not.toBe(0);
    expect(host.ok('--query-gpu=mig.mode.current,mig.mode.pending', '--format=csv,noheader')).toBe(
      'Enabled, Enabled\n',
    );
  });

  it('§5.5 a GPU without MIG: warning, moving on', () => {
    Host.of({ gpus: [{ model: 'non-mig' }], busIds: ['00000000:18:00.0'] }).replay(
      transcript('5.5-mig-not-supported.txt'),
    );
  });

  it('§5.6 -lgip narrow, GH200 empty', () => {
    Host.of({
      gpus: [{ model: 'GH200-96GB' }],
      driverVersion: '550.90.07',
      migEnabled: true,
    }).replay(transcript('5.6-lgip-narrow-gh200.txt', ['mig', '-lgip']));
  });

  it('§5.6 -lgip wide, H100 with the CAP layout (Free counts of §4.2)', () => {
    capHost().replay(transcript('5.6-lgip-wide-h100-cap.txt', ['mig', '-lgip']));
  });

  it('§5.6 -lgip narrow, A30 empty', () => {
    Host.of({ gpus: [{ model: 'A30-24GB' }], driverVersion: '535.183.01', migEnabled: true }).replay(
      transcript('5.6-lgip-narrow-a30.txt', ['mig', '-lgip']),
    );
  });

  it('§5.6 MIG disabled: 580 prints Free = Total, older drivers print no devices', () => {
    const wide = Host.of({ gpus: [{ model: 'H100-80GB-SXM5' }], driverVersion: '580.173.02' }).ok(
      'mig',
      '-lgip',
    );
    expect(wide).toContain(
      '|   0  MIG 1g.10gb         19     7/7        9.75       No     16     1     0   |',
    );
    const old = Host.of({ gpus: [{ model: 'H100-80GB-SXM5' }], driverVersion: '535.129.03' }).run(
      'mig',
      '-lgip',
    );
    expect([old.stdout, old.exitCode]).toEqual(['No MIG-enabled devices found.\n', 6]);
    const none = Host.of({ gpus: [{ model: 'non-mig' }] }).run('mig', '-lgip');
    expect([none.stdout, none.exitCode]).toEqual(['No MIG-supported devices found.\n', 6]);
  });

  it('§5.7 -lgipp', () => {
    capHost().replay(transcript('5.7-lgipp-h100.txt'));
  });

  it('§5.8 -cgi x7 -C on H100 NVL 550 (standard IDs 13, 11, 12, 7, ...)', () => {
    Host.of({ gpus: [{ model: 'H100-94GB-NVL' }], driverVersion: '550.127.06', migEnabled: true }).replay(
      transcript('5.8-cgi-C-h100nvl.txt'),
    );
  });

  it('§5.8 -cgi 9,14,19 -C on the Azure A100 (swapped-halves IDs 1, 5, 13)', () => {
    azureA100().replay(transcript('5.8-cgi-C-mixed-a100-80gb.txt', ['mig', '-cgi', '9,14,19', '-C']));
  });

  it('§5.9 -lgi in all three widths', () => {
    capHost().replay(transcript('5.9-lgi-wide-59.txt', ['mig', '-lgi']));
    const azure = azureA100();
    expect(azure.ok('mig', '-cgi', '3g.40gb,3g.40gb')).toBe(
      'Successfully created GPU instance ID  1 on GPU  0 using profile MIG 3g.40gb (ID  9)\n' +
        'Successfully created GPU instance ID  2 on GPU  0 using profile MIG 3g.40gb (ID  9)\n',
    );
    azure.replay(transcript('5.9-lgi-narrow-57.txt', ['mig', '-lgi']));
    const r450 = Host.of({ gpus: [{ model: 'A100-40GB' }], driverVersion: '450.80.02', migEnabled: true });
    r450.ok('mig', '-cgi', '19:0');
    r450.replay(transcript('5.9-lgi-r450-54.txt', ['mig', '-lgi']));
    const none = r450.run('mig', '-lgi', '-gi', '9');
    expect([none.stdout, none.exitCode]).toEqual(['No GPU instances found: Not Found\n', 6]);
  });

  it('§5.10 -lcip of a 3g GI, and Free dropping after -C', () => {
    const host = azureA100();
    host.ok('mig', '-cgi', '9');
    host.replay(transcript('5.10-lcip-a100-80gb.txt', ['mig', '-lcip', '-gi', '1']));
    host.ok('mig', '-gi', '1', '-cci');
    const frees = [...host.ok('mig', '-lcip', '-gi', '1').matchAll(/MIG \S+\s+\d\*?\s+(\d\/\d)/g)].map(
      (m) => m[1],
    );
    expect(frees).toEqual(['0/3', '0/1', '0/1']);
  });

  it('§5.11 -cci with a list, and bare -cci over listed GIs (swapped IDs on AWS)', () => {
    const host = azureA100();
    host.ok('mig', '-cgi', '9');
    host.replay(transcript('5.11-cci-a100-80gb.txt'));
    const aws = Host.of({ gpus: [{ model: 'A100-40GB' }], giIdScheme: 'swappedHalves', migEnabled: true });
    expect(aws.ok('mig', '-cgi', '19,19,19,19,19,19,19')).toMatch(
      /ID {2}9 .*\n.*ID {2}7 .*\n.*ID {2}8 .*\n.*ID 11 .*\n.*ID 12 .*\n.*ID 13 .*\n.*ID 14 /,
    );
    aws.replay(transcript('5.11-cci-default-aws.txt'));
  });

  it('§5.12 -lci in the 70-column and R450 layouts', () => {
    capHost().replay(transcript('5.12-lci-cap.txt', ['mig', '-lci']));
    const r450 = Host.of({ gpus: [{ model: 'A100-40GB' }], driverVersion: '450.80.02', migEnabled: true });
    r450.ok('mig', '-cgi', '9:0');
    expect(r450.ok('mig', '-gi', '1', '-cci', '1c.3g.20gb')).toBe(
      'Successfully created compute instance on GPU  0 GPU instance ID  1 using profile MIG 1c.3g.20gb (ID  0)\n',
    );
    r450.replay(transcript('5.12-lci-r450.txt', ['mig', '-lci']));
  });

  it('§5.13 -dci / -dgi, refusals and empty answers', () => {
    const host = azureA100();
    host.ok('mig', '-cgi', '9');
    host.ok('mig', '-i', '0', '-gi', '1', '-cci', '1c.3g.40gb,1c.3g.40gb');
    const busy = host.run('mig', '-i', '0', '-gi', '1', '-dgi');
    expect(busy.stdout).toBe(fixture('5.13-dgi-in-use.txt'));
    expect(busy.exitCode).not.toBe(0);
    host.replay(transcript('5.13-dci-dgi.txt'));
    const noGi = host.run('mig', '-dgi');
    expect([noGi.stdout, noGi.exitCode]).toEqual(['No GPU instances found: Not Found\n', 6]);
    expect(host.run('mig', '-dci').stdout).toBe('No GPU instances found: Not Found\n');
    host.ok('mig', '-cgi', '19');
    expect(host.run('mig', '-dci').stdout).toBe('No compute instances found: Not Found\n');
  });

  it('§5.14 -cgi stops at the first failure and keeps earlier GIs', () => {
    const host = Host.of({ gpus: [{ model: 'A100-40GB' }], driverVersion: '470.82.01', migEnabled: true });
    const [step] = transcript('5.14-cgi-insufficient.txt');
    const r = host.run(...(step?.argv ?? []));
    expect(r.stdout).toBe(step?.output);
    expect(r.exitCode).not.toBe(0);
    expect(host.state.gpus[0]?.gis.map((g) => g.id)).toEqual([13, 11, 3]);
  });

  it('§5.14 a busy GPU fails on the first profile', () => {
    Host.of({
      gpus: [{ model: 'GH200-96GB' }],
      migEnabled: true,
      processes: [{ gpu: 0, pid: 1, name: 'nsys', usedMiB: 1 }],
    }).replay(transcript('5.14-cgi-in-use.txt'));
  });

  it('§6 -r succeeds and reports per GPU; fails with the busy text', () => {
    Host.of({ gpus: [{ model: 'H100-80GB-SXM5' }], busIds: ['00000000:8B:00.0'] }).replay(
      transcript('6-reset-ok.txt'),
    );
    const busy = Host.of({
      gpus: [{ model: 'A100-40GB' }],
      busIds: ['00000000:0B:00.0'],
      processes: [{ gpu: 0, pid: 9, name: 'nvidia-persistenced', usedMiB: 0 }],
    });
    const r = busy.run('-r');
    expect([r.stdout, r.exitCode]).toEqual([fixture('6-reset-busy.txt'), 255]);
  });
});

describe('memory column rounding (§5.6)', () => {
  it.each([
    [9856, '9.62'],
    [40320, '39.38'],
    [22144, '21.62'],
    [47488, '46.38'],
    [95360, '93.12'],
    [9984, '9.75'],
    [143104, '139.75'],
    [5952, '5.81'],
    [11968, '11.69'],
    [24000, '23.44'],
  ])('%i MiB prints %s', (mib, printed) => {
    expect(gibFromMiB(mib)).toBe(printed);
  });

  it('agrees with every printed figure in mig-profiles.json', () => {
    const raw = RAW_GPUS as unknown as {
      profiles: { memoryMiBObserved: { MiB: number; printed: string }[] }[];
    }[];
    const seen = raw.flatMap((g) => g.profiles.flatMap((p) => p.memoryMiBObserved));
    expect(seen.length).toBeGreaterThan(50);
    for (const o of seen) expect(gibFromMiB(o.MiB), `${o.MiB}`).toBe(o.printed);
  });
});

describe('placement rules of mig-profiles.json, every catalogued model', () => {
  const cases = GPU_MODELS.flatMap((model) => model.profiles.map((profile) => ({ model, profile })));

  it.each(cases.map((c) => [c.model.key, c.profile.name, c] as const))(
    '%s %s: documented placements accepted, others refused',
    (_key, _name, { model, profile }) => {
      const raw = RAW_GPUS.find((g) => g.key === model.key);
      const rawProfile = raw?.profiles.find((p) => p.id === profile.id);
      const inferred = Array.isArray(raw?.inferredPlacements) ? raw.inferredPlacements : [];
      const documented =
        rawProfile?.placements ?? inferred.find((e) => e.profileId === profile.id)?.placements;
      if (documented) {
        expect(profile.placementStarts).toEqual(documented.map((p) => p.start));
        for (const p of documented) expect(p.size).toBe(profile.memorySlices);
      }
      for (let start = 0; start < model.memorySlots; start++) {
        const host = Host.of({ gpus: [{ model: model.key }], migEnabled: true });
        const r = host.run('mig', '-cgi', `${profile.id}:${start}`);
        if (profile.placementStarts.includes(start)) {
          expect(r.exitCode, r.stdout).toBe(0);
          expect(host.state.gpus[0]?.gis[0]).toMatchObject({ start, size: profile.memorySlices });
        } else {
          expect(r.stdout).toBe(
            `Unable to create a GPU instance on GPU  0 using profile ${profile.id}:${start}: Invalid Argument\n` +
              'Failed to create GPU instances: Invalid Argument\n',
          );
          expect(r.exitCode).not.toBe(0);
        }
      }
    },
  );

  it.each(cases.map((c) => [c.model.key, c.profile.name, c] as const))(
    '%s %s: overlapping placements refused, disjoint ones accepted',
    (_key, _name, { model, profile }) => {
      for (const start of profile.placementStarts) {
        for (const other of model.profiles) {
          for (const otherStart of other.placementStarts) {
            const host = Host.of({ gpus: [{ model: model.key }], migEnabled: true });
            host.ok('mig', '-cgi', `${profile.id}:${start}`);
            const r = host.run('mig', '-cgi', `${other.id}:${otherStart}`);
            const overlap =
              start < otherStart + other.memorySlices && otherStart < start + profile.memorySlices;
            const bothMe = profile.hasMediaExtensions && other.hasMediaExtensions;
            const overCap = other.id === profile.id && other.maxInstances === 1;
            const overCompute = profile.computeSlices + other.computeSlices > model.computeSlots;
            if (overlap || bothMe || overCap || overCompute) {
              expect(r.stdout).toBe(
                `Unable to create a GPU instance on GPU  0 using profile ${other.id}:${otherStart}: Insufficient Resources\n` +
                  'Failed to create GPU instances: Insufficient Resources\n',
              );
            } else expect(r.exitCode, `${profile.id}:${start} then ${other.id}:${otherStart}`).toBe(0);
          }
        }
      }
    },
  );

  it.each(GPU_MODELS.map((m) => [m.key, m] as const))('%s: -lgipp lists every placement', (_key, model) => {
    const out = Host.of({ gpus: [{ model: model.key }], migEnabled: true }).ok('mig', '-lgipp');
    const lines = out.trimEnd().split('\n');
    expect(lines).toHaveLength(model.profiles.length);
    model.profiles.forEach((p, i) => {
      const m = /^GPU\s+(\d+) Profile ID\s+(\d+) Placements?\s*: \{([\d,]+)\}:(\d+)$/.exec(lines[i] ?? '');
      expect(m?.slice(1)).toEqual(['0', String(p.id), p.placementStarts.join(','), String(p.memorySlices)]);
    });
  });

  it.each(GPU_MODELS.map((m) => [m.key, m] as const))('%s: Total caps each profile', (_key, model) => {
    for (const p of model.profiles) {
      const host = Host.of({ gpus: [{ model: model.key }], migEnabled: true });
      for (let n = 0; n < p.maxInstances; n++) host.ok('mig', '-cgi', String(p.id));
      const r = host.run('mig', '-cgi', String(p.id));
      expect(r.stdout).toContain(`using profile ${p.id}: Insufficient Resources`);
    }
  });
});

describe('auto-placement and GI IDs (§4.3, §4.5)', () => {
  const ids = (host: Host, list: string): number[] =>
    [...host.ok('mig', '-cgi', list).matchAll(/GPU instance ID\s+(\d+)/g)].map((m) => Number(m[1]));

  it.each([
    ['A100-40GB', 'standard', '19,14,5', [13, 5, 1]],
    ['A100-40GB', 'standard', '14,19,19,19,19,19', [5, 13, 7, 8, 9, 10]],
    ['A100-40GB', 'standard', '9,19,14,19', [2, 7, 4, 8]],
    ['H100-80GB-SXM5', 'standard', '19,19,19,19,19,19,19', [13, 11, 12, 7, 8, 9, 10]],
    ['H100-80GB-SXM5', 'standard', '19,20,9', [13, 11, 1]],
    ['GH200-96GB', 'standard', '15,15,15', [5, 3, 4]],
    ['A100-80GB', 'standard', '14,14,14,20', [5, 3, 4, 13]],
    ['A100-80GB', 'swappedHalves', '19,19,19,19,19,19,19', [9, 7, 8, 11, 12, 13, 14]],
    ['A100-80GB', 'swappedHalves', '9,14,19', [1, 5, 13]],
    ['H100-80GB-PCIe', 'swappedHalves', '19,19,19,19,19,19,19', [9, 7, 8, 11, 12, 13, 14]],
    ['A100-80GB', 'swappedHalves', '3g.40gb,3g.40gb', [1, 2]],
  ] as const)('%s %s: -cgi %s -> GI %j', (model, scheme, list, expected) => {
    const host = Host.of({ gpus: [{ model }], giIdScheme: scheme, migEnabled: true });
    expect(ids(host, list)).toEqual(expected);
  });

  it('the two schemes give different IDs for the same placement, so hard-coded IDs fail', () => {
    const std = Host.of({ gpus: [{ model: 'A100-80GB' }], migEnabled: true });
    const swp = Host.of({ gpus: [{ model: 'A100-80GB' }], migEnabled: true, giIdScheme: 'swappedHalves' });
    expect(ids(std, '9:0')).toEqual([1]);
    expect(ids(swp, '9:0')).toEqual([2]);
  });

  it('asking for more than Free fails before creating anything (GH200 -cgi 20,20,20)', () => {
    const host = Host.of({ gpus: [{ model: 'GH200-96GB' }], migEnabled: true });
    const r = host.run('mig', '-cgi', '20,20,20');
    expect(r.stdout).toBe(
      'Unable to create a GPU instance on GPU  0 using profile 20: Insufficient Resources\n' +
        'Failed to create GPU instances: Insufficient Resources\n',
    );
    expect(host.state.gpus[0]?.gis).toEqual([]);
  });

  it('H200 Free counts with GIs at 4:1 and 6:1 match the CAP capture (§4.2)', () => {
    const host = Host.of({ gpus: [{ model: 'H200-141GB' }], migEnabled: true });
    host.ok('mig', '-cgi', '19,19');
    const frees = [...host.ok('mig', '-lgip').matchAll(/MIG (\S+)\s+\d+\s+(\d+\/\d+)/g)].map(
      (m) => `${m[1]} ${m[2]}`,
    );
    expect(frees).toEqual([
      '1g.18gb 5/7',
      '1g.18gb+me 1/1',
      '1g.35gb 2/4',
      '2g.35gb 2/3',
      '3g.71gb 1/2',
      '4g.71gb 1/1',
      '7g.141gb 0/1',
    ]);
  });

  it('unknown profile tokens are echoed with Invalid Argument', () => {
    const r = Host.of({ gpus: [{ model: 'H100-80GB-SXM5' }], migEnabled: true }).run(
      'mig',
      '-cgi',
      '3g.99gb',
    );
    expect(r.stdout).toBe(
      'Unable to create a GPU instance on GPU  0 using profile 3g.99gb: Invalid Argument\n' +
        'Failed to create GPU instances: Invalid Argument\n',
    );
  });
});

describe('usage errors', () => {
  it.each([[['--bogus']], [['mig', '-xyz']], [['mig', '-lgi', '-lci']], [['-mig', '7']]])('%j', (argv) => {
    const r = Host.of({ gpus: [{ model: 'H100-80GB-SXM5' }] }).run(...argv);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toBe(`Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.\n`);
  });
});

describe('the CLI keeps state in $ENCLAVE_LAB_GPU_STATE', () => {
  function runCli(bundle: string, file: string, argv: string[]): Promise<{ code: number; stdout: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn(process.execPath, [bundle, ...argv], {
        env: { ...process.env, ENCLAVE_LAB_GPU_STATE: file },
      });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      child.on('error', reject);
      child.on('close', (code) => resolve({ code: code ?? -1, stdout }));
    });
  }

  it('persists across invocations and survives concurrent ones', async () => {
    const bundle = await bundleForTest(
      path.resolve(import.meta.dirname, '../lab/nvidia-smi/main.ts'),
      'nvidia-smi-sim',
    );
    const dir = mkdtempSync(path.join(tmpdir(), 'nvsmi-'));
    const file = path.join(dir, 'gpu-state.json');
    writeFileSync(
      file,
      JSON.stringify(createHostState({ hostname: 'h1', gpus: [{ model: 'H100-80GB-SXM5' }] })),
    );

    expect((await runCli(bundle, file, ['-i', '0', '-mig', '1'])).code).toBe(0);
    const created = await runCli(bundle, file, ['mig', '-cgi', '9', '-C']);
    expect(created.stdout).toContain(
      'Successfully created GPU instance ID  2 on GPU  0 using profile MIG 3g.40gb (ID  9)',
    );
    const listed = await runCli(bundle, file, ['-L']);
    expect(listed.stdout).toMatch(/^ {2}MIG 3g\.40gb {5}Device {2}0: \(UUID: MIG-[0-9a-f-]{36}\)$/m);

    // Seven concurrent `-cgi 19` on an emptied GPU: without the lock, invocations would read the same
    // state and overwrite each other's GI, leaving fewer than seven.
    expect((await runCli(bundle, file, ['mig', '-dci'])).code).toBe(0);
    expect((await runCli(bundle, file, ['mig', '-dgi'])).code).toBe(0);
    const results = await Promise.all(
      Array.from({ length: 7 }, () => runCli(bundle, file, ['mig', '-cgi', '19'])),
    );
    expect(results.map((r) => r.code)).toEqual([0, 0, 0, 0, 0, 0, 0]);
    const state = JSON.parse(readFileSync(file, 'utf8')) as HostState;
    expect(state.gpus[0]?.gis.map((g) => g.id).sort((a, b) => a - b)).toEqual([7, 8, 9, 10, 11, 12, 13]);
    expect((await runCli(bundle, file, ['mig', '-cgi', '19'])).code).not.toBe(0);
  });
});
