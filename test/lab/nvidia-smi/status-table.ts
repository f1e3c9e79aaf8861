// The default `nvidia-smi` status table (no arguments, or `-i N`): GPU table, "MIG devices:" table
// and "Processes:" table (mig.md §5.15). Pure: state in, lines out.
//
// Which layout a host prints depends on its driver branch. mig.md gives the 580 layout [V] (CAP), the
// 79-column layout of older drivers with its merged memory cell [V] (A100-80GB 515.86.01) and a 560.35.03
// fragment [R]. The captures those samples come from, and others named where they are used (mig.md §12
// style reference numbers), show five layouts; the rule used here (`statusVariant`):
//
//   driver < 530 ('r470', and 'r450' for tableLayout r450 / driver < 470): 79 columns.
//       A100-80GB 515.86.01 (id 37126368659, mig.md's merged-cell sample), A100 R450-era (id 49051209149).
//       R450 (UG samples, ids 20062291686, 34261985429) prints no BAR1 line under a MIG device.
//   530-544 ('r535'): 89-column frame, MIG header "Shared" left of centre. A30 535.183.01 (id 25510043945,
//       the capture mig.md cites for A30 535), A100 535 captures. mig.md §5.15 says "<= 535 used the
//       79-column layout"; that capture contradicts it, so 535 is not 79 columns here.
//   545-559 ('r550'): 91-column frame, 535-style MIG header, BAR1 two columns right. 550.54.14 and
//       550.127.08 captures (ids 13375385736, 36216951582).
//   560-579 ('r560'): 91-column frame, mig.md §5.15's 560.35.03 MIG header (same capture in full:
//       id 6230417598); 570.169 prints the same (id 52712584324). 575 GPU tables (ids 38615816618,
//       28298835680) still begin the column header with `|---`. That 570 already prints the wide
//       `-lgip` (tableLayout 'wide') but this layout is why the rule follows the driver, not tableLayout.
//   >= 580 ('r580'): mig.md §5.15 CAP layout [V]: "Shared Memory-Usage", `+---` under the version
//       line, wider PID column, memory cell not merged (580.126.09 prints each CI of a GI with the GI's
//       memory, id 41324772008).
// The boundaries between the captured branches (530, 545, 560, 580) are [I], and so is merging in the
// 560-579 layout (no capture there has two CIs in one GI; 515 and 550 merge, 580 does not).
// A driver version that does not parse counts as 580.
//
// Other real-output details reproduced [R] (several captures each):
// * A `ctime()` timestamp line padded with 7 spaces precedes the table (CAP smi.txt files; mig.md's
//   sample starts at the frame). The timestamp is the context clock, UTC.
// * The line before "Processes:" is empty on 580 but a line of spaces before 580 (89 spaces from 530 on,
//   also inside the 91-column frame; 79 before 530). The line before "MIG devices:" is empty.
// * "MIG devices:" appears when a shown GPU has MIG on; `No MIG devices found` when none has a device.
// * The ECC cell shows the ECC mode (`On`/`Off`) instead of an error count while MIG is on; GPU-Util is
//   `N/A` then (§5.4). A pending MIG-mode change shows the pending mode with `*` (`Disabled*`).
// * BAR1 totals of MIG devices: before 580, slices x 16384 - 1 MiB on >= 64 GiB GPUs and slices x 8192 - 1
//   on smaller ones (65535/32767/16383/8191 in every pre-580 capture); 580 prints model-specific figures
//   (per slice: H100 SXM5 6185, H200 14809, A100-40GB 3052.75); other models on 580 use the pre-580 rule
//   [I]. A GPU's `migBar1MiBPerSlice` overrides both.
// * Process names longer than the column keep their tail behind `...`.
// Sensor values (fan, temperature, perf state, power) are optional GPU-state fields with defaults
// (state.ts); the simulator never changes them.
import { memoryUsedMiB, migDeviceViews } from './devices';
import type { MigDeviceView } from './devices';
import { Row, border } from './format';
import type { GpuState, HostState } from './state';

export type StatusVariant = 'r450' | 'r470' | 'r535' | 'r550' | 'r560' | 'r580';

