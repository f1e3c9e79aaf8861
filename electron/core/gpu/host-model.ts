// A MIG GPU the catalogue does not know: its profiles and placements as its host prints them
// (`nvidia-smi mig -i N -lgip` and `-lgipp`, mig.md §5.6, §5.7), made into a catalogue model so the
// validator and planner can work with it. What the host does not print is assumed and marked.
import { ciProfilesOf, hostReadModelKey, type GiProfile, type GpuModel } from '../../../shared/mig/catalog';
import {
  parseGpuInstancePlacements,
  parseGpuInstanceProfiles,
  type GpuInstancePlacementsRow,
  type GpuInstanceProfileRow,
} from './parse-mig-tables';

export const hostProfilesCommand = (gpu: number) => `nvidia-smi mig -i ${gpu} -lgip`;
export const hostPlacementsCommand = (gpu: number) => `nvidia-smi mig -i ${gpu} -lgipp`;

/** mig.md §3.2: the full-size CI's profile ID by the GI's compute slices. */
const FULL_CI_ID_BY_SLICES: Record<number, number> = { 1: 0, 2: 1, 3: 2, 4: 3, 7: 4 };

/** `3g.40gb` → 3 compute slices (the N in Ng). */
function computeSlicesOf(name: string): number {
  return Number(/^(\d+)g\./.exec(name)?.[1] ?? 1);
}

/** Builds the model from the two tables' rows for one GPU; throws when they do not fit together. */
export function modelFromHostTables(
  productName: string,
  memoryTotalMiB: number,
  profiles: readonly GpuInstanceProfileRow[],
  placements: readonly GpuInstancePlacementsRow[],
): GpuModel {
  if (profiles.length === 0) throw new Error(`${productName}: the host lists no GPU-instance profiles`);
  const giProfiles: GiProfile[] = profiles.map((p) => {
    const placed = placements.find((x) => x.profileId === p.profileId);
    if (!placed)
      throw new Error(
        `${productName}: -lgipp has no placements for profile ${p.profileId} (${p.profileName})`,
      );
    const computeSlices = computeSlicesOf(p.profileName);
    const attributes = (p.profileName.match(/[+-][a-z.]+/g) ?? []).map((a) => a.replace(/^\+/, ''));
    return {
      id: p.profileId,
      name: p.profileName,
      baseName: p.profileName.replace(/[+-].*$/, ''),
      attributes,
      // -lgip prints GiB rounded to two places (§5.6): good enough to show, never to compute with.
      memoryMiB: Math.round(p.memoryGiB * 1024),
      computeSlices,
      memorySlices: placed.size,
      multiprocessors: p.multiprocessors,
      maxInstances: p.total,
      placementStarts: placed.starts,
      defaultCiProfileId:
        computeSlices === 1 && placed.size === 2 ? 7 : (FULL_CI_ID_BY_SLICES[computeSlices] ?? 0),
      engines: {
        decoders: p.decoders,
        encoders: p.encoders,
        copyEngines: p.copyEngines,
        jpegEngines: p.jpegEngines,
        ofaEngines: p.ofaEngines,
      },
      inferred: ['read from the host', 'memory from the rounded GiB figure', 'default compute instance'],
    };
  });
  for (const gi of giProfiles) ciProfilesOf(gi); // every GI profile must yield its CI profiles
  return {
    key: hostReadModelKey(productName),
    architecture: 'unknown (read from the host)',
    productNames: [productName],
    pciDeviceIds: [],
    memoryTotalMiB,
    memorySlots: Math.max(...giProfiles.flatMap((p) => p.placementStarts.map((s) => s + p.memorySlices))),
    computeSlots: Math.max(...giProfiles.map((p) => p.computeSlices)),
    maxGpuInstances: Math.max(...giProfiles.map((p) => p.maxInstances)),
    // Unknown generation: assume a mode change may wait for a reset; the applier checks what reads back.
    migModeSurvivesReboot: false,
    migModeChangeNeedsReset: true,
    giProfiles,
  };
}

/** Whether a GPU the catalogue does not know can do MIG at all, and its memory (`[N/A]`: no MIG). */
export const hostMigCapabilityCommand = (gpu: number) =>
  `nvidia-smi -i ${gpu} --query-gpu=memory.total,mig.mode.current --format=csv,noheader,nounits`;

export function parseMigCapability(text: string): { memoryTotalMiB: number; migCapable: boolean } | null {
  const m = /^\s*(\d+),\s*(Enabled|Disabled|\[N\/A\])\s*$/.exec(text.trim());
  if (!m) return null;
  return { memoryTotalMiB: Number(m[1]), migCapable: m[2] !== '[N/A]' };
}

/** Parses both outputs for GPU `gpu` and builds its model (a ParseError names the command and line). */
export function modelFromHostOutputs(
  gpu: number,
  productName: string,
  memoryTotalMiB: number,
  outputs: { profiles: string; placements: string },
): GpuModel {
  const profiles = parseGpuInstanceProfiles(outputs.profiles).filter((r) => r.gpu === gpu);
  const placements = parseGpuInstancePlacements(outputs.placements).filter((r) => r.gpu === gpu);
  try {
    return modelFromHostTables(productName, memoryTotalMiB, profiles, placements);
  } catch (error) {
    throw new Error(
      `${hostProfilesCommand(gpu)} and -lgipp do not describe a usable GPU: ${(error as Error).message}`,
      { cause: error },
    );
  }
}
