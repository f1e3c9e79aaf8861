// Pure command handling of the simulated nvidia-smi: (state, argv) -> {stdout, stderr, exitCode, state}.
// Every message and format cites its mig.md section. Real nvidia-smi writes its errors to stdout as
// well (§5.9 leaves it open), so everything goes to stdout except usage errors.
import { giProfile } from './catalogue';
import type { GiProfile, GpuModel } from './catalogue';
import {
  autoPlacement,
  ciAutoPlacement,
  ciFreeCount,
  ciProfiles,
  freeCount,
  giIdFor,
  gisInListOrder,
  placementProblem,
} from './geometry';
import type { CiProfile } from './geometry';
import { MIB, ciProfileOf, memoryUsedMiB, migDeviceViews, migDevices, modelOf, profileMiB } from './devices';
import { formatLci, formatLcip, formatLgi, formatLgip, formatLgippLine, pad2 } from './format';
import type { LcipRow, LciRow, LgiRow, LgipRow } from './format';
import { CONF_COMPUTE_HELP, MIG_HELP, topLevelHelp } from './help';
import { migUuid } from './state';
import type { GpuInstance, GpuState, HostState } from './state';
import { ctime, formatStatusTable } from './status-table';

export interface SmiResult {
  stdout: string;
  stderr: string;
  exitCode: number;
  state: HostState;
}

export interface SmiContext {
  /** Clock for `-q` timestamps (kept out of the pure core). */
  now: Date;
}

/** Exit codes: 6 for "not found"/"not supported" listings and 255 for failed resets were observed
 * (mig.md §5.14, §6, §10.1); other failures are only known to be non-zero, so they use 255 too. */
export const EXIT = { ok: 0, usage: 2, notFound: 6, failed: 255 } as const;

class Output {
  readonly out: string[] = [];
  readonly err: string[] = [];
  line(text: string): void {
    this.out.push(text);
  }
  result(state: HostState, exitCode: number): SmiResult {
    const join = (lines: string[]): string => (lines.length ? `${lines.join('\n')}\n` : '');
    return { stdout: join(this.out), stderr: join(this.err), exitCode, state };
  }
}

/**
 * Unknown options. mig.md is silent on the text; this is the wording nvidia-smi prints for
 * argument errors, with its "invalid argument" exit code 2 [U].
 */
function usageError(state: HostState): SmiResult {
  const o = new Output();
  o.err.push(`Invalid combination of input arguments. Please run 'nvidia-smi -h' for help.`);
  return o.result(state, EXIT.usage);
}

// ---------------------------------------------------------------------------------------------
// Argument parsing

export interface OptionSpec {
  names: string[];
  key: string;
  /** 'flag' takes nothing, 'value' one argument, 'optional' one unless the next token is an option. */
  kind: 'flag' | 'value' | 'optional';
}

type Parsed = Map<string, string | true>;

function parseOptions(argv: readonly string[], specs: readonly OptionSpec[]): Parsed | null {
  const parsed: Parsed = new Map();
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i] ?? '';
    const eq = token.startsWith('--') ? token.indexOf('=') : -1;
    const name = eq > 0 ? token.slice(0, eq) : token;
    const spec = specs.find((s) => s.names.includes(name));
    if (!spec) return null;
    if (spec.kind === 'flag') {
      if (eq > 0) return null;
      parsed.set(spec.key, true);
      continue;
    }
    if (eq > 0) {
      parsed.set(spec.key, token.slice(eq + 1));
      continue;
    }
    const next = argv[i + 1];
    if (next !== undefined && !(spec.kind === 'optional' && next.startsWith('-'))) {
      parsed.set(spec.key, next);
      i++;
    } else if (spec.kind === 'optional') parsed.set(spec.key, true);
    else return null;
  }
  return parsed;
}

/** Top-level options the simulator accepts (help.ts lists every one). */
export const TOP_OPTIONS: readonly OptionSpec[] = [
  { names: ['-h', '--help'], key: 'help', kind: 'flag' },
  { names: ['-L', '--list-gpus'], key: 'list', kind: 'flag' },
  { names: ['-q', '--query'], key: 'query', kind: 'flag' },
  { names: ['-x', '--xml-format'], key: 'xml', kind: 'flag' },
  { names: ['-i', '--id'], key: 'id', kind: 'value' },
  { names: ['-mig', '--multi-instance-gpu'], key: 'mig', kind: 'value' },
  { names: ['-r', '--gpu-reset'], key: 'reset', kind: 'flag' },
  { names: ['--query-gpu'], key: 'queryGpu', kind: 'value' },
  { names: ['--query-compute-apps'], key: 'queryApps', kind: 'value' },
  { names: ['--format'], key: 'format', kind: 'value' },
];

/** `nvidia-smi mig` options the simulator accepts (mig.md §5.1; help.ts lists every one). */
export const MIG_OPTIONS: readonly OptionSpec[] = [
  { names: ['-h', '--help'], key: 'help', kind: 'flag' },
  { names: ['-i', '--id'], key: 'id', kind: 'value' },
  { names: ['-gi', '--gpu-instance-id'], key: 'gi', kind: 'value' },
  { names: ['-ci', '--compute-instance-id'], key: 'ci', kind: 'value' },
  { names: ['-lgip', '--list-gpu-instance-profiles'], key: 'lgip', kind: 'flag' },
  { names: ['-lgipp', '--list-gpu-instance-possible-placements'], key: 'lgipp', kind: 'flag' },
  { names: ['-C', '--default-compute-instance'], key: 'C', kind: 'flag' },
  { names: ['-cgi', '--create-gpu-instance'], key: 'cgi', kind: 'value' },
  { names: ['-dgi', '--destroy-gpu-instance'], key: 'dgi', kind: 'flag' },
  { names: ['-lgi', '--list-gpu-instances'], key: 'lgi', kind: 'flag' },
  { names: ['-lcip', '--list-compute-instance-profiles'], key: 'lcip', kind: 'flag' },
  { names: ['-cci', '--create-compute-instance'], key: 'cci', kind: 'optional' },
  { names: ['-dci', '--destroy-compute-instance'], key: 'dci', kind: 'flag' },
  { names: ['-lci', '--list-compute-instances'], key: 'lci', kind: 'flag' },
];

