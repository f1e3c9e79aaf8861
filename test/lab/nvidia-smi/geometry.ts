// MIG geometry: which placements are free, where the driver auto-places a GI, which GI ID it gets,
// and the compute-instance profiles a GI offers. Pure functions over the state (mig.md §3.2, §4).
import type { GiProfile, GpuModel } from './catalogue';
import type { GiIdScheme, GpuInstance, GpuState } from './state';

export function overlaps(aStart: number, aSize: number, bStart: number, bSize: number): boolean {
  return aStart < bStart + bSize && bStart < aStart + aSize;
}

/** §4.1: two GIs conflict iff their [start, start+size) ranges overlap. */
export function placementFree(gis: readonly GpuInstance[], start: number, size: number): boolean {
  return gis.every((gi) => !overlaps(gi.start, gi.size, start, size));
}

function usedComputeSlices(model: GpuModel, gis: readonly GpuInstance[]): number {
  return gis.reduce(
    (sum, gi) => sum + (model.profiles.find((p) => p.id === gi.profileId)?.computeSlices ?? 0),
    0,
  );
}

/** Why a GI of `profile` at `start` cannot be created now, or null when it can. */
export function placementProblem(
  model: GpuModel,
  gis: readonly GpuInstance[],
  profile: GiProfile,
  start: number,
): 'Invalid Argument' | 'Insufficient Resources' | null {
  if (!profile.placementStarts.includes(start)) return 'Invalid Argument';
  if (gis.filter((gi) => gi.profileId === profile.id).length >= profile.maxInstances)
    return 'Insufficient Resources';
  // Only one media-extension GI may exist at a time (§1).
  if (
    profile.hasMediaExtensions &&
    gis.some((gi) => model.profiles.find((p) => p.id === gi.profileId)?.hasMediaExtensions)
  )
    return 'Insufficient Resources';
  if (gis.length >= model.maxGpuInstances) return 'Insufficient Resources';
  if (usedComputeSlices(model, gis) + profile.computeSlices > model.computeSlots)
    return 'Insufficient Resources';
  if (!placementFree(gis, start, profile.memorySlices)) return 'Insufficient Resources';
  return null;
}

/** §4.2: Free = unoccupied placements, capped at Total - created; 0 for `+me` while one exists. */
export function freeCount(model: GpuModel, gis: readonly GpuInstance[], profile: GiProfile): number {
  const created = gis.filter((gi) => gi.profileId === profile.id).length;
  if (
    profile.hasMediaExtensions &&
    gis.some((gi) => model.profiles.find((p) => p.id === gi.profileId)?.hasMediaExtensions)
  )
    return 0;
  const open = profile.placementStarts.filter((s) => placementFree(gis, s, profile.memorySlices)).length;
  return Math.max(0, Math.min(open, profile.maxInstances - created));
}

/** §4.3 preference lists for 8-slot GPUs; A30 takes the lowest free start [I]. */
export function preferredStarts(model: GpuModel, profile: GiProfile): number[] {
  if (model.memorySlots !== 8) return [...profile.placementStarts].sort((a, b) => a - b);
  let order: number[];
  if (profile.memorySlices === 1) order = [6, 4, 5, 0, 1, 2, 3];
  else if (profile.memorySlices === 2 && profile.computeSlices === 1) order = [4, 0, 2, 6];
  else if (profile.memorySlices === 2) order = [4, 0, 2];
  else if (profile.memorySlices === 4) order = [4, 0];
  else order = [0];
  return order.filter((s) => profile.placementStarts.includes(s));
}

/** The start the driver picks for `-cgi <profile>` without `:start`, or null when none fits. */
export function autoPlacement(
  model: GpuModel,
  gis: readonly GpuInstance[],
  profile: GiProfile,
): number | null {
  return (
    preferredStarts(model, profile).find((s) => placementProblem(model, gis, profile, s) === null) ?? null
  );
}

/** §4.5: the GI ID a placement gets under this host's ID scheme. */
export function giIdFor(model: GpuModel, scheme: GiIdScheme, start: number, size: number): number {
  if (model.memorySlots === 4) {
    if (size === 4) return 0;
    if (size === 2) return 1 + start / 2;
    return 3 + start;
  }
  const s = scheme === 'swappedHalves' && size < 8 ? (start + 4) % 8 : start;
  if (size === 8) return 0;
  if (size === 4) return s === 0 ? 1 : 2;
  if (size === 2) return 3 + s / 2;
  return 7 + s;
}

/** NVML profile-index order used to group `-lgi`/`-lci` rows (§4.6). */
export function nvmlProfileOrder(profile: GiProfile): number {
  if (profile.computeSlices === 1 && profile.memorySlices === 2) return 9; // 1_SLICE_REV2
  if (profile.hasMediaExtensions) return profile.computeSlices === 1 ? 7 : 8; // 1_SLICE_REV1 / 2_SLICE_REV1
  return { 1: 0, 2: 1, 3: 2, 4: 3, 7: 4 }[profile.computeSlices] ?? 10;
}

