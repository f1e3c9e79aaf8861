// The console's MIG catalogue: GPU models and their GPU-instance and compute-instance profiles, from
// a byte copy of ../shared/reference/mig-profiles.json kept in catalog/ (the build must not need
// ../shared; test/unit/reference-copies.test.ts fails if the copy drifts). The JSON marks figures
// never observed as null; where the console needs a value anyway it fills it here and says so in
// `inferred`, so the UI can show which facts are unverified. Pure; shared with the renderer.
import rawCatalogue from './catalog/mig-profiles.json';
import type { GpuModelKey } from './layout';

/** One GPU-instance profile (mig.md §3.1). */
export interface GiProfile {
  /** The driver's profile ID as `-lgip` prints it and `-cgi` accepts (19, 20, 15, 14, 9, 5, 0). */
  id: number;
  /** `1g.10gb+me` */
  name: string;
  /** The name without attributes (`1g.10gb`): what its full-size CI is called (mig.md §1). */
  baseName: string;
  attributes: string[];
  memoryMiB: number;
  computeSlices: number;
  /** Memory slots it occupies: the placement size (a 3g occupies 4 on 8-slot GPUs). */
  memorySlices: number;
  multiprocessors: number;
  /** Most instances of this profile on one GPU (the Total of `-lgip`). */
  maxInstances: number;
  /** Memory slots it may start at (the `-lgipp` set). */
  placementStarts: number[];
  /** CI profile ID that `-C` / a bare `-cci` creates (the full-size CI, mig.md §3.2). */
  defaultCiProfileId: number;
  engines: {
    decoders: number;
    encoders: number;
    copyEngines: number;
    jpegEngines: number;
    ofaEngines: number;
  };
  /** Facts filled in by the console because the reference has none (placements, memory, SMs...). */
  inferred: string[];
}

/** A compute-instance profile offered inside a GI of a given profile (mig.md §3.2, §5.10). */
export interface CiProfile {
  /** NVML CI profile ID: 1 slice 0, 2 slices 1, 3 slices 2, 4 slices 3, 7 slices 4, 1 slice rev1 7. */
  id: number;
  /** `1c.3g.40gb`, or the GI's base name for the full-size CI. */
  name: string;
  computeSlices: number;
  /** How many fit in one GI of this profile. */
  maxInstances: number;
  isDefault: boolean;
}

export interface GpuModel {
  key: GpuModelKey;
  architecture: string;
  /** Names nvidia-smi prints for this model (`NVIDIA H100 80GB HBM3`). */
  productNames: string[];
  /** PCI device IDs (`0x2330`), lower case, for mig-parted device filters. */
  pciDeviceIds: string[];
  memoryTotalMiB: number;
  memorySlots: number;
  computeSlots: number;
  maxGpuInstances: number;
  /** Ampere keeps the MIG mode across reboots; Hopper and later lose mode and layout (mig.md §6). */
  migModeSurvivesReboot: boolean;
  /** Ampere: a MIG-mode change only takes effect after a GPU reset (mig.md §6). */
  migModeChangeNeedsReset: boolean;
  giProfiles: GiProfile[];
}

interface RawProfile {
  id: number;
  name: string;
  attributes: string[];
  memoryMiB: number | null;
  computeSlices: number;
  memorySlices: number;
  multiprocessors: number | null;
  decoders: number | null;
  encoders: number | null;
  copyEngines: number | null;
  jpegEngines: number | null;
  ofaEngines: number | null;
  maxInstances: number;
  placements: { start: number; size: number }[] | null;
  defaultComputeInstanceProfileId: number | null;
}

interface RawGpu {
  key: string;
  architecture: string;
  productNames: string[] | null;
  pciDeviceIds?: string[];
  memoryTotalMiB: number | null;
  migSlots: { memory: number; compute: number };
  maxGpuInstances: number;
  migModeSurvivesReboot: boolean | null;
  enablingMigRequiresReset: boolean | null;
  inferredPlacements?: { profileId: number; placements: { start: number; size: number }[] }[] | string;
  profiles: RawProfile[];
}