export function statusVariant(state: HostState): StatusVariant {
  const major = Number.parseInt(state.driverVersion, 10);
  if (state.tableLayout === 'r450' || major < 470) return 'r450';
  if (major < 530) return 'r470';
  if (major < 545) return 'r535';
  if (major < 560) return 'r550';
  if (major < 580) return 'r560';
  return 'r580';
}

// ---------------------------------------------------------------------------------------------
// Defaults of the values the simulator does not model

/** The board's usual power limit, W (what an idle capture of that board prints). */
export function defaultPowerCapW(gpu: GpuState): number {
  const pcie = /pcie/i.test(gpu.name);
  switch (gpu.modelKey) {
    case 'A30-24GB':
      return 165;
    case 'A100-40GB':
      return pcie ? 250 : 400;
    case 'A100-80GB':
      return pcie ? 300 : 400;
    case 'H100-80GB-SXM5':
      return 700;
    case 'H100-80GB-PCIe':
      return 350;
    case 'H100-94GB-NVL':
      return 400;
    case 'GH200-96GB':
    case 'GH200-144GB-HBM3e':
      return 900;
    case 'H200-141GB':
      return gpu.name.includes('NVL') ? 600 : 700;
    case 'B200-180GB':
      return 1000;
    default:
      return 350;
  }
}

/** 580 BAR1 aperture per memory slice of a MIG device, MiB, where a 580 capture shows it. */
const BAR1_PER_SLICE_580: Readonly<Record<string, number>> = {
  'H100-80GB-SXM5': 6185, // CAP: 1 slice 6185, 4 slices 24740
  'H200-141GB': 14809, // CAP h200-mig: 1 slice
  'A100-40GB': 3052.75, // 580.126.09 (id 41324772008): 1, 2, 4 slices -> 3052, 6105, 12211
};

export function migBar1TotalMiB(variant: StatusVariant, gpu: GpuState, memorySlices: number): number {
  const perSlice =
    gpu.migBar1MiBPerSlice ??
    (variant === 'r580' && gpu.modelKey ? BAR1_PER_SLICE_580[gpu.modelKey] : undefined);
  if (perSlice !== undefined) return Math.floor(memorySlices * perSlice);
  return memorySlices * (gpu.memoryTotalMiB >= 65536 ? 16384 : 8192) - 1;
}

// ---------------------------------------------------------------------------------------------
// Layout specifications (0-based columns, measured on the captures named above)

interface GpuTableSpec {
  width: number;
  /** Field widths of the version line: NVIDIA-SMI version, driver version (CUDA is always 9). */
  smiField: number;
  driverField: number;
  /** The lines between the version line and the first GPU row. */
  head: string[];
  cellBorder: string;
  bars: [number, number];
  nameMax: number;
  persistAt: number;
  busAt: number;
  dispEnd: number;
  eccEnd: number;
  powerEnd: number;
  powerSlashAt: number;
  capEnd: number;
  usedEnd: number;
  memSlashAt: number;
  totalEnd: number;
  utilEnd: number;
  computeEnd: number;
}

const GPU_79: GpuTableSpec = {
  width: 79,
  smiField: 13,
  driverField: 13,
  head: [
    '|-------------------------------+----------------------+----------------------+',
    '| GPU  Name        Persistence-M| Bus-Id        Disp.A | Volatile Uncorr. ECC |',
    '| Fan  Temp  Perf  Pwr:Usage/Cap|         Memory-Usage | GPU-Util  Compute M. |',
    '|                               |                      |               MIG M. |',
    '|===============================+======================+======================|',
  ],
  cellBorder: '+-------------------------------+----------------------+----------------------+',
  bars: [32, 55],
  nameMax: 18,
  persistAt: 27,
  busAt: 34,
  dispEnd: 53,
  eccEnd: 76,
  powerEnd: 23,
  powerSlashAt: 25,
  capEnd: 30,
  usedEnd: 42,
  memSlashAt: 44,
  totalEnd: 53,
  utilEnd: 63,
  computeEnd: 76,
};