const MIG_ACTIONS = ['lgip', 'lgipp', 'cgi', 'dgi', 'lgi', 'lcip', 'cci', 'dci', 'lci'];

function str(parsed: Parsed, key: string): string | undefined {
  const v = parsed.get(key);
  return typeof v === 'string' ? v : undefined;
}

function idList(value: string | undefined): number[] | null | undefined {
  if (value === undefined) return undefined;
  const parts = value.split(',');
  if (!parts.every((p) => /^\d+$/.test(p.trim()))) return null;
  return parts.map((p) => Number(p.trim()));
}

/** `-i` takes indices, PCI bus IDs or UUIDs, comma separated (mig.md §5 conventions). */
function selectGpus(state: HostState, id: string | undefined): GpuState[] | null {
  if (id === undefined) return state.gpus;
  const chosen: GpuState[] = [];
  for (const raw of id.split(',')) {
    const want = raw.trim().toUpperCase();
    const gpu = state.gpus.find(
      (g) =>
        String(g.index) === want ||
        g.uuid.toUpperCase() === want ||
        g.busId.toUpperCase() === want ||
        (g.busId.toUpperCase().endsWith(`:${want.split(':').slice(-2).join(':')}`) && want.includes(':')),
    );
    if (!gpu) return null;
    if (!chosen.includes(gpu)) chosen.push(gpu);
  }
  return chosen;
}

/** No GPU matched `-i` [U]: nvidia-smi's "No devices were found" with the not-found exit code. */
function noDevices(state: HostState): SmiResult {
  const o = new Output();
  o.line('No devices were found');
  return o.result(state, EXIT.notFound);
}

// ---------------------------------------------------------------------------------------------
// Shared lookups

function enabledWord(on: boolean): string {
  return on ? 'Enabled' : 'Disabled';
}

// ---------------------------------------------------------------------------------------------
// Top level

export function runNvidiaSmi(state: HostState, argv: readonly string[], ctx: SmiContext): SmiResult {
  const next = structuredClone(state);
  if (argv[0] === 'mig') return runMig(next, argv.slice(1));
  if (argv[0] === 'conf-compute') return runConfCompute(next, argv.slice(1));
  const parsed = parseOptions(argv, TOP_OPTIONS);
  if (!parsed) return usageError(state);
  if (parsed.has('help')) return help(state, topLevelHelp(state.driverVersion));
  const gpus = selectGpus(next, str(parsed, 'id'));
  if (!gpus) return noDevices(state);
  if (parsed.has('mig')) return setMigMode(next, gpus, str(parsed, 'mig') ?? '');
  if (parsed.has('reset')) return resetGpus(next, gpus);
  if (parsed.has('list')) return listGpus(next, gpus);
  if (parsed.has('queryGpu'))
    return queryGpu(next, gpus, str(parsed, 'queryGpu') ?? '', str(parsed, 'format'));
  if (parsed.has('queryApps'))
    return queryApps(next, gpus, str(parsed, 'queryApps') ?? '', str(parsed, 'format'));
  if (parsed.has('query')) return parsed.has('xml') ? queryXml(next, gpus, ctx) : queryText(next, gpus, ctx);
  // -x without -q, or a bare `--format`, is not a table request.
  if (parsed.size > (parsed.has('id') ? 1 : 0)) return usageError(state);
  return statusTable(next, gpus, ctx);
}

function help(state: HostState, text: string): SmiResult {
  return { stdout: text, stderr: '', exitCode: EXIT.ok, state };
}

/** `nvidia-smi [-i N]`: the status table (mig.md §5.15; layouts in status-table.ts). */
function statusTable(state: HostState, gpus: GpuState[], ctx: SmiContext): SmiResult {
  const o = new Output();
  for (const l of formatStatusTable(state, gpus, ctx.now)) o.line(l);
  return o.result(state, EXIT.ok);
}

/** `nvidia-smi -L` (mig.md §5.2). */
function listGpus(state: HostState, gpus: GpuState[]): SmiResult {
  const o = new Output();
  for (const gpu of gpus) {
    o.line(`GPU ${gpu.index}: ${gpu.name} (UUID: ${gpu.uuid})`);
    const model = modelOf(gpu);
    if (!model) continue;
    migDevices(gpu).forEach(({ gi, ci }, n) => {
      const name = `MIG ${ciProfileOf(model, gi, ci)?.name ?? '?'}`;
      // R450/R460 printed the unpadded form with a UUID derived from the GPU's.
      if (state.tableLayout === 'r450')
        o.line(`  ${name} Device ${n}: (UUID: MIG-${gpu.uuid}/${gi.id}/${ci.id})`);
      else o.line(`  ${name.padEnd(15)} Device ${pad2(n)}: (UUID: ${ci.uuid})`);
    });
  }
  return o.result(state, EXIT.ok);
}

interface CsvField {
  unit?: 'MiB';
  value: (gpu: GpuState, state: HostState) => string | number;
}

/** `--query-gpu` fields (mig.md §5.3); MIG fields print `[N/A]` on GPUs without MIG. */
const GPU_FIELDS: Record<string, CsvField> = {
  index: { value: (g) => g.index },
  count: { value: (_g, s) => s.gpus.length },
  uuid: { value: (g) => g.uuid },
  gpu_uuid: { value: (g) => g.uuid },
  name: { value: (g) => g.name },
  gpu_name: { value: (g) => g.name },
  'pci.bus_id': { value: (g) => g.busId },
  gpu_bus_id: { value: (g) => g.busId },
  driver_version: { value: (_g, s) => s.driverVersion },
  persistence_mode: { value: (g) => enabledWord(g.persistenceMode) },
  'memory.total': { unit: 'MiB', value: (g) => g.memoryTotalMiB },
  'memory.used': { unit: 'MiB', value: (g) => memoryUsedMiB(g) },
  'memory.free': { unit: 'MiB', value: (g) => g.memoryTotalMiB - memoryUsedMiB(g) },
  'mig.mode.current': { value: (g) => (g.modelKey ? enabledWord(g.migCurrent) : '[N/A]') },
  'mig.mode.pending': { value: (g) => (g.modelKey ? enabledWord(g.migPending) : '[N/A]') },
};

