// The GPU models and MIG profiles the simulator knows, read from the reference data file
// (../shared/reference/mig-profiles.json). Gaps in that file (null = never observed) are filled
// here with inferred values, each marked where it happens, so every catalogued model can be simulated.
// A copy kept in the repository (the build must not need ../shared); a test checks it against the reference.
import rawCatalogue from '../../../shared/mig/catalog/mig-profiles.json';

interface RawPlacement {
  start: number;
  size: number;
}

interface RawProfile {
  id: number;
  name: string;
  attributes: string[];
  memoryMiB: number | null;
  memoryMiBObserved: { MiB: number }[];
  computeSlices: number;
  memorySlices: number;
  multiprocessors: number | null;
  decoders: number | null;
  encoders: number | null;
  copyEngines: number | null;
  jpegEngines: number | null;
  ofaEngines: number | null;
  maxInstances: number;
  placements: RawPlacement[] | null;
  defaultComputeInstanceProfileId: number | null;
}

interface RawGpu {
  key: string;
  productNames: string[] | null;
  memoryTotalMiB: number | null;
  migSlots: { memory: number; compute: number };
  maxGpuInstances: number;
  enablingMigRequiresReset: boolean | null;
  /** A list, or (H100 PCIe) a sentence saying "probably the GH100 layout" (then §4.1 applies). */
  inferredPlacements?: { profileId: number; placements: RawPlacement[] }[] | string;
  profiles: RawProfile[];
}

/** One GPU-instance profile as the simulator uses it (mig.md §3.1 columns). */
export interface GiProfile {
  id: number;
  /** Short name as printed after `MIG ` (`1g.10gb+me`). */
  name: string;
  /** Name without attribute suffix: what CI names and `-L` print (§1: `+me` is not repeated). */
  baseName: string;
  hasMediaExtensions: boolean;
  memoryMiB: number;
  /** The value a different driver branch printed (`alt` in §3.1); equals memoryMiB where none seen. */
  altMemoryMiB: number;
  computeSlices: number;
  memorySlices: number;
  multiprocessors: number;
  decoders: number;
  encoders: number;
  copyEngines: number;
  jpegEngines: number;
  ofaEngines: number;
  maxInstances: number;
  /** Allowed start slots (the `-lgipp` set); all placements have size `memorySlices`. */
  placementStarts: number[];
  /** 'verified' = from a real -lgipp; 'inferred' = JSON inferredPlacements or the §4.1 layout. */
  placementSource: 'verified' | 'inferred';
  /** CI profile created by `-C` / bare `-cci` (§3.2). */
  defaultCiProfileId: number;
}

export interface GpuModel {
  key: string;
  productNames: string[];
  memoryTotalMiB: number;
  memorySlots: number;
  computeSlots: number;
  maxGpuInstances: number;
  /** Ampere: a MIG-mode change only takes effect after a GPU reset (§6). */
  migChangeNeedsReset: boolean;
  profiles: GiProfile[];
}

const raw = rawCatalogue as unknown as { gpus: RawGpu[] };

/** §3.2: default CI by GI compute slices: 1g -> 0, 2g -> 1, 3g -> 2, 4g -> 3, 7g -> 4. */
const FULL_CI_PROFILE_BY_SLICES: Record<number, number> = { 1: 0, 2: 1, 3: 2, 4: 3, 7: 4 };

/** §4.1 layout of an 8-slot GPU, used where the JSON has no (verified or inferred) placements. */
function layoutStarts(computeSlices: number, memorySlices: number, memorySlots: number): number[] {
  const starts: number[] = [];
  for (let s = 0; s + memorySlices <= memorySlots; s += memorySlices) starts.push(s);
  // §4.1: a 1g never starts at slot 7 and a 2g never at 6; a 4g only at 0.
  if (memorySlices === 1) return starts.filter((s) => s < memorySlots - 1);
  if (computeSlices === 2 && memorySlices === 2) return starts.filter((s) => s + 2 < memorySlots);
  if (computeSlices === 4 && memorySlots === 8) return [0];
  return starts;
}

