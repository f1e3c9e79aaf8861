// Carries out a MIG plan on one GPU over SSH (design.md §4): each step's command, then what the GPU
// is now read back (the driver's answer naming the instance and its ID, or the listings) and checked
// against what the step should have done; the GI IDs new compute instances need come from that
// read-back, never from a prediction (mig.md §4.5). The last step reads the listings and verifies
// the whole GPU against the layout. On a failure, a
// failed read-back or a cancellation it plans the way back to the layout the GPU had before and
// carries that out; when even that fails it reports exactly what the GPU was left in.
import { createHash } from 'node:crypto';
import { stepCommand, describeStep } from '../../../shared/mig/commands';
import type { GpuMigState, MigLayout, MigPlan, MigStep } from '../../../shared/mig/layout';
import { layoutOf, matchesLayout } from '../../../shared/mig/observed';
import { planMigLayout } from '../../../shared/mig/plan';
import { confirmStep } from './confirmations';
import { MIG_STATE_COMMANDS, parseMigState } from './mig-state';
import { parseQueryGpu } from './parse-query-gpu';

/** Runs one command on the GPU's host; throws when the host cannot be reached or the link drops. */
export interface MigCommandRunner {
  run(
    command: string,
    options?: { signal?: AbortSignal },
  ): Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
}

export interface MigStepResult {
  step: MigStep;
  description: string;
  /** null for `verify`, which reads the state back instead. */
  command: string | null;
  exitCode: number | null;
  /** What the command printed (cut at 2,000 characters) and the SHA-256 of all of it. */
  output: string;
  outputSha256: string;
  ok: boolean;
  /** Why the step is counted as failed (exit code, or the state read back is not what it should be). */
  error: string | null;
}

export type MigApplyOutcome = 'unchanged' | 'applied' | 'rolled-back' | 'failed';

export interface MigApplyResult {
  gpu: number;
  outcome: MigApplyOutcome;
  steps: MigStepResult[];
  /** The steps that took the GPU back, when something failed. */
  rollback: MigStepResult[];
  /** The GPU as last read back; null when even that was impossible (see `error`). */
  finalState: GpuMigState | null;
  error: string | null;
}

/** What the applier reports as it goes; the caller writes these into the ledger as they happen. */
export type MigJournalEvent =
  | { kind: 'step'; gpu: number; phase: 'apply' | 'rollback'; result: MigStepResult }
  | { kind: 'rollback'; gpu: number; reason: string; plan: MigPlan | null };

export interface MigApplyOptions {
  signal?: AbortSignal;
  /**
   * `confirmations` (default): after each create or destroy, the driver's answer (naming the
   * instance and its ID) is checked and carried forward; after a mode change or reset the GPU's
   * mode is queried; the listings are read after any step that failed or whose answer does not
   * confirm it, and to verify the GPU at the end.
   * `every-step`: the listings are read after every step as well (slower: four nvidia-smi runs each).
   */
  readBack?: 'confirmations' | 'every-step';
  /** The step count progress reports (default: the steps run); a deferred verify still counts. */
  progressTotal?: number;
  journal?: (event: MigJournalEvent) => void;
  onProgress?: (progress: {
    gpu: number;
    phase: 'apply' | 'rollback';
    done: number;
    total: number;
    description: string;
  }) => void;
}

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const cut = (text: string) =>
  text.length > 2000 ? `${text.slice(0, 2000)}… (${text.length} characters)` : text;

/** Reads the whole host's MIG state (four nvidia-smi commands); garbled output throws a ParseError. */
export async function readHostMigState(
  runner: MigCommandRunner,
  signal?: AbortSignal,
): Promise<GpuMigState[]> {
  const out = async (command: string) => {
    // Listing commands exit non-zero for "No GPU instances found" and the like; the parser reads the text.
    const r = await runner.run(command, signal ? { signal } : {});
    return r.stdout + r.stderr;
  };
  // The four listings are independent reads: run them side by side (the pool allows several
  // commands per host), since every step of an apply reads the state back.
  const [gpus, gpuInstances, computeInstances, processes] = await Promise.all([
    out(MIG_STATE_COMMANDS.gpus),
    out(MIG_STATE_COMMANDS.gpuInstances),
    out(MIG_STATE_COMMANDS.computeInstances),
    out(MIG_STATE_COMMANDS.processes),
  ]);
  return parseMigState({ gpus, gpuInstances, computeInstances, processes });
}

