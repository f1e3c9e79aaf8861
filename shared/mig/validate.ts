// Is a MIG layout possible on a GPU model, and where does each GPU instance go? Pure: the catalogue's
// placement tables (mig.md §3, §4) in, a concrete placement for every GI or the operator-worded
// problems out. Starts the operator left out are chosen by an exact packing search over the
// profiles' allowed placements (mig.md §4.4: <= 7 GIs on <= 8 slots, so the search is tiny), never by
// the driver's greedy order.
import { ciProfilesOf, giProfileByName } from './catalog';
import type { CiProfile, GiProfile, GpuModel } from './catalog';
import type { ComputeInstanceSpec, GpuInstanceSpec, MigLayout } from './layout';

export type LayoutProblemCode =
  | 'mig-disabled-with-instances'
  | 'unknown-profile'
  | 'start-not-allowed'
  | 'overlap'
  | 'too-many-of-profile'
  | 'media-extensions'
  | 'too-many-instances'
  | 'compute-slices'
  | 'memory-slots'
  | 'does-not-fit'
  | 'unknown-ci-profile'
  | 'too-many-of-ci-profile'
  | 'ci-compute-slices';

export interface LayoutProblem {
  code: LayoutProblemCode;
  /** Phrased for the operator, with slots as mig.md §4.1 numbers them. */
  message: string;
  /** Index into layout.gpuInstances of the GPU instance at fault, when one is. */
  gpuInstance?: number;
  /** Memory slots to highlight (the overlap, the refused placement, the free slots). */
  slots?: number[];
}

export interface PlacedComputeInstance {
  profile: string;
  profileId: number;
  computeSlices: number;
}

export interface PlacedGpuInstance {
  /** Index into layout.gpuInstances. */
  index: number;
  profile: string;
  profileId: number;
  start: number;
  /** Memory slots it occupies (the placement size). */
  size: number;
  computeSlices: number;
  /** false when the packing search chose the start. */
  startGiven: boolean;
  /** What will be created inside: the default full-size CI when the layout names none. */
  computeInstances: PlacedComputeInstance[];
}

export type LayoutValidation =
  { ok: true; placed: PlacedGpuInstance[] } | { ok: false; problems: LayoutProblem[] };

// ---------------------------------------------------------------------------------------------
// Wording helpers (shared with the planner and the step descriptions)

/** The memory slots a placement covers. */
export function slotRange(start: number, size: number): number[] {
  return Array.from({ length: Math.max(0, size) }, (_, k) => start + k);
}

/** `slot 4` for one slot, `slots 4–7` for a run (en dash, as the UI prints ranges). */
export function describeSlots(start: number, size: number): string {
  return size <= 1 ? `slot ${start}` : `slots ${start}–${start + size - 1}`;
}

/** `0–3, 6` for a set of slots, runs collapsed. */
export function describeSlotSet(slots: readonly number[]): string {
  const sorted = [...new Set(slots)].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < sorted.length;) {
    let j = i;
    while (j + 1 < sorted.length && (sorted[j + 1] ?? 0) === (sorted[j] ?? 0) + 1) j++;
    runs.push(j > i ? `${sorted[i]}–${sorted[j]}` : `${sorted[i]}`);
    i = j + 1;
  }
  return runs.join(', ');
}

/** `0, 2 or 4` */
function orList(items: readonly (string | number)[]): string {
  const s = items.map(String);
  return s.length <= 1 ? (s[0] ?? '') : `${s.slice(0, -1).join(', ')} or ${s[s.length - 1]}`;
}