function toProfile(gpu: RawGpu, p: RawProfile, memoryTotalMiB: number): GiProfile {
  const verified = p.placements;
  const inferred = Array.isArray(gpu.inferredPlacements)
    ? gpu.inferredPlacements.find((e) => e.profileId === p.id)?.placements
    : undefined;
  const starts =
    (verified ?? inferred)?.map((pl) => pl.start) ??
    layoutStarts(p.computeSlices, p.memorySlices, gpu.migSlots.memory);
  // Unknown figures (GH200-144GB, B200 3g/4g/7g; mig.md §11) are scaled from the whole GPU or the
  // 1g profile [I]; the console must never depend on them.
  const oneG = gpu.profiles.find(
    (q) => q.computeSlices === 1 && q.memorySlices === 1 && q.attributes.length === 0,
  );
  const scale = (v: number | null | undefined, one: number | null | undefined): number =>
    v ?? (one ?? 1) * p.computeSlices;
  const memoryMiB =
    p.memoryMiB ?? Math.floor((memoryTotalMiB * p.memorySlices) / gpu.migSlots.memory / 256) * 256 - 256;
  const alt = p.memoryMiBObserved.map((o) => o.MiB).find((m) => m !== memoryMiB) ?? memoryMiB;
  const doubleMemory1g = p.computeSlices === 1 && p.memorySlices === 2;
  return {
    id: p.id,
    name: p.name,
    baseName: p.name.replace(/[+-].*$/, ''),
    hasMediaExtensions: p.attributes.includes('me'),
    memoryMiB,
    altMemoryMiB: alt,
    computeSlices: p.computeSlices,
    memorySlices: p.memorySlices,
    multiprocessors: scale(p.multiprocessors, oneG?.multiprocessors),
    decoders: scale(p.decoders, oneG?.decoders),
    encoders: p.encoders ?? 0,
    copyEngines: scale(p.copyEngines, oneG?.copyEngines),
    jpegEngines: scale(p.jpegEngines, oneG?.jpegEngines),
    ofaEngines: p.ofaEngines ?? (p.computeSlices === 7 ? 1 : 0),
    maxInstances: p.maxInstances,
    placementStarts: starts,
    placementSource: verified ? 'verified' : 'inferred',
    // §3.2: the double-memory 1g (ID 15) defaults to CI profile 7 (seen on GH200; assumed elsewhere [I]).
    defaultCiProfileId:
      p.defaultComputeInstanceProfileId ??
      (doubleMemory1g ? 7 : (FULL_CI_PROFILE_BY_SLICES[p.computeSlices] ?? 0)),
  };
}

function toModel(gpu: RawGpu): GpuModel {
  // GH200-144GB-HBM3e has no captured name or memory.total (mig.md §11): inferred stand-ins.
  const memoryTotalMiB = gpu.memoryTotalMiB ?? 146432;
  return {
    key: gpu.key,
    productNames: gpu.productNames ?? [`NVIDIA GH200 144G HBM3e`],
    memoryTotalMiB,
    memorySlots: gpu.migSlots.memory,
    computeSlots: gpu.migSlots.compute,
    maxGpuInstances: gpu.maxGpuInstances,
    // B200 is unknown (§2): assume Hopper behaviour, as the table says.
    migChangeNeedsReset: gpu.enablingMigRequiresReset ?? false,
    profiles: gpu.profiles.map((p) => toProfile(gpu, p, memoryTotalMiB)),
  };
}

export const GPU_MODELS: readonly GpuModel[] = raw.gpus.map(toModel);

/** The raw JSON placements, for tests that check the simulator against the data file itself. */
export const RAW_GPUS: readonly RawGpu[] = raw.gpus;

export function gpuModel(key: string): GpuModel {
  const model = GPU_MODELS.find((m) => m.key === key);
  if (!model) throw new Error(`unknown GPU model ${key}; known: ${GPU_MODELS.map((m) => m.key).join(', ')}`);
  return model;
}

export function giProfile(model: GpuModel, id: number): GiProfile | undefined {
  return model.profiles.find((p) => p.id === id);
}