async function readGpu(runner: MigCommandRunner, index: number): Promise<GpuMigState> {
  const gpu = (await readHostMigState(runner)).find((g) => g.index === index);
  if (!gpu) throw new Error(`GPU ${index} is no longer listed by nvidia-smi`);
  return gpu;
}

/** After a mode change or reset that succeeded only the mode can differ: one `--query-gpu` says it. */
async function readMode(runner: MigCommandRunner, known: GpuMigState): Promise<GpuMigState> {
  const r = await runner.run(MIG_STATE_COMMANDS.gpus);
  const gpu = parseQueryGpu(r.stdout + r.stderr).find((g) => g.index === known.index);
  if (!gpu) throw new Error(`GPU ${known.index} is no longer listed by nvidia-smi`);
  if (gpu.uuid !== known.uuid) throw new Error(`GPU ${known.index} is now ${gpu.uuid}, not ${known.uuid}`);
  return { ...known, migCurrent: gpu.migCurrent === 'enabled', migPending: gpu.migPending === 'enabled' };
}

/** Whether the state read back after a step shows what the step was meant to do; else why not. */
function stepEffectMissing(
  step: MigStep,
  before: GpuMigState,
  after: GpuMigState,
  desired: MigLayout,
): string | null {
  switch (step.kind) {
    case 'set-mig-mode': {
      const seen = step.resetRequired ? after.migPending : after.migCurrent;
      return seen === step.enable
        ? null
        : `MIG mode reads back ${after.migCurrent ? 'enabled' : 'disabled'} (pending ${after.migPending ? 'enabled' : 'disabled'})`;
    }
    case 'reset-gpu':
      return after.migCurrent === after.migPending
        ? null
        : `the MIG-mode change is still pending after the reset (current ${after.migCurrent ? 'enabled' : 'disabled'})`;
    case 'destroy-compute-instance':
      return after.gpuInstances.some(
        (gi) => gi.id === step.giId && gi.computeInstances.some((ci) => ci.id === step.ciId),
      )
        ? `compute instance ${step.ciId} of GPU instance ${step.giId} is still there`
        : null;
    case 'destroy-gpu-instance':
      return after.gpuInstances.some((gi) => gi.id === step.giId)
        ? `GPU instance ${step.giId} is still there`
        : null;
    case 'create-gpu-instance':
      return after.gpuInstances.some((gi) => gi.profile === step.gi.profile && gi.start === step.gi.start)
        ? null
        : `no ${step.gi.profile} reads back at slot ${step.gi.start}`;
    case 'create-compute-instance': {
      const count = (s: GpuMigState) =>
        s.gpuInstances
          .find((gi) => gi.profile === step.gi.profile && gi.start === step.gi.start)
          ?.computeInstances.filter((ci) => ci.profile === step.profile).length ?? 0;
      return count(after) === count(before) + 1 ? null : `no new ${step.profile} compute instance reads back`;
    }
    case 'verify':
      return matchesLayout(after, desired) ? null : 'the GPU does not read back as the layout asks';
  }
}

interface StepRunOutcome {
  results: MigStepResult[];
  state: GpuMigState;
  /** Set when a step failed or the state could not be read back. */
  failure: string | null;
  /** False when the state could not even be read: `state` is the last one known. */
  stateKnown: boolean;
}

