// The discovery parsers of electron/core/gpu against the reference captures of mig.md §5
// (test/fixtures/nvidia-smi, named after the section), against garbled, truncated and
// foreign-locale variants made from those captures, and round-trip against the lab simulator.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  NvidiaSmiFailure,
  ParseError,
  QUERY_GPU_FIELDS,
  parseCcStatus,
  parseComputeInstances,
  parseGpuInstancePlacements,
  parseGpuInstanceProfiles,
  parseGpuInstances,
  parseListGpus,
  parseQueryGpu,
  parseQueryXml,
} from '../../electron/core/gpu';
import type { QueryGpuField } from '../../electron/core/gpu';
import { GPU_MODELS, giProfile, gpuModel } from '../lab/nvidia-smi/catalogue';
import { runNvidiaSmi } from '../lab/nvidia-smi/commands';
import { gibFromMiB } from '../lab/nvidia-smi/format';
import { ciProfiles, freeCount } from '../lab/nvidia-smi/geometry';
import { createHostState } from '../lab/nvidia-smi/state';
import type { GpuSpec, HostState, TableLayout } from '../lab/nvidia-smi/state';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/nvidia-smi');
const NOW = new Date('2026-07-29T10:00:00Z');

function raw(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

/** A fixture without its `$ command` / `# command` lines: what the console would receive. */
function output(name: string): string {
  return raw(name)
    .split('\n')
    .filter((l) => !/^[$#] /.test(l))
    .join('\n');
}

/** The `$ command` line of a fixture. */
function commandOf(name: string): string {
  const line = raw(name)
    .split('\n')
    .find((l) => /^[$#] /.test(l));
  if (!line) throw new Error(`${name} has no command line`);
  return line;
}

/** Runs fn, expects a ParseError naming the command and `line <n>`, and returns it. */
function parseErrorOf(fn: () => unknown, lineNumber: number, command: string): ParseError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught, 'expected a ParseError, got a result').toBeInstanceOf(ParseError);
  const err = caught as ParseError;
  expect(err.message.startsWith(`${command}: line ${lineNumber} `), err.message).toBe(true);
  expect(err.lineNumber).toBe(lineNumber);
  expect(err.message).toContain(
    JSON.stringify(err.line.length > 80 ? `${err.line.slice(0, 79)}…` : err.line),
  );
  return err;
}

// -------------------------------------------------------------------------------------------------
// Fixtures parse into the values mig.md shows

describe('nvidia-smi -L (§5.2)', () => {
  it('reads the H100 capture: one GPU, three MIG devices in GI/CI order', () => {
    expect(parseListGpus(output('5.2-L-h100-cap.txt'))).toEqual([
      {
        index: 0,
        name: 'NVIDIA H100 80GB HBM3',
        uuid: 'GPU-0d0831da-0c98-2717-6446-8acd91d39b65',
        migDevices: [
          {
            index: 0,
            profileName: '1c.3g.40gb',
            uuid: 'MIG-5ff0d535-9a82-5af6-80df-768b9d3ac092',
            giId: null,
            ciId: null,
          },
          {
            index: 1,
            profileName: '1g.10gb',
            uuid: 'MIG-8443519f-66f7-5962-8955-60dba0866f3a',
            giId: null,
            ciId: null,
          },
          {
            index: 2,
            profileName: '1g.10gb',
            uuid: 'MIG-ee6996fb-86fb-5405-83f0-b20887da1bb3',
            giId: null,
            ciId: null,
          },
        ],
      },
    ]);
  });

  it('reads the R450/R460 form, whose MIG UUID carries the GI and CI IDs', () => {
    const gpu = 'GPU-5e4b1c8a-61f3-2b4e-9f2a-0c1d2e3f4a5b';
    const text = [
      `GPU 0: A100-SXM4-40GB (UUID: ${gpu})`,
      `  MIG 1g.5gb Device 0: (UUID: MIG-${gpu}/7/0)`,
    ].join('\n');
    expect(parseListGpus(text)).toEqual([
      {
        index: 0,
        name: 'A100-SXM4-40GB',
        uuid: gpu,
        migDevices: [{ index: 0, profileName: '1g.5gb', uuid: `MIG-${gpu}/7/0`, giId: 7, ciId: 0 }],
      },
    ]);
  });

  it('lists GPUs without MIG devices and restarts device numbering per GPU', () => {
    const text = [
      'GPU 0: NVIDIA A100-SXM4-80GB (UUID: GPU-11111111-2222-3333-4444-555555555555)',
      '  MIG 7g.80gb     Device  0: (UUID: MIG-aaaaaaaa-bbbb-5ccc-8ddd-eeeeeeeeeeee)',
      'GPU 1: NVIDIA A100-SXM4-80GB (UUID: GPU-11111111-2222-3333-4444-666666666666)',
      '  MIG 1g.10gb     Device  0: (UUID: MIG-aaaaaaaa-bbbb-5ccc-8ddd-ffffffffffff)',
      'GPU 2: NVIDIA L40S (UUID: GPU-11111111-2222-3333-4444-777777777777)',
    ].join('\n');
    const gpus = parseListGpus(text);
    expect(gpus.map((g) => [g.index, g.migDevices.map((d) => `${d.index}:${d.profileName}`)])).toEqual([
      [0, ['0:7g.80gb']],
      [1, ['0:1g.10gb']],
      [2, []],
    ]);
  });
});

describe('nvidia-smi --query-gpu (§5.3)', () => {
  it('reads the §5.3 capture in the field order of its command line', () => {
    const fields = /--query-gpu=(\S+)/
      .exec(commandOf('5.3-query-gpu-csv.txt'))?.[1]
      ?.split(',') as QueryGpuField[];
    expect(parseQueryGpu(output('5.3-query-gpu-csv.txt'), fields)).toEqual([
      {
        index: 0,
        uuid: 'GPU-0d0831da-0c98-2717-6446-8acd91d39b65',
        name: 'NVIDIA H100 80GB HBM3',
        busId: '00000000:00:09.0',
        memoryMiB: 81559,
        driverVersion: null,
        migCurrent: 'enabled',
        migPending: 'enabled',
      },
    ]);
  });

  it('reads the discovery field list with and without header and units, and [N/A] / pending modes', () => {
    const rows = [
      '0, GPU-0d0831da-0c98-2717-6446-8acd91d39b65, NVIDIA A100-SXM4-80GB, 00000000:8B:00.0, 81920, 575.57.08, Disabled, Enabled',
      '1, GPU-0d0831da-0c98-2717-6446-8acd91d39b66, NVIDIA GeForce RTX 4070 Laptop GPU, 00000000:01:00.0, 8188, 575.57.08, [N/A], [N/A]',
      '2, GPU-0d0831da-0c98-2717-6446-8acd91d39b67, NVIDIA L40S, 00000000:02:00.0, 46068, 575.57.08, [Not Supported], [Not Supported]',
    ];
    const plain = parseQueryGpu(rows.join('\n'));
    expect(
      plain.map((g) => [g.index, g.name, g.memoryMiB, g.driverVersion, g.migCurrent, g.migPending]),
    ).toEqual([
      [0, 'NVIDIA A100-SXM4-80GB', 81920, '575.57.08', 'disabled', 'enabled'],
      [1, 'NVIDIA GeForce RTX 4070 Laptop GPU', 8188, '575.57.08', 'unsupported', 'unsupported'],
      [2, 'NVIDIA L40S', 46068, '575.57.08', 'unsupported', 'unsupported'],
    ]);
    const header =
      'index, uuid, name, pci.bus_id, memory.total [MiB], driver_version, mig.mode.current, mig.mode.pending';
    const withUnits = [header, ...rows.map((r) => r.replace(/, (\d+), 575/, ', $1 MiB, 575'))].join('\r\n');
    expect(parseQueryGpu(withUnits)).toEqual(plain);
  });
});

describe('nvidia-smi -q -x (§5.4)', () => {
  /** The §5.4 capture elides with `...`; fill the elisions in as a real driver prints them. */
  function completed(): string {
    return output('5.4-q-x-partial.xml')
      .replace(/^\t*\.\.\.\n/gm, '')
      .replace('<uuid>GPU-...</uuid>', '<uuid>GPU-0d0831da-0c98-2717-6446-8acd91d39b65</uuid>');
  }

  it('reads driver and CUDA versions, MIG modes and the MIG device', () => {
    expect(parseQueryXml(completed())).toEqual({
      driverVersion: '575.57.08',
      cudaVersion: '12.9',
      attachedGpus: 1,
      gpus: [
        {
          busId: '00000000:00:09.0',
          name: 'NVIDIA H100 80GB HBM3',
          uuid: 'GPU-0d0831da-0c98-2717-6446-8acd91d39b65',
          migCurrent: 'enabled',
          migPending: 'enabled',
          migDevices: [{ index: 0, giId: 1, ciId: 0, memoryMiB: 40448, multiprocessors: 60 }],
        },
      ],
    });
  });

  it('refuses the capture with its elisions left in (stray text), naming the line', () => {
    const text = output('5.4-q-x-partial.xml');
    const n = text.split('\n').findIndex((l) => l.trim() === '...') + 1;
    parseErrorOf(() => parseQueryXml(text), n, 'nvidia-smi -q -x');
  });

  it('reads `None` MIG devices and N/A modes of a GPU without MIG', () => {
    const xml = completed()
      .replace(/<mig_devices>[\s\S]*<\/mig_devices>/, '<mig_devices>\n\t\t\tNone\n\t\t</mig_devices>')
      .replace(/<current_mig>Enabled/, '<current_mig>N/A')
      .replace(/<pending_mig>Enabled/, '<pending_mig>N/A');
    const gpu = parseQueryXml(xml).gpus[0];
    expect([gpu?.migCurrent, gpu?.migPending, gpu?.migDevices]).toEqual(['unsupported', 'unsupported', []]);
  });
});

describe('nvidia-smi mig -lgip (§5.6)', () => {
  const cols = (r: ReturnType<typeof parseGpuInstanceProfiles>[number]): unknown[] => [
    r.profileName,
    r.profileId,
    `${r.free}/${r.total}`,
    r.memoryGiB,
    r.multiprocessors,
    r.decoders,
    r.encoders,
    r.copyEngines,
    r.jpegEngines,
    r.ofaEngines,
  ];

  it('reads the narrow A30 table', () => {
    const rows = parseGpuInstanceProfiles(output('5.6-lgip-narrow-a30.txt'));
    expect(rows.every((r) => r.gpu === 0 && !r.p2p)).toBe(true);
    expect(rows.map(cols)).toEqual([
      ['1g.6gb', 14, '4/4', 5.81, 14, 1, 0, 1, 0, 0],
      ['1g.6gb+me', 21, '1/1', 5.81, 14, 1, 0, 1, 1, 1],
      ['2g.12gb', 5, '2/2', 11.69, 28, 2, 0, 2, 0, 0],
      ['2g.12gb+me', 6, '1/1', 11.69, 28, 2, 0, 2, 1, 1],
      ['4g.24gb', 0, '1/1', 23.44, 56, 4, 0, 4, 1, 1],
    ]);
  });

  it('reads the narrow GH200 table', () => {
    const rows = parseGpuInstanceProfiles(output('5.6-lgip-narrow-gh200.txt'));
    expect(rows.map(cols)).toEqual([
      ['1g.12gb', 19, '7/7', 11, 16, 1, 0, 1, 1, 0],
      ['1g.12gb+me', 20, '1/1', 11, 16, 1, 0, 1, 1, 1],
      ['1g.24gb', 15, '4/4', 23, 26, 1, 0, 1, 1, 0],
      ['2g.24gb', 14, '3/3', 23, 32, 2, 0, 2, 2, 0],
      ['3g.48gb', 9, '2/2', 46.5, 60, 3, 0, 3, 3, 0],
      ['4g.48gb', 5, '1/1', 46.5, 64, 4, 0, 4, 4, 0],
      ['7g.96gb', 0, '1/1', 93, 132, 7, 0, 8, 7, 1],
    ]);
  });

  it('reads the wide H100 table with GIs in place (Free < Total)', () => {
    const rows = parseGpuInstanceProfiles(output('5.6-lgip-wide-h100-cap.txt'));
    expect(rows.map(cols)).toEqual([
      ['1g.10gb', 19, '1/7', 9.75, 16, 1, 0, 1, 1, 0],
      ['1g.10gb+me', 20, '0/1', 9.75, 16, 1, 0, 1, 1, 1],
      ['1g.20gb', 15, '0/4', 19.62, 26, 1, 0, 1, 1, 0],
      ['2g.20gb', 14, '0/3', 19.62, 32, 2, 0, 2, 2, 0],
      ['3g.40gb', 9, '0/2', 39.5, 60, 3, 0, 3, 3, 0],
      ['4g.40gb', 5, '0/1', 39.5, 64, 4, 0, 4, 4, 0],
      ['7g.80gb', 0, '0/1', 79.25, 132, 7, 0, 8, 7, 1],
    ]);
  });
});

describe('nvidia-smi mig -lgipp (§5.7)', () => {
  it('reads the H100 placements, `Placements:` and `Placement :` alike', () => {
    const rows = parseGpuInstancePlacements(output('5.7-lgipp-h100.txt'));
    expect(rows.map((r) => [r.gpu, r.profileId, r.starts.join(','), r.size])).toEqual([
      [0, 19, '0,1,2,3,4,5,6', 1],
      [0, 20, '0,1,2,3,4,5,6', 1],
      [0, 15, '0,2,4,6', 2],
      [0, 14, '0,2,4', 2],
      [0, 9, '0,4', 4],
      [0, 5, '0', 4],
      [0, 0, '0', 8],
    ]);
  });
});

describe('nvidia-smi mig -lgi (§5.9), all three widths', () => {
  it('reads the R450 54-column table', () => {
    expect(parseGpuInstances(output('5.9-lgi-r450-54.txt'))).toEqual([
      { gpu: 0, profileName: '1g.5gb', profileId: 19, giId: 7, placement: { start: 0, size: 1 } },
    ]);
  });

  it('reads the R470-R560 57-column table', () => {
    expect(parseGpuInstances(output('5.9-lgi-narrow-57.txt'))).toEqual([
      { gpu: 0, profileName: '3g.40gb', profileId: 9, giId: 1, placement: { start: 4, size: 4 } },
      { gpu: 0, profileName: '3g.40gb', profileId: 9, giId: 2, placement: { start: 0, size: 4 } },
    ]);
  });

  it('reads the 570+ 59-column table', () => {
    expect(parseGpuInstances(output('5.9-lgi-wide-59.txt'))).toEqual([
      { gpu: 0, profileName: '1g.10gb', profileId: 19, giId: 13, placement: { start: 6, size: 1 } },
      { gpu: 0, profileName: '3g.40gb', profileId: 9, giId: 1, placement: { start: 0, size: 4 } },
      { gpu: 0, profileName: '1g.10gb+me', profileId: 20, giId: 11, placement: { start: 4, size: 1 } },
    ]);
  });

  it('reads "nothing there" messages as empty lists and failures as NvidiaSmiFailure', () => {
    expect(parseGpuInstances('No GPU instances found: Not Found\n')).toEqual([]);
    expect(parseGpuInstances('No MIG-enabled devices found.\r\n')).toEqual([]);
    const err = parseErrorOf(
      () => parseGpuInstances('No GPU instances found: Permission denied\n'),
      1,
      'nvidia-smi mig -lgi',
    );
    expect(err).toBeInstanceOf(NvidiaSmiFailure);
    expect((err as NvidiaSmiFailure).nvmlError).toBe('Permission denied');
  });
});

describe('nvidia-smi mig -lci (§5.12)', () => {
  it('reads the 70-column table with placements', () => {
    expect(parseComputeInstances(output('5.12-lci-cap.txt'))).toEqual([
      { gpu: 0, giId: 13, profileName: '1g.10gb', profileId: 0, ciId: 0, placement: { start: 0, size: 1 } },
      { gpu: 0, giId: 1, profileName: '1c.3g.40gb', profileId: 0, ciId: 0, placement: { start: 2, size: 1 } },
      { gpu: 0, giId: 11, profileName: '1g.10gb', profileId: 0, ciId: 0, placement: { start: 0, size: 1 } },
    ]);
  });

  it('reads the R450 57-column table without placements', () => {
    expect(parseComputeInstances(output('5.12-lci-r450.txt'))).toEqual([
      { gpu: 0, giId: 1, profileName: '1c.3g.20gb', profileId: 0, ciId: 0, placement: null },
    ]);
  });

  it('reads "nothing there" messages as empty lists and failures as NvidiaSmiFailure', () => {
    expect(parseComputeInstances('No compute instances found: Not Found\n')).toEqual([]);
    expect(() =>
      parseComputeInstances('Failed to display compute instances: Insufficient Permissions\n'),
    ).toThrow(NvidiaSmiFailure);
  });

  it('refuses another command’s table: -lgi output given to the -lci parser', () => {
    parseErrorOf(() => parseComputeInstances(output('5.9-lgi-wide-59.txt')), 2, 'nvidia-smi mig -lci');
  });
});

describe('nvidia-smi conf-compute -f (§9.2)', () => {
  it('reads CC status ON/OFF', () => {
    expect(parseCcStatus('CC status: ON\n')).toBe(true);
    expect(parseCcStatus('CC status: OFF\r\n')).toBe(false);
    parseErrorOf(() => parseCcStatus('CC-Status: EIN\n'), 1, 'nvidia-smi conf-compute -f');
  });
});

// -------------------------------------------------------------------------------------------------
// Tolerance and refusal, generated from the real fixtures

interface Case {
  fixture: string;
  command: string;
  parse: (text: string) => unknown;
  /**
   * Boxed table: a dropped last line is a truncation. A line-oriented output (`-L`, CSV, `-lgipp`)
   * cut exactly at a line end is indistinguishable from a shorter complete one; discovery
   * cross-checks `-L` against `--query-gpu` for that.
   */
  table: boolean;
}

const fields53 = /--query-gpu=(\S+)/
  .exec(commandOf('5.3-query-gpu-csv.txt'))?.[1]
  ?.split(',') as QueryGpuField[];

const CASES: Case[] = [
  { fixture: '5.2-L-h100-cap.txt', command: 'nvidia-smi -L', parse: parseListGpus, table: false },
  {
    fixture: '5.3-query-gpu-csv.txt',
    command: `nvidia-smi --query-gpu=${fields53.join(',')}`,
    parse: (t) => parseQueryGpu(t, fields53),
    table: false,
  },
  ...['5.6-lgip-narrow-a30.txt', '5.6-lgip-narrow-gh200.txt', '5.6-lgip-wide-h100-cap.txt'].map(
    (fixture) => ({
      fixture,
      command: 'nvidia-smi mig -lgip',
      parse: parseGpuInstanceProfiles,
      table: true,
    }),
  ),
  {
    fixture: '5.7-lgipp-h100.txt',
    command: 'nvidia-smi mig -lgipp',
    parse: parseGpuInstancePlacements,
    table: false,
  },
  ...['5.9-lgi-r450-54.txt', '5.9-lgi-narrow-57.txt', '5.9-lgi-wide-59.txt'].map((fixture) => ({
    fixture,
    command: 'nvidia-smi mig -lgi',
    parse: parseGpuInstances,
    table: true,
  })),
  ...['5.12-lci-cap.txt', '5.12-lci-r450.txt'].map((fixture) => ({
    fixture,
    command: 'nvidia-smi mig -lci',
    parse: parseComputeInstances,
    table: true,
  })),
];

/** Deterministic PRNG (mulberry32), so a failing case reproduces. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const JUNK = [
  'Segmentation fault (core dumped)',
  '|   0  MIG 1g.10gb   19 |',
  'GPU 0: ',
  'bash: warning: setlocale: LC_ALL: cannot change locale (de_DE.UTF-8)',
  '+-- cut here --+',
];

function lines(text: string): string[] {
  return text.replace(/\n$/, '').split('\n');
}

describe.each(CASES)('$fixture', ({ fixture, command, parse }) => {
  const text = output(fixture);
  const good = parse(text);

  it('parses the same with CRLF line ends and trailing spaces', () => {
    expect(parse(text.replace(/\n/g, '  \r\n'))).toEqual(good);
    expect(parse(`\n${text}\n\n`)).toEqual(good);
  });

  it('refuses a random line inserted anywhere, naming that line', () => {
    const ls = lines(text);
    const next = rng(fixture.length * 7919);
    for (let k = 0; k < 12; k++) {
      const at = Math.floor(next() * (ls.length + 1));
      const junk = JUNK[Math.floor(next() * JUNK.length)] ?? '';
      const garbled = [...ls.slice(0, at), junk, ...ls.slice(at)].join('\n');
      parseErrorOf(() => parse(garbled), at + 1, command);
    }
  });

  it('refuses an output cut in the middle of its last line', () => {
    const ls = lines(text);
    const last = ls[ls.length - 1] ?? '';
    const cut = [...ls.slice(0, -1), last.slice(0, Math.ceil(last.length / 2))].join('\n');
    parseErrorOf(() => parse(cut), ls.length, command);
  });
});

describe.each(CASES.filter((c) => c.table))('$fixture (table)', ({ fixture, command, parse }) => {
  const text = output(fixture);

  it('refuses a table whose bottom border is missing, naming its last line', () => {
    const ls = lines(text);
    const err = parseErrorOf(() => parse(ls.slice(0, -1).join('\n')), ls.length - 1, command);
    expect(err.message).toContain('ends the output inside the table');
  });

  it('refuses a row whose columns are swapped, naming that row', () => {
    const ls = lines(text);
    const rule = ls.findIndex((l) => /^\|=+\|$/.test(l));
    const row = ls[rule + 1] ?? '';
    const cells = row.slice(1, -1).trim().split(/\s+/);
    // Swap the profile name with the number after it, keeping the row's width.
    const name = cells.indexOf('MIG') + 1;
    [cells[name], cells[name + 1]] = [cells[name + 1] ?? '', cells[name] ?? ''];
    const swapped = `|  ${cells.join('   ')}`.padEnd(row.length - 1).slice(0, row.length - 1) + '|';
    const garbled = [...ls.slice(0, rule + 1), swapped, ...ls.slice(rule + 2)].join('\n');
    parseErrorOf(() => parse(garbled), rule + 2, command);
  });
});

describe('refusals specific to each format', () => {
  it('--query-gpu: a translated MIG mode (Aktiviert), swapped columns, comma decimals, a lone header', () => {
    const text = output('5.3-query-gpu-csv.txt');
    const cmd = `nvidia-smi --query-gpu=${fields53.join(',')}`;
    const parse = (t: string): unknown => parseQueryGpu(t, fields53);
    parseErrorOf(() => parse(text.replace('Enabled', 'Aktiviert')), 1, cmd);
    const [a, b, c, ...rest] = lines(text)[0]?.split(', ') ?? [];
    parseErrorOf(() => parse([a, c, b, ...rest].join(', ')), 1, cmd);
    parseErrorOf(() => parse(text.replace('81559 MiB', '81.559 MiB')), 1, cmd);
    parseErrorOf(() => parse(''), 1, cmd);
    const headerOnly = `${QUERY_GPU_FIELDS.join(', ')}\n`;
    parseErrorOf(() => parseQueryGpu(headerOnly), 1, `nvidia-smi --query-gpu=${QUERY_GPU_FIELDS.join(',')}`);
    const err = parseErrorOf(() => parse(text.replace('Enabled', 'Aktiviert')), 1, cmd);
    expect(err.message).toContain('"Aktiviert" where mig.mode.current should be');
  });

  it('-lgip: comma decimals of a foreign locale', () => {
    const text = output('5.6-lgip-wide-h100-cap.txt').replace('9.75 ', '9,75 ');
    const n = lines(text).findIndex((l) => l.includes('9,75')) + 1;
    parseErrorOf(() => parseGpuInstanceProfiles(text), n, 'nvidia-smi mig -lgip');
  });

  it('-lgi: a row narrower than the table (shifted columns)', () => {
    const text = output('5.9-lgi-wide-59.txt').replace('|   0  MIG 1g.10gb   ', '|   0  MIG 1g.10gb ');
    parseErrorOf(() => parseGpuInstances(text), 6, 'nvidia-smi mig -lgi');
  });

  it('-L: a MIG line before any GPU, numbering that skips, and a swapped name/UUID', () => {
    const ls = lines(output('5.2-L-h100-cap.txt'));
    parseErrorOf(() => parseListGpus(ls.slice(1).join('\n')), 1, 'nvidia-smi -L');
    parseErrorOf(() => parseListGpus([ls[0], ls[2]].join('\n')), 2, 'nvidia-smi -L');
    const swapped = 'GPU 0: (UUID: GPU-0d0831da-0c98-2717-6446-8acd91d39b65) NVIDIA H100 80GB HBM3';
    parseErrorOf(() => parseListGpus([swapped, ...ls.slice(1)].join('\n')), 1, 'nvidia-smi -L');
  });

  it('-q -x: truncation, a translated MIG mode, a random line', () => {
    const xml = output('5.4-q-x-partial.xml')
      .replace(/^\t*\.\.\.\n/gm, '')
      .replace('<uuid>GPU-...</uuid>', '<uuid>GPU-0d0831da-0c98-2717-6446-8acd91d39b65</uuid>');
    const ls = lines(xml);
    const cmd = 'nvidia-smi -q -x';
    const err = parseErrorOf(() => parseQueryXml(ls.slice(0, -1).join('\n')), ls.length - 1, cmd);
    expect(err.message).toContain('truncated');
    const german = xml.replace('<current_mig>Enabled', '<current_mig>Aktiviert');
    parseErrorOf(() => parseQueryXml(german), ls.findIndex((l) => l.includes('current_mig')) + 1, cmd);
    const next = rng(42);
    for (let k = 0; k < 12; k++) {
      const at = Math.floor(next() * (ls.length + 1));
      const garbled = [...ls.slice(0, at), 'Segmentation fault', ...ls.slice(at)].join('\n');
      parseErrorOf(() => parseQueryXml(garbled), at + 1, cmd);
    }
  });

  it('quotes long lines cut to 80 characters and names the host when asked', () => {
    const long = `GPU 0: ${'x'.repeat(200)}`;
    const err = parseErrorOf(() => parseListGpus(long), 1, 'nvidia-smi -L');
    expect(err.message).toContain(JSON.stringify(`${long.slice(0, 79)}…`));
    expect(err.onHost('gpu-node-7').message.startsWith('gpu-node-7: nvidia-smi -L: line 1 ')).toBe(true);
  });
});

// -------------------------------------------------------------------------------------------------
// Round trip against the lab simulator: what the parsers read equals the simulator's state

class SimHost {
  constructor(public state: HostState) {}
  run(...argv: string[]): { stdout: string; exitCode: number } {
    const r = runNvidiaSmi(this.state, argv, { now: NOW });
    this.state = r.state;
    return r;
  }
  ok(...argv: string[]): string {
    const r = this.run(...argv);
    expect(r.exitCode, `${argv.join(' ')}: ${r.stdout}`).toBe(0);
    return r.stdout;
  }
}

const LAYOUTS: TableLayout[] = ['r450', 'narrow', 'wide'];
const DRIVER: Record<TableLayout, string> = { r450: '450.80.02', narrow: '535.183.01', wide: '580.173.02' };

describe('round trip against the nvidia-smi simulator', () => {
  const cases = LAYOUTS.flatMap((layout) => GPU_MODELS.map((model) => ({ layout, model: model.key })));

  it.each(cases)('$model, $layout tables', ({ layout, model }) => {
    const next = rng(model.length * 131 + layout.length);
    const catalogued = gpuModel(model);
    const specs: GpuSpec[] = [{ model, count: 2 }, { model: 'non-mig' }];
    const sim = new SimHost(
      createHostState({
        hostname: `rt-${model}-${layout}`,
        gpus: specs,
        migEnabled: true,
        tableLayout: layout,
        driverVersion: DRIVER[layout],
      }),
    );
    // A random profile list per GPU, created with default CIs; some creations may fail for lack of
    // room (the simulator keeps what it created, as the driver does).
    for (const gpu of [0, 1]) {
      for (let attempt = 0; attempt < 20 && (sim.state.gpus[gpu]?.gis.length ?? 0) === 0; attempt++) {
        const ids = Array.from(
          { length: 1 + Math.floor(next() * 5) },
          () => catalogued.profiles[Math.floor(next() * catalogued.profiles.length)]?.id ?? 0,
        );
        sim.run('mig', '-i', String(gpu), '-cgi', ids.join(','), '-C');
      }
    }
    // Leave one GI without a CI, so -L and -lci skip it while -lgi lists it.
    const firstGi = sim.state.gpus[0]?.gis[0];
    if (firstGi && (sim.state.gpus[0]?.gis.length ?? 0) > 1)
      sim.ok('mig', '-i', '0', '-gi', String(firstGi.id), '-dci');
    const { state } = sim;
    expect(state.gpus.map((g) => g.gis.length > 0)).toEqual([true, true, false]);

    const migGpus = state.gpus.filter((g) => g.migCurrent && g.modelKey);
    const byKey =
      <T extends { gpu: number }>(key: (r: T) => number[]) =>
      (a: T, b: T) => {
        const [x, y] = [key(a), key(b)];
        return x.reduce((d, v, k) => d || v - (y[k] ?? 0), 0);
      };

    // -lgi
    const gis = migGpus.flatMap((g) =>
      g.gis.map((gi) => ({
        gpu: g.index,
        profileName: giProfile(catalogued, gi.profileId)?.name,
        profileId: gi.profileId,
        giId: gi.id,
        placement: { start: gi.start, size: gi.size },
      })),
    );
    const lgi = parseGpuInstances(sim.ok('mig', '-lgi'));
    const giOrder = byKey<(typeof gis)[number]>((r) => [r.gpu, r.giId]);
    expect([...lgi].sort(giOrder)).toEqual([...gis].sort(giOrder));

    // -lci
    const cis = migGpus.flatMap((g) =>
      g.gis.flatMap((gi) => {
        const gp = giProfile(catalogued, gi.profileId);
        return gi.cis.map((ci) => ({
          gpu: g.index,
          giId: gi.id,
          profileName: gp ? ciProfiles(catalogued, gp).find((c) => c.id === ci.profileId)?.name : undefined,
          profileId: ci.profileId,
          ciId: ci.id,
          placement: layout === 'r450' ? null : { start: ci.start, size: ci.size },
        }));
      }),
    );
    const ciOrder = byKey<(typeof cis)[number]>((r) => [r.gpu, r.giId, r.ciId]);
    const lciOut = sim.run('mig', '-lci');
    const lci = parseComputeInstances(lciOut.stdout);
    expect([...lci].sort(ciOrder)).toEqual([...cis].sort(ciOrder));

    // -L: MIG devices in GI, then CI order (§4.6), numbered from 0 per GPU
    const listed = parseListGpus(sim.ok('-L'));
    expect(listed).toEqual(
      state.gpus.map((g) => ({
        index: g.index,
        name: g.name,
        uuid: g.uuid,
        migDevices: [...g.gis]
          .sort((a, b) => a.id - b.id)
          .flatMap((gi) =>
            [...gi.cis]
              .sort((a, b) => a.id - b.id)
              .map((ci) => ({
                gi,
                ci,
                name: cis.find((c) => c.giId === gi.id && c.ciId === ci.id && c.gpu === g.index)?.profileName,
              })),
          )
          .map(({ gi, ci, name }, index) => ({
            index,
            profileName: name,
            uuid: layout === 'r450' ? `MIG-${g.uuid}/${gi.id}/${ci.id}` : ci.uuid,
            giId: layout === 'r450' ? gi.id : null,
            ciId: layout === 'r450' ? ci.id : null,
          })),
      })),
    );

    // --query-gpu, without and with header and units
    const expected = state.gpus.map((g) => ({
      index: g.index,
      uuid: g.uuid,
      name: g.name,
      busId: g.busId,
      memoryMiB: g.memoryTotalMiB,
      driverVersion: state.driverVersion,
      migCurrent: g.modelKey ? (g.migCurrent ? 'enabled' : 'disabled') : 'unsupported',
      migPending: g.modelKey ? (g.migPending ? 'enabled' : 'disabled') : 'unsupported',
    }));
    const q = `--query-gpu=${QUERY_GPU_FIELDS.join(',')}`;
    expect(parseQueryGpu(sim.ok(q, '--format=csv,noheader,nounits'))).toEqual(expected);
    expect(parseQueryGpu(sim.ok(q, '--format=csv'))).toEqual(expected);

    // -q -x: versions, and the same MIG devices as -L
    const xml = parseQueryXml(sim.ok('-q', '-x'));
    expect([xml.driverVersion, xml.cudaVersion, xml.attachedGpus]).toEqual([
      state.driverVersion,
      state.cudaVersion,
      state.gpus.length,
    ]);
    expect(xml.gpus.map((g) => g.migDevices.map((d) => [d.index, d.giId, d.ciId]))).toEqual(
      listed.map((g) =>
        g.migDevices.map((d) => {
          const found = cis.filter((c) => c.gpu === g.index).sort(ciOrder)[d.index];
          return [d.index, found?.giId, found?.ciId];
        }),
      ),
    );

    // -lgip: catalogue values and the Free counts the placement rules give
    const lgip = parseGpuInstanceProfiles(sim.ok('mig', '-lgip'));
    expect(lgip).toEqual(
      migGpus.flatMap((g) =>
        catalogued.profiles.map((p) => ({
          gpu: g.index,
          profileName: p.name,
          profileId: p.id,
          free: freeCount(catalogued, g.gis, p),
          total: p.maxInstances,
          memoryGiB: Number(gibFromMiB(p.memoryMiB)),
          p2p: false,
          multiprocessors: p.multiprocessors,
          decoders: p.decoders,
          encoders: p.encoders,
          copyEngines: p.copyEngines,
          jpegEngines: p.jpegEngines,
          ofaEngines: p.ofaEngines,
        })),
      ),
    );
  });

  it('reads the empty answers of a host without GIs', () => {
    const sim = new SimHost(
      createHostState({ hostname: 'empty', gpus: [{ model: 'H100-80GB-SXM5' }], migEnabled: true }),
    );
    expect(parseGpuInstances(sim.run('mig', '-lgi').stdout)).toEqual([]);
    expect(parseComputeInstances(sim.run('mig', '-lci').stdout)).toEqual([]);
    const off = new SimHost(
      createHostState({ hostname: 'off', gpus: [{ model: 'A100-80GB' }], driverVersion: '535.183.01' }),
    );
    expect(parseGpuInstances(off.run('mig', '-lgi').stdout)).toEqual([]);
    expect(parseGpuInstanceProfiles(off.run('mig', '-lgip').stdout)).toEqual([]);
    expect(parseListGpus(off.ok('-L'))[0]?.migDevices).toEqual([]);
  });
});
