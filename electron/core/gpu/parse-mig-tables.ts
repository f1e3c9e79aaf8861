// `nvidia-smi mig -lgi`, `-lci`, `-lgip` and `-lgipp` (mig.md §5.6, §5.7, §5.9, §5.12).
//
// The boxed tables changed width at least three times (R450, R470-R560, 570+), so rows are read by
// tokens, never by column offsets (§10.2): a table is a `+---+` border, a title row, header rows
// that must match a known header word for word, a `|===|` rule, then records of one or two rows,
// each closed by a border. Every line must be as wide as the first border (§5 conventions: every
// line of a table has the same length), which is also what catches a cut or shifted row.
import { ParseError, classifyMessage, splitLines } from './parse-error';
import type { Line } from './parse-error';
import { PROFILE_NAME } from './parse-list';

export const LIST_GPU_INSTANCES_COMMAND = 'nvidia-smi mig -lgi';
export const LIST_COMPUTE_INSTANCES_COMMAND = 'nvidia-smi mig -lci';
export const LIST_GPU_INSTANCE_PROFILES_COMMAND = 'nvidia-smi mig -lgip';
export const LIST_GPU_INSTANCE_PLACEMENTS_COMMAND = 'nvidia-smi mig -lgipp';

/** `start:size` in memory slices (GIs, §4.1) or compute slices inside the GI (CIs, §4.5). */
export interface Placement {
  start: number;
  size: number;
}

export interface GpuInstanceRow {
  gpu: number;
  /** GI profile name without `MIG ` (`1g.10gb+me`). */
  profileName: string;
  profileId: number;
  giId: number;
  placement: Placement;
}

export interface ComputeInstanceRow {
  gpu: number;
  giId: number;
  /** CI profile name without `MIG ` (`1c.3g.40gb`; no `+me`, §1). */
  profileName: string;
  profileId: number;
  ciId: number;
  /** null on R450, whose table has no Placement column (§5.12). */
  placement: Placement | null;
}

/** One `-lgip` profile: two table rows (§5.6). */
export interface GpuInstanceProfileRow {
  gpu: number;
  profileName: string;
  profileId: number;
  free: number;
  total: number;
  /** The printed GiB figure; rounded half-even from MiB, so never derive MiB from it (§5.6). */
  memoryGiB: number;
  p2p: boolean;
  multiprocessors: number;
  decoders: number;
  encoders: number;
  copyEngines: number;
  jpegEngines: number;
  ofaEngines: number;
}

/** One `-lgipp` line (§5.7). */
export interface GpuInstancePlacementsRow {
  gpu: number;
  profileId: number;
  starts: number[];
  size: number;
}

interface TableSpec {
  command: string;
  title: string;
  /** Known header rows per layout, each row's words joined by one space. */
  headers: readonly (readonly string[])[];
  /** Table rows per record (2 for `-lgip`, §5.6). */
  rowsPerRecord: number;
  /** What a record is called in messages ("GPU-instance row"). */
  what: string;
}

interface Table {
  /** Index into spec.headers of the header that matched. */
  layout: number;
  /** Each record's rows, as whitespace-separated cells between the outer bars. */
  records: { lines: Line[]; cells: string[][] }[];
}

const BORDER = /^\+-+\+$/;
const RULE = /^\|=+\|$/;
const ROW = /^\|.*\|$/;

function words(row: string): string[] {
  const inner = row.slice(1, -1).trim();
  return inner === '' ? [] : inner.split(/\s+/);
}