async function runSteps(
  runner: MigCommandRunner,
  gpu: number,
  steps: readonly MigStep[],
  start: GpuMigState,
  desired: MigLayout,
  model: string,
  phase: 'apply' | 'rollback',
  options: MigApplyOptions,
): Promise<StepRunOutcome> {
  // A plan whose verify step is deferred still counts it, so progress reads n of the plan's steps.
  const total = options.progressTotal ?? steps.length;
  const results: MigStepResult[] = [];
  let state = start;
  for (const [i, step] of steps.entries()) {
    if (phase === 'apply' && options.signal?.aborted)
      return { results, state, failure: 'cancelled by the operator', stateKnown: true };
    const description = describeStep(step, model);
    options.onProgress?.({ gpu, phase, done: i, total, description });
    let command: string | null = null;
    let exitCode: number | null = null;
    let output = '';
    let error: string | null = null;
    try {
      command = stepCommand(step, (gi) => {
        const found = state.gpuInstances.find((g) => g.profile === gi.profile && g.start === gi.start);
        if (!found) throw new Error(`no ${gi.profile} at slot ${gi.start} to create the compute instance in`);
        return found.id;
      });
      if (command !== null) {
        const r = await runner.run(command);
        exitCode = r.exitCode;
        output = r.stdout + r.stderr;
        if (r.exitCode !== 0) {
          // The last two lines that say something (nvidia-smi ends its reset failure with a blank line
          // and a paragraph, after the line naming the GPU and the reason).
          const said = output
            .split('\n')
            .map((l) => l.trim())
            .filter(Boolean)
            .slice(-2);
          error = `exited ${r.exitCode ?? 'without a status'}: ${said.join(' ')}`;
        }
      }
    } catch (e) {
      error = (e as Error).message;
    }
    let stateKnown = true;
    // The driver's answer confirms creates and destroys (with the IDs it chose); the listings are
    // read for everything else, for any answer that does not confirm the step, and when asked to.
    let confirmed = false;
    if (!error && command !== null && options.readBack !== 'every-step') {
      const answer = confirmStep(step, state, output);
      if (answer.ok) {
        state = answer.state;
        confirmed = true;
      }
    }
    if (!confirmed && (!error || command !== null)) {
      // Read back even after a failed command: the driver may have done part of it (mig.md §4.3).
      const modeOnly =
        !error &&
        options.readBack !== 'every-step' &&
        (step.kind === 'set-mig-mode' || step.kind === 'reset-gpu');
      try {
        const after = modeOnly ? await readMode(runner, state) : await readGpu(runner, gpu);
        if (!error) error = stepEffectMissing(step, state, after, desired);
        state = after;
      } catch (e) {
        stateKnown = false;
        error = `${error ? `${error}; ` : ''}the state could not be read back: ${(e as Error).message}`;
      }
    }
    const result: MigStepResult = {
      step,
      description,
      command,
      exitCode,
      output: cut(output),
      outputSha256: sha256(output),
      ok: error === null,
      error,
    };
    results.push(result);
    options.journal?.({ kind: 'step', gpu, phase, result });
    if (error) return { results, state, failure: `${description}: ${error}`, stateKnown };
  }
  options.onProgress?.({
    gpu,
    phase,
    done: steps.length,
    total,
    description: steps.length === total ? 'done' : 'to be verified with the host’s other GPUs',
  });
  return { results, state, failure: null, stateKnown: true };
}

/**
 * Carries out `plan` (made from `before` for `desired`). On any failure it rolls the GPU back to
 * `before`'s layout and says whether that worked; the result always carries the state read last.
 * With `deferVerify` the plan's final `verify` step is left out and the result is `applied` but not
 * yet verified: the caller verifies it with `verifyApplied` from a read of the whole host.
 */
export async function applyMigPlan(
  runner: MigCommandRunner,
  plan: MigPlan,
  before: GpuMigState,
  desired: MigLayout,
  options: MigApplyOptions & { deferVerify?: boolean } = {},
): Promise<MigApplyResult> {
  const gpu = plan.gpu;
  if (plan.steps.length === 0)
    return { gpu, outcome: 'unchanged', steps: [], rollback: [], finalState: before, error: null };
  const steps = options.deferVerify ? plan.steps.filter((st) => st.kind !== 'verify') : plan.steps;
  const applied = await runSteps(runner, gpu, steps, before, desired, plan.model, 'apply', {
    ...options,
    progressTotal: plan.steps.length,
  });
  if (!applied.failure) {
    return {
      gpu,
      outcome: 'applied',
      steps: applied.results,
      rollback: [],
      finalState: applied.state,
      error: null,
    };
  }
  return rollBack(
    runner,
    plan,
    before,
    applied.stateKnown ? applied.state : null,
    applied.failure,
    applied.results,
    options,
  );
}