/** `a, b and c` */
function andList(items: readonly string[]): string {
  return items.length <= 1
    ? (items[0] ?? '')
    : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** mig.md §1, §4.2: only one media-extension GI may exist at a time, whatever its profile. */
export function hasMediaExtensions(profile: GiProfile): boolean {
  return profile.attributes.includes('me');
}

/**
 * The CIs a GI spec asks for: its list, or the one full-size CI that `-cgi … -C` would make
 * (layout.ts: omitted means the default CI; an empty list means none).
 */
export function computeInstancesOf(profile: GiProfile, spec: GpuInstanceSpec): ComputeInstanceSpec[] {
  return spec.computeInstances ?? [{ profile: profile.baseName }];
}

// ---------------------------------------------------------------------------------------------
// Packing search

export interface PackingItem {
  /** Memory slots it occupies. */
  size: number;
  /** Starts it may take (one for a GI whose start is given). */
  starts: readonly number[];
  /**
   * Items sharing a group are interchangeable (same profile, same CIs, no start given): the search
   * gives them increasing starts instead of trying every permutation.
   */
  group?: string;
}

/**
 * Every way to place all items without overlap, each as the list of starts in item order. Items with
 * a single start are placed first and the widest next, so dead ends are found early; candidate
 * starts are tried in ascending order, so the first packing is the lowest-slot one.
 */
export function* packings(items: readonly PackingItem[], slots: number): Generator<number[]> {
  const order = items
    .map((item, index) => ({ item, index }))
    .sort(
      (a, b) =>
        Number(a.item.starts.length !== 1) - Number(b.item.starts.length !== 1) ||
        b.item.size - a.item.size ||
        (a.item.group ?? '').localeCompare(b.item.group ?? '') ||
        a.index - b.index,
    );
  const used = new Array<boolean>(slots).fill(false);
  const starts = new Array<number>(items.length).fill(-1);
  function* place(k: number): Generator<number[]> {
    if (k === order.length) {
      yield [...starts];
      return;
    }
    const { item, index } = order[k] as (typeof order)[number];
    const prev = k > 0 ? order[k - 1] : undefined;
    // Same group as the previous item: only later starts, so each set of placements is seen once.
    const floor =
      prev && item.group !== undefined && prev.item.group === item.group ? (starts[prev.index] ?? -1) : -1;
    for (const s of [...item.starts].sort((a, b) => a - b)) {
      if (s <= floor || s < 0 || s + item.size > slots) continue;
      const range = slotRange(s, item.size);
      if (range.some((x) => used[x])) continue;
      for (const x of range) used[x] = true;
      starts[index] = s;
      yield* place(k + 1);
      for (const x of range) used[x] = false;
    }
    starts[index] = -1;
  }
  yield* place(0);
}

/** A key that makes two GI specs interchangeable in a packing (same profile and CIs, no start). */
export function packingGroup(profile: GiProfile, spec: GpuInstanceSpec): string | undefined {
  if (spec.start !== undefined) return undefined;
  const cis = computeInstancesOf(profile, spec)
    .map((c) => c.profile)
    .sort()
    .join(',');
  return `${profile.id}/${cis}`;
}

// ---------------------------------------------------------------------------------------------
// Validation

interface Resolved {
  index: number;
  spec: GpuInstanceSpec;
  profile: GiProfile;
  /** The given start when it is allowed; undefined when none was given. */
  start: number | undefined;
  cis: { spec: ComputeInstanceSpec; profile: CiProfile }[];
}

function giLabel(spec: GpuInstanceSpec, index: number): string {
  return spec.start !== undefined
    ? `${spec.profile} at slot ${spec.start}`
    : `${spec.profile} (GPU instance ${index + 1})`;
}

function unknownProfile(model: GpuModel, spec: GpuInstanceSpec, index: number): LayoutProblem {
  const names = model.giProfiles.map((p) => p.name);
  const prefix = /^(\d+g)\./.exec(spec.profile.replace(/^MIG /, ''))?.[1];
  const close = prefix ? names.filter((n) => n.startsWith(`${prefix}.`)) : [];
  const hint = close.length > 0 ? ` Did you mean ${orList(close)}?` : '';
  return {
    code: 'unknown-profile',
    message: `"${spec.profile}" is not a GPU instance profile of ${model.key}; its profiles are ${names.join(', ')}.${hint}`,
    gpuInstance: index,
  };
}

/** The checks of one GI on its own: profile, start and compute instances. */
function checkGpuInstance(
  model: GpuModel,
  spec: GpuInstanceSpec,
  index: number,
  problems: LayoutProblem[],
): Resolved | null {
  const profile = giProfileByName(model, spec.profile);
  if (!profile) {
    problems.push(unknownProfile(model, spec, index));
    return null;
  }
  let ok = true;
  if (spec.start !== undefined && !profile.placementStarts.includes(spec.start)) {
    ok = false;
    const valid = Number.isInteger(spec.start) && spec.start >= 0 && spec.start < model.memorySlots;
    problems.push({
      code: 'start-not-allowed',
      message: `${profile.name} cannot start at slot ${spec.start}; allowed starts: ${profile.placementStarts.join(', ')}`,
      gpuInstance: index,
      ...(valid
        ? { slots: slotRange(spec.start, profile.memorySlices).filter((s) => s < model.memorySlots) }
        : {}),
    });
  }
  const offered = ciProfilesOf(profile);
  const cis: Resolved['cis'] = [];
  for (const ci of computeInstancesOf(profile, spec)) {
    const found = offered.find((o) => o.name === ci.profile.replace(/^MIG /, ''));
    if (!found) {
      ok = false;
      problems.push({
        code: 'unknown-ci-profile',
        message: `"${ci.profile}" is not a compute instance profile of ${profile.name}; it offers ${offered.map((o) => o.name).join(', ')}`,
        gpuInstance: index,
      });
    } else cis.push({ spec: ci, profile: found });
  }
  for (const ci of offered) {
    const n = cis.filter((c) => c.profile === ci).length;
    if (n > ci.maxInstances) {
      ok = false;
      problems.push({
        code: 'too-many-of-ci-profile',
        message: `${giLabel(spec, index)} asks for ${n} × ${ci.name}; at most ${ci.maxInstances} fit in one ${profile.name}`,
        gpuInstance: index,
      });
    }
  }
  const slices = cis.reduce((s, c) => s + c.profile.computeSlices, 0);
  if (slices > profile.computeSlices) {
    ok = false;
    const parts = cis.map((c) => `${c.profile.name} ${c.profile.computeSlices}`).join(' + ');
    problems.push({
      code: 'ci-compute-slices',
      message: `The compute instances of ${giLabel(spec, index)} need ${slices} compute slices (${parts}); a ${profile.name} has ${profile.computeSlices}`,
      gpuInstance: index,
    });
  }
  return ok ? { index, spec, profile, start: spec.start, cis } : null;
}

/** Checks over the whole set: per-profile and total counts, `+me`, compute and memory sums. */
function checkCounts(
  model: GpuModel,
  gis: readonly { profile: GiProfile; index: number }[],
): LayoutProblem[] {
  const problems: LayoutProblem[] = [];
  for (const profile of model.giProfiles) {
    if (hasMediaExtensions(profile)) continue; // the +me rule below covers these (Total 1, mig.md §4.2)
    const mine = gis.filter((g) => g.profile === profile);
    const excess = mine[profile.maxInstances];
    if (excess)
      problems.push({
        code: 'too-many-of-profile',
        message: `The layout asks for ${mine.length} × ${profile.name}; ${model.key} allows at most ${profile.maxInstances}`,
        gpuInstance: excess.index,
      });
  }
  const media = gis.filter((g) => hasMediaExtensions(g.profile));
  const second = media[1];
  if (second)
    problems.push({
      code: 'media-extensions',
      message: `Only one GPU instance with media extensions (+me) can exist on a GPU; the layout asks for ${media.length} (${media.map((g) => g.profile.name).join(', ')})`,
      gpuInstance: second.index,
    });
  const beyond = gis[model.maxGpuInstances];
  if (beyond)
    problems.push({
      code: 'too-many-instances',
      message: `The layout asks for ${gis.length} GPU instances; ${model.key} allows at most ${model.maxGpuInstances}`,
      gpuInstance: beyond.index,
    });
  const compute = gis.reduce((s, g) => s + g.profile.computeSlices, 0);
  if (compute > model.computeSlots)
    problems.push({
      code: 'compute-slices',
      message: `The layout needs ${compute} compute slices (${gis.map((g) => `${g.profile.name} ${g.profile.computeSlices}`).join(' + ')}); ${model.key} has ${model.computeSlots}`,
    });
  const memory = gis.reduce((s, g) => s + g.profile.memorySlices, 0);
  if (memory > model.memorySlots)
    problems.push({
      code: 'memory-slots',
      message: `The layout needs ${memory} memory slots (${gis.map((g) => `${g.profile.name} ${g.profile.memorySlices}`).join(' + ')}); ${model.key} has ${model.memorySlots}`,
    });
  return problems;
}

/** Overlaps among GIs whose starts were given (mig.md §4.1: ranges must not intersect). */
function checkOverlaps(fixed: readonly Resolved[]): LayoutProblem[] {
  const problems: LayoutProblem[] = [];
  fixed.forEach((b, j) => {
    for (const a of fixed.slice(0, j)) {
      const aSlots = slotRange(a.start ?? 0, a.profile.memorySlices);
      const shared = slotRange(b.start ?? 0, b.profile.memorySlices).filter((s) => aSlots.includes(s));
      if (shared.length === 0) continue;
      problems.push({
        code: 'overlap',
        message: `${b.profile.name} at slot ${b.start} overlaps ${a.profile.name} at ${describeSlots(a.start ?? 0, a.profile.memorySlices)}`,
        gpuInstance: b.index,
        slots: shared,
      });
    }
  });
  return problems;
}

function doesNotFit(model: GpuModel, resolved: readonly Resolved[]): LayoutProblem {
  const loose = resolved.filter((r) => r.start === undefined);
  const used = new Set(
    resolved.flatMap((r) => (r.start === undefined ? [] : slotRange(r.start, r.profile.memorySlices))),
  );
  const free = slotRange(0, model.memorySlots).filter((s) => !used.has(s));
  const names = loose.map((r) => r.profile.name);
  const needs = [...new Set(loose.map((r) => r.profile))].map(
    (p) =>
      `${p.name} needs ${p.memorySlices} slot${p.memorySlices === 1 ? '' : 's'} starting at ${orList(p.placementStarts)}`,
  );
  const freeText =
    free.length === 0
      ? 'no slot is free'
      : `the free ${free.length === 1 ? 'slot is' : 'slots are'} ${describeSlotSet(free)}`;
  const what =
    loose.length === 1
      ? `${names[0]} (no start given) does not fit`
      : `${andList(names)} (no start given) do not fit together`;
  return {
    code: 'does-not-fit',
    message: `${what}: ${needs.join('; ')}, and ${freeText}${used.size > 0 ? ' besides the GPU instances placed by start' : ''}`,
    ...(loose[0] ? { gpuInstance: loose[0].index } : {}),
    slots: free,
  };
}

/**
 * Whether `layout` can exist on a GPU of `model`, with a concrete start for every GPU instance (the
 * lowest-slot packing when starts are left out), or every problem found.
 */
export function validateLayout(model: GpuModel, layout: MigLayout): LayoutValidation {
  const problems: LayoutProblem[] = [];
  if (!layout.migEnabled) {
    if (layout.gpuInstances.length > 0)
      problems.push({
        code: 'mig-disabled-with-instances',
        message: `MIG mode is off in this layout, so it can have no GPU instances (it lists ${layout.gpuInstances.length})`,
      });
    return problems.length > 0 ? { ok: false, problems } : { ok: true, placed: [] };
  }
  const known: { profile: GiProfile; index: number }[] = [];
  const resolved: Resolved[] = [];
  layout.gpuInstances.forEach((spec, index) => {
    const profile = giProfileByName(model, spec.profile);
    if (profile) known.push({ profile, index });
    const r = checkGpuInstance(model, spec, index, problems);
    if (r) resolved.push(r);
  });
  problems.push(...checkCounts(model, known));
  problems.push(...checkOverlaps(resolved.filter((r) => r.start !== undefined)));
  if (problems.length > 0) return { ok: false, problems };

  const items = resolved.map((r) => ({
    size: r.profile.memorySlices,
    starts: r.start !== undefined ? [r.start] : r.profile.placementStarts,
    group: packingGroup(r.profile, r.spec),
  }));
  const first = packings(items, model.memorySlots).next();
  if (first.done) return { ok: false, problems: [doesNotFit(model, resolved)] };
  const starts = first.value;
  return {
    ok: true,
    placed: resolved.map((r, k) => ({
      index: r.index,
      profile: r.profile.name,
      profileId: r.profile.id,
      start: starts[k] ?? 0,
      size: r.profile.memorySlices,
      computeSlices: r.profile.computeSlices,
      startGiven: r.start !== undefined,
      computeInstances: r.cis.map((c) => ({
        profile: c.profile.name,
        profileId: c.profile.id,
        computeSlices: c.profile.computeSlices,
      })),
    })),
  };
}

// ---------------------------------------------------------------------------------------------
// What can still be dropped into a partial layout

export interface FreePlacements {
  profile: string;
  profileId: number;
  /** Memory slots it occupies. */
  size: number;
  /** Starts where one more GI of this profile keeps the layout valid. */
  starts: number[];
}

/**
 * For each GI profile of the model, the starts where one more GI of it could be added to `layout`
 * (the UI's "what can I drop here" list). A start counts as free when the layout plus that GI still
 * validates, so GIs without a start are re-packed around it. A layout that is already invalid
 * answers by occupancy alone: starts clear of the GIs placed by start, within the profile's count.
 */
export function freePlacements(model: GpuModel, layout: MigLayout): FreePlacements[] {
  const gis = layout.gpuInstances.map((g) => ({ ...g, computeInstances: [] }));
  const base = { migEnabled: true, gpuInstances: gis };
  const baseOk = layout.migEnabled && validateLayout(model, base).ok;
  const occupied = new Set<number>();
  if (!baseOk)
    for (const g of gis) {
      const p = giProfileByName(model, g.profile);
      if (p && g.start !== undefined && p.placementStarts.includes(g.start))
        for (const s of slotRange(g.start, p.memorySlices)) occupied.add(s);
    }
  const profilesIn = gis.flatMap((g) => giProfileByName(model, g.profile) ?? []);
  return model.giProfiles.map((profile) => {
    let starts: number[] = [];
    if (!layout.migEnabled) starts = [];
    else if (baseOk)
      starts = profile.placementStarts.filter(
        (start) =>
          validateLayout(model, {
            migEnabled: true,
            gpuInstances: [...gis, { profile: profile.name, start, computeInstances: [] }],
          }).ok,
      );
    else {
      const count = profilesIn.filter((p) => p === profile).length;
      const media = hasMediaExtensions(profile) && profilesIn.some(hasMediaExtensions);
      if (count < profile.maxInstances && !media && profilesIn.length < model.maxGpuInstances)
        starts = profile.placementStarts.filter((s) =>
          slotRange(s, profile.memorySlices).every((x) => !occupied.has(x)),
        );
    }
    return { profile: profile.name, profileId: profile.id, size: profile.memorySlices, starts };
  });
}
