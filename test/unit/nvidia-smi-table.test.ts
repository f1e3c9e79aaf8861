// The simulated nvidia-smi's default status table (mig.md §5.15) in every driver layout, its help
// texts, the `-q` text "MIG Devices" section and `3c.4g.*` compute instances. Samples from mig.md are
// fixtures (test/fixtures/nvidia-smi/5.15-*.txt); the complete captures mig.md's fragments were cut
// from, and captures of the layouts mig.md does not show, are quoted inline with the reference numbers
// status-table.ts cites (mig.md §12 style).
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { GPU_MODELS } from '../lab/nvidia-smi/catalogue';
import { MIG_OPTIONS, TOP_OPTIONS, runNvidiaSmi } from '../lab/nvidia-smi/commands';
import type { SmiResult } from '../lab/nvidia-smi/commands';
import { createHostState } from '../lab/nvidia-smi/state';
import type { GpuState, HostProfile, HostState } from '../lab/nvidia-smi/state';
import { statusVariant } from '../lab/nvidia-smi/status-table';
import type { StatusVariant } from '../lab/nvidia-smi/status-table';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/nvidia-smi');
const NOW = new Date('2026-07-29T10:00:00Z');
/** ctime(NOW) padded with 7 spaces, as nvidia-smi prints it above the table. */
const STAMP = 'Wed Jul 29 10:00:00 2026       ';
const MIB = 1024 * 1024;

function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
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
  gpu(index = 0): GpuState {
    const gpu = this.state.gpus[index];
    if (!gpu) throw new Error(`no GPU ${index}`);
    return gpu;
  }
  /** Sets a GI's driver overhead in MiB (what its MIG device shows as used without processes). */
  overhead(giId: number, mib: number, gpu = 0): this {
    const gi = this.gpu(gpu).gis.find((g) => g.id === giId);
    if (!gi) throw new Error(`no GI ${giId}`);
    gi.overheadBytes = mib * MIB;
    return this;
  }
}

/** The output's tables (split at empty or all-space lines), without the timestamp line. */
function tables(out: string): string[][] {
  const blocks: string[][] = [];
  let current: string[] = [];
  for (const line of out.replace(/\n$/, '').split('\n').slice(1)) {
    if (line.trim() === '') {
      if (current.length > 0) blocks.push(current);
      current = [];
    } else current.push(line);
  }
  if (current.length > 0) blocks.push(current);
  return blocks;
}

/** Output lines without the timestamp, all-space lines made empty (for captures whose spaces were trimmed). */
function trimmedLines(out: string): string[] {
  return out
    .replace(/\n$/, '')
    .split('\n')
    .slice(1)
    .map((l) => (l.trim() === '' ? '' : l));
}

