// What the read-only views (-L, -q, -q -x, the default table) show of a GPU's MIG devices and
// memory, computed once so every view agrees (mig.md §4.6, §5.4, §5.15). Pure.
import { giProfile, gpuModel } from './catalogue';
import type { GiProfile, GpuModel } from './catalogue';
import { ciProfiles } from './geometry';
import type { CiProfile } from './geometry';
import type { ComputeInstance, GpuInstance, GpuState, HostState } from './state';

export const MIB = 1024 * 1024;

export function modelOf(gpu: GpuState): GpuModel | null {
  return gpu.modelKey ? gpuModel(gpu.modelKey) : null;
}

/** The GI memory this driver branch prints (mig.md §3.1 "alt"). */
export function profileMiB(state: HostState, p: GiProfile): number {
  return state.memoryFlavour === 'alt' ? p.altMemoryMiB : p.memoryMiB;
}

export function ciProfileOf(model: GpuModel, gi: GpuInstance, ci: ComputeInstance): CiProfile | undefined {
  const gp = giProfile(model, gi.profileId);
  return gp ? ciProfiles(model, gp).find((c) => c.id === ci.profileId) : undefined;
}

/** MIG devices of a GPU in `-L` order: GI ID, then CI ID (mig.md §4.6). */
export function migDevices(gpu: GpuState): { gi: GpuInstance; ci: ComputeInstance }[] {
  if (!gpu.migCurrent) return [];
  return [...gpu.gis]
    .sort((a, b) => a.id - b.id)
    .flatMap((gi) => [...gi.cis].sort((a, b) => a.id - b.id).map((ci) => ({ gi, ci })));
}

/** Bytes in use inside a GI: the driver's own overhead plus the processes running in it. */
export function giUsedBytes(gpu: GpuState, gi: GpuInstance): number {
  return (
    gi.overheadBytes + gpu.processes.filter((p) => p.giId === gi.id).reduce((s, p) => s + p.usedMiB * MIB, 0)
  );
}

/**
 * Whole-GPU memory in use: the driver's base usage, every GI's overhead and every process. With MIG on
 * this is the sum of the GIs' figures (CAP 580: 12627 + 15 + 15 = 12657 MiB, mig.md §5.15).
 */
export function memoryUsedMiB(gpu: GpuState): number {
  const bytes =
    (gpu.fbOverheadMiB ?? 0) * MIB +
    gpu.gis.reduce((s, gi) => s + gi.overheadBytes, 0) +
    gpu.processes.reduce((s, p) => s + p.usedMiB * MIB, 0);
  return Math.round(bytes / MIB);
}

/** One MIG device as `-q`, `-q -x` and the default table show it. */
export interface MigDeviceView {
  /** Per-GPU MIG device index (`-L` order). */
  index: number;
  gi: GpuInstance;
  ci: ComputeInstance;
  giProfile: GiProfile | undefined;
  ciProfile: CiProfile | undefined;
  multiprocessors: number;
  copyEngines: number;
  encoders: number;
  decoders: number;
  ofa: number;
  jpeg: number;
  /** fb memory of the GI (shared by its CIs), MiB. NVML reports bytes; each figure is rounded on its
   * own, so used + free can exceed total. */
  totalMiB: number;
  usedMiB: number;
  freeMiB: number;
}

export function migDeviceViews(state: HostState, gpu: GpuState): MigDeviceView[] {
  const model = modelOf(gpu);
  if (!model) return [];
  return migDevices(gpu).map(({ gi, ci }, index) => {
    const gp = giProfile(model, gi.profileId);
    const cp = ciProfileOf(model, gi, ci);
    const totalMiB = gp ? profileMiB(state, gp) : 0;
    const used = giUsedBytes(gpu, gi);
    return {
      index,
      gi,
      ci,
      giProfile: gp,
      ciProfile: cp,
      multiprocessors: cp?.multiprocessors ?? 0,
      copyEngines: gp?.copyEngines ?? 0,
      encoders: gp?.encoders ?? 0,
      decoders: gp?.decoders ?? 0,
      ofa: gp?.ofaEngines ?? 0,
      jpeg: gp?.jpegEngines ?? 0,
      totalMiB,
      usedMiB: Math.round(used / MIB),
      freeMiB: Math.round((totalMiB * MIB - used) / MIB),
    };
  });
}