interface CsvFormat {
  header: boolean;
  units: boolean;
}

function csvFormat(format: string | undefined): CsvFormat | null {
  const parts = (format ?? '').split(',').map((p) => p.trim());
  if (parts[0] !== 'csv' || !parts.slice(1).every((p) => p === 'noheader' || p === 'nounits')) return null;
  return { header: !parts.includes('noheader'), units: !parts.includes('nounits') };
}

function csvTable<Row>(
  state: HostState,
  spec: string,
  format: string | undefined,
  fields: Record<string, { unit?: string; value: (row: Row, state: HostState) => string | number }>,
  rows: Row[],
): SmiResult {
  const o = new Output();
  const names = spec.split(',').map((f) => f.trim());
  const fmt = csvFormat(format);
  if (!fmt) return usageError(state);
  for (const name of names) {
    // §5.3 [U]: an unknown field fails the whole command.
    if (!Object.hasOwn(fields, name)) {
      o.line(`Field "${name}" is not a valid field to query.`);
      o.line('');
      return o.result(state, EXIT.usage);
    }
  }
  const chosen = names.map((n) => ({ name: n, field: fields[n] as (typeof fields)[string] }));
  if (fmt.header)
    o.line(chosen.map((c) => (c.field.unit ? `${c.name} [${c.field.unit}]` : c.name)).join(', '));
  for (const row of rows) {
    o.line(
      chosen
        .map((c) => {
          const v = c.field.value(row, state);
          return c.field.unit && fmt.units ? `${v} ${c.field.unit}` : String(v);
        })
        .join(', '),
    );
  }
  return o.result(state, EXIT.ok);
}

function queryGpu(state: HostState, gpus: GpuState[], spec: string, format: string | undefined): SmiResult {
  return csvTable(state, spec, format, GPU_FIELDS, gpus);
}

interface AppRow {
  gpu: GpuState;
  pid: number;
  name: string;
  usedMiB: number;
}

const APP_FIELDS: Record<string, { unit?: string; value: (row: AppRow) => string | number }> = {
  pid: { value: (r) => r.pid },
  name: { value: (r) => r.name },
  process_name: { value: (r) => r.name },
  gpu_uuid: { value: (r) => r.gpu.uuid },
  gpu_bus_id: { value: (r) => r.gpu.busId },
  used_memory: { unit: 'MiB', value: (r) => r.usedMiB },
  used_gpu_memory: { unit: 'MiB', value: (r) => r.usedMiB },
};

/** `--query-compute-apps` (the mig.md §6 console checklist lists processes this way). */
function queryApps(state: HostState, gpus: GpuState[], spec: string, format: string | undefined): SmiResult {
  const rows = gpus.flatMap((gpu) =>
    gpu.processes.map((p) => ({ gpu, pid: p.pid, name: p.name, usedMiB: p.usedMiB })),
  );
  return csvTable(state, spec, format, APP_FIELDS, rows);
}

// ---------------------------------------------------------------------------------------------
// -q and -q -x (mig.md §5.4)

/** `-q` key/value line: values start at column 42 whatever the indent. */
function kv(indent: number, key: string, value: string): string {
  return `${' '.repeat(indent)}${key}`.padEnd(42) + `: ${value}`;
}

function migModeWords(gpu: GpuState): [string, string] {
  return gpu.modelKey ? [enabledWord(gpu.migCurrent), enabledWord(gpu.migPending)] : ['N/A', 'N/A'];
}

function queryText(state: HostState, gpus: GpuState[], ctx: SmiContext): SmiResult {
  const o = new Output();
  o.line('');
  o.line('==============NVSMI LOG==============');
  o.line('');
  o.line(kv(0, 'Timestamp', ctime(ctx.now)));
  o.line(kv(0, 'Driver Version', state.driverVersion));
  o.line(kv(0, 'CUDA Version', state.cudaVersion));
  o.line('');
  o.line(kv(0, 'Attached GPUs', String(state.gpus.length)));
  for (const gpu of gpus) {
    const [current, pending] = migModeWords(gpu);
    const used = memoryUsedMiB(gpu);
    o.line(`GPU ${gpu.busId}`);
    o.line(kv(4, 'Product Name', gpu.name));
    o.line(kv(4, 'Persistence Mode', enabledWord(gpu.persistenceMode)));
    o.line('    MIG Mode');
    o.line(kv(8, 'Current', current));
    o.line(kv(8, 'Pending', pending));
    queryTextMigDevices(o, state, gpu);
    o.line(kv(4, 'GPU UUID', gpu.uuid));
    o.line('    PCI');
    o.line(kv(8, 'Bus Id', gpu.busId));
    o.line('    FB Memory Usage');
    o.line(kv(8, 'Total', `${gpu.memoryTotalMiB} MiB`));
    o.line(kv(8, 'Used', `${used} MiB`));
    o.line(kv(8, 'Free', `${gpu.memoryTotalMiB - used} MiB`));
    o.line('');
  }
  return o.result(state, EXIT.ok);
}

/**
 * The text `-q` "MIG Devices" section. Its layout was never captured (mig.md §5.4 [U]): this one follows
 * the XML `<mig_devices>` elements (same values, same order) with kv()'s columns, and prints
 * `MIG Devices : None` where the XML holds `None`.
 */