function readTable(spec: TableSpec, lines: readonly Line[]): Table {
  const cmd = spec.command;
  const fail = (line: Line, reason: string): ParseError => new ParseError(cmd, line.n, line.text, reason);
  const top = lines[0];
  if (!top || !BORDER.test(top.text)) throw fail(top ?? { n: 1, text: '' }, 'does not start a table (+---+)');
  const width = top.text.length;
  const checkWidth = (line: Line): void => {
    if (line.text.length !== width)
      throw fail(line, `is ${line.text.length} characters wide, the table ${width}`);
  };
  let i = 1;
  const next = (expecting: string): Line => {
    const line = lines[i++];
    if (!line) {
      const last = lines[lines.length - 1] ?? top;
      throw fail(last, `ends the output inside the table, where ${expecting} should follow`);
    }
    return line;
  };

  const titleLine = next('the title row');
  if (!ROW.test(titleLine.text) || words(titleLine.text).join(' ') !== spec.title)
    throw fail(titleLine, `is not the title row "| ${spec.title} |"`);
  checkWidth(titleLine);

  const header: string[] = [];
  const headerLines: Line[] = [];
  for (;;) {
    const line = next('the header rows');
    if (RULE.test(line.text)) {
      checkWidth(line);
      break;
    }
    if (!ROW.test(line.text) || BORDER.test(line.text) || headerLines.length >= 3)
      throw fail(line, 'is not a header row of this table');
    checkWidth(line);
    header.push(words(line.text).join(' '));
    headerLines.push(line);
  }
  const layout = spec.headers.findIndex(
    (h) => h.length === header.length && h.every((row, k) => row === header[k]),
  );
  if (layout < 0) {
    const wrong =
      headerLines.find((_l, k) => !spec.headers.some((h) => h[k] === header[k])) ?? headerLines[0];
    throw fail(wrong ?? top, 'is not a header row of this table');
  }

  const records: Table['records'] = [];
  do {
    const rows: Line[] = [];
    for (let k = 0; k < spec.rowsPerRecord; k++) {
      const line = next(records.length === 0 && k === 0 ? `a ${spec.what}` : `the rest of a ${spec.what}`);
      if (!ROW.test(line.text) || RULE.test(line.text)) throw fail(line, `does not look like a ${spec.what}`);
      checkWidth(line);
      rows.push(line);
    }
    const bottom = next('the border closing the row');
    if (!BORDER.test(bottom.text)) throw fail(bottom, `is not the border that closes a ${spec.what}`);
    checkWidth(bottom);
    records.push({ lines: rows, cells: rows.map((r) => words(r.text)) });
  } while (i < lines.length);
  return { layout, records };
}

const INT = /^\d+$/;
const PLACEMENT = /^(\d+):(\d+)$/;

function placement(cell: string | undefined): Placement | null {
  const m = PLACEMENT.exec(cell ?? '');
  if (!m) return null;
  const p = { start: Number(m[1]), size: Number(m[2]) };
  return p.size > 0 ? p : null;
}

function int(cell: string | undefined): number | null {
  return cell !== undefined && INT.test(cell) ? Number(cell) : null;
}

function profileName(cell: string | undefined): string | null {
  return cell !== undefined && PROFILE_NAME.test(cell) ? cell : null;
}

const LGI: TableSpec = {
  command: LIST_GPU_INSTANCES_COMMAND,
  title: 'GPU instances:',
  // Same words in all three widths (R450 54, R470-R560 57, 570+ 59 columns; §5.9).
  headers: [['GPU Name Profile Instance Placement', 'ID ID Start:Size']],
  rowsPerRecord: 1,
  what: 'GPU-instance row',
};

/**
 * `nvidia-smi mig -lgi` (§5.9) in every width. `No GPU instances found: Not Found` and
 * `No MIG-enabled devices found.` are empty lists; any other `No ... found: <error>` (e.g.
 * `Permission denied`) throws NvidiaSmiFailure.
 */
