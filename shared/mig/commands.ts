// The nvidia-smi command line of each MIG plan step (mig.md §5.1, §5.5, §5.8, §5.11, §5.13, §6) and
// the one-line description the plan view shows. Pure; the applier runs the commands.
import { findModel, giProfileByName } from './catalog';
import type { GiPlacementRef, MigStep } from './layout';
import { describeSlots } from './validate';

/**
 * The driver-assigned ID of a GI the plan names by placement. The applier answers it from `-lgi`
 * read after the GIs are created (mig.md §4.5: IDs are never predicted).
 */
export type GiIdResolver = (gi: GiPlacementRef) => number;

/**
 * The argv (starting with `nvidia-smi`) that carries out a step, or null for `verify`, which is no
 * single command: the applier reads the state back (electron/core/gpu/mig-state.ts) and plans
 * again, and an empty plan is the proof. Create-compute-instance asks `resolveGiId` for its GI.
 */
export function stepArgv(step: MigStep, resolveGiId: GiIdResolver): string[] | null {
  const i = ['-i', String(step.gpu)];
  switch (step.kind) {
    case 'set-mig-mode':
      return ['nvidia-smi', ...i, '-mig', step.enable ? '1' : '0'];
    case 'reset-gpu':
      return ['nvidia-smi', '-r', ...i];
    case 'destroy-compute-instance':
      return ['nvidia-smi', 'mig', ...i, '-gi', String(step.giId), '-ci', String(step.ciId), '-dci'];
    case 'destroy-gpu-instance':
      return ['nvidia-smi', 'mig', ...i, '-gi', String(step.giId), '-dgi'];
    case 'create-gpu-instance':
      // `<profile ID>:<start>` pins the placement (mig.md §5.8), so creation order cannot matter.
      return ['nvidia-smi', 'mig', ...i, '-cgi', `${step.profileId}:${step.gi.start}`];
    case 'create-compute-instance':
      return ['nvidia-smi', 'mig', ...i, '-gi', String(resolveGiId(step.gi)), '-cci', String(step.profileId)];
    case 'verify':
      return null;
  }
}

/** The command line as one string (every token is free of spaces), or null for `verify`. */
export function stepCommand(step: MigStep, resolveGiId: GiIdResolver): string | null {
  return stepArgv(step, resolveGiId)?.join(' ') ?? null;
}

function where(gi: GiPlacementRef, modelKey: string | undefined): string {
  const model = modelKey === undefined ? undefined : findModel(modelKey);
  const size = model ? giProfileByName(model, gi.profile)?.memorySlices : undefined;
  return size === undefined ? `at slot ${gi.start}` : `at ${describeSlots(gi.start, size)}`;
}

/**
 * A one-line description for the plan view: `create 3g.40gb at slots 0–3`. `modelKey` (the plan's
 * model) lets it name the slots a GI covers; without it only the start is named.
 */
export function describeStep(step: MigStep, modelKey?: string): string {
  switch (step.kind) {
    case 'set-mig-mode':
      return `${step.enable ? 'enable' : 'disable'} MIG mode on GPU ${step.gpu}${step.resetRequired ? ' (takes effect after a GPU reset)' : ''}`;
    case 'reset-gpu':
      return `reset GPU ${step.gpu}`;
    case 'destroy-compute-instance':
      return `destroy compute instance ${step.ciId} of ${step.gi.profile} ${where(step.gi, modelKey)} (GI ${step.giId})`;
    case 'destroy-gpu-instance':
      return `destroy ${step.gi.profile} ${where(step.gi, modelKey)} (GI ${step.giId})`;
    case 'create-gpu-instance':
      return `create ${step.gi.profile} ${where(step.gi, modelKey)}`;
    case 'create-compute-instance':
      return `create compute instance ${step.profile} in ${step.gi.profile} ${where(step.gi, modelKey)}`;
    case 'verify':
      return `verify GPU ${step.gpu} reads back as planned`;
  }
}
