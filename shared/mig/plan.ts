// From what a GPU looks like now to what the operator asked for: the MIG plan. Pure: a GpuMigState
// read back from the host and a MigLayout in, the ordered steps out (mig.md §5.5, §5.8-§5.13, §6).
// Keeps every GI and CI that can stay, so re-applying a layout leaves running MIG devices alone; never
// predicts a GI ID (mig.md §4.5): new GIs are named by placement and their IDs read back.
import { ciProfileByName, findModel, giProfileById, giProfileByName } from './catalog';
import type { GiProfile, GpuModel } from './catalog';
import type {
  GiPlacementRef,
  GpuInstanceSpec,
  GpuMigState,
  MigComputeInstance,
  MigGpuInstance,
  MigLayout,
  MigPlan,
  MigPlanProblem,
  MigStep,
} from './layout';
import { computeInstancesOf, describeSlots, packingGroup, packings, validateLayout } from './validate';

export interface PlanOptions {
  /** Plan even while processes hold the GPU (an admin's decision; the driver may still refuse). */
  force?: boolean;
}

export type MigPlanResult = { ok: true; plan: MigPlan } | { ok: false; problems: MigPlanProblem[] };

// ---------------------------------------------------------------------------------------------
// Compute instances inside a GI that stays

/**
 * Where a new CI can go inside a GI. The catalogue has no CI placements and `-cci` takes none, so
 * this is the pattern the captures show [I] (mig.md §4.5: `0:1`, `2:1`, `0:4`): a k-slice CI starts
 * at a multiple of k, the full-size CI at 0 over the whole GI; the driver picks the start itself,
 * lowest or highest free depending on the branch (515 vs 580). A CI is kept only when the rest
 * fits whichever the driver picks; otherwise it is re-created, which is always safe.
 */
function ciStarts(size: number, giSlices: number, full: boolean): number[] {
  if (full) return [0];
  const starts: number[] = [];
  for (let s = 0; s + size <= giSlices; s += size) starts.push(s);
  return starts;
}

interface CiNeed {
  profile: string;
  profileId: number;
  computeSlices: number;
  full: boolean;
}

function restFitsAt(
  taken: readonly (readonly [number, number])[],
  rest: readonly CiNeed[],
  giSlices: number,
): boolean {
  for (const highest of [false, true]) {
    const occupied = [...taken];
    for (const need of rest) {
      const size = need.full ? giSlices : need.computeSlices;
      const free = ciStarts(need.computeSlices, giSlices, need.full).filter((s) =>
        occupied.every(([a, b]) => s + size <= a || b <= s),
      );
      const s = highest ? free[free.length - 1] : free[0];
      if (s === undefined) return false;
      occupied.push([s, s + size]);
    }
  }
  return true;
}

/**
 * Whether the CIs still to create fit beside the kept ones. A kept CI without a placement (R450's
 * -lci prints none) may sit at any start of its size, so the rest must fit beside every such choice.
 */
function restFits(
  kept: readonly MigComputeInstance[],
  sizes: readonly CiNeed[],
  rest: readonly CiNeed[],
  giSlices: number,
): boolean {
  if (rest.length === 0) return true;
  const known = kept.flatMap((c) =>
    c.start !== null && c.size !== null ? [[c.start, c.start + c.size] as const] : [],
  );
  const unknown = kept.flatMap((c, k) => (c.start === null || c.size === null ? [sizes[k]] : []));
  const tryAll = (taken: (readonly [number, number])[], k: number): boolean => {
    const need = unknown[k];
    if (!need) return restFitsAt(taken, rest, giSlices);
    const size = need.full ? giSlices : need.computeSlices;
    return ciStarts(need.computeSlices, giSlices, need.full)
      .filter((s) => taken.every(([a, b]) => s + size <= a || b <= s))
      .every((s) => tryAll([...taken, [s, s + size]], k + 1));
  };
  return tryAll(known, 0);
}