export function parseGpuInstances(text: string): GpuInstanceRow[] {
  const lines = splitLines(text);
  const empty = ['No GPU instances found: Not Found', 'No MIG-enabled devices found.'];
  if (classifyMessage(LGI.command, lines, empty) === 'empty') return [];
  const rows = readTable(LGI, lines).records.map(({ lines: [line], cells: [c] }) => {
    // GPU  MIG <name>  <profile ID>  <GI ID>  <start:size>
    const row = c ?? [];
    const gpu = int(row[0]);
    const name = profileName(row[2]);
    const profileId = int(row[3]);
    const giId = int(row[4]);
    const where = placement(row[5]);
    if (
      row.length !== 6 ||
      row[1] !== 'MIG' ||
      gpu === null ||
      name === null ||
      profileId === null ||
      giId === null ||
      !where
    )
      throw new ParseError(LGI.command, line?.n ?? 0, line?.text ?? '', `does not look like a ${LGI.what}`);
    return { gpu, profileName: name, profileId, giId, placement: where };
  });
  const seen = new Set<string>();
  rows.forEach((r, k) => {
    const key = `${r.gpu}/${r.giId}`;
    if (seen.has(key)) {
      const line = readLineOf(lines, LGI, k);
      throw new ParseError(
        LGI.command,
        line.n,
        line.text,
        `lists GPU instance ${r.giId} of GPU ${r.gpu} twice`,
      );
    }
    seen.add(key);
  });
  return rows;
}

/** The first row of record k (records start after the rule; each spans rowsPerRecord + 1 lines). */
function readLineOf(lines: readonly Line[], spec: TableSpec, k: number): Line {
  const rule = lines.findIndex((l) => RULE.test(l.text));
  return lines[rule + 1 + k * (spec.rowsPerRecord + 1)] ?? { n: 0, text: '' };
}

const LCI: TableSpec = {
  command: LIST_COMPUTE_INSTANCES_COMMAND,
  title: 'Compute instances:',
  headers: [
    // 515-580, 70 columns (§5.12)
    ['GPU GPU Name Profile Instance Placement', 'Instance ID ID Start:Size', 'ID'],
    // R450, 57 columns, no Placement column (§5.12)
    ['GPU GPU Name Profile Instance', 'Instance ID ID', 'ID'],
  ],
  rowsPerRecord: 1,
  what: 'compute-instance row',
};

/**
 * `nvidia-smi mig -lci` (§5.12), with or without the Placement column. `No compute instances
 * found: Not Found`, `No GPU instances found: Not Found` and `No MIG-enabled devices found.` are
 * empty lists.
 */
export function parseComputeInstances(text: string): ComputeInstanceRow[] {
  const lines = splitLines(text);
  const empty = [
    'No compute instances found: Not Found',
    'No GPU instances found: Not Found',
    'No MIG-enabled devices found.',
  ];
  if (classifyMessage(LCI.command, lines, empty) === 'empty') return [];
  const table = readTable(LCI, lines);
  const withPlacement = table.layout === 0;
  const rows = table.records.map(({ lines: [line], cells: [c] }) => {
    // GPU  <GI ID>  MIG <name>  <CI profile ID>  <CI ID>  [<start:size>]
    const row = c ?? [];
    const gpu = int(row[0]);
    const giId = int(row[1]);
    const name = profileName(row[3]);
    const profileId = int(row[4]);
    const ciId = int(row[5]);
    const where = withPlacement ? placement(row[6]) : null;
    if (
      row.length !== (withPlacement ? 7 : 6) ||
      row[2] !== 'MIG' ||
      gpu === null ||
      giId === null ||
      name === null ||
      profileId === null ||
      ciId === null ||
      (withPlacement && !where)
    )
      throw new ParseError(LCI.command, line?.n ?? 0, line?.text ?? '', `does not look like a ${LCI.what}`);
    return { gpu, giId, profileName: name, profileId, ciId, placement: where };
  });
  const seen = new Set<string>();
  rows.forEach((r, k) => {
    const key = `${r.gpu}/${r.giId}/${r.ciId}`;
    if (seen.has(key)) {
      const line = readLineOf(lines, LCI, k);
      throw new ParseError(
        LCI.command,
        line.n,
        line.text,
        `lists compute instance ${r.ciId} of GI ${r.giId} twice`,
      );
    }
    seen.add(key);
  });
  return rows;
}