function queryTextMigDevices(o: Output, state: HostState, gpu: GpuState): void {
  const devices = migDeviceViews(state, gpu);
  if (devices.length === 0) {
    o.line(kv(4, 'MIG Devices', 'None'));
    return;
  }
  o.line('    MIG Devices');
  for (const d of devices) {
    o.line('        MIG Device');
    o.line(kv(12, 'Index', String(d.index)));
    o.line(kv(12, 'GPU Instance ID', String(d.gi.id)));
    o.line(kv(12, 'Compute Instance ID', String(d.ci.id)));
    o.line('            Device Attributes');
    o.line('                Shared');
    o.line(kv(20, 'Multiprocessor count', String(d.multiprocessors)));
    o.line(kv(20, 'Copy Engine count', String(d.copyEngines)));
    o.line(kv(20, 'Encoder count', String(d.encoders)));
    o.line(kv(20, 'Decoder count', String(d.decoders)));
    o.line(kv(20, 'OFA count', String(d.ofa)));
    o.line(kv(20, 'JPG count', String(d.jpeg)));
    o.line('            FB Memory Usage');
    o.line(kv(16, 'Total', `${d.totalMiB} MiB`));
    o.line(kv(16, 'Reserved', '0 MiB'));
    o.line(kv(16, 'Used', `${d.usedMiB} MiB`));
    o.line(kv(16, 'Free', `${d.freeMiB} MiB`));
  }
}

function xmlEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** `-q -x` (mig.md §5.4): mig_mode and mig_devices before uuid, `None` when there are no devices. */
function queryXml(state: HostState, gpus: GpuState[], ctx: SmiContext): SmiResult {
  const o = new Output();
  o.line('<?xml version="1.0" ?>');
  o.line('<!DOCTYPE nvidia_smi_log SYSTEM "nvsmi_device_v12.dtd">');
  o.line('<nvidia_smi_log>');
  o.line(`\t<timestamp>${ctime(ctx.now)}</timestamp>`);
  o.line(`\t<driver_version>${state.driverVersion}</driver_version>`);
  o.line(`\t<cuda_version>${state.cudaVersion}</cuda_version>`);
  o.line(`\t<attached_gpus>${state.gpus.length}</attached_gpus>`);
  for (const gpu of gpus) {
    const [current, pending] = migModeWords(gpu);
    const used = memoryUsedMiB(gpu);
    o.line(`\t<gpu id="${gpu.busId}">`);
    o.line(`\t\t<product_name>${xmlEscape(gpu.name)}</product_name>`);
    o.line(`\t\t<persistence_mode>${enabledWord(gpu.persistenceMode)}</persistence_mode>`);
    o.line('\t\t<mig_mode>');
    o.line(`\t\t\t<current_mig>${current}</current_mig>`);
    o.line(`\t\t\t<pending_mig>${pending}</pending_mig>`);
    o.line('\t\t</mig_mode>');
    const devices = migDeviceViews(state, gpu);
    if (devices.length === 0) {
      o.line('\t\t<mig_devices>');
      o.line('\t\t\tNone');
      o.line('\t\t</mig_devices>');
    } else {
      o.line('\t\t<mig_devices>');
      for (const d of devices) {
        o.line('\t\t\t<mig_device>');
        o.line(`\t\t\t\t<index>${d.index}</index>`);
        o.line(`\t\t\t\t<gpu_instance_id>${d.gi.id}</gpu_instance_id>`);
        o.line(`\t\t\t\t<compute_instance_id>${d.ci.id}</compute_instance_id>`);
        o.line('\t\t\t\t<device_attributes>');
        o.line('\t\t\t\t\t<shared>');
        o.line(`\t\t\t\t\t\t<multiprocessor_count>${d.multiprocessors}</multiprocessor_count>`);
        o.line(`\t\t\t\t\t\t<copy_engine_count>${d.copyEngines}</copy_engine_count>`);
        o.line(`\t\t\t\t\t\t<encoder_count>${d.encoders}</encoder_count>`);
        o.line(`\t\t\t\t\t\t<decoder_count>${d.decoders}</decoder_count>`);
        o.line(`\t\t\t\t\t\t<ofa_count>${d.ofa}</ofa_count>`);
        o.line(`\t\t\t\t\t\t<jpg_count>${d.jpeg}</jpg_count>`);
        o.line('\t\t\t\t\t</shared>');
        o.line('\t\t\t\t</device_attributes>');
        // NVML reports bytes; each figure is rounded to MiB on its own, so used + free can exceed total.
        o.line('\t\t\t\t<fb_memory_usage>');
        o.line(`\t\t\t\t\t<total>${d.totalMiB} MiB</total>`);
        o.line('\t\t\t\t\t<reserved>0 MiB</reserved>');
        o.line(`\t\t\t\t\t<used>${d.usedMiB} MiB</used>`);
        o.line(`\t\t\t\t\t<free>${d.freeMiB} MiB</free>`);
        o.line('\t\t\t\t</fb_memory_usage>');
        o.line('\t\t\t</mig_device>');
      }
      o.line('\t\t</mig_devices>');
    }
    o.line(`\t\t<uuid>${gpu.uuid}</uuid>`);
    o.line('\t\t<pci>');
    o.line(`\t\t\t<pci_bus_id>${gpu.busId}</pci_bus_id>`);
    o.line('\t\t</pci>');
    o.line('\t\t<fb_memory_usage>');
    o.line(`\t\t\t<total>${gpu.memoryTotalMiB} MiB</total>`);
    o.line('\t\t\t<reserved>0 MiB</reserved>');
    o.line(`\t\t\t<used>${used} MiB</used>`);
    o.line(`\t\t\t<free>${gpu.memoryTotalMiB - used} MiB</free>`);
    o.line('\t\t</fb_memory_usage>');
    o.line('\t\t<utilization>');
    // Under MIG, whole-GPU utilization is N/A (§5.4).
    o.line(`\t\t\t<gpu_util>${gpu.migCurrent ? 'N/A' : '0 %'}</gpu_util>`);
    o.line('\t\t</utilization>');
    o.line('\t\t<processes>');
    for (const p of gpu.processes) {
      o.line('\t\t\t<process_info>');
      o.line(`\t\t\t\t<gpu_instance_id>${p.giId ?? 'N/A'}</gpu_instance_id>`);
      o.line(`\t\t\t\t<compute_instance_id>${p.ciId ?? 'N/A'}</compute_instance_id>`);
      o.line(`\t\t\t\t<pid>${p.pid}</pid>`);
      o.line('\t\t\t\t<type>C</type>');
      o.line(`\t\t\t\t<process_name>${xmlEscape(p.name)}</process_name>`);
      o.line(`\t\t\t\t<used_memory>${p.usedMiB} MiB</used_memory>`);
      o.line('\t\t\t</process_info>');
    }
    o.line('\t\t</processes>');
    o.line('\t</gpu>');
  }
  o.line('</nvidia_smi_log>');
  return o.result(state, EXIT.ok);
}