/** Larger CIs first: the order the plan creates them in (small ones first can block an aligned start). */
function bySizeDesc(a: CiNeed, b: CiNeed): number {
  return b.computeSlices - a.computeSlices || a.profile.localeCompare(b.profile);
}

interface CiDiff {
  keep: MigComputeInstance[];
  destroy: MigComputeInstance[];
  create: CiNeed[];
}

/** The CIs a kept GI keeps, destroys and creates: the most kept whose remainder still fits. */
function diffComputeInstances(profile: GiProfile, spec: GpuInstanceSpec, current: MigGpuInstance): CiDiff {
  const wanted: CiNeed[] = computeInstancesOf(profile, spec).flatMap((c) => {
    const ci = ciProfileByName(profile, c.profile);
    return ci
      ? [{ profile: ci.name, profileId: ci.id, computeSlices: ci.computeSlices, full: ci.isDefault }]
      : [];
  });
  const cis = [...current.computeInstances].sort((a, b) => a.id - b.id);
  const candidates = cis.filter((c) => wanted.some((w) => w.profile === c.profile));
  let best: CiDiff | null = null;
  // Subsets by descending size (ties: lower CI IDs first); <= 7 CIs, so <= 128 subsets.
  const masks = Array.from({ length: 1 << candidates.length }, (_, m) => m).sort(
    (a, b) => popcount(b) - popcount(a) || a - b,
  );
  for (const mask of masks) {
    const keep = candidates.filter((_, k) => mask & (1 << k));
    const rest = [...wanted];
    let fits = true;
    for (const c of keep) {
      const at = rest.findIndex((w) => w.profile === c.profile);
      if (at < 0) {
        fits = false;
        break;
      }
      rest.splice(at, 1);
    }
    if (!fits) continue;
    rest.sort(bySizeDesc);
    const keptNeeds = keep.map((c) => wanted.find((w) => w.profile === c.profile) as CiNeed);
    if (!restFits(keep, keptNeeds, rest, profile.computeSlices)) continue;
    best = { keep, destroy: cis.filter((c) => !keep.includes(c)), create: rest };
    break;
  }
  // The empty subset always fits the counts; if even that is refused by the geometry, re-create all.
  return best ?? { keep: [], destroy: cis, create: [...wanted].sort(bySizeDesc) };
}

function popcount(n: number): number {
  let c = 0;
  for (let x = n; x; x &= x - 1) c++;
  return c;
}

// ---------------------------------------------------------------------------------------------
// Which GIs stay

interface Assignment {
  spec: GpuInstanceSpec;
  profile: GiProfile;
  start: number;
  /** The current GI it keeps, if any. */
  kept: MigGpuInstance | null;
  cis: CiDiff | null;
}

/**
 * The packing of the desired GIs that keeps the most current GIs, then the most CIs inside them.
 * A desired GI keeps a current one when the profile matches and its start is the same or not given.
 */
function choosePacking(
  model: GpuModel,
  specs: readonly GpuInstanceSpec[],
  current: readonly MigGpuInstance[],
): Assignment[] | null {
  const profiles = specs.map((s) => giProfileByName(model, s.profile) as GiProfile);
  const items = specs.map((spec, k) => {
    const p = profiles[k] as GiProfile;
    return {
      size: p.memorySlices,
      starts: spec.start !== undefined ? [spec.start] : p.placementStarts,
      group: packingGroup(p, spec),
    };
  });
  const diffs = new Map<string, CiDiff>();
  const diffFor = (k: number, gi: MigGpuInstance): CiDiff => {
    const key = `${k}/${gi.id}`;
    let d = diffs.get(key);
    if (!d) {
      d = diffComputeInstances(profiles[k] as GiProfile, specs[k] as GpuInstanceSpec, gi);
      diffs.set(key, d);
    }
    return d;
  };
  let best: { starts: number[]; gis: number; cis: number } | null = null;
  for (const starts of packings(items, model.memorySlots)) {
    let gis = 0;
    let cis = 0;
    starts.forEach((start, k) => {
      const gi = current.find((c) => c.profileId === profiles[k]?.id && c.start === start);
      if (!gi) return;
      gis++;
      cis += diffFor(k, gi).keep.length;
    });
    if (!best || gis > best.gis || (gis === best.gis && cis > best.cis)) best = { starts, gis, cis };
    if (
      best.gis === current.length &&
      best.cis === current.reduce((s, c) => s + c.computeInstances.length, 0)
    )
      break; // nothing more to keep
  }
  if (!best) return null;
  const chosen = best.starts;
  return specs.map((spec, k) => {
    const start = chosen[k] ?? 0;
    const profile = profiles[k] as GiProfile;
    const kept = current.find((c) => c.profileId === profile.id && c.start === start) ?? null;
    return { spec, profile, start, kept, cis: kept ? diffFor(k, kept) : null };
  });
}