const LGIP: TableSpec = {
  command: LIST_GPU_INSTANCE_PROFILES_COMMAND,
  title: 'GPU instance profiles:',
  // Narrow (79) and wide (81) print the same words (§5.6).
  headers: [['GPU Name ID Instances Memory P2P SM DEC ENC', 'Free/Total GiB CE JPEG OFA']],
  rowsPerRecord: 2,
  what: 'GPU-instance profile row',
};

/** `12.34`: C `%.2f`. A comma-decimal locale (`9,75`) does not match. */
const GIB = /^\d+\.\d\d$/;
const FREE_TOTAL = /^(\d+)\/(\d+)$/;

/**
 * `nvidia-smi mig -lgip` (§5.6): each profile is two rows, `GPU MIG <name> ID free/total GiB P2P SM
 * DEC ENC` then `CE JPEG OFA`. `No MIG-enabled devices found.` and `No MIG-supported devices found.`
 * are empty lists.
 */
export function parseGpuInstanceProfiles(text: string): GpuInstanceProfileRow[] {
  const lines = splitLines(text);
  const empty = ['No MIG-enabled devices found.', 'No MIG-supported devices found.'];
  if (classifyMessage(LGIP.command, lines, empty) === 'empty') return [];
  return readTable(LGIP, lines).records.map(({ lines: [first, second], cells: [a = [], b = []] }) => {
    const bad = (line: Line | undefined): ParseError =>
      new ParseError(LGIP.command, line?.n ?? 0, line?.text ?? '', `does not look like a ${LGIP.what}`);
    const gpu = int(a[0]);
    const name = profileName(a[2]);
    const profileId = int(a[3]);
    const counts = FREE_TOTAL.exec(a[4] ?? '');
    const gib = a[5] ?? '';
    const p2p = a[6];
    const [sm, dec, enc] = [int(a[7]), int(a[8]), int(a[9])];
    if (
      a.length !== 10 ||
      a[1] !== 'MIG' ||
      gpu === null ||
      name === null ||
      profileId === null ||
      !counts ||
      Number(counts[1]) > Number(counts[2]) ||
      !GIB.test(gib) ||
      (p2p !== 'No' && p2p !== 'Yes') ||
      sm === null ||
      dec === null ||
      enc === null
    )
      throw bad(first);
    const [ce, jpeg, ofa] = [int(b[0]), int(b[1]), int(b[2])];
    if (b.length !== 3 || ce === null || jpeg === null || ofa === null) throw bad(second);
    return {
      gpu,
      profileName: name,
      profileId,
      free: Number(counts[1]),
      total: Number(counts[2]),
      memoryGiB: Number(gib),
      p2p: p2p === 'Yes',
      multiprocessors: sm,
      decoders: dec,
      encoders: enc,
      copyEngines: ce,
      jpegEngines: jpeg,
      ofaEngines: ofa,
    };
  });
}

/** `GPU %2d Profile ID %2d Placements: {0,1,...}:<size>` or `Placement : {0}:<size>` (§5.7, §10.2). */
const LGIPP_LINE = /^GPU +(\d+) Profile ID +(\d+) (Placements: |Placement : )\{(\d+(?:,\d+)*)\}:(\d+)$/;

/** `nvidia-smi mig -lgipp` (§5.7). */
export function parseGpuInstancePlacements(text: string): GpuInstancePlacementsRow[] {
  const cmd = LIST_GPU_INSTANCE_PLACEMENTS_COMMAND;
  const lines = splitLines(text);
  const empty = ['No MIG-enabled devices found.', 'No MIG-supported devices found.'];
  if (classifyMessage(cmd, lines, empty) === 'empty') return [];
  return lines.map(({ n, text: line }) => {
    const m = LGIPP_LINE.exec(line);
    const starts = (m?.[4] ?? '').split(',').map(Number);
    // `Placements:` when more than one start exists, `Placement :` for exactly one (§5.7).
    if (!m || (m[3] === 'Placement : ') !== (starts.length === 1) || Number(m[5]) === 0)
      throw new ParseError(cmd, n, line, 'does not look like a placements line');
    return { gpu: Number(m[1]), profileId: Number(m[2]), starts, size: Number(m[5]) };
  });
}