/** mig.md §3.2: the full-size CI's profile ID by the GI's compute slices. */
const FULL_CI_ID_BY_SLICES: Record<number, number> = { 1: 0, 2: 1, 3: 2, 4: 3, 7: 4 };
/** NVML CI profile IDs of the partial CIs by compute slices. */
const PARTIAL_CI_ID_BY_SLICES: Record<number, number> = { 1: 0, 2: 1, 3: 2, 4: 3 };

/** mig.md §4.1: placements of an 8-slot GPU where the reference has none for a model. */
function layoutStarts(computeSlices: number, memorySlices: number, memorySlots: number): number[] {
  const starts: number[] = [];
  for (let s = 0; s + memorySlices <= memorySlots; s += memorySlices) starts.push(s);
  if (memorySlices === 1) return starts.filter((s) => s < memorySlots - 1); // no 1g at slot 7
  if (computeSlices === 2 && memorySlices === 2) return starts.filter((s) => s + 2 < memorySlots); // no 2g at 6
  if (computeSlices === 4 && memorySlots === 8) return [0];
  return starts;
}

function toGiProfile(gpu: RawGpu, p: RawProfile, memoryTotalMiB: number): GiProfile {
  const inferred: string[] = [];
  const listed = Array.isArray(gpu.inferredPlacements)
    ? gpu.inferredPlacements.find((e) => e.profileId === p.id)?.placements
    : undefined;
  let starts = p.placements?.map((pl) => pl.start);
  if (!starts) {
    inferred.push('placements');
    starts =
      listed?.map((pl) => pl.start) ?? layoutStarts(p.computeSlices, p.memorySlices, gpu.migSlots.memory);
  }
  const oneG = gpu.profiles.find(
    (q) => q.computeSlices === 1 && q.memorySlices === 1 && q.attributes.length === 0,
  );
  const scaled = (field: string, v: number | null, one: number | null | undefined): number => {
    if (v !== null) return v;
    inferred.push(field);
    return (one ?? 1) * p.computeSlices;
  };
  let memoryMiB = p.memoryMiB;
  if (memoryMiB === null) {
    inferred.push('memory');
    memoryMiB = Math.floor((memoryTotalMiB * p.memorySlices) / gpu.migSlots.memory / 256) * 256 - 256;
  }
  let defaultCi = p.defaultComputeInstanceProfileId;
  if (defaultCi === null) {
    // §3.2: the double-memory 1g defaults to CI profile 7 (seen on GH200).
    defaultCi =
      p.computeSlices === 1 && p.memorySlices === 2 ? 7 : (FULL_CI_ID_BY_SLICES[p.computeSlices] ?? 0);
  }
  return {
    id: p.id,
    name: p.name,
    baseName: p.name.replace(/[+-].*$/, ''),
    attributes: p.attributes,
    memoryMiB,
    computeSlices: p.computeSlices,
    memorySlices: p.memorySlices,
    multiprocessors: scaled('multiprocessors', p.multiprocessors, oneG?.multiprocessors),
    maxInstances: p.maxInstances,
    placementStarts: starts,
    defaultCiProfileId: defaultCi,
    engines: {
      decoders: scaled('decoders', p.decoders, oneG?.decoders),
      encoders: p.encoders ?? 0,
      copyEngines: scaled('copyEngines', p.copyEngines, oneG?.copyEngines),
      jpegEngines: scaled('jpegEngines', p.jpegEngines, oneG?.jpegEngines),
      ofaEngines: p.ofaEngines ?? (p.computeSlices === 7 ? 1 : 0),
    },
    inferred,
  };
}