// ---------------------------------------------------------------------------------------------
// The plan

function ref(gi: { profile: string; start: number }): GiPlacementRef {
  return { profile: gi.profile, start: gi.start };
}

function describeGi(model: GpuModel, gi: MigGpuInstance): string {
  const size = giProfileById(model, gi.profileId)?.memorySlices ?? gi.size;
  return `${gi.profile} at ${describeSlots(gi.start, size)} (GI ${gi.id})`;
}

function destroyAll(gpu: number, gis: readonly MigGpuInstance[]): MigStep[] {
  const sorted = [...gis].sort((a, b) => a.start - b.start);
  return [
    ...sorted.flatMap((gi) =>
      [...gi.computeInstances]
        .sort((a, b) => a.id - b.id)
        .map((ci): MigStep => ({
          kind: 'destroy-compute-instance',
          gpu,
          gi: ref(gi),
          giId: gi.id,
          ciId: ci.id,
        })),
    ),
    ...sorted.map((gi): MigStep => ({ kind: 'destroy-gpu-instance', gpu, gi: ref(gi), giId: gi.id })),
  ];
}

/**
 * The plan that takes `current` to `desired`. Refuses a layout the validator rejects, a GPU the
 * catalogue does not know, and (unless forced) a change while processes hold the GPU. Re-applying
 * what is already there yields no steps at all.
 */