// ---------------------------------------------------------------------------------------------
// -mig 0|1 (mig.md §5.5, §6) and -r (§6)

const PERSISTENCE_WARNING = (bus: string): string =>
  `Warning: persistence mode is disabled on device ${bus}. See the Known Issues section of the nvidia-smi(1) man page for more information. Run with [--help | -h] switch to get more information on how to enable persistence mode.`;

function setMigMode(state: HostState, gpus: GpuState[], value: string): SmiResult {
  const v = value.toUpperCase();
  const enable = v === '1' || v === 'ENABLED' ? true : v === '0' || v === 'DISABLED' ? false : null;
  if (enable === null) return usageError(state);
  const verb = enable ? 'enable' : 'disable';
  const o = new Output();
  for (const gpu of gpus) {
    const model = modelOf(gpu);
    if (!model) {
      o.line(`Unable to ${verb} MIG Mode for GPU ${gpu.busId}: Not Supported`);
      o.line('Treating as warning and moving on.');
      continue;
    }
    const busy = gpu.processes.length > 0;
    // -mig 0 while GIs exist is refused; the text was never captured (§5.5 [U]), so this reuses the
    // Hopper "in use" failure.
    if (!enable && gpu.gis.length > 0) {
      o.line(`Unable to disable MIG Mode for GPU ${gpu.busId}: In use by another client`);
      o.line('Terminating early due to previous errors.');
      return o.result(state, EXIT.failed);
    }
    if (model.migChangeNeedsReset && gpu.migCurrent !== enable && (busy || !gpu.resetAllowed)) {
      // Ampere: the mode bit is set but only takes effect after a reset the driver could not do.
      gpu.migPending = enable;
      const why = busy ? 'In use by another client' : 'Not Supported';
      o.line(`Warning: MIG mode is in pending ${verb} state for GPU ${gpu.busId}:${why}`);
      if (busy)
        o.line(
          `${gpu.busId} is currently being used by one or more other processes (e.g. CUDA application or a monitoring application such as another instance of nvidia-smi). Please first kill all processes using the device and retry the command or reboot the system to make MIG mode effective.`,
        );
      else
        o.line(
          `Reboot the system or try nvidia-smi --gpu-reset to make MIG mode effective on GPU ${gpu.busId}`,
        );
      continue;
    }
    if (!model.migChangeNeedsReset && busy && gpu.migCurrent !== enable) {
      // Hopper+: no pending state; the switch fails while anything holds the GPU.
      o.line(`Unable to ${verb} MIG Mode for GPU ${gpu.busId}: In use by another client`);
      o.line('Terminating early due to previous errors.');
      return o.result(state, EXIT.failed);
    }
    gpu.migCurrent = enable;
    gpu.migPending = enable;
    o.line(`${enable ? 'Enabled' : 'Disabled'} MIG Mode for GPU ${gpu.busId}`);
    if (!gpu.persistenceMode) {
      o.line('');
      o.line(PERSISTENCE_WARNING(gpu.busId));
    }
  }
  o.line('All done.');
  return o.result(state, EXIT.ok);
}

function resetGpus(state: HostState, gpus: GpuState[]): SmiResult {
  const o = new Output();
  const busy = gpus.filter((g) => g.processes.length > 0);
  if (busy.length > 0) {
    o.line('The following GPUs could not be reset:');
    for (const g of busy) o.line(`  GPU ${g.busId}: In use by another client`);
    o.line('');
    const n = busy.length;
    o.line(
      `${n} ${n === 1 ? 'device is' : 'devices are'} currently being used by one or more other processes (e.g., Fabric Manager, CUDA application, graphics application such as an X server, or a monitoring application such as another instance of nvidia-smi). Please first kill all processes using this device and all compute applications running in the system.`,
    );
    return o.result(state, EXIT.failed);
  }
  const blocked = gpus.find((g) => !g.resetAllowed);
  if (blocked) {
    o.line(`Resetting GPU ${blocked.busId} is not supported.`);
    return o.result(state, EXIT.failed);
  }
  for (const gpu of gpus) {
    // A reset applies a pending MIG mode and drops every GI/CI (they are not persistent, §1).
    gpu.migCurrent = gpu.migPending;
    gpu.gis = [];
    o.line(`GPU ${gpu.busId} was successfully reset.`);
  }
  o.line('All done.');
  return o.result(state, EXIT.ok);
}

// ---------------------------------------------------------------------------------------------
// conf-compute (mig.md §9.2)