const GPU_89: GpuTableSpec = {
  width: 89,
  smiField: 23,
  driverField: 13,
  head: [
    '|-----------------------------------------+----------------------+----------------------+',
    '| GPU  Name                 Persistence-M | Bus-Id        Disp.A | Volatile Uncorr. ECC |',
    '| Fan  Temp   Perf          Pwr:Usage/Cap |         Memory-Usage | GPU-Util  Compute M. |',
    '|                                         |                      |               MIG M. |',
    '|=========================================+======================+======================|',
  ],
  cellBorder: '+-----------------------------------------+----------------------+----------------------+',
  bars: [42, 65],
  nameMax: 27,
  persistAt: 38,
  busAt: 44,
  dispEnd: 63,
  eccEnd: 86,
  powerEnd: 33,
  powerSlashAt: 35,
  capEnd: 40,
  usedEnd: 52,
  memSlashAt: 54,
  totalEnd: 63,
  utilEnd: 73,
  computeEnd: 86,
};

const GPU_91_HEAD = [
  '| GPU  Name                 Persistence-M | Bus-Id          Disp.A | Volatile Uncorr. ECC |',
  '| Fan  Temp   Perf          Pwr:Usage/Cap |           Memory-Usage | GPU-Util  Compute M. |',
  '|                                         |                        |               MIG M. |',
  '|=========================================+========================+======================|',
];
const GPU_91_BORDER =
  '+-----------------------------------------+------------------------+----------------------+';

const GPU_91: GpuTableSpec = {
  width: 91,
  smiField: 23,
  driverField: 15,
  head: [`|${GPU_91_BORDER.slice(1)}`, ...GPU_91_HEAD],
  cellBorder: GPU_91_BORDER,
  bars: [42, 67],
  nameMax: 27,
  persistAt: 38,
  busAt: 46,
  dispEnd: 65,
  eccEnd: 88,
  powerEnd: 32,
  powerSlashAt: 34,
  capEnd: 40,
  usedEnd: 53,
  memSlashAt: 55,
  totalEnd: 65,
  utilEnd: 75,
  computeEnd: 88,
};

/** 580 begins the column header with `+` instead of `|` (CAP). */
const GPU_580: GpuTableSpec = { ...GPU_91, head: [GPU_91_BORDER, ...GPU_91_HEAD] };

interface MigTableSpec {
  width: number;
  /** Interior width of the memory cell. */
  memCell: number;
  head: string[];
  /** A second line per device with BAR1 usage (not printed by R450). */
  bar1: boolean;
  used: [number, number, number];
  bar1At: [number, number, number];
  smAt: number;
  eccEnd: number;
  /** Ends of CE, ENC, DEC, OFA, JPG. */
  engines: [number, number, number, number, number];
  /** Several CIs of one GI share one memory cell (pre-580). */
  merge: boolean;
}

const MIG_79_HEAD = [
  '| GPU  GI  CI  MIG |         Memory-Usage |        Vol|         Shared        |',
  '|      ID  ID  Dev |           BAR1-Usage | SM     Unc| CE  ENC  DEC  OFA  JPG|',
  '|                  |                      |        ECC|                       |',
];

const MIG_79: MigTableSpec = {
  width: 79,
  memCell: 22,
  head: MIG_79_HEAD,
  bar1: true,
  used: [29, 31, 40],
  bar1At: [29, 31, 40],
  smAt: 44,
  eccEnd: 52,
  engines: [57, 61, 66, 71, 76],
  merge: true,
};

const MIG_R450: MigTableSpec = {
  ...MIG_79,
  head: [
    MIG_79_HEAD[0] ?? '',
    '|      ID  ID  Dev |                      | SM     Unc| CE  ENC  DEC  OFA  JPG|',
    MIG_79_HEAD[2] ?? '',
  ],
  bar1: false,
};

const MIG_89: MigTableSpec = {
  width: 89,
  memCell: 32,
  head: [
    '| GPU  GI  CI  MIG |                   Memory-Usage |        Vol|      Shared           |',
    '|      ID  ID  Dev |                     BAR1-Usage | SM     Unc| CE ENC DEC OFA JPG    |',
    '|                  |                                |        ECC|                       |',
  ],
  bar1: true,
  used: [38, 40, 49],
  bar1At: [38, 40, 49],
  smAt: 54,
  eccEnd: 62,
  engines: [67, 71, 76, 81, 86],
  merge: true,
};

const MIG_91_ECC_LINE =
  '|                  |                                  |        ECC|                       |';

