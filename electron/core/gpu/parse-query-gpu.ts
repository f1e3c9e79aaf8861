// `nvidia-smi --query-gpu=... --format=csv[,noheader][,nounits]` (mig.md §5.3).
import { ParseError, classifyMessage, splitLines } from './parse-error';

/** The fields discovery asks for, in this order. */
export const QUERY_GPU_FIELDS = [
  'index',
  'uuid',
  'name',
  'pci.bus_id',
  'memory.total',
  'driver_version',
  'mig.mode.current',
  'mig.mode.pending',
] as const;

export type QueryGpuField = (typeof QUERY_GPU_FIELDS)[number];

export const QUERY_GPU_COMMAND = `nvidia-smi --query-gpu=${QUERY_GPU_FIELDS.join(',')} --format=csv,noheader,nounits`;

/** MIG mode as the console shows it: `[N/A]`/`[Not Supported]` mean the GPU cannot do MIG (§5.3). */
export type MigMode = 'enabled' | 'disabled' | 'unsupported';

export interface QueriedGpu {
  index: number;
  uuid: string;
  name: string;
  /** `DDDDDDDD:BB:DD.F`, as printed (§5 conventions). */
  busId: string;
  /** Whole-GPU total, also under MIG (§5.3). */
  memoryMiB: number;
  /** null when `driver_version` was not among the queried fields. */
  driverVersion: string | null;
  migCurrent: MigMode;
  migPending: MigMode;
}

const REQUIRED: readonly QueryGpuField[] = [
  'index',
  'uuid',
  'name',
  'pci.bus_id',
  'memory.total',
  'mig.mode.current',
  'mig.mode.pending',
];

const UUID = /^GPU-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;
const BUS_ID = /^[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/;
const DRIVER_VERSION = /^\d+\.\d+(?:\.\d+)?$/;
/** `81559` (nounits) or `81559 MiB`. A locale's `81.559` or `81 559` does not match. */
const MEMORY = /^(\d+)(?: MiB)?$/;

function migMode(value: string): MigMode | null {
  switch (value) {
    case 'Enabled':
      return 'enabled';
    case 'Disabled':
      return 'disabled';
    case '[N/A]':
    case 'N/A':
    case '[Not Supported]':
      return 'unsupported';
    default:
      return null;
  }
}

/**
 * Parses the CSV of `--query-gpu`. `fields` is the list the command asked for, in its order
 * (default: QUERY_GPU_FIELDS); it must include every field of QueriedGpu except driver_version.
 * A header line (`--format=csv`) is accepted when it names exactly those fields (unit suffixes
 * such as `memory.total [MiB]` allowed). Values are checked one by one, so a swapped column or a
 * translated word (`Aktiviert`) fails on its line.
 */
export function parseQueryGpu(
  text: string,
  fields: readonly QueryGpuField[] = QUERY_GPU_FIELDS,
): QueriedGpu[] {
  const cmd = `nvidia-smi --query-gpu=${fields.join(',')}`;
  for (const f of REQUIRED)
    if (!fields.includes(f)) throw new ParseError(cmd, 1, '', `cannot be read without the field ${f}`);
  const lines = splitLines(text);
  if (classifyMessage(cmd, lines, ['No devices were found']) === 'empty') return [];
  const header = fields.join(', ');
  const gpus: QueriedGpu[] = [];
  lines.forEach(({ n, text: line }, i) => {
    if (i === 0 && line.replace(/ \[[^\]]+\]/g, '') === header) return;
    const values = line.split(',').map((v) => v.trim());
    if (values.length !== fields.length)
      throw new ParseError(cmd, n, line, `has ${values.length} values, expected ${fields.length}`);
    const get = (f: QueryGpuField): string => values[fields.indexOf(f)] ?? '';
    const bad = (f: QueryGpuField): ParseError =>
      new ParseError(cmd, n, line, `has ${JSON.stringify(get(f))} where ${f} should be`);
    if (!/^\d+$/.test(get('index'))) throw bad('index');
    if (!UUID.test(get('uuid'))) throw bad('uuid');
    const name = get('name');
    if (name === '' || name.startsWith('[') || UUID.test(name) || BUS_ID.test(name)) throw bad('name');
    if (!BUS_ID.test(get('pci.bus_id'))) throw bad('pci.bus_id');
    const memory = MEMORY.exec(get('memory.total'));
    if (!memory || Number(memory[1]) === 0) throw bad('memory.total');
    let driverVersion: string | null = null;
    if (fields.includes('driver_version')) {
      driverVersion = get('driver_version');
      if (!DRIVER_VERSION.test(driverVersion)) throw bad('driver_version');
    }
    const migCurrent = migMode(get('mig.mode.current'));
    if (!migCurrent) throw bad('mig.mode.current');
    const migPending = migMode(get('mig.mode.pending'));
    if (!migPending) throw bad('mig.mode.pending');
    const gpu: QueriedGpu = {
      index: Number(get('index')),
      uuid: get('uuid'),
      name,
      busId: get('pci.bus_id'),
      memoryMiB: Number(memory[1]),
      driverVersion,
      migCurrent,
      migPending,
    };
    // One line per GPU in index order (§5.3).
    const previous = gpus[gpus.length - 1];
    if (previous && previous.index >= gpu.index)
      throw new ParseError(cmd, n, line, `lists GPU ${gpu.index} after GPU ${previous.index}`);
    if (gpus.some((g) => g.uuid === gpu.uuid))
      throw new ParseError(cmd, n, line, `lists GPU ${gpu.uuid} a second time`);
    gpus.push(gpu);
  });
  if (gpus.length === 0) {
    const only = lines[0];
    throw new ParseError(cmd, only?.n ?? 1, only?.text ?? '', 'is a header without any GPU line');
  }
  return gpus;
}