function runConfCompute(state: HostState, argv: readonly string[]): SmiResult {
  if (argv.length === 1 && (argv[0] === '-h' || argv[0] === '--help')) return help(state, CONF_COMPUTE_HELP);
  const o = new Output();
  if (argv.length === 1 && (argv[0] === '-f' || argv[0] === '--get-cc-feature')) {
    const on = state.gpus.some((g) => g.ccMode === 'on' || g.ccMode === 'devtools');
    o.line(`CC status: ${on ? 'ON' : 'OFF'}`);
    return o.result(state, EXIT.ok);
  }
  if (argv.length === 1 && (argv[0] === '-d' || argv[0] === '--get-devtools-mode')) {
    o.line(`DevTools Mode: ${state.gpus.some((g) => g.ccMode === 'devtools') ? 'ON' : 'OFF'}`);
    return o.result(state, EXIT.ok);
  }
  return usageError(state);
}

// ---------------------------------------------------------------------------------------------
// nvidia-smi mig (mig.md §5.6-§5.14)

interface MigRequest {
  state: HostState;
  gpus: GpuState[];
  giIds: number[] | undefined;
  ciIds: number[] | undefined;
  parsed: Parsed;
}

function runMig(state: HostState, argv: readonly string[]): SmiResult {
  const parsed = parseOptions(argv, MIG_OPTIONS);
  if (!parsed) return usageError(state);
  if (parsed.has('help')) return help(state, MIG_HELP);
  const actions = MIG_ACTIONS.filter((a) => parsed.has(a));
  if (actions.length !== 1) return usageError(state);
  const giIds = idList(str(parsed, 'gi'));
  const ciIds = idList(str(parsed, 'ci'));
  if (giIds === null || ciIds === null) return usageError(state);
  const gpus = selectGpus(state, str(parsed, 'id'));
  if (!gpus) return noDevices(state);
  const req: MigRequest = { state, gpus, giIds, ciIds, parsed };
  switch (actions[0]) {
    case 'lgip':
      return listProfiles(req);
    case 'lgipp':
      return listPlacements(req);
    case 'cgi':
      return createGpuInstances(req, str(parsed, 'cgi') ?? '');
    case 'dgi':
      return destroyGpuInstances(req);
    case 'lgi':
      return listGpuInstances(req);
    case 'lcip':
      return listCiProfiles(req);
    case 'cci':
      return createComputeInstances(req, str(parsed, 'cci'));
    case 'dci':
      return destroyComputeInstances(req);
    default:
      return listComputeInstances(req);
  }
}

function message(state: HostState, text: string, exitCode: number): SmiResult {
  const o = new Output();
  o.line(text);
  return o.result(state, exitCode);
}

/** GPUs with MIG enabled among those selected, with their models; null when there are none. */
function migGpus(req: MigRequest): { gpu: GpuState; model: GpuModel }[] {
  return req.gpus.flatMap((gpu) => {
    const model = modelOf(gpu);
    return model && gpu.migCurrent ? [{ gpu, model }] : [];
  });
}

const NO_MIG_ENABLED = 'No MIG-enabled devices found.';
const NO_MIG_SUPPORTED = 'No MIG-supported devices found.';

/**
 * GPUs `-lgip`/`-lgipp` list: 570+ drivers list MIG-capable GPUs even with MIG off (Free = Total);
 * older ones only MIG-enabled GPUs (mig.md §4.2, §5.6).
 */
function profileGpus(req: MigRequest): { gpu: GpuState; model: GpuModel }[] | SmiResult {
  const capable = req.gpus.flatMap((gpu) => {
    const model = modelOf(gpu);
    return model ? [{ gpu, model }] : [];
  });
  if (capable.length === 0) return message(req.state, NO_MIG_SUPPORTED, EXIT.notFound);
  const shown = req.state.tableLayout === 'wide' ? capable : capable.filter((c) => c.gpu.migCurrent);
  if (shown.length === 0) return message(req.state, NO_MIG_ENABLED, EXIT.notFound);
  return shown;
}

function listProfiles(req: MigRequest): SmiResult {
  const shown = profileGpus(req);
  if (!Array.isArray(shown)) return shown;
  const rows: LgipRow[] = shown.flatMap(({ gpu, model }) =>
    model.profiles.map((p) => ({
      gpu: gpu.index,
      name: p.name,
      id: p.id,
      free: gpu.migCurrent ? freeCount(model, gpu.gis, p) : p.maxInstances,
      total: p.maxInstances,
      memoryMiB: profileMiB(req.state, p),
      sm: p.multiprocessors,
      dec: p.decoders,
      enc: p.encoders,
      ce: p.copyEngines,
      jpeg: p.jpegEngines,
      ofa: p.ofaEngines,
    })),
  );
  const o = new Output();
  for (const l of formatLgip(req.state.tableLayout, rows)) o.line(l);
  return o.result(req.state, EXIT.ok);
}

function listPlacements(req: MigRequest): SmiResult {
  const shown = profileGpus(req);
  if (!Array.isArray(shown)) return shown;
  const o = new Output();
  for (const { gpu, model } of shown)
    for (const p of model.profiles)
      o.line(formatLgippLine(gpu.index, p.id, p.placementStarts, p.memorySlices));
  return o.result(req.state, EXIT.ok);
}

/** A `-cgi` entry: profile ID, short name or `MIG <name>`, optionally `:<start>` (mig.md §5.8). */
function resolveGiToken(model: GpuModel, token: string): { profile: GiProfile; start: number | null } | null {
  const m = /^(.*?)(?::(\d+))?$/.exec(token.trim());
  const what = (m?.[1] ?? '').replace(/^MIG\s+/, '');
  const profile = /^\d+$/.test(what)
    ? giProfile(model, Number(what))
    : model.profiles.find((p) => p.name === what);
  if (!profile) return null;
  return { profile, start: m?.[2] !== undefined ? Number(m[2]) : null };
}

function cgiFailure(o: Output, state: HostState, gpu: GpuState, token: string, error: string): SmiResult {
  o.line(`Unable to create a GPU instance on GPU ${pad2(gpu.index)} using profile ${token}: ${error}`);
  o.line(`Failed to create GPU instances: ${error}`);
  return o.result(state, EXIT.failed);
}