const MIG_550: MigTableSpec = {
  width: 91,
  memCell: 34,
  head: [
    '| GPU  GI  CI  MIG |                     Memory-Usage |        Vol|      Shared           |',
    '|      ID  ID  Dev |                       BAR1-Usage | SM     Unc| CE ENC DEC OFA JPG    |',
    MIG_91_ECC_LINE,
  ],
  bar1: true,
  used: [38, 40, 49],
  bar1At: [40, 42, 51],
  smAt: 56,
  eccEnd: 64,
  engines: [69, 73, 78, 83, 88],
  merge: true,
};

const MIG_560: MigTableSpec = {
  ...MIG_550,
  head: [
    '| GPU  GI  CI  MIG |                     Memory-Usage |        Vol|        Shared         |',
    '|      ID  ID  Dev |                       BAR1-Usage | SM     Unc| CE ENC  DEC  OFA  JPG |',
    MIG_91_ECC_LINE,
  ],
};

const MIG_580: MigTableSpec = {
  ...MIG_550,
  head: [
    '| GPU  GI  CI  MIG |              Shared Memory-Usage |        Vol|        Shared         |',
    '|      ID  ID  Dev |                Shared BAR1-Usage | SM     Unc| CE ENC  DEC  OFA  JPG |',
    MIG_91_ECC_LINE,
  ],
  bar1At: [38, 40, 49],
  merge: false,
};

interface ProcessTableSpec {
  width: number;
  head: [string, string];
  pidEnd: number;
  typeEnd: number;
  nameAt: number;
  nameMax: number;
  memEnd: number;
}

const PROC_79: ProcessTableSpec = {
  width: 79,
  head: [
    '|  GPU   GI   CI        PID   Type   Process name                  GPU Memory |',
    '|        ID   ID                                                   Usage      |',
  ],
  pidEnd: 26,
  typeEnd: 33,
  nameAt: 37,
  nameMax: 28,
  memEnd: 76,
};

const PROC_89: ProcessTableSpec = {
  width: 89,
  head: [
    '|  GPU   GI   CI        PID   Type   Process name                            GPU Memory |',
    '|        ID   ID                                                             Usage      |',
  ],
  pidEnd: 26,
  typeEnd: 33,
  nameAt: 37,
  nameMax: 38,
  memEnd: 86,
};

const PROC_91: ProcessTableSpec = {
  width: 91,
  head: [
    '|  GPU   GI   CI        PID   Type   Process name                              GPU Memory |',
    '|        ID   ID                                                               Usage      |',
  ],
  pidEnd: 26,
  typeEnd: 33,
  nameAt: 37,
  nameMax: 38,
  memEnd: 88,
};

const PROC_580: ProcessTableSpec = {
  width: 91,
  head: [
    '|  GPU   GI   CI              PID   Type   Process name                        GPU Memory |',
    '|        ID   ID                                                               Usage      |',
  ],
  pidEnd: 32,
  typeEnd: 39,
  nameAt: 43,
  nameMax: 32,
  memEnd: 88,
};

interface VariantSpec {
  gpu: GpuTableSpec;
  mig: MigTableSpec;
  proc: ProcessTableSpec;
  /** The line before "Processes:". */
  spacer: string;
}

const VARIANTS: Record<StatusVariant, VariantSpec> = {
  r450: { gpu: GPU_79, mig: MIG_R450, proc: PROC_79, spacer: ' '.repeat(79) },
  r470: { gpu: GPU_79, mig: MIG_79, proc: PROC_79, spacer: ' '.repeat(79) },
  r535: { gpu: GPU_89, mig: MIG_89, proc: PROC_89, spacer: ' '.repeat(89) },
  r550: { gpu: GPU_91, mig: MIG_550, proc: PROC_91, spacer: ' '.repeat(89) },
  r560: { gpu: GPU_91, mig: MIG_560, proc: PROC_91, spacer: ' '.repeat(89) },
  r580: { gpu: GPU_580, mig: MIG_580, proc: PROC_580, spacer: '' },
};