/**
 * The deferred `verify` step of a plan applied with `deferVerify`: checks the GPU as read now
 * (`read`, from one read of the whole host) against the layout, records the step, and rolls the
 * GPU back when it does not match.
 */
export async function verifyApplied(
  runner: MigCommandRunner,
  plan: MigPlan,
  before: GpuMigState,
  desired: MigLayout,
  applied: MigApplyResult,
  read: GpuMigState | undefined,
  options: MigApplyOptions = {},
): Promise<MigApplyResult> {
  const step = plan.steps.find((st) => st.kind === 'verify');
  if (applied.outcome !== 'applied' || !step) return applied;
  const error = !read
    ? `GPU ${plan.gpu} is no longer listed by nvidia-smi`
    : stepEffectMissing(step, read, read, desired);
  const result: MigStepResult = {
    step,
    description: describeStep(step, plan.model),
    command: null,
    exitCode: null,
    output: '',
    outputSha256: sha256(''),
    ok: error === null,
    error,
  };
  options.journal?.({ kind: 'step', gpu: plan.gpu, phase: 'apply', result });
  const total = plan.steps.length;
  options.onProgress?.({
    gpu: plan.gpu,
    phase: 'apply',
    done: total,
    total,
    description: error ? 'verification failed' : 'verified',
  });
  const steps = [...applied.steps, result];
  if (!error) return { ...applied, steps, finalState: read ?? applied.finalState };
  return rollBack(runner, plan, before, read ?? null, `${result.description}: ${error}`, steps, options);
}

/** Back to `before`'s layout after `failure`; `current` is the state read last (null: unknown). */
async function rollBack(
  runner: MigCommandRunner,
  plan: MigPlan,
  before: GpuMigState,
  known: GpuMigState | null,
  failure: string,
  steps: MigStepResult[],
  options: MigApplyOptions,
): Promise<MigApplyResult> {
  const gpu = plan.gpu;
  // With the link down even reading the state may fail: one fresh attempt.
  const current = known ?? (await readGpu(runner, gpu).catch(() => null));
  if (!current) {
    options.journal?.({ kind: 'rollback', gpu, reason: failure, plan: null });
    return {
      gpu,
      outcome: 'failed',
      steps,
      rollback: [],
      finalState: null,
      error: `${failure}. The GPU's state could not be read back, so it was not rolled back: check GPU ${gpu} (nvidia-smi mig -lgi) once the host answers`,
    };
  }
  const previous = layoutOf(before);
  const back = planMigLayout(current, previous, { force: true });
  options.journal?.({ kind: 'rollback', gpu, reason: failure, plan: back.ok ? back.plan : null });
  if (!back.ok) {
    return {
      gpu,
      outcome: 'failed',
      steps,
      rollback: [],
      finalState: current,
      error: `${failure}. No way back to the previous layout could be planned (${back.problems.map((p) => p.message).join('; ')})`,
    };
  }
  const undone = await runSteps(
    runner,
    gpu,
    back.plan.steps,
    current,
    previous,
    plan.model,
    'rollback',
    options,
  );
  const finalState = undone.stateKnown ? undone.state : await readGpu(runner, gpu).catch(() => null);
  const restored = undone.failure === null && finalState !== null && matchesLayout(finalState, previous);
  return {
    gpu,
    outcome: restored ? 'rolled-back' : 'failed',
    steps,
    rollback: undone.results,
    finalState,
    error: restored
      ? `${failure}. The GPU was rolled back to its previous layout.`
      : `${failure}. Rolling back failed too${undone.failure ? ` (${undone.failure})` : ''}: the GPU is left as read back last`,
  };
}