function toModel(gpu: RawGpu): GpuModel {
  // GH200-144GB-HBM3e has no captured name or total memory (mig.md §11).
  const memoryTotalMiB = gpu.memoryTotalMiB ?? 146432;
  return {
    key: gpu.key,
    architecture: gpu.architecture,
    productNames: gpu.productNames ?? [],
    pciDeviceIds: (gpu.pciDeviceIds ?? [])
      .flatMap((s) => s.match(/0x[0-9a-f]{4}/gi) ?? [])
      .map((s) => s.toLowerCase()),
    memoryTotalMiB,
    memorySlots: gpu.migSlots.memory,
    computeSlots: gpu.migSlots.compute,
    maxGpuInstances: gpu.maxGpuInstances,
    // B200 is unknown (mig.md §2): Hopper behaviour assumed.
    migModeSurvivesReboot: gpu.migModeSurvivesReboot ?? false,
    migModeChangeNeedsReset: gpu.enablingMigRequiresReset ?? false,
    giProfiles: gpu.profiles.map((p) => toGiProfile(gpu, p, memoryTotalMiB)),
  };
}

export const GPU_MODELS: readonly GpuModel[] = (rawCatalogue as unknown as { gpus: RawGpu[] }).gpus.map(
  toModel,
);

/**
 * Models of GPUs the catalogue does not list, built from what their hosts print (`nvidia-smi mig
 * -lgip` and `-lgipp`) and remembered by key, so planning and checking work for them too.
 */
const HOST_READ_MODELS = new Map<GpuModelKey, GpuModel>();

/** The key a GPU model read from its host goes by: its product name, marked as read from a host. */
export function hostReadModelKey(productName: string): GpuModelKey {
  return `host:${productName}`;
}

export function rememberHostReadModel(model: GpuModel): void {
  HOST_READ_MODELS.set(model.key, model);
}

export function findModel(key: GpuModelKey): GpuModel | undefined {
  return GPU_MODELS.find((m) => m.key === key) ?? HOST_READ_MODELS.get(key);
}

/**
 * The catalogue model of a GPU from the product name nvidia-smi prints. Exact names first; then the
 * memory size decides between models sharing a family name (an `NVIDIA H100 80GB HBM3` vs NVL).
 */
export function modelForProductName(name: string, memoryTotalMiB?: number): GpuModel | undefined {
  const exact = GPU_MODELS.find((m) => m.productNames.includes(name));
  if (exact) return exact;
  if (memoryTotalMiB === undefined) return undefined;
  const family = /(A30|A100|H100|H200|GH200|B200)/.exec(name)?.[1];
  if (!family) return undefined;
  const candidates = GPU_MODELS.filter((m) => m.key.split('-')[0] === family);
  // Within 2% of the catalogued total: PCIe and SXM variants report slightly different figures.
  return candidates.find((m) => Math.abs(m.memoryTotalMiB - memoryTotalMiB) / m.memoryTotalMiB < 0.02);
}

export function giProfileByName(model: GpuModel, name: string): GiProfile | undefined {
  const bare = name.replace(/^MIG /, '');
  return model.giProfiles.find((p) => p.name === bare);
}

export function giProfileById(model: GpuModel, id: number): GiProfile | undefined {
  return model.giProfiles.find((p) => p.id === id);
}

/**
 * CI profiles a GI of this profile offers: partial CIs `<k>c.<base>` for k below the GI's compute
 * slices (1 and 2 in a 3g, 1-3 in a 4g, 1-4 in a 7g; mig.md §3.2) and the full-size default.
 */
export function ciProfilesOf(gi: GiProfile): CiProfile[] {
  const c = gi.computeSlices;
  const sizes = [1, 2, 3, 4].filter((k) => k < c);
  const partial = sizes.map((k) => ({
    id: PARTIAL_CI_ID_BY_SLICES[k] ?? k,
    name: `${k}c.${gi.baseName}`,
    computeSlices: k,
    maxInstances: Math.floor(c / k),
    isDefault: false,
  }));
  return [
    ...partial,
    { id: gi.defaultCiProfileId, name: gi.baseName, computeSlices: c, maxInstances: 1, isDefault: true },
  ];
}

export function ciProfileByName(gi: GiProfile, name: string): CiProfile | undefined {
  const bare = name.replace(/^MIG /, '');
  return ciProfilesOf(gi).find((p) => p.name === bare);
}