// ---------------------------------------------------------------------------------------------
// Rendering

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** C `ctime()` without the newline (`Wed Jul  9 18:52:50 2026`), UTC. */
export function ctime(d: Date): string {
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${MONTHS[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ${two(
    d.getUTCHours(),
  )}:${two(d.getUTCMinutes())}:${two(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** Names longer than the column: the first max-3 characters and `...` (mig.md §5.15). */
function truncateName(name: string, max: number): string {
  return name.length > max ? `${name.slice(0, max - 3)}...` : name;
}

/** Process names longer than the column keep their tail (`...envs/diffsynth/bin/python3.12`). */
function truncateProcess(name: string, max: number): string {
  return name.length > max ? `...${name.slice(name.length - (max - 3))}` : name;
}

function row(width: number, bars: readonly number[]): Row {
  const r = new Row(width);
  for (const b of bars) r.at(b, '|');
  return r;
}

function enabledWord(on: boolean): string {
  return on ? 'Enabled' : 'Disabled';
}

function gpuTable(state: HostState, gpus: readonly GpuState[], g: GpuTableSpec): string[] {
  const cuda = state.cudaVersion;
  const lines = [
    border(g.width),
    `| NVIDIA-SMI ${state.driverVersion.padEnd(g.smiField)}Driver Version: ${state.driverVersion.padEnd(
      g.driverField,
    )}CUDA Version: ${cuda.padEnd(9)}|`,
    ...g.head,
  ];
  gpus.forEach((gpu, n) => {
    const mig = gpu.modelKey !== null && gpu.migCurrent;
    const eccMode = gpu.eccMode ?? 'on';
    const ecc =
      eccMode === 'unsupported'
        ? 'N/A'
        : eccMode === 'off'
          ? 'Off'
          : mig
            ? 'On'
            : String(gpu.eccVolatileUncorrected ?? 0);
    const cap = gpu.powerCapW ?? defaultPowerCapW(gpu);
    const draw = gpu.powerDrawW ?? Math.round(cap / 10);
    const fan = gpu.fanPercent === undefined || gpu.fanPercent === null ? 'N/A' : `${gpu.fanPercent}%`;
    const migMode =
      gpu.modelKey === null
        ? 'N/A'
        : gpu.migCurrent === gpu.migPending
          ? enabledWord(gpu.migCurrent)
          : `${enabledWord(gpu.migPending)}*`;
    if (n > 0) lines.push(g.cellBorder);
    lines.push(
      row(g.width, g.bars)
        .endingAt(4, String(gpu.index))
        .at(7, truncateName(gpu.name, g.nameMax))
        .at(g.persistAt, gpu.persistenceMode ? 'On' : 'Off')
        .at(g.busAt, gpu.busId)
        .endingAt(g.dispEnd, gpu.displayActive ? 'On' : 'Off')
        .endingAt(g.eccEnd, ecc)
        .toString(),
      row(g.width, g.bars)
        .endingAt(4, fan)
        .endingAt(10, `${gpu.temperatureC ?? 34}C`)
        .at(15, gpu.perfState ?? 'P0')
        .endingAt(g.powerEnd, `${draw}W`)
        .at(g.powerSlashAt, '/')
        .endingAt(g.capEnd, `${cap}W`)
        .endingAt(g.usedEnd, `${memoryUsedMiB(gpu)}MiB`)
        .at(g.memSlashAt, '/')
        .endingAt(g.totalEnd, `${gpu.memoryTotalMiB}MiB`)
        .endingAt(g.utilEnd, mig ? 'N/A' : `${gpu.utilizationPercent ?? 0}%`)
        .endingAt(g.computeEnd, 'Default')
        .toString(),
      row(g.width, g.bars).endingAt(g.computeEnd, migMode).toString(),
    );
  });
  lines.push(g.cellBorder);
  return lines;
}

function migTable(
  state: HostState,
  variant: StatusVariant,
  gpus: readonly GpuState[],
  m: MigTableSpec,
): string[] {
  const bars = [19, 20 + m.memCell, 32 + m.memCell];
  const cells = (mem: string): string =>
    `+------------------+${mem.repeat(m.memCell)}+-----------+${'-'.repeat(23)}+`;
  const lines = [
    border(m.width),
    new Row(m.width).at(2, 'MIG devices:').toString(),
    cells('-'),
    ...m.head,
    `|==================+${'='.repeat(m.memCell)}+===========+${'='.repeat(23)}|`,
  ];
  const devices: { gpu: GpuState; d: MigDeviceView }[] = gpus.flatMap((gpu) =>
    migDeviceViews(state, gpu).map((d) => ({ gpu, d })),
  );
  if (devices.length === 0) {
    lines.push(new Row(m.width).at(3, 'No MIG devices found').toString(), border(m.width));
    return lines;
  }
  devices.forEach(({ gpu, d }, n) => {
    const next = devices[n + 1];
    const firstOfGi = n === 0 || devices[n - 1]?.gpu !== gpu || devices[n - 1]?.d.gi !== d.gi;
    const showMemory = !m.merge || firstOfGi;
    const line1 = row(m.width, bars)
      .endingAt(3, String(gpu.index))
      .endingAt(8, String(d.gi.id))
      .endingAt(12, String(d.ci.id))
      .endingAt(16, String(d.index))
      .at(m.smAt, String(d.multiprocessors))
      .endingAt(m.eccEnd, '0');
    const [ce, enc, dec, ofa, jpg] = m.engines;
    line1
      .endingAt(ce, String(d.copyEngines))
      .endingAt(enc, String(d.encoders))
      .endingAt(dec, String(d.decoders))
      .endingAt(ofa, String(d.ofa))
      .endingAt(jpg, String(d.jpeg));
    if (showMemory) {
      line1.endingAt(m.used[0], `${d.usedMiB}MiB`).at(m.used[1], '/').endingAt(m.used[2], `${d.totalMiB}MiB`);
    }
    lines.push(line1.toString());
    if (m.bar1) {
      const line2 = row(m.width, bars);
      if (showMemory) {
        const total = migBar1TotalMiB(variant, gpu, d.giProfile?.memorySlices ?? d.gi.size);
        line2.endingAt(m.bar1At[0], '0MiB').at(m.bar1At[1], '/').endingAt(m.bar1At[2], `${total}MiB`);
      }
      lines.push(line2.toString());
    }
    const sameGiNext = next !== undefined && next.gpu === gpu && next.d.gi === d.gi;
    lines.push(cells(m.merge && sameGiNext ? ' ' : '-'));
  });
  return lines;
}

function processTable(gpus: readonly GpuState[], p: ProcessTableSpec): string[] {
  const lines = [
    border(p.width),
    new Row(p.width).at(2, 'Processes:').toString(),
    ...p.head,
    border(p.width, '=', '|'),
  ];
  const procs = gpus.flatMap((gpu) => gpu.processes.map((proc) => ({ gpu, proc })));
  // Not in mig.md ([U] there): the usual nvidia-smi wording, as every captured layout prints it.
  if (procs.length === 0) lines.push(new Row(p.width).at(3, 'No running processes found').toString());
  for (const { gpu, proc } of procs) {
    const r = new Row(p.width).endingAt(5, String(gpu.index));
    // Numbers end at columns 10 and 15; `N/A` is one column further right (captures of both).
    if (proc.giId === null) r.endingAt(11, 'N/A');
    else r.endingAt(10, String(proc.giId));
    if (proc.ciId === null) r.endingAt(16, 'N/A');
    else r.endingAt(15, String(proc.ciId));
    lines.push(
      r
        .endingAt(p.pidEnd, String(proc.pid))
        .endingAt(p.typeEnd, proc.type ?? 'C')
        .at(p.nameAt, truncateProcess(proc.name, p.nameMax))
        .endingAt(p.memEnd, `${proc.usedMiB}MiB`)
        .toString(),
    );
  }
  lines.push(border(p.width));
  return lines;
}

/** The default status table of the given GPUs, as lines (without the final newline). */
export function formatStatusTable(state: HostState, gpus: readonly GpuState[], now: Date): string[] {
  const variant = statusVariant(state);
  const spec = VARIANTS[variant];
  const lines = [`${ctime(now)}       `, ...gpuTable(state, gpus, spec.gpu)];
  const migGpus = gpus.filter((g) => g.modelKey !== null && g.migCurrent);
  if (migGpus.length > 0) lines.push('', ...migTable(state, variant, migGpus, spec.mig));
  lines.push(spec.spacer, ...processTable(gpus, spec.proc));
  return lines;
}