/** GIs in `-lgi` row order: grouped by profile (NVML order), then GI ID (§4.6, §5.9). */
export function gisInListOrder(model: GpuModel, gpu: GpuState): GpuInstance[] {
  const order = (gi: GpuInstance): number => {
    const p = model.profiles.find((q) => q.id === gi.profileId);
    return p ? nvmlProfileOrder(p) : 99;
  };
  return [...gpu.gis].sort((a, b) => order(a) - order(b) || a.id - b.id);
}

/** One compute-instance profile offered inside a GI (`-lcip` row, §3.2, §5.10). */
export interface CiProfile {
  id: number;
  /** Name after `MIG `: `1c.3g.40gb`, or the GI's base name for the full-GI CI. */
  name: string;
  computeSlices: number;
  /** Size printed in the CI placement (`0:4` for a 3g full CI, §4.5). */
  placementSize: number;
  multiprocessors: number;
  isDefault: boolean;
  total: number;
}

const CI_ID_BY_SLICES: Record<number, number> = { 1: 0, 2: 1, 3: 2, 4: 3, 7: 4 };

/**
 * CI profiles of a GI. The full-GI CI uses the GI's default CI profile; smaller ones are
 * `<k>c.<GI>` for k in 1, 2, 3 (and 4 in a 7g) below the GI's slices (§3.2: a 3g offers
 * 1c/2c/3g, a 7g 1c/2c/3c/4c/7c). A 4g offers 1c/2c/3c/4g as real drivers do: `3c.4g.*` is CI
 * profile 2 with one instance, 3 slices placed at 0 (the console's catalogue offers the same).
 * A sub-GI CI has k x the plain 1g profile's SMs (A100 3g: 14/28/42; H100 1c.3g: 16, §5.15) [I].
 */
export function ciProfiles(model: GpuModel, giProfileInfo: GiProfile): CiProfile[] {
  const c = giProfileInfo.computeSlices;
  const sizes = c === 7 ? [1, 2, 3, 4] : c === 4 ? [1, 2, 3] : c === 3 ? [1, 2] : c === 2 ? [1] : [];
  const oneG = model.profiles.find(
    (p) => p.computeSlices === 1 && p.memorySlices === 1 && !p.hasMediaExtensions,
  );
  const perSlice = oneG?.multiprocessors ?? Math.floor(giProfileInfo.multiprocessors / c);
  const pow2 = (n: number): number => (n <= 1 ? 1 : n <= 2 ? 2 : n <= 4 ? 4 : 8);
  const partial = sizes.map((k) => ({
    id: CI_ID_BY_SLICES[k] ?? k,
    name: `${k}c.${giProfileInfo.baseName}`,
    computeSlices: k,
    placementSize: k,
    multiprocessors: k * perSlice,
    isDefault: false,
    total: Math.floor(c / k),
  }));
  return [
    ...partial,
    {
      id: giProfileInfo.defaultCiProfileId,
      name: giProfileInfo.baseName,
      computeSlices: c,
      placementSize: pow2(c),
      multiprocessors: giProfileInfo.multiprocessors,
      isDefault: true,
      total: 1,
    },
  ];
}

/** Start slots a CI of this profile may take inside a GI with `giSlices` compute slices. */
function ciStarts(ci: CiProfile, giSlices: number): number[] {
  if (ci.isDefault) return [0];
  const starts: number[] = [];
  for (let s = 0; s + ci.computeSlices <= giSlices; s += ci.computeSlices) starts.push(s);
  return starts;
}

function ciFree(gi: GpuInstance, ci: CiProfile, start: number): boolean {
  // A full-GI CI's printed range (0:4 in a 3g GI) covers every slice, so printed ranges suffice.
  return gi.cis.every((x) => !overlaps(x.start, x.size, start, ci.placementSize));
}

/** Free count of a CI profile inside a GI (§5.10: drops as CIs are created). */
export function ciFreeCount(gi: GpuInstance, ci: CiProfile, giSlices: number): number {
  const created = gi.cis.filter((x) => x.profileId === ci.id).length;
  const open = ciStarts(ci, giSlices).filter((s) => ciFree(gi, ci, s)).length;
  return Math.max(0, Math.min(open, ci.total - created));
}

/**
 * Where a new CI goes. R470-R560 took the lowest free slot, 570+ the highest (a 1c in a 3g GI
 * went to 0:1 on 515.86.01 but to 2:1 on 580.173.02, §4.5) [I].
 */
export function ciAutoPlacement(
  gi: GpuInstance,
  ci: CiProfile,
  giSlices: number,
  highestFirst: boolean,
): number | null {
  const starts = ciStarts(ci, giSlices).filter((s) => ciFree(gi, ci, s));
  if (starts.length === 0) return null;
  return highestFirst ? (starts[starts.length - 1] ?? null) : (starts[0] ?? null);
}