export function planMigLayout(
  current: GpuMigState,
  desired: MigLayout,
  options: PlanOptions = {},
): MigPlanResult {
  const gpu = current.index;
  const model = current.model === null ? undefined : findModel(current.model);
  if (!model)
    return {
      ok: false,
      problems: [
        {
          code: 'unknown-model',
          message:
            current.model === null
              ? `GPU ${gpu} (${current.name}) is not a MIG GPU the console's catalogue knows, so no MIG layout can be planned for it`
              : `GPU ${gpu} (${current.name}) has the model ${current.model}, which the console's catalogue does not list`,
        },
      ],
    };
  const validation = validateLayout(model, desired);
  if (!validation.ok)
    return {
      ok: false,
      problems: validation.problems.map((p) => ({
        code: 'invalid-layout',
        message: `GPU ${gpu}: ${p.message}`,
      })),
    };

  const steps: MigStep[] = [];
  const warnings: string[] = [];
  const kept: GiPlacementRef[] = [];
  const needsReset = model.migModeChangeNeedsReset;
  const resetNote = `${model.key} applies a MIG-mode change only after a GPU reset; the plan resets GPU ${gpu}, which fails while anything (nvidia-persistenced, DCGM, a CUDA process) holds it`;
  const { migCurrent: cur, migPending: pend } = current;

  if (!desired.migEnabled) {
    if (cur) {
      // The driver refuses -mig 0 while GIs exist (mig.md §5.5): destroy everything first.
      steps.push(...destroyAll(gpu, current.gpuInstances));
      if (pend) steps.push({ kind: 'set-mig-mode', gpu, enable: false, resetRequired: needsReset });
      if (needsReset || !pend) {
        steps.push({ kind: 'reset-gpu', gpu });
        warnings.push(resetNote);
      }
    } else if (pend) {
      // A pending enable not yet applied: cancel it; the mode in force is already off.
      steps.push({ kind: 'set-mig-mode', gpu, enable: false, resetRequired: false });
    }
  } else {
    let existing: readonly MigGpuInstance[] = current.gpuInstances;
    if (!cur) {
      // MIG is off now, so no GI exists; a pending enable only waits for its reset (mig.md §6).
      existing = [];
      if (!pend) steps.push({ kind: 'set-mig-mode', gpu, enable: true, resetRequired: needsReset });
      if (pend || needsReset) {
        steps.push({ kind: 'reset-gpu', gpu });
        warnings.push(resetNote);
      }
    } else if (!pend) {
      // A pending disable: set the mode back to enabled; it is the mode in force, so no reset.
      steps.push({ kind: 'set-mig-mode', gpu, enable: true, resetRequired: false });
    }

    const assignments = choosePacking(model, desired.gpuInstances, existing);
    if (!assignments)
      // validateLayout found a packing, and choosePacking searches the same space.
      throw new Error('planMigLayout: no packing for a layout the validator accepted');
    const keptGis = new Set(assignments.flatMap((a) => (a.kept ? [a.kept] : [])));
    const gone = existing.filter((gi) => !keptGis.has(gi));
    const destroyCis: MigStep[] = [];
    for (const a of assignments)
      if (a.kept && a.cis)
        for (const ci of a.cis.destroy)
          destroyCis.push({
            kind: 'destroy-compute-instance',
            gpu,
            gi: ref(a.kept),
            giId: a.kept.id,
            ciId: ci.id,
          });
    const removal = destroyAll(gpu, gone);
    steps.push(
      ...removal.filter((s) => s.kind === 'destroy-compute-instance'),
      ...destroyCis,
      ...removal.filter((s) => s.kind === 'destroy-gpu-instance'),
    );
    const fresh = assignments.filter((a) => !a.kept).sort((a, b) => a.start - b.start);
    for (const a of fresh)
      steps.push({
        kind: 'create-gpu-instance',
        gpu,
        gi: { profile: a.profile.name, start: a.start },
        profileId: a.profile.id,
      });
    for (const a of [...assignments].sort((x, y) => x.start - y.start)) {
      const create: CiNeed[] = a.cis
        ? a.cis.create
        : computeInstancesOf(a.profile, a.spec)
            .flatMap((c) => {
              const ci = ciProfileByName(a.profile, c.profile);
              return ci
                ? [
                    {
                      profile: ci.name,
                      profileId: ci.id,
                      computeSlices: ci.computeSlices,
                      full: ci.isDefault,
                    },
                  ]
                : [];
            })
            .sort(bySizeDesc);
      for (const ci of create)
        steps.push({
          kind: 'create-compute-instance',
          gpu,
          gi: { profile: a.profile.name, start: a.start },
          profile: ci.profile,
          profileId: ci.profileId,
        });
      if (a.kept) kept.push({ profile: a.profile.name, start: a.start });
    }
    for (const gi of gone)
      if (gi.computeInstances.length > 0)
        warnings.push(`Destroys ${describeGi(model, gi)} and its MIG devices`);
  }

  if (steps.length === 0) return { ok: true, plan: { gpu, model: model.key, kept, steps, warnings: [] } };

  if (current.processes.length > 0) {
    const list = current.processes.map((p) => `${p.pid} (${p.name})`).join(', ');
    const n = current.processes.length;
    if (!options.force)
      return {
        ok: false,
        problems: [
          {
            code: 'processes-running',
            message: `GPU ${gpu} has ${n} process${n === 1 ? '' : 'es'} running: ${list}. Stop ${n === 1 ? 'it' : 'them'} before changing MIG, or force the change`,
          },
        ],
      };
    warnings.unshift(
      `Forced while ${n === 1 ? 'a process runs' : `${n} processes run`} on GPU ${gpu} (${list}); the driver may refuse with "In use by another client"`,
    );
  }
  steps.push({ kind: 'verify', gpu });
  return { ok: true, plan: { gpu, model: model.key, kept, steps, warnings } };
}
