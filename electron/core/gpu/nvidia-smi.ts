// The nvidia-smi outputs discovery reads (mig.md §5), one pure parser each. Every parser takes the
// raw text (CRLF and trailing spaces tolerated) and returns typed rows, or throws a ParseError
// naming the command and the line; a reported failure (`Failed to ...`) throws NvidiaSmiFailure.
import { ParseError, classifyMessage, splitLines } from './parse-error';

export { NvidiaSmiFailure, ParseError, quoteLine, splitLines } from './parse-error';
export type { Line } from './parse-error';
export { LIST_GPUS_COMMAND, PROFILE_NAME, parseListGpus } from './parse-list';
export type { ListedGpu, ListedMigDevice } from './parse-list';
export { QUERY_GPU_COMMAND, QUERY_GPU_FIELDS, parseQueryGpu } from './parse-query-gpu';
export type { MigMode, QueriedGpu, QueryGpuField } from './parse-query-gpu';
export {
  LIST_COMPUTE_INSTANCES_COMMAND,
  LIST_GPU_INSTANCES_COMMAND,
  LIST_GPU_INSTANCE_PLACEMENTS_COMMAND,
  LIST_GPU_INSTANCE_PROFILES_COMMAND,
  parseComputeInstances,
  parseGpuInstancePlacements,
  parseGpuInstanceProfiles,
  parseGpuInstances,
} from './parse-mig-tables';
export type {
  ComputeInstanceRow,
  GpuInstancePlacementsRow,
  GpuInstanceProfileRow,
  GpuInstanceRow,
  Placement,
} from './parse-mig-tables';
export { QUERY_XML_COMMAND, parseQueryXml } from './parse-query-xml';
export type { QueryXml, XmlGpu, XmlMigDevice } from './parse-query-xml';

export const CC_STATUS_COMMAND = 'nvidia-smi conf-compute -f';

/**
 * `nvidia-smi conf-compute -f` -> whether confidential computing is on (mig.md §9.2:
 * `CC status: ON` / `CC status: OFF`). A driver or GPU without CC answers with an error text,
 * which throws (NvidiaSmiFailure when it reads like one).
 */
export function parseCcStatus(text: string): boolean {
  const lines = splitLines(text);
  classifyMessage(CC_STATUS_COMMAND, lines, []);
  const [line, extra] = lines;
  if (extra) throw new ParseError(CC_STATUS_COMMAND, extra.n, extra.text, 'follows the CC status line');
  const m = /^CC status: (ON|OFF)$/.exec(line?.text ?? '');
  if (!m || !line)
    throw new ParseError(CC_STATUS_COMMAND, line?.n ?? 1, line?.text ?? '', 'is not "CC status: ON|OFF"');
  return m[1] === 'ON';
}