function createGpuInstances(req: MigRequest, list: string): SmiResult {
  const { state } = req;
  const targets = migGpus(req);
  if (targets.length === 0) return message(state, NO_MIG_ENABLED, EXIT.notFound);
  const tokens = list.split(',');
  const withCi = req.parsed.has('C');
  const o = new Output();
  for (const { gpu, model } of targets) {
    const resolved = tokens.map((t) => ({ token: t, entry: resolveGiToken(model, t) }));
    // §4.3: a busy GPU fails on the first profile.
    if (gpu.processes.some((p) => p.giId === null))
      return cgiFailure(o, state, gpu, tokens[0] ?? '', 'In use by another client');
    // §4.3: asking for more of one profile than its Free count fails before anything is created.
    for (const { token, entry } of resolved) {
      if (!entry) continue;
      const wanted = resolved.filter((r) => r.entry?.profile.id === entry.profile.id).length;
      if (wanted > freeCount(model, gpu.gis, entry.profile))
        return cgiFailure(o, state, gpu, token, 'Insufficient Resources');
    }
    for (const { token, entry } of resolved) {
      if (!entry) return cgiFailure(o, state, gpu, token, 'Invalid Argument');
      const { profile } = entry;
      let start = entry.start;
      if (start === null) start = autoPlacement(model, gpu.gis, profile);
      else {
        const problem = placementProblem(model, gpu.gis, profile, start);
        if (problem) return cgiFailure(o, state, gpu, token, problem);
      }
      if (start === null) return cgiFailure(o, state, gpu, token, 'Insufficient Resources');
      const gi: GpuInstance = {
        id: giIdFor(model, state.giIdScheme, start, profile.memorySlices),
        profileId: profile.id,
        start,
        size: profile.memorySlices,
        overheadBytes: 15 * MIB,
        cis: [],
      };
      gpu.gis.push(gi);
      o.line(
        `Successfully created GPU instance ID ${pad2(gi.id)} on GPU ${pad2(gpu.index)} using profile MIG ${profile.name} (ID ${pad2(profile.id)})`,
      );
      if (withCi) {
        const ci = ciProfiles(model, profile).find((c) => c.isDefault);
        if (ci) o.line(addComputeInstance(state, gpu, gi, ci, 0));
      }
    }
  }
  return o.result(state, EXIT.ok);
}

function addComputeInstance(
  state: HostState,
  gpu: GpuState,
  gi: GpuInstance,
  ci: CiProfile,
  start: number,
): string {
  const id = gi.cis.reduce((max, c) => Math.max(max, c.id + 1), 0);
  gi.cis.push({
    id,
    profileId: ci.id,
    start,
    size: ci.placementSize,
    uuid: migUuid(`${gpu.uuid}/mig/${state.nextSerial++}`),
  });
  if (state.tableLayout === 'r450')
    return `Successfully created compute instance on GPU ${pad2(gpu.index)} GPU instance ID ${pad2(gi.id)} using profile MIG ${ci.name} (ID ${pad2(ci.id)})`;
  return `Successfully created compute instance ID ${pad2(id)} on GPU ${pad2(gpu.index)} GPU instance ID ${pad2(gi.id)} using profile MIG ${ci.name} (ID ${pad2(ci.id)})`;
}

/** GIs of a GPU selected by `-gi` (all when absent), in `-lgi` order. */
function selectedGis(req: MigRequest, gpu: GpuState, model: GpuModel): GpuInstance[] {
  return gisInListOrder(model, gpu).filter((gi) => !req.giIds || req.giIds.includes(gi.id));
}

function listGpuInstances(req: MigRequest): SmiResult {
  const targets = migGpus(req);
  if (targets.length === 0) return message(req.state, NO_MIG_ENABLED, EXIT.notFound);
  const rows: LgiRow[] = targets.flatMap(({ gpu, model }) =>
    selectedGis(req, gpu, model).map((gi) => ({
      gpu: gpu.index,
      name: giProfile(model, gi.profileId)?.name ?? '?',
      profileId: gi.profileId,
      giId: gi.id,
      start: gi.start,
      size: gi.size,
    })),
  );
  if (rows.length === 0) return message(req.state, 'No GPU instances found: Not Found', EXIT.notFound);
  const o = new Output();
  for (const l of formatLgi(req.state.tableLayout, rows)) o.line(l);
  return o.result(req.state, EXIT.ok);
}

function listCiProfiles(req: MigRequest): SmiResult {
  const targets = migGpus(req);
  if (targets.length === 0) return message(req.state, NO_MIG_ENABLED, EXIT.notFound);
  const rows: LcipRow[] = [];
  for (const { gpu, model } of targets) {
    for (const gi of selectedGis(req, gpu, model)) {
      const gp = giProfile(model, gi.profileId);
      if (!gp) continue;
      for (const ci of ciProfiles(model, gp))
        rows.push({
          gpu: gpu.index,
          giId: gi.id,
          name: ci.name,
          profileId: ci.id,
          isDefault: ci.isDefault,
          free: ciFreeCount(gi, ci, gp.computeSlices),
          total: ci.total,
          sm: ci.multiprocessors,
          dec: gp.decoders,
          enc: gp.encoders,
          ofa: gp.ofaEngines,
          ce: gp.copyEngines,
          jpeg: gp.jpegEngines,
        });
    }
  }
  if (rows.length === 0) return message(req.state, 'No GPU instances found: Not Found', EXIT.notFound);
  const o = new Output();
  for (const l of formatLcip(rows)) o.line(l);
  return o.result(req.state, EXIT.ok);
}

