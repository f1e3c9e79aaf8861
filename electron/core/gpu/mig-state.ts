// A host's MIG state read back as GpuMigState[]: the commands to run and the pure parser of their
// outputs (mig.md §5.3, §5.9, §5.12, §6). The planner works on this; the applier re-reads it after
// every change instead of assuming IDs or placements (mig.md §10.2).
import { modelForProductName } from '../../../shared/mig/catalog';
import type {
  GpuMigState,
  GpuProcessInfo,
  MigComputeInstance,
  MigGpuInstance,
} from '../../../shared/mig/layout';
import { ParseError, classifyMessage, splitLines } from './parse-error';
import type { Line } from './parse-error';
import {
  LIST_COMPUTE_INSTANCES_COMMAND,
  LIST_GPU_INSTANCES_COMMAND,
  parseComputeInstances,
  parseGpuInstances,
} from './parse-mig-tables';
import { QUERY_GPU_COMMAND, parseQueryGpu } from './parse-query-gpu';

export const QUERY_COMPUTE_APPS_COMMAND =
  'nvidia-smi --query-compute-apps=pid,name,gpu_uuid --format=csv,noheader';

/** The read-back commands, each for every GPU of the host, in the order the outputs are named. */
export const MIG_STATE_COMMANDS = {
  gpus: QUERY_GPU_COMMAND,
  gpuInstances: LIST_GPU_INSTANCES_COMMAND,
  computeInstances: LIST_COMPUTE_INSTANCES_COMMAND,
  processes: QUERY_COMPUTE_APPS_COMMAND,
} as const;

/** What each of MIG_STATE_COMMANDS printed (stdout; nvidia-smi prints its errors there too). */
export type MigStateOutputs = Record<keyof typeof MIG_STATE_COMMANDS, string>;

export interface ComputeApp {
  pid: number;
  name: string;
  gpuUuid: string;
}

const GPU_UUID = /^GPU-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * `--query-compute-apps=pid,name,gpu_uuid --format=csv,noheader`: one `pid, name, GPU-uuid` line
 * per process. No processes prints nothing (some drivers: `No running processes found`). A name
 * may itself contain `, `, so the pid is the first value and the UUID the last.
 */
export function parseComputeApps(text: string): ComputeApp[] {
  const cmd = QUERY_COMPUTE_APPS_COMMAND;
  const lines = splitLines(text);
  if (lines.length === 0) return [];
  if (classifyMessage(cmd, lines, ['No running processes found']) === 'empty') return [];
  return lines.flatMap(({ n, text: line }, i) => {
    if (i === 0 && /^pid, (process_)?name, gpu_uuid$/.test(line)) return [];
    const values = line.split(',').map((v) => v.trim());
    const pid = values[0] ?? '';
    const uuid = values[values.length - 1] ?? '';
    const name = values.slice(1, -1).join(', ');
    if (values.length < 3) throw new ParseError(cmd, n, line, `has ${values.length} values, expected 3`);
    if (!/^\d+$/.test(pid))
      throw new ParseError(cmd, n, line, `has ${JSON.stringify(pid)} where pid should be`);
    if (!GPU_UUID.test(uuid))
      throw new ParseError(cmd, n, line, `has ${JSON.stringify(uuid)} where gpu_uuid should be`);
    if (name === '') throw new ParseError(cmd, n, line, 'has no process name');
    return [{ pid: Number(pid), name, gpuUuid: uuid }];
  });
}

/** The k-th record row of a boxed table (the rows follow the `|===|` rule, each closed by a border). */
function recordLine(text: string, k: number): Line {
  const lines = splitLines(text);
  const rule = lines.findIndex((l) => /^\|=+\|$/.test(l.text));
  return lines[rule + 1 + 2 * k] ?? { n: 0, text: '' };
}

/**
 * Turns the outputs of MIG_STATE_COMMANDS into one GpuMigState per GPU. "Nothing there" answers
 * (`No MIG-enabled devices found.`, `No GPU instances found: Not Found`, `No compute instances
 * found: Not Found`, no processes) are empty lists; garbled output throws ParseError naming the
 * command and line, a reported failure NvidiaSmiFailure. A GPU whose name the catalogue does not
 * know, or that cannot do MIG (`[N/A]`), has model null.
 */
export function parseMigState(outputs: MigStateOutputs): GpuMigState[] {
  const gpus = parseQueryGpu(outputs.gpus);
  const giRows = parseGpuInstances(outputs.gpuInstances);
  const ciRows = parseComputeInstances(outputs.computeInstances);
  const apps = parseComputeApps(outputs.processes);

  const states: GpuMigState[] = gpus.map((g) => {
    const capable = g.migCurrent !== 'unsupported';
    return {
      index: g.index,
      uuid: g.uuid,
      name: g.name,
      model: capable ? (modelForProductName(g.name, g.memoryMiB)?.key ?? null) : null,
      migCurrent: g.migCurrent === 'enabled',
      migPending: g.migPending === 'enabled',
      processes: [],
      gpuInstances: [],
    };
  });
  const byIndex = new Map(states.map((s) => [s.index, s]));
  const gis = new Map<string, MigGpuInstance>();

  giRows.forEach((row, k) => {
    const gpu = byIndex.get(row.gpu);
    if (!gpu) {
      const line = recordLine(outputs.gpuInstances, k);
      throw new ParseError(
        LIST_GPU_INSTANCES_COMMAND,
        line.n,
        line.text,
        `names GPU ${row.gpu}, which --query-gpu did not list`,
      );
    }
    const gi: MigGpuInstance = {
      id: row.giId,
      profileId: row.profileId,
      profile: row.profileName,
      start: row.placement.start,
      size: row.placement.size,
      computeInstances: [],
    };
    gpu.gpuInstances.push(gi);
    gis.set(`${row.gpu}/${row.giId}`, gi);
  });

  ciRows.forEach((row, k) => {
    const gi = gis.get(`${row.gpu}/${row.giId}`);
    if (!gi) {
      const line = recordLine(outputs.computeInstances, k);
      throw new ParseError(
        LIST_COMPUTE_INSTANCES_COMMAND,
        line.n,
        line.text,
        `names GPU instance ${row.giId} of GPU ${row.gpu}, which -lgi did not list`,
      );
    }
    const ci: MigComputeInstance = {
      id: row.ciId,
      profileId: row.profileId,
      profile: row.profileName,
      start: row.placement?.start ?? null,
      size: row.placement?.size ?? null,
    };
    gi.computeInstances.push(ci);
  });

  const byUuid = new Map(states.map((s) => [s.uuid.toLowerCase(), s]));
  const appLines = splitLines(outputs.processes);
  apps.forEach((app) => {
    const gpu = byUuid.get(app.gpuUuid.toLowerCase());
    if (!gpu) {
      const line = appLines.find((l) => l.text.includes(app.gpuUuid)) ?? { n: 0, text: '' };
      throw new ParseError(
        QUERY_COMPUTE_APPS_COMMAND,
        line.n,
        line.text,
        `names ${app.gpuUuid}, which --query-gpu did not list`,
      );
    }
    const p: GpuProcessInfo = { pid: app.pid, name: app.name };
    gpu.processes.push(p);
  });

  for (const s of states) {
    s.gpuInstances.sort((a, b) => a.start - b.start);
    for (const gi of s.gpuInstances) gi.computeInstances.sort((a, b) => a.id - b.id);
  }
  return states;
}
