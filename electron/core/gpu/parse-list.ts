// `nvidia-smi -L`: the GPUs and their MIG devices (mig.md §5.2, regexes of §10.2).
import { ParseError, classifyMessage, splitLines } from './parse-error';

export const LIST_GPUS_COMMAND = 'nvidia-smi -L';

/** One MIG device (a GI + CI pair, mig.md §1) as `-L` lists it. */
export interface ListedMigDevice {
  /** Per-GPU MIG device index; restarts at 0 on every GPU and is not stable (§5.2). */
  index: number;
  /** CI profile name without `MIG ` (`1c.3g.40gb`, `1g.10gb`; `+me` is never printed, §1). */
  profileName: string;
  /** `MIG-<uuid>` (R470+), or the R450/R460 form `MIG-GPU-<gpu uuid>/<gi>/<ci>`. */
  uuid: string;
  /** GPU-instance / compute-instance IDs: only the R450/R460 UUID carries them, else null. */
  giId: number | null;
  ciId: number | null;
}

export interface ListedGpu {
  index: number;
  name: string;
  uuid: string;
  migDevices: ListedMigDevice[];
}

const HEX_UUID = '[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}';
/** `GPU <index>: <name> (UUID: GPU-<8-4-4-4-12 hex>)` (§5.2). */
const GPU_LINE = new RegExp(`^GPU (\\d+): (\\S.*?) \\(UUID: (GPU-${HEX_UUID})\\)$`);
/** `"  %-15s Device %2d: (UUID: %s)"` (R470+) and the unpadded R450 form; both start with 2 spaces. */
const MIG_LINE = new RegExp(
  `^ {2}MIG (\\S+) +Device +(\\d+): \\(UUID: (MIG-${HEX_UUID}|MIG-(GPU-${HEX_UUID})/(\\d+)/(\\d+))\\)$`,
);
/** GI profile names as printed (`1g.10gb`, `1c.3g.40gb`, `1g.24gb+gfx`, `1g.24gb-me`), §1. */
export const PROFILE_NAME = /^(?:\d+c\.)?\d+g\.\d+gb(?:[+-][a-z]+(?:\.[a-z]+)?)*$/;

/** Parses `nvidia-smi -L`. `No devices were found` is an empty list; anything off-grammar throws. */
export function parseListGpus(text: string): ListedGpu[] {
  const cmd = LIST_GPUS_COMMAND;
  const lines = splitLines(text);
  if (classifyMessage(cmd, lines, ['No devices were found']) === 'empty') return [];
  const gpus: ListedGpu[] = [];
  for (const { n, text: line } of lines) {
    const g = GPU_LINE.exec(line);
    if (g) {
      const index = Number(g[1]);
      if (gpus.some((x) => x.index === index))
        throw new ParseError(cmd, n, line, `lists GPU ${index} a second time`);
      gpus.push({ index, name: g[2] ?? '', uuid: g[3] ?? '', migDevices: [] });
      continue;
    }
    const m = MIG_LINE.exec(line);
    const gpu = gpus[gpus.length - 1];
    if (!m) throw new ParseError(cmd, n, line, 'does not look like a GPU or MIG-device line');
    if (!gpu) throw new ParseError(cmd, n, line, 'lists a MIG device before any GPU');
    const profileName = m[1] ?? '';
    if (!PROFILE_NAME.test(profileName))
      throw new ParseError(cmd, n, line, 'has a MIG profile name of an unknown shape');
    const index = Number(m[2]);
    // Device numbering restarts at 0 on every GPU and counts up (§5.2, §4.6).
    if (index !== gpu.migDevices.length)
      throw new ParseError(cmd, n, line, `numbers a MIG device ${index}, expected ${gpu.migDevices.length}`);
    const oldGpuUuid = m[4];
    if (oldGpuUuid !== undefined && oldGpuUuid.toLowerCase() !== gpu.uuid.toLowerCase())
      throw new ParseError(cmd, n, line, `names a MIG device of another GPU than ${gpu.uuid}`);
    gpu.migDevices.push({
      index,
      profileName,
      uuid: m[3] ?? '',
      giId: m[5] === undefined ? null : Number(m[5]),
      ciId: m[6] === undefined ? null : Number(m[6]),
    });
  }
  return gpus;
}