function listComputeInstances(req: MigRequest): SmiResult {
  const targets = migGpus(req);
  if (targets.length === 0) return message(req.state, NO_MIG_ENABLED, EXIT.notFound);
  const rows: LciRow[] = [];
  for (const { gpu, model } of targets)
    for (const gi of selectedGis(req, gpu, model))
      for (const ci of [...gi.cis].sort((a, b) => a.id - b.id))
        if (!req.ciIds || req.ciIds.includes(ci.id))
          rows.push({
            gpu: gpu.index,
            giId: gi.id,
            name: ciProfileOf(model, gi, ci)?.name ?? '?',
            profileId: ci.profileId,
            ciId: ci.id,
            start: ci.start,
            size: ci.size,
          });
  if (rows.length === 0) return message(req.state, 'No compute instances found: Not Found', EXIT.notFound);
  const o = new Output();
  for (const l of formatLci(req.state.tableLayout, rows)) o.line(l);
  return o.result(req.state, EXIT.ok);
}

/**
 * `-cci [<list>]` (mig.md §5.11). No list: the default CI in every selected GI that has none.
 * With a list, every selected GI gets the whole list. Failure text by analogy with §5.14 [U].
 */
function createComputeInstances(req: MigRequest, list: string | undefined): SmiResult {
  const { state } = req;
  const targets = migGpus(req);
  if (targets.length === 0) return message(state, NO_MIG_ENABLED, EXIT.notFound);
  const o = new Output();
  let any = false;
  for (const { gpu, model } of targets) {
    const gis = [...selectedGis(req, gpu, model)].sort((a, b) => a.id - b.id);
    for (const gi of gis) {
      const gp = giProfile(model, gi.profileId);
      if (!gp) continue;
      const offered = ciProfiles(model, gp);
      if (list === undefined && gi.cis.length > 0 && !req.giIds) continue;
      any = true;
      const tokens = list === undefined ? [String(gp.defaultCiProfileId)] : list.split(',');
      for (const token of tokens) {
        const what = token.trim().replace(/^MIG\s+/, '');
        const ci = /^\d+$/.test(what)
          ? offered.find((c) => c.id === Number(what))
          : offered.find((c) => c.name === what);
        const fail = (error: string): SmiResult => {
          o.line(
            `Unable to create a compute instance on GPU ${pad2(gpu.index)} GPU instance ID ${pad2(gi.id)} using profile ${token}: ${error}`,
          );
          o.line(`Failed to create compute instances: ${error}`);
          return o.result(state, EXIT.failed);
        };
        if (!ci) return fail('Invalid Argument');
        if (ciFreeCount(gi, ci, gp.computeSlices) === 0) return fail('Insufficient Resources');
        const start = ciAutoPlacement(gi, ci, gp.computeSlices, state.tableLayout === 'wide');
        if (start === null) return fail('Insufficient Resources');
        o.line(addComputeInstance(state, gpu, gi, ci, start));
      }
    }
  }
  if (!any) return message(state, 'No GPU instances found: Not Found', EXIT.notFound);
  return o.result(state, EXIT.ok);
}

/** `-dci` (mig.md §5.13). */
function destroyComputeInstances(req: MigRequest): SmiResult {
  const { state } = req;
  const targets = migGpus(req);
  if (targets.length === 0) return message(state, NO_MIG_ENABLED, EXIT.notFound);
  const gis = targets.flatMap(({ gpu, model }) => selectedGis(req, gpu, model).map((gi) => ({ gpu, gi })));
  if (gis.length === 0) return message(state, 'No GPU instances found: Not Found', EXIT.notFound);
  const victims = gis
    .sort((a, b) => a.gpu.index - b.gpu.index || a.gi.id - b.gi.id)
    .flatMap(({ gpu, gi }) =>
      [...gi.cis]
        .sort((a, b) => a.id - b.id)
        .filter((ci) => !req.ciIds || req.ciIds.includes(ci.id))
        .map((ci) => ({ gpu, gi, ci })),
    );
  if (victims.length === 0) return message(state, 'No compute instances found: Not Found', EXIT.notFound);
  const o = new Output();
  for (const { gpu, gi, ci } of victims) {
    if (gpu.processes.some((p) => p.giId === gi.id && (p.ciId === null || p.ciId === ci.id))) {
      // Not captured; by analogy with -dgi (§5.13 [I]).
      o.line(
        `Unable to destroy compute instance ID ${pad2(ci.id)} from GPU ${pad2(gpu.index)} GPU instance ID ${pad2(gi.id)}: In use by another client`,
      );
      o.line('Failed to destroy compute instances: In use by another client');
      return o.result(state, EXIT.failed);
    }
    gi.cis = gi.cis.filter((c) => c !== ci);
    o.line(
      `Successfully destroyed compute instance ID ${pad2(ci.id)} from GPU ${pad2(gpu.index)} GPU instance ID ${pad2(gi.id)}`,
    );
  }
  return o.result(state, EXIT.ok);
}

/** `-dgi` (mig.md §5.13): refused while the GI still has a CI or a process. */
function destroyGpuInstances(req: MigRequest): SmiResult {
  const { state } = req;
  const targets = migGpus(req);
  if (targets.length === 0) return message(state, NO_MIG_ENABLED, EXIT.notFound);
  const victims = targets
    .flatMap(({ gpu, model }) => selectedGis(req, gpu, model).map((gi) => ({ gpu, gi })))
    .sort((a, b) => a.gpu.index - b.gpu.index || a.gi.id - b.gi.id);
  if (victims.length === 0) return message(state, 'No GPU instances found: Not Found', EXIT.notFound);
  const o = new Output();
  for (const { gpu, gi } of victims) {
    if (gi.cis.length > 0 || gpu.processes.some((p) => p.giId === gi.id)) {
      o.line(
        `Unable to destroy GPU instance ID ${pad2(gi.id)} from GPU ${pad2(gpu.index)}: In use by another client`,
      );
      o.line('Failed to destroy GPU instances: In use by another client');
      return o.result(state, EXIT.failed);
    }
    gpu.gis = gpu.gis.filter((g) => g !== gi);
    o.line(`Successfully destroyed GPU instance ID ${pad2(gi.id)} from GPU ${pad2(gpu.index)}`);
  }
  return o.result(state, EXIT.ok);
}
