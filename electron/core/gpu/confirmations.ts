// What the driver says it did. Every `nvidia-smi mig` create and destroy answers with a line naming
// the instance and its driver-assigned ID (mig.md §5.8, §5.11, §5.13). The applier reads that answer
// back after each step and carries the GPU's state forward from it, instead of listing every table
// again; the listings are read to verify each GPU at the end of its plan, and whenever an answer is
// not the one expected (then the listings decide). Pure.
import { findModel, giProfileByName } from '../../../shared/mig/catalog';
import type { GpuMigState, MigStep } from '../../../shared/mig/layout';

const CREATED_GI =
  /^Successfully created GPU instance ID\s+(\d+) on GPU\s+(\d+) using profile MIG (\S+) \(ID\s+(\d+)\)$/;
const CREATED_CI =
  /^Successfully created compute instance ID\s+(\d+) on GPU\s+(\d+) GPU instance ID\s+(\d+) using profile MIG (\S+) \(ID\s+(\d+)\)$/;
const DESTROYED_CI =
  /^Successfully destroyed compute instance ID\s+(\d+) from GPU\s+(\d+) GPU instance ID\s+(\d+)$/;
const DESTROYED_GI = /^Successfully destroyed GPU instance ID\s+(\d+) from GPU\s+(\d+)$/;

export type Confirmation = { ok: true; state: GpuMigState } | { ok: false; reason: string };

/** The only non-empty line of the answer, or null when there is not exactly one. */
function onlyLine(output: string): string | null {
  const lines = output
    .split('\n')
    .map((l) => l.trimEnd())
    .filter((l) => l.trim() !== '');
  return lines.length === 1 ? (lines[0] as string) : null;
}

/**
 * The GPU's state after `step`, from the driver's answer to its command, or why the answer does not
 * confirm the step (a different line, another GPU, profile or ID; an older driver's wording). Mode
 * changes and resets are never confirmed this way: whether a mode is pending needs a listing.
 */
export function confirmStep(step: MigStep, before: GpuMigState, output: string): Confirmation {
  const line = onlyLine(output);
  const no = (reason: string): Confirmation => ({ ok: false, reason });
  if (line === null) return no('the answer is not a single line');
  const state = structuredClone(before);
  switch (step.kind) {
    case 'create-gpu-instance': {
      const m = CREATED_GI.exec(line);
      if (!m) return no(`unexpected answer: ${line}`);
      const [, id, gpu, profile, profileId] = m;
      if (Number(gpu) !== step.gpu || profile !== step.gi.profile || Number(profileId) !== step.profileId)
        return no(`the driver created something else: ${line}`);
      if (state.gpuInstances.some((gi) => gi.id === Number(id)))
        return no(`GPU instance ${id} already existed`);
      const model = state.model === null ? undefined : findModel(state.model);
      const size = model ? giProfileByName(model, step.gi.profile)?.memorySlices : undefined;
      if (size === undefined) return no(`the size of ${step.gi.profile} is not known`);
      // The placement was given explicitly (`-cgi P:S`): the driver made it there or refused.
      state.gpuInstances.push({
        id: Number(id),
        profileId: step.profileId,
        profile: step.gi.profile,
        start: step.gi.start,
        size,
        computeInstances: [],
      });
      return { ok: true, state };
    }
    case 'create-compute-instance': {
      const m = CREATED_CI.exec(line);
      if (!m) return no(`unexpected answer: ${line}`);
      const [, id, gpu, giId, profile, profileId] = m;
      const gi = state.gpuInstances.find((g) => g.profile === step.gi.profile && g.start === step.gi.start);
      if (!gi || Number(gpu) !== step.gpu || Number(giId) !== gi.id)
        return no(`the driver answered for another instance: ${line}`);
      if (profile !== step.profile || Number(profileId) !== step.profileId)
        return no(`the driver created another compute-instance profile: ${line}`);
      if (gi.computeInstances.some((ci) => ci.id === Number(id)))
        return no(`compute instance ${id} already existed`);
      // Where inside the GI the driver put it is only in the listing (informational, mig.md §4.5).
      gi.computeInstances.push({
        id: Number(id),
        profileId: step.profileId,
        profile: step.profile,
        start: null,
        size: null,
      });
      return { ok: true, state };
    }
    case 'destroy-compute-instance': {
      const m = DESTROYED_CI.exec(line);
      if (!m || Number(m[1]) !== step.ciId || Number(m[2]) !== step.gpu || Number(m[3]) !== step.giId)
        return no(`unexpected answer: ${line}`);
      const gi = state.gpuInstances.find((g) => g.id === step.giId);
      if (!gi) return no(`GPU instance ${step.giId} was not there`);
      gi.computeInstances = gi.computeInstances.filter((ci) => ci.id !== step.ciId);
      return { ok: true, state };
    }
    case 'destroy-gpu-instance': {
      const m = DESTROYED_GI.exec(line);
      if (!m || Number(m[1]) !== step.giId || Number(m[2]) !== step.gpu)
        return no(`unexpected answer: ${line}`);
      state.gpuInstances = state.gpuInstances.filter((gi) => gi.id !== step.giId);
      return { ok: true, state };
    }
    case 'set-mig-mode':
    case 'reset-gpu':
    case 'verify':
      return no('confirmed by reading the state back');
  }
}