function expectWellFormed(out: string, widths: number[]): void {
  expect(out.split('\n')[0]).toMatch(/^[A-Z][a-z]{2} [A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d \d{4} {7}$/);
  const blocks = tables(out);
  expect(blocks.map((b) => b[0]?.length)).toEqual(widths);
  for (const block of blocks) {
    for (const line of block) {
      expect(line.length, line).toBe(block[0]?.length);
      expect(line, 'no trailing whitespace').toMatch(/[|+]$/);
      expect(line).toMatch(/^[|+]/);
    }
  }
}

/** mig.md §5.15's CAP host: `capHost()` of the sim test plus the values the sample shows. */
function capHost(): Host {
  const host = Host.of({
    gpus: [{ model: 'H100-80GB-SXM5' }],
    driverVersion: '580.173.02',
    migEnabled: true,
    busIds: ['00000000:00:09.0'],
  });
  host.ok('mig', '-cgi', '19,20,9');
  host.ok('mig', '-gi', '1', '-cci', '0');
  host.ok('mig', '-cci');
  const gpu = host.gpu();
  gpu.temperatureC = 62;
  gpu.powerDrawW = 237;
  gpu.processes.push({ pid: 23804, name: '/tmp/loadgen', giId: 1, ciId: 0, usedMiB: 4188 });
  // GI 1 shows 12627 MiB used: the loadgen's 4188 MiB plus what the driver holds for its context.
  return host.overhead(1, 12627 - 4188);
}

describe('§5.15 default table: mig.md samples byte for byte', () => {
  it('580 H100 (CAP): GPU, MIG devices and processes tables', () => {
    const host = capHost();
    const expected = `${STAMP}\n${fixture('5.15-table-h100-580.txt')}`;
    expect(host.ok()).toBe(expected);
    expect(host.ok('-i', '0')).toBe(expected);
    expect(host.ok('-i', '00000000:00:09.0')).toBe(expected);
  });

  it('narrow (A100-80GB 515.86.01): two CIs of one GI share a merged memory cell', () => {
    const host = Host.of({
      gpus: [{ model: 'A100-80GB', name: 'NVIDIA A100 80GB PCIe' }],
      driverVersion: '515.86.01',
      cudaVersion: '11.7',
      giIdScheme: 'swappedHalves',
      migEnabled: true,
      busIds: ['00000001:00:00.0'],
    });
    host.ok('mig', '-cgi', '9');
    host.ok('mig', '-gi', '1', '-cci', '1c.3g.40gb,1c.3g.40gb');
    host.overhead(1, 19);
    const out = host.ok();
    expect(out).toContain(fixture('5.15-mig-devices-merged-a100-80gb-515.txt'));
    expectWellFormed(out, [79, 79, 79]);
  });

  it('560.35.03 (H100 NVL): 91-column frame, no "Shared" in the memory headers, BAR1 two columns right', () => {
    const host = Host.of({
      gpus: [{ model: 'H100-94GB-NVL' }],
      driverVersion: '560.35.03',
      cudaVersion: '12.6',
      giIdScheme: 'swappedHalves',
      migEnabled: true,
      busIds: ['00000001:00:00.0'],
    });
    expect(host.ok('mig', '-cgi', '9,15,19', '-C')).toMatch(/ID {2}1 .*\n.*\n.*ID {2}5 .*\n.*\n.*ID 13 /);
    host.overhead(1, 38).overhead(5, 13).overhead(13, 13);
    const out = host.ok();
    expect(out).toContain(fixture('5.15-mig-devices-h100nvl-560.txt'));
    expectWellFormed(out, [91, 91, 91]);
  });
});

describe('§5.15 default table: the complete captures behind mig.md, and the layouts it does not show', () => {
  it('515.86.01, the full capture of the merged-cell sample (id 37126368659)', () => {
    const host = Host.of({
      gpus: [{ model: 'A100-80GB', name: 'NVIDIA A100 80GB PCIe' }],
      driverVersion: '515.86.01',
      cudaVersion: '11.7',
      giIdScheme: 'swappedHalves',
      migEnabled: true,
      persistenceMode: false,
      busIds: ['00000001:00:00.0'],
    });
    host.ok('mig', '-cgi', '9');
    host.ok('mig', '-gi', '1', '-cci', '1c.3g.40gb,1c.3g.40gb');
    host.overhead(1, 19);
    Object.assign(host.gpu(), { temperatureC: 40, powerDrawW: 59, fbOverheadMiB: 19 });
    expect(host.ok().split('\n').slice(1)).toEqual([
      '+-----------------------------------------------------------------------------+',
      '| NVIDIA-SMI 515.86.01    Driver Version: 515.86.01    CUDA Version: 11.7     |',
      '|-------------------------------+----------------------+----------------------+',
      '| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |',
      '| Fan  Temp  Perf  Pwr:Usage/Cap|         Memory-Usage | GPU-Util  Compute M. |',
      '|                               |                      |               MIG M. |',
      '|===============================+======================+======================|',
      '|   0  NVIDIA A100 80G...  Off  | 00000001:00:00.0 Off |                   On |',
      '| N/A   40C    P0    59W / 300W |     38MiB / 81920MiB |     N/A      Default |',
      '|                               |                      |              Enabled |',
      '+-------------------------------+----------------------+----------------------+',
      '',
      '+-----------------------------------------------------------------------------+',
      '| MIG devices:                                                                |',
      '+------------------+----------------------+-----------+-----------------------+',
      '| GPU  GI  CI  MIG |         Memory-Usage |        Vol|         Shared        |',
      '|      ID  ID  Dev |           BAR1-Usage | SM     Unc| CE  ENC  DEC  OFA  JPG|',
      '|                  |                      |        ECC|                       |',
      '|==================+======================+===========+=======================|',
      '|  0    1   0   0  |     19MiB / 40192MiB | 14      0 |  3   0    2    0    0 |',
      '|                  |      0MiB / 65535MiB |           |                       |',
      '+------------------+                      +-----------+-----------------------+',
      '|  0    1   1   1  |                      | 14      0 |  3   0    2    0    0 |',
      '|                  |                      |           |                       |',
      '+------------------+----------------------+-----------+-----------------------+',
      ' '.repeat(79),
      '+-----------------------------------------------------------------------------+',
      '| Processes:                                                                  |',
      '|  GPU   GI   CI        PID   Type   Process name                  GPU Memory |',
      '|        ID   ID                                                   Usage      |',
      '|=============================================================================|',
      '|  No running processes found                                                 |',
      '+-----------------------------------------------------------------------------+',
      '',
    ]);
    // After -dci, -dgi and -mig 0, the same capture's last table.
    host.ok('mig', '-dci');
    host.ok('mig', '-dgi');
    host.ok('-i', '0', '-mig', '0');
    Object.assign(host.gpu(), { temperatureC: 36, powerDrawW: 40, fbOverheadMiB: 99 });
    expect(host.ok().split('\n').slice(8, 12)).toEqual([
      '|   0  NVIDIA A100 80G...  Off  | 00000001:00:00.0 Off |                    0 |',
      '| N/A   36C    P0    40W / 300W |     99MiB / 81920MiB |      0%      Default |',
      '|                               |                      |             Disabled |',
      '+-------------------------------+----------------------+----------------------+',
    ]);
  });

  it('535.183.01, 89 columns (A30, id 25510043945; mig.md says <= 535 is 79 columns, this capture says not)', () => {
    const host = Host.of({
      gpus: [{ model: 'A30-24GB' }],
      driverVersion: '535.183.01',
      cudaVersion: '12.2',
      migEnabled: true,
      persistenceMode: false,
      busIds: ['00000000:0B:00.0'],
    });
    host.ok('mig', '-cgi', '5:2,14:0,14:1', '-C');
    host.overhead(2, 25).overhead(3, 12).overhead(4, 12);
    Object.assign(host.gpu(), { temperatureC: 47, powerDrawW: 32, fbOverheadMiB: 1 });
    const out = host.ok();
    expect(out.split('\n').slice(1)).toEqual([
      '+---------------------------------------------------------------------------------------+',
      '| NVIDIA-SMI 535.183.01             Driver Version: 535.183.01   CUDA Version: 12.2     |',
      '|-----------------------------------------+----------------------+----------------------+',
      '| GPU  Name                 Persistence-M | Bus-Id        Disp.A | Volatile Uncorr. ECC |',
      '| Fan  Temp   Perf          Pwr:Usage/Cap |         Memory-Usage | GPU-Util  Compute M. |',
      '|                                         |                      |               MIG M. |',
      '|=========================================+======================+======================|',
      '|   0  NVIDIA A30                     Off | 00000000:0B:00.0 Off |                   On |',
      '| N/A   47C    P0              32W / 165W |     50MiB / 24576MiB |     N/A      Default |',
      '|                                         |                      |              Enabled |',
      '+-----------------------------------------+----------------------+----------------------+',
      '',
      '+---------------------------------------------------------------------------------------+',
      '| MIG devices:                                                                          |',
      '+------------------+--------------------------------+-----------+-----------------------+',
      '| GPU  GI  CI  MIG |                   Memory-Usage |        Vol|      Shared           |',
      '|      ID  ID  Dev |                     BAR1-Usage | SM     Unc| CE ENC DEC OFA JPG    |',
      '|                  |                                |        ECC|                       |',
      '|==================+================================+===========+=======================|',
      '|  0    2   0   0  |              25MiB / 11968MiB  | 28      0 |  2   0    2    0    0 |',
      '|                  |               0MiB / 16383MiB  |           |                       |',
      '+------------------+--------------------------------+-----------+-----------------------+',
      '|  0    3   0   1  |              12MiB /  5952MiB  | 14      0 |  1   0    1    0    0 |',
      '|                  |               0MiB /  8191MiB  |           |                       |',
      '+------------------+--------------------------------+-----------+-----------------------+',
      '|  0    4   0   2  |              12MiB /  5952MiB  | 14      0 |  1   0    1    0    0 |',
      '|                  |               0MiB /  8191MiB  |           |                       |',
      '+------------------+--------------------------------+-----------+-----------------------+',
      ' '.repeat(89),
      '+---------------------------------------------------------------------------------------+',
      '| Processes:                                                                            |',
      '|  GPU   GI   CI        PID   Type   Process name                            GPU Memory |',
      '|        ID   ID                                                             Usage      |',
      '|=======================================================================================|',
      '|  No running processes found                                                           |',
      '+---------------------------------------------------------------------------------------+',
      '',
    ]);
  });

  it('550.54.14, 91 columns with the 535 MIG header, merged cells (A100-SXM4-80GB, id 13375385736)', () => {
    const host = Host.of({
      gpus: [{ model: 'A100-80GB' }],
      driverVersion: '550.54.14',
      cudaVersion: '12.4',
      giIdScheme: 'swappedHalves',
      migEnabled: true,
      busIds: ['00000000:3F:00.0'],
    });
    host.ok('mig', '-cgi', '9,5');
    // The capture ran `-cci 0,1` (CI 0 = 1c, CI 1 = 2c) in both GIs. The simulator places a pre-570 1c at
    // slot 0, where it would block the 2c (§4.5 [I]), so the 2c is created first and the IDs swapped.
    for (const gi of ['1', '2']) host.ok('mig', '-i', '0', '-gi', gi, '-cci', '1,0');
    for (const gi of host.gpu().gis) for (const ci of gi.cis) ci.id = 1 - ci.id;
    host.overhead(1, 37).overhead(2, 49);
    Object.assign(host.gpu(), { temperatureC: 28, powerDrawW: 53, fbOverheadMiB: 1 });
    expect(host.ok('-i', '0').split('\n').slice(1)).toEqual([
      '+-----------------------------------------------------------------------------------------+',
      '| NVIDIA-SMI 550.54.14              Driver Version: 550.54.14      CUDA Version: 12.4     |',
      '|-----------------------------------------+------------------------+----------------------+',
      '| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |',
      '| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |',
      '|                                         |                        |               MIG M. |',
      '|=========================================+========================+======================|',
      '|   0  NVIDIA A100-SXM4-80GB          On  |   00000000:3F:00.0 Off |                   On |',
      '| N/A   28C    P0             53W /  400W |      87MiB /  81920MiB |     N/A      Default |',
      '|                                         |                        |              Enabled |',
      '+-----------------------------------------+------------------------+----------------------+',
      '',
      '+-----------------------------------------------------------------------------------------+',
      '| MIG devices:                                                                            |',
      '+------------------+----------------------------------+-----------+-----------------------+',
      '| GPU  GI  CI  MIG |                     Memory-Usage |        Vol|      Shared           |',
      '|      ID  ID  Dev |                       BAR1-Usage | SM     Unc| CE ENC DEC OFA JPG    |',
      '|                  |                                  |        ECC|                       |',
      '|==================+==================================+===========+=======================|',
      '|  0    1   0   0  |              37MiB / 40192MiB    | 14      0 |  3   0    2    0    0 |',
      '|                  |                 0MiB / 65535MiB  |           |                       |',
      '+------------------+                                  +-----------+-----------------------+',
      '|  0    1   1   1  |                                  | 28      0 |  3   0    2    0    0 |',
      '|                  |                                  |           |                       |',
      '+------------------+----------------------------------+-----------+-----------------------+',
      '|  0    2   0   2  |              49MiB / 40192MiB    | 14      0 |  4   0    2    0    0 |',
      '|                  |                 0MiB / 65535MiB  |           |                       |',
      '+------------------+                                  +-----------+-----------------------+',
      '|  0    2   1   3  |                                  | 28      0 |  4   0    2    0    0 |',
      '|                  |                                  |           |                       |',
      '+------------------+----------------------------------+-----------+-----------------------+',
      ' '.repeat(89),
      '+-----------------------------------------------------------------------------------------+',
      '| Processes:                                                                              |',
      '|  GPU   GI   CI        PID   Type   Process name                              GPU Memory |',
      '|        ID   ID                                                               Usage      |',
      '|=========================================================================================|',
      '|  No running processes found                                                             |',
      '+-----------------------------------------------------------------------------------------+',
      '',
    ]);
  });

  it('560.35.03, the full capture of the mig.md fragment (H100 NVL, id 6230417598)', () => {
    const host = Host.of({
      gpus: [{ model: 'H100-94GB-NVL' }],
      driverVersion: '560.35.03',
      cudaVersion: '12.6',
      giIdScheme: 'swappedHalves',
      migEnabled: true,
      busIds: ['00000001:00:00.0'],
    });
    host.ok('mig', '-cgi', '9,15,19', '-C');
    host.overhead(1, 38).overhead(5, 13).overhead(13, 13);
    Object.assign(host.gpu(), { temperatureC: 31, powerDrawW: 62 });
    // The capture's blank lines were trimmed when it was pasted; compare with blank lines emptied.
    expect(trimmedLines(host.ok())).toEqual([
      '+-----------------------------------------------------------------------------------------+',
      '| NVIDIA-SMI 560.35.03              Driver Version: 560.35.03      CUDA Version: 12.6     |',
      '|-----------------------------------------+------------------------+----------------------+',
      '| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |',
      '| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |',
      '|                                         |                        |               MIG M. |',
      '|=========================================+========================+======================|',
      '|   0  NVIDIA H100 NVL                On  |   00000001:00:00.0 Off |                   On |',
      '| N/A   31C    P0             62W /  400W |      64MiB /  95830MiB |     N/A      Default |',
      '|                                         |                        |              Enabled |',
      '+-----------------------------------------+------------------------+----------------------+',
      '',
      '+-----------------------------------------------------------------------------------------+',
      '| MIG devices:                                                                            |',
      '+------------------+----------------------------------+-----------+-----------------------+',
      '| GPU  GI  CI  MIG |                     Memory-Usage |        Vol|        Shared         |',
      '|      ID  ID  Dev |                       BAR1-Usage | SM     Unc| CE ENC  DEC  OFA  JPG |',
      '|                  |                                  |        ECC|                       |',
      '|==================+==================================+===========+=======================|',
      '|  0    1   0   0  |              38MiB / 47488MiB    | 60      0 |  3   0    3    0    3 |',
      '|                  |                 0MiB / 65535MiB  |           |                       |',
      '+------------------+----------------------------------+-----------+-----------------------+',
      '|  0    5   0   1  |              13MiB / 22144MiB    | 26      0 |  1   0    1    0    1 |',
      '|                  |                 0MiB / 32767MiB  |           |                       |',
      '+------------------+----------------------------------+-----------+-----------------------+',
      '|  0   13   0   2  |              13MiB / 11008MiB    | 16      0 |  1   0    1    0    1 |',
      '|                  |                 0MiB / 16383MiB  |           |                       |',
      '+------------------+----------------------------------+-----------+-----------------------+',
      '',
      '+-----------------------------------------------------------------------------------------+',
      '| Processes:                                                                              |',
      '|  GPU   GI   CI        PID   Type   Process name                              GPU Memory |',
      '|        ID   ID                                                               Usage      |',
      '|=========================================================================================|',
      '|  No running processes found                                                             |',
      '+-----------------------------------------------------------------------------------------+',
    ]);
  });

  it('580 with MIG off (CAP h100-default): error count, utilisation, Disabled, a whole-GPU process', () => {
    const host = Host.of({
      gpus: [{ model: 'H100-80GB-SXM5' }],
      driverVersion: '580.173.02',
      busIds: ['00000000:00:09.0'],
      processes: [{ gpu: 0, pid: 4559, name: '/tmp/loadgen', usedMiB: 4618 }],
    });
    Object.assign(host.gpu(), {
      temperatureC: 66,
      powerDrawW: 355,
      utilizationPercent: 100,
      fbOverheadMiB: 9,
    });
    expect(host.ok()).toBe(
      [
        STAMP,
        '+-----------------------------------------------------------------------------------------+',
        '| NVIDIA-SMI 580.173.02             Driver Version: 580.173.02     CUDA Version: 13.0     |',
        '+-----------------------------------------+------------------------+----------------------+',
        '| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |',
        '| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |',
        '|                                         |                        |               MIG M. |',
        '|=========================================+========================+======================|',
        '|   0  NVIDIA H100 80GB HBM3          On  |   00000000:00:09.0 Off |                    0 |',
        '| N/A   66C    P0            355W /  700W |    4627MiB /  81559MiB |    100%      Default |',
        '|                                         |                        |             Disabled |',
        '+-----------------------------------------+------------------------+----------------------+',
        '',
        '+-----------------------------------------------------------------------------------------+',
        '| Processes:                                                                              |',
        '|  GPU   GI   CI              PID   Type   Process name                        GPU Memory |',
        '|        ID   ID                                                               Usage      |',
        '|=========================================================================================|',
        '|    0   N/A  N/A            4559      C   /tmp/loadgen                           4618MiB |',
        '+-----------------------------------------------------------------------------------------+',
        '',
      ].join('\n'),
    );
  });

  it('580 H200 (CAP h200-mig): model-specific BAR1, two 1g devices, a process in GI 11', () => {
    const host = Host.of({
      gpus: [{ model: 'H200-141GB' }],
      driverVersion: '580.173.02',
      migEnabled: true,
      busIds: ['00000000:83:00.0'],
    });
    host.ok('mig', '-cgi', '19,19', '-C');
    host.overhead(11, 22).overhead(13, 15);
    host.gpu().processes.push({ pid: 12648, name: '/tmp/prickle-gpu-spin', giId: 11, ciId: 0, usedMiB: 602 });
    Object.assign(host.gpu(), { temperatureC: 38, powerDrawW: 123 });
    const out = host.ok();
    expect(out).toContain(
      [
        '|   0  NVIDIA H200                    On  |   00000000:83:00.0 Off |                   On |',
        '| N/A   38C    P0            123W /  700W |     639MiB / 143771MiB |     N/A      Default |',
        '|                                         |                        |              Enabled |',
      ].join('\n'),
    );
    expect(out).toContain(
      [
        '|==================+==================================+===========+=======================|',
        '|  0   11   0   0  |             624MiB / 16384MiB    | 16      0 |  1   0    1    0    1 |',
        '|                  |               0MiB / 14809MiB    |           |                       |',
        '+------------------+----------------------------------+-----------+-----------------------+',
        '|  0   13   0   1  |              15MiB / 16384MiB    | 16      0 |  1   0    1    0    1 |',
        '|                  |               0MiB / 14809MiB    |           |                       |',
        '+------------------+----------------------------------+-----------+-----------------------+',
      ].join('\n'),
    );
    expect(out).toContain(
      '|    0   11    0            12648      C   /tmp/prickle-gpu-spin                   602MiB |\n',
    );
  });

  it('580 does not merge: each CI of a GI repeats the GI memory (580.126.09 A100-40GB, id 41324772008)', () => {
    // That host printed the `alt` memory figures and its GI IDs (2, 3, 9) fit the swapped-halves map.
    const host = Host.of({
      gpus: [{ model: 'A100-40GB' }],
      driverVersion: '580.126.09',
      migEnabled: true,
      giIdScheme: 'swappedHalves',
      memoryFlavour: 'alt',
    });
    expect(host.ok('mig', '-cgi', '5:0,14:4,19:6')).toMatch(/ID {2}2 .*\n.*ID {2}3 .*\n.*ID {2}9 /);
    host.ok('mig', '-gi', '2', '-cci');
    host.ok('mig', '-gi', '3', '-cci', '0,0');
    host.ok('mig', '-gi', '9', '-cci');
    host.overhead(2, 142).overhead(3, 71).overhead(9, 36);
    expect(tables(host.ok())[1]?.slice(7)).toEqual([
      '|  0    2   0   0  |             142MiB / 20096MiB    | 56      0 |  4   0    2    0    0 |',
      '|                  |               0MiB / 12211MiB    |           |                       |',
      '+------------------+----------------------------------+-----------+-----------------------+',
      '|  0    3   0   1  |              71MiB /  9984MiB    | 14      0 |  2   0    1    0    0 |',
      '|                  |               0MiB /  6105MiB    |           |                       |',
      '+------------------+----------------------------------+-----------+-----------------------+',
      '|  0    3   1   2  |              71MiB /  9984MiB    | 14      0 |  2   0    1    0    0 |',
      '|                  |               0MiB /  6105MiB    |           |                       |',
      '+------------------+----------------------------------+-----------+-----------------------+',
      '|  0    9   0   3  |              36MiB /  4864MiB    | 14      0 |  1   0    0    0    0 |',
      '|                  |               0MiB /  3052MiB    |           |                       |',
      '+------------------+----------------------------------+-----------+-----------------------+',
    ]);
  });
});

describe('§5.15 default table: MIG mode cells, empty tables, processes', () => {
  it('MIG on, MIG off and non-MIG GPUs side by side: ECC, GPU-Util and MIG M. cells; devices only for MIG GPUs', () => {
    const host = Host.of({
      gpus: [{ model: 'H100-80GB-SXM5', count: 2 }, { model: 'non-mig' }],
      busIds: ['00000000:18:00.0', '00000000:28:00.0', '00000000:38:00.0'],
    });
    host.ok('-i', '0', '-mig', '1');
    host.ok('mig', '-cgi', '9', '-C');
    const out = host.ok();
    expectWellFormed(out, [91, 91, 91]);
    const [gpuTable, migTable] = tables(out);
    const cells = (line: string | undefined): string[] =>
      (line ?? '')
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
    const rows = [7, 11, 15].map((n) => [gpuTable?.[n], gpuTable?.[n + 1], gpuTable?.[n + 2]].map(cells));
    expect(rows.map((r) => r[0]?.[0])).toEqual([
      '0  NVIDIA H100 80GB HBM3          On',
      '1  NVIDIA H100 80GB HBM3          On',
      '2  NVIDIA L40S                    On',
    ]);
    // ECC cell: mode while MIG is on, error count otherwise.
    expect(rows.map((r) => r[0]?.[2])).toEqual(['On', '0', '0']);
    expect(rows.map((r) => r[1]?.[2])).toEqual(['N/A      Default', '0%      Default', '0%      Default']);
    expect(rows.map((r) => r[2]?.[2])).toEqual(['Enabled', 'Disabled', 'N/A']);
    const deviceRows = (migTable ?? []).filter((l) => /^\| +\d+ +\d+ +\d+ +\d+ +\|/.test(l));
    expect(deviceRows.map((l) => l.slice(0, 20))).toEqual(['|  0    2   0   0  |']);
  });

  it('no GPU with MIG on: no MIG devices table at all', () => {
    const out = Host.of({ gpus: [{ model: 'A100-80GB' }, { model: 'non-mig' }] }).ok();
    expect(out).not.toContain('MIG devices:');
    expectWellFormed(out, [91, 91]);
  });

  it.each([
    ['470.82.01', 79],
    ['535.129.03', 89],
    ['550.127.08', 91],
    ['570.169', 91],
    ['580.173.02', 91],
  ] as const)('%s: MIG on without devices prints No MIG devices found', (driverVersion, width) => {
    const host = Host.of({ gpus: [{ model: 'A100-80GB', count: 2 }], driverVersion, migEnabled: true });
    host.ok('mig', '-cgi', '19');
    const out = host.ok();
    expectWellFormed(out, [width, width, width]);
    const mig = tables(out)[1] ?? [];
    expect(mig.at(-2)).toBe(`|  No MIG devices found${' '.repeat(width - 24)}|`);
    expect(mig.at(-1)).toBe(`+${'-'.repeat(width - 2)}+`);
    expect(tables(out)[2]?.at(-2)).toBe(`|  No running processes found${' '.repeat(width - 30)}|`);
  });

  it('79-column empty MIG and process tables match a 470-era capture (id 7320613109)', () => {
    const host = Host.of({ gpus: [{ model: 'A100-40GB' }], driverVersion: '470.82.01', migEnabled: true });
    expect(tables(host.ok()).slice(1)).toEqual([
      [
        '+-----------------------------------------------------------------------------+',
        '| MIG devices:                                                                |',
        '+------------------+----------------------+-----------+-----------------------+',
        '| GPU  GI  CI  MIG |         Memory-Usage |        Vol|         Shared        |',
        '|      ID  ID  Dev |           BAR1-Usage | SM     Unc| CE  ENC  DEC  OFA  JPG|',
        '|                  |                      |        ECC|                       |',
        '|==================+======================+===========+=======================|',
        '|  No MIG devices found                                                       |',
        '+-----------------------------------------------------------------------------+',
      ],
      [
        '+-----------------------------------------------------------------------------+',
        '| Processes:                                                                  |',
        '|  GPU   GI   CI        PID   Type   Process name                  GPU Memory |',
        '|        ID   ID                                                   Usage      |',
        '|=============================================================================|',
        '|  No running processes found                                                 |',
        '+-----------------------------------------------------------------------------+',
      ],
    ]);
  });

  it('R450 prints no BAR1 line under a MIG device, and merges the memory cell (UG samples)', () => {
    const host = Host.of({ gpus: [{ model: 'A100-40GB' }], driverVersion: '450.80.02', migEnabled: true });
    host.ok('mig', '-cgi', '9:0');
    host.ok('mig', '-gi', '1', '-cci', '0,0,0');
    host.overhead(1, 11);
    const mig = tables(host.ok())[1] ?? [];
    expect(mig.slice(4)).toEqual([
      '|      ID  ID  Dev |                      | SM     Unc| CE  ENC  DEC  OFA  JPG|',
      '|                  |                      |        ECC|                       |',
      '|==================+======================+===========+=======================|',
      '|  0    1   0   0  |     11MiB / 19968MiB | 14      0 |  3   0    2    0    0 |',
      '+------------------+                      +-----------+-----------------------+',
      '|  0    1   1   1  |                      | 14      0 |  3   0    2    0    0 |',
      '+------------------+                      +-----------+-----------------------+',
      '|  0    1   2   2  |                      | 14      0 |  3   0    2    0    0 |',
      '+------------------+----------------------+-----------+-----------------------+',
    ]);
  });

  it('a pending MIG-mode change shows the pending mode with *, the GPU still reported as it is now', () => {
    const host = Host.of({ gpus: [{ model: 'A100-40GB' }], resetAllowed: false, driverVersion: '470.82.01' });
    host.ok('-i', '0', '-mig', '1');
    const gpuTable = tables(host.ok())[0] ?? [];
    expect(gpuTable[7]).toMatch(/ {20}0 \|$/);
    expect(gpuTable[8]).toMatch(/ {6}0% {6}Default \|$/);
    expect(gpuTable[9]).toMatch(/ {13}Enabled\* \|$/);
    expect(host.ok()).not.toContain('MIG devices:');
  });

  it('process rows: GI/CI of MIG processes, N/A for whole-GPU ones, types, long names cut from the left', () => {
    const host = capHost();
    const gpu = host.gpu();
    gpu.processes.push(
      {
        pid: 2010386,
        name: '/home/lcc17/miniconda3/envs/diffsynth/bin/python3.12',
        giId: 13,
        ciId: 0,
        usedMiB: 7,
      },
      { pid: 9, name: 'nvidia-persistenced', giId: null, ciId: null, usedMiB: 0, type: 'G' },
    );
    const procs = tables(host.ok())[2]?.slice(5, -1);
    expect(procs).toEqual([
      '|    0    1    0            23804      C   /tmp/loadgen                           4188MiB |',
      '|    0   13    0          2010386      C   ...envs/diffsynth/bin/python3.12          7MiB |',
      '|    0   N/A  N/A               9      G   nvidia-persistenced                       0MiB |',
    ]);
    for (const [driverVersion, max] of [
      ['515.86.01', 28],
      ['535.183.01', 38],
      ['560.35.03', 38],
    ] as const) {
      const old = Host.of({
        gpus: [{ model: 'non-mig' }],
        driverVersion,
        processes: [{ gpu: 0, pid: 168634, name: `/opt/${'x'.repeat(60)}/bin/python`, usedMiB: 4673 }],
      });
      const out = old.ok();
      const row = tables(out)[1]?.[5] ?? '';
      expect(row).toMatch(/^\| {4}0 {3}N\/A {2}N\/A {4}168634 {6}C {3}\.\.\.x+\/bin\/python +4673MiB \|$/);
      expect(row.slice(37, 37 + max)).toBe(`...${`/opt/${'x'.repeat(60)}/bin/python`.slice(-(max - 3))}`);
    }
  });

  it('long product names are truncated: 18 columns before 530, 27 from 530 on', () => {
    const name = 'NVIDIA RTX PRO 6000 Blackwell Server Edition';
    const wide = Host.of({ gpus: [{ model: 'non-mig', name }] }).ok();
    expect(wide).toContain('|   0  NVIDIA RTX PRO 6000 Blac...    On  |');
    const narrow = Host.of({ gpus: [{ model: 'non-mig', name }], driverVersion: '515.86.01' }).ok();
    expect(narrow).toContain('|   0  NVIDIA RTX PRO ...  On   |');
  });

  it('sensor fields are optional: an old state file without them renders with the defaults; set ones show', () => {
    const host = Host.of({ gpus: [{ model: 'H100-80GB-SXM5' }], driverVersion: '580.173.02' });
    const old = JSON.parse(JSON.stringify(host.state)) as HostState;
    expect(Object.keys(old.gpus[0] ?? {})).not.toContain('temperatureC');
    const before = new Host(old).ok();
    expect(before).toContain(
      '| N/A   34C    P0             70W /  700W |       0MiB /  81559MiB |      0%      Default |',
    );
    Object.assign(host.gpu(), {
      fanPercent: 30,
      temperatureC: 71,
      perfState: 'P2',
      powerDrawW: 512,
      powerCapW: 650,
      eccMode: 'off',
      displayActive: true,
      utilizationPercent: 97,
    });
    const after = host.ok();
    expect(after).toContain('|   00000000:18:00.0  On |                  Off |');
    expect(after).toContain(
      '| 30%   71C    P2            512W /  650W |       0MiB /  81559MiB |     97%      Default |',
    );
    expectWellFormed(after, [91, 91]);
  });

  it('multi-GPU: GPU rows separated by cell borders, MIG devices numbered per GPU', () => {
    const host = Host.of({
      gpus: [{ model: 'A100-80GB', count: 2 }],
      driverVersion: '550.127.08',
      migEnabled: true,
    });
    host.ok('mig', '-cgi', '19,19', '-C');
    const [gpuTable, migTable] = tables(host.ok());
    expect(gpuTable?.[10]).toBe(gpuTable?.at(-1));
    expect(gpuTable?.[11]).toMatch(/^\| {3}1 {2}NVIDIA A100-SXM4-80GB/);
    expect((migTable ?? []).filter((l) => /^\| +\d/.test(l)).map((l) => l.slice(0, 20))).toEqual([
      '|  0   11   0   0  |',
      '|  0   13   0   1  |',
      '|  1   11   0   0  |',
      '|  1   13   0   1  |',
    ]);
    // -i restricts every table to the GPU.
    expect(
      tables(host.ok('-i', '1'))[1]
        ?.filter((l) => /^\| +\d/.test(l))
        .map((l) => l.slice(0, 4)),
    ).toEqual(['|  1', '|  1']);
  });
});

describe('§5.15 default table: layout rule and well-formedness in every layout', () => {
  it.each([
    ['450.80.02', 'r450'],
    ['460.73.01', 'r450'],
    ['470.82.01', 'r470'],
    ['525.85.12', 'r470'],
    ['530.30.02', 'r535'],
    ['535.183.01', 'r535'],
    ['545.23.06', 'r550'],
    ['550.90.07', 'r550'],
    ['560.35.03', 'r560'],
    ['570.86.15', 'r560'],
    ['575.51.03', 'r560'],
    ['580.173.02', 'r580'],
    ['590.10', 'r580'],
  ] as const)('driver %s -> %s', (driverVersion, variant: StatusVariant) => {
    expect(statusVariant(createHostState({ hostname: 'h', gpus: [], driverVersion }))).toBe(variant);
  });

  const WIDTHS: Record<StatusVariant, number> = {
    r450: 79,
    r470: 79,
    r535: 89,
    r550: 91,
    r560: 91,
    r580: 91,
  };

  it.each([
    '450.80.02',
    '470.82.01',
    '515.86.01',
    '535.183.01',
    '550.54.14',
    '560.35.03',
    '570.169',
    '580.173.02',
  ])('%s: every line of a table has one width, no trailing whitespace', (driverVersion) => {
    for (const model of GPU_MODELS) {
      const host = Host.of({
        gpus: [
          { model: model.key, count: 2 },
          { model: 'non-mig', name: 'NVIDIA GeForce RTX 4070 Laptop GPU' },
        ],
        driverVersion,
        migEnabled: true,
        processes: [
          { gpu: 2, pid: 1234567, name: '/usr/lib/xorg/Xorg-with-a-very-long-name-indeed', usedMiB: 123456 },
        ],
      });
      // GPU 0: the largest profile that is not the whole GPU with two 1c CIs (a merged cell before 580),
      // and a 1g with its default CI; GPU 1 stays empty.
      const big = [...model.profiles].reverse().find((p) => p.memorySlices < model.memorySlots);
      host.ok('mig', '-i', '0', '-cgi', String(big?.id));
      const giId = host.gpu(0).gis[0]?.id ?? 0;
      host.ok('mig', '-i', '0', '-gi', String(giId), '-cci', '0,0');
      host.ok('mig', '-i', '0', '-cgi', String(model.profiles[0]?.id), '-C');
      host.gpu(0).processes.push({ pid: 42, name: 'python3', giId, ciId: 0, usedMiB: 100 });
      const out = host.ok();
      const w = WIDTHS[statusVariant(host.state)];
      expectWellFormed(out, [w, w, w]);
      expect(out).toContain('|  0 ');
    }
  });
});

describe('nvidia-smi -h, mig -h, conf-compute -h', () => {
  const host = (): Host => Host.of({ gpus: [{ model: 'H100-80GB-SXM5' }] });
  const optionTokens = (text: string): string[] => [
    ...new Set([...text.matchAll(/(?<![\w-])(--?[a-zA-Z][\w-]*)/g)].map((m) => m[1] ?? '')),
  ];

  it.each([['-h'], ['--help']])(
    '%s: exit 0, every accepted top-level option listed, nothing else',
    (flag) => {
      const r = host().run(flag);
      expect(r.exitCode).toBe(0);
      expect(r.stderr).toBe('');
      expect(r.stdout).toMatch(/^NVIDIA System Management Interface -- v580\.173\.02\n/);
      for (const spec of TOP_OPTIONS) for (const name of spec.names) expect(r.stdout).toContain(name);
      const accepted = new Set([...TOP_OPTIONS.flatMap((s) => s.names), '-h', '--help']);
      for (const token of optionTokens(r.stdout)) expect(accepted, token).toContain(token);
      expect(r.stdout).toContain('nvidia-smi mig -h');
      expect(r.stdout).toContain('nvidia-smi conf-compute -h');
    },
  );

  it.each([['-h'], ['--help']])(
    'mig %s: exit 0, each [-x | --long] pair is exactly an accepted option',
    (flag) => {
      const r = host().run('mig', flag);
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toMatch(/^ {4}mig -- Multi Instance GPU management\./);
      const pairs = [...r.stdout.matchAll(/\[(-[\w]+) \| (--[\w-]+)\]/g)].map((m) => [m[1], m[2]]);
      expect(pairs).toHaveLength(MIG_OPTIONS.length);
      for (const spec of MIG_OPTIONS) expect(pairs).toContainEqual(spec.names);
      // mig.md §5.1's table, option by option.
      for (const name of ['-lgip', '--list-gpu-instance-possible-placements', '--default-compute-instance'])
        expect(r.stdout).toContain(name);
    },
  );

  it('conf-compute -h: the §9.2 text, exit 0', () => {
    const r = host().run('conf-compute', '-h');
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toMatch(/^ {4}conf-compute -- Display Confidential Compute information\.\n/);
    expect(r.stdout).toContain(
      '    [-f | --get-cc-feature]: Display Confidential Compute CC feature status\n',
    );
    expect(r.stdout).toContain(
      '    [-d | --get-devtools-mode]: Display Confidential Compute DevTools Mode\n',
    );
  });

  it('-h does not change the state; unknown options still fail', () => {
    const h = host();
    const before = JSON.stringify(h.state);
    h.ok('-h');
    expect(JSON.stringify(h.state)).toBe(before);
    expect(h.run('-x').exitCode).toBe(2);
    expect(h.run('--format=csv').exitCode).toBe(2);
  });
});

describe('-q text "MIG Devices" (layout [U], follows the XML)', () => {
  /** The `<mig_device>` elements of `-q -x` as flat key -> value maps. */
  function xmlDevices(xml: string): Record<string, string>[] {
    return [...xml.matchAll(/<mig_device>([\s\S]*?)<\/mig_device>/g)].map((m) => {
      const inner = m[1] ?? '';
      const fb = /<fb_memory_usage>([\s\S]*?)<\/fb_memory_usage>/.exec(inner);
      const leaves = (s: string, prefix: string): [string, string][] =>
        [...s.matchAll(/<(\w+)>([^<]*)<\/\1>/g)].map((x) => [`${prefix}${x[1] ?? ''}`, x[2] ?? '']);
      return Object.fromEntries([
        ...leaves(inner.replace(fb?.[0] ?? '', ''), ''),
        ...leaves(fb?.[1] ?? '', 'fb_'),
      ]);
    });
  }

  const TEXT_TO_XML: Record<string, string> = {
    Index: 'index',
    'GPU Instance ID': 'gpu_instance_id',
    'Compute Instance ID': 'compute_instance_id',
    'Multiprocessor count': 'multiprocessor_count',
    'Copy Engine count': 'copy_engine_count',
    'Encoder count': 'encoder_count',
    'Decoder count': 'decoder_count',
    'OFA count': 'ofa_count',
    'JPG count': 'jpg_count',
    Total: 'fb_total',
    Reserved: 'fb_reserved',
    Used: 'fb_used',
    Free: 'fb_free',
  };

  /** The text section's devices, keyed like the XML. */
  function textDevices(text: string): Record<string, string>[] {
    const lines = text.split('\n');
    const from = lines.indexOf('    MIG Devices');
    const to = lines.findIndex((l, i) => i > from && /^ {4}\S/.test(l));
    const devices: Record<string, string>[] = [];
    for (const line of lines.slice(from + 1, to)) {
      if (line === '        MIG Device') devices.push({});
      const kv = /^( +)(\S.*?) +: (.*)$/.exec(line);
      if (kv) {
        expect(line.indexOf(': '), line).toBe(42);
        const key = TEXT_TO_XML[kv[2] ?? ''];
        expect(key, line).toBeDefined();
        const device = devices.at(-1);
        if (device && key) device[key] = kv[3] ?? '';
      }
    }
    return devices;
  }

  it('agrees with -q -x value for value (CAP host, and a host with several CIs per GI)', () => {
    const a100 = Host.of({ gpus: [{ model: 'A100-80GB' }], migEnabled: true, driverVersion: '535.183.01' });
    a100.ok('mig', '-cgi', '9,14,19');
    a100.ok('mig', '-gi', '2', '-cci', '1,0');
    a100.ok('mig', '-cci');
    a100.gpu().processes.push({ pid: 7, name: 'python', giId: 2, ciId: 1, usedMiB: 1234 });
    for (const host of [capHost(), a100]) {
      const text = textDevices(host.ok('-q'));
      const xml = xmlDevices(host.ok('-q', '-x'));
      expect(text.length).toBeGreaterThan(2);
      expect(text).toEqual(xml);
    }
  });

  it('sits right after MIG Mode, with the CAP values', () => {
    const out = capHost().ok('-q');
    expect(out).toContain(
      [
        '        Pending                           : Enabled',
        '    MIG Devices',
        '        MIG Device',
        '            Index                         : 0',
        '            GPU Instance ID               : 1',
        '            Compute Instance ID           : 0',
        '            Device Attributes',
        '                Shared',
        '                    Multiprocessor count  : 16',
        '                    Copy Engine count     : 3',
        '                    Encoder count         : 0',
        '                    Decoder count         : 3',
        '                    OFA count             : 0',
        '                    JPG count             : 3',
        '            FB Memory Usage',
        '                Total                     : 40448 MiB',
        '                Reserved                  : 0 MiB',
        '                Used                      : 12627 MiB',
        '                Free                      : 27821 MiB',
        '        MIG Device',
        '            Index                         : 1',
      ].join('\n'),
    );
  });

  it('None for MIG off, MIG on without CIs, and GPUs without MIG', () => {
    const host = Host.of({ gpus: [{ model: 'H100-80GB-SXM5', count: 2 }, { model: 'non-mig' }] });
    host.ok('-i', '0', '-mig', '1');
    host.ok('mig', '-cgi', '19');
    const out = host.ok('-q');
    const none = '    MIG Devices                           : None\n';
    expect(out.split(none)).toHaveLength(4);
    expect(host.ok('-q', '-x').split('<mig_devices>\n\t\t\tNone\n\t\t</mig_devices>')).toHaveLength(4);
  });
});

describe('3c.4g.* compute instances (4g GPU instances offer 1c, 2c, 3c and the full CI)', () => {
  const fourG = GPU_MODELS.flatMap((model) =>
    model.profiles.filter((p) => p.computeSlices === 4).map((profile) => ({ model, profile })),
  );

  it('every catalogued model has a 4g profile', () => {
    expect(fourG.map((c) => c.model.key).sort()).toEqual(GPU_MODELS.map((m) => m.key).sort());
  });

  it.each(fourG.map((c) => [c.model.key, c.profile.name, c] as const))(
    '%s %s: -lcip offers 3c (ID 2, 1/1); created exactly once, at 0:3',
    (_key, _name, { model, profile }) => {
      for (const driverVersion of ['535.183.01', '580.173.02']) {
        const host = Host.of({ gpus: [{ model: model.key }], migEnabled: true, driverVersion });
        host.ok('mig', '-cgi', String(profile.id));
        const giId = host.gpu().gis[0]?.id ?? -1;
        const lcip = host.ok('mig', '-lcip');
        const names = [...lcip.matchAll(/MIG (\S+)\s+(\d)(\*?)\s+(\d\/\d)/g)].map(
          (m) => `${m[1]} ${m[2]}${m[3]} ${m[4]}`,
        );
        expect(names).toEqual([
          `1c.${profile.baseName} 0 4/4`,
          `2c.${profile.baseName} 1 2/2`,
          `3c.${profile.baseName} 2 1/1`,
          `${profile.baseName} 3* 1/1`,
        ]);
        expect(host.ok('mig', '-gi', String(giId), '-cci', `3c.${profile.baseName}`)).toBe(
          `Successfully created compute instance ID  0 on GPU  0 GPU instance ID ${String(giId).padStart(2)} using profile MIG 3c.${profile.baseName} (ID  2)\n`,
        );
        expect(host.gpu().gis[0]?.cis[0]).toMatchObject({ profileId: 2, start: 0, size: 3 });
        expect(host.ok('mig', '-lci')).toMatch(
          new RegExp(`MIG 3c\\.${profile.baseName.replace('.', '\\.')} +2 +0 +0:3 `),
        );
        const again = host.run('mig', '-gi', String(giId), '-cci', '2');
        expect(again.stdout).toContain(': Insufficient Resources');
        expect(again.exitCode).not.toBe(0);
        // The fourth slice still takes a 1c; nothing else fits.
        expect(host.ok('mig', '-lcip')).toMatch(/MIG 1c\.\S+ +0 +1\/4 /);
        host.ok('mig', '-gi', String(giId), '-cci', '0');
        expect(host.gpu().gis[0]?.cis[1]).toMatchObject({ profileId: 0, start: 3, size: 1 });
        expect(host.run('mig', '-gi', String(giId), '-cci', '0').exitCode).not.toBe(0);
      }
    },
  );

  it('3c does not fit next to a 2c at 2:2, nor next to the full CI', () => {
    const host = Host.of({ gpus: [{ model: 'A100-80GB' }], migEnabled: true, driverVersion: '580.173.02' });
    host.ok('mig', '-cgi', '5');
    host.ok('mig', '-cci', '1');
    expect(host.gpu().gis[0]?.cis[0]).toMatchObject({ start: 2, size: 2 });
    expect(host.run('mig', '-cci', '2').stdout).toContain('Insufficient Resources');
    host.ok('mig', '-dci');
    host.ok('mig', '-cci', '3');
    expect(host.run('mig', '-cci', '3c.4g.40gb').stdout).toContain('Insufficient Resources');
  });
});
