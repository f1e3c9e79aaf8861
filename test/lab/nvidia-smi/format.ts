// Text formats of nvidia-smi, each regenerating the captures in mig.md byte for byte.
// Pure: every function takes plain values and returns lines.
import type { TableLayout } from './state';

/** C `printf("%2d")`-style right alignment. */
export function pad2(n: number): string {
  return String(n).padStart(2, ' ');
}

/**
 * `memorySizeMB / 1024` as glibc `printf("%.2f")` prints it: correctly rounded, exact ties to
 * even (mig.md §5.6 "Memory rounding": 9856 -> 9.62, not JavaScript's 9.63).
 */
export function gibFromMiB(mib: number): string {
  const scaled = mib * 100;
  let q = Math.floor(scaled / 1024);
  const r = scaled % 1024;
  if (r > 512 || (r === 512 && q % 2 === 1)) q += 1;
  return `${Math.floor(q / 100)}.${String(q % 100).padStart(2, '0')}`;
}

/** A fixed-width table row between two bars, filled by column (0-based, as mig.md gives them). */
export class Row {
  private readonly chars: string[];
  constructor(width: number) {
    this.chars = Array.from({ length: width }, () => ' ');
    this.chars[0] = '|';
    this.chars[width - 1] = '|';
  }
  /** Text starting at column `col`. */
  at(col: number, text: string): this {
    for (let i = 0; i < text.length; i++) this.chars[col + i] = text[i] ?? ' ';
    return this;
  }
  /** Text whose last character is at column `endCol`. */
  endingAt(endCol: number, text: string): this {
    return this.at(endCol - text.length + 1, text);
  }
  toString(): string {
    return this.chars.join('');
  }
}

export function border(width: number, fill = '-', corner = '+'): string {
  return `${corner}${fill.repeat(width - 2)}${corner}`;
}

function titled(width: number, title: string): string {
  return new Row(width).at(2, title).toString();
}

export interface LgipRow {
  gpu: number;
  name: string;
  id: number;
  free: number;
  total: number;
  memoryMiB: number;
  sm: number;
  dec: number;
  enc: number;
  ce: number;
  jpeg: number;
  ofa: number;
}

/** `nvidia-smi mig -lgip` (mig.md §5.6). R450's 76-column variant is not documented; it gets narrow. */
export function formatLgip(layout: TableLayout, rows: readonly LgipRow[]): string[] {
  const w = layout === 'wide' ? 2 : 0;
  const width = 79 + w;
  const gap = ' '.repeat(w);
  const lines = [
    border(width),
    titled(width, 'GPU instance profiles:'),
    `| GPU   Name           ${gap}  ID    Instances   Memory     P2P    SM    DEC   ENC  |`,
    `|                       ${gap}       Free/Total   GiB              CE    JPEG  OFA  |`,
    border(width, '=', '|'),
  ];
  for (const r of rows) {
    lines.push(
      new Row(width)
        .endingAt(4, String(r.gpu))
        .at(7, `MIG ${r.name}`)
        .at(25 + w, pad2(r.id))
        .at(32 + w, `${r.free}/${r.total}`)
        .at(43 + w, gibFromMiB(r.memoryMiB))
        .at(54 + w, 'No')
        .at(61 + w, String(r.sm))
        .at(67 + w, pad2(r.dec))
        .at(73 + w, pad2(r.enc))
        .toString(),
      new Row(width)
        .at(61 + w, pad2(r.ce))
        .at(67 + w, pad2(r.jpeg))
        .at(73 + w, pad2(r.ofa))
        .toString(),
      border(width),
    );
  }
  return lines;
}

/** `nvidia-smi mig -lgipp` line (mig.md §5.7). */
export function formatLgippLine(
  gpu: number,
  profileId: number,
  starts: readonly number[],
  size: number,
): string {
  const label = starts.length > 1 ? 'Placements: ' : 'Placement : ';
  return `GPU ${pad2(gpu)} Profile ID ${pad2(profileId)} ${label}{${starts.join(',')}}:${size}`;
}

export interface LgiRow {
  gpu: number;
  name: string;
  profileId: number;
  giId: number;
  start: number;
  size: number;
}

/** Column ends per width (mig.md §5.9 table): [profile ID end, GI ID end, placement start, width]. */
const LGI_COLUMNS: Record<TableLayout, [number, number, number, number]> = {
  r450: [25, 34, 45, 54],
  narrow: [28, 37, 48, 57],
  wide: [30, 39, 50, 59],
};

/** `nvidia-smi mig -lgi` (mig.md §5.9). */
export function formatLgi(layout: TableLayout, rows: readonly LgiRow[]): string[] {
  const [idEnd, giEnd, placeAt, width] = LGI_COLUMNS[layout];
  const gap = ' '.repeat(width - 54);
  const lines = [
    border(width),
    titled(width, 'GPU instances:'),
    `| GPU   Name          ${gap}Profile  Instance   Placement  |`,
    `|                       ${gap}ID       ID       Start:Size |`,
    border(width, '=', '|'),
  ];
  for (const r of rows) {
    lines.push(
      new Row(width)
        .endingAt(4, String(r.gpu))
        .at(7, `MIG ${r.name}`)
        .endingAt(idEnd, String(r.profileId))
        .endingAt(giEnd, String(r.giId))
        .at(placeAt, `${r.start}:${r.size}`)
        .toString(),
      border(width),
    );
  }
  return lines;
}

export interface LcipRow {
  gpu: number;
  giId: number;
  name: string;
  profileId: number;
  isDefault: boolean;
  free: number;
  total: number;
  sm: number;
  dec: number;
  enc: number;
  ofa: number;
  ce: number;
  jpeg: number;
}

/** `nvidia-smi mig -lcip` (mig.md §5.10; 88 columns on 515 and 580 alike). */
export function formatLcip(rows: readonly LcipRow[]): string[] {
  const width = 88;
  const lines = [
    border(width),
    titled(width, 'Compute instance profiles:'),
    '| GPU     GPU       Name             Profile  Instances   Exclusive       Shared       |',
    '|       Instance                       ID     Free/Total     SM       DEC   ENC   OFA  |',
    '|         ID                                                          CE    JPEG       |',
    border(width, '=', '|'),
  ];
  for (const r of rows) {
    const row = new Row(width)
      .endingAt(4, String(r.gpu))
      .endingAt(11, String(r.giId))
      .at(19, `MIG ${r.name}`)
      .endingAt(40, String(r.profileId))
      .at(47, `${r.free}/${r.total}`)
      .endingAt(62, String(r.sm))
      .endingAt(71, String(r.dec))
      .endingAt(77, String(r.enc))
      .endingAt(83, String(r.ofa));
    if (r.isDefault) row.at(41, '*');
    lines.push(
      row.toString(),
      new Row(width).endingAt(71, String(r.ce)).endingAt(77, String(r.jpeg)).toString(),
      border(width),
    );
  }
  return lines;
}

export interface LciRow {
  gpu: number;
  giId: number;
  name: string;
  profileId: number;
  ciId: number;
  start: number;
  size: number;
}

/** `nvidia-smi mig -lci` (mig.md §5.12): 70 columns; R450 57 columns without placement. */
export function formatLci(layout: TableLayout, rows: readonly LciRow[]): string[] {
  const old = layout === 'r450';
  const width = old ? 57 : 70;
  const lines = old
    ? [
        border(width),
        titled(width, 'Compute instances:'),
        '| GPU     GPU       Name             Profile   Instance |',
        '|       Instance                       ID        ID     |',
        '|         ID                                            |',
        border(width, '=', '|'),
      ]
    : [
        border(width),
        titled(width, 'Compute instances:'),
        '| GPU     GPU       Name             Profile   Instance   Placement  |',
        '|       Instance                       ID        ID       Start:Size |',
        '|         ID                                                         |',
        border(width, '=', '|'),
      ];
  for (const r of rows) {
    const row = new Row(width)
      .endingAt(4, String(r.gpu))
      .endingAt(11, String(r.giId))
      .at(19, `MIG ${r.name}`)
      .endingAt(40, String(r.profileId))
      .endingAt(50, String(r.ciId));
    if (!old) row.at(61, `${r.start}:${r.size}`);
    lines.push(row.toString(), border(width));
  }
  return lines;
}
