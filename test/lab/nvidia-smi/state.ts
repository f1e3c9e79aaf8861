// The simulated host's GPU state (mig.md §10.1 "Minimal simulator state") and how a host's
// initial state is made from its lab profile. Pure: no file I/O here (see state-file.ts).
import { createHash } from 'node:crypto';
import { gpuModel } from './catalogue';

/** `-lgi`/`-lci`/`-lgip` table widths differ by driver (mig.md §5.6, §5.9, §5.12). */
export type TableLayout = 'r450' | 'narrow' | 'wide';
/** The two GPU-instance ID maps real drivers follow (mig.md §4.5). */
export type GiIdScheme = 'standard' | 'swappedHalves';
export type CcMode = 'on' | 'off' | 'devtools';

export interface ComputeInstance {
  id: number;
  profileId: number;
  /** Placement inside the GI in compute-slice units (§4.5: informational). */
  start: number;
  size: number;
  uuid: string;
}

export interface GpuInstance {
  id: number;
  profileId: number;
  start: number;
  size: number;
  /** Memory the driver itself uses in the GI, in bytes (shows in the MIG device's fb usage). */
  overheadBytes: number;
  cis: ComputeInstance[];
}

export interface GpuProcess {
  pid: number;
  name: string;
  /** null: the process holds the whole GPU (non-MIG, or a monitoring agent on /dev/nvidia*). */
  giId: number | null;
  ciId: number | null;
  usedMiB: number;
  /** Type column of the default table (`C` compute, `G` graphics, `C+G`); missing = `C`. */
  type?: 'C' | 'G' | 'C+G';
}

export interface GpuState {
  index: number;
  /** Key into mig-profiles.json, or null for a GPU without MIG support. */
  modelKey: string | null;
  name: string;
  uuid: string;
  busId: string;
  memoryTotalMiB: number;
  migCurrent: boolean;
  migPending: boolean;
  /** false models a VM whose hypervisor forbids resets (mig.md §5.5 "Not Supported" path). */
  resetAllowed: boolean;
  persistenceMode: boolean;
  /** null when the GPU has no CC capability. */
  ccMode: CcMode | null;
  gis: GpuInstance[];
  processes: GpuProcess[];
  // Sensor and board values only the default table (mig.md §5.15) shows. The simulator does not model
  // them; they are optional so older state files stay readable, and a missing field takes the default
  // noted (status-table.ts applies them).
  /** Fan speed in percent; missing or null = `N/A` (passively cooled data-centre boards). */
  fanPercent?: number | null;
  /** Missing = 34 (C). */
  temperatureC?: number;
  /** Missing = `P0`. */
  perfState?: string;
  /** Missing = a tenth of the power cap, rounded. */
  powerDrawW?: number;
  /** Missing = the board's usual limit (status-table.ts `defaultPowerCapW`). */
  powerCapW?: number;
  /** ECC mode: 'unsupported' prints `N/A`. Missing = 'on'. */
  eccMode?: 'on' | 'off' | 'unsupported';
  /** Volatile uncorrectable ECC errors (whole GPU, MIG off). Missing = 0. */
  eccVolatileUncorrected?: number;
  /** GPU-Util in percent while MIG is off (with MIG on it is `N/A`, §5.4). Missing = 0. */
  utilizationPercent?: number;
  /** Display active (Disp.A `On`). Missing = false. */
  displayActive?: boolean;
  /** Memory the driver itself holds outside any GI, MiB. Missing = 0. */
  fbOverheadMiB?: number;
  /** BAR1 aperture per memory slice of a MIG device, MiB (may be fractional). Missing = the per-model
   * default of status-table.ts `migBar1TotalMiB`. */
  migBar1MiBPerSlice?: number;
}

export interface HostState {
  schema: 1;
  driverVersion: string;
  cudaVersion: string;
  tableLayout: TableLayout;
  giIdScheme: GiIdScheme;
  /** Which observed `memoryMiB` figure this driver branch prints (mig.md §3.1 "alt"). */
  memoryFlavour: 'catalogue' | 'alt';
  /** Counter that makes MIG UUIDs unique and deterministic. */
  nextSerial: number;
  gpus: GpuState[];
}

export interface GpuSpec {
  /** mig-profiles.json key (`H100-80GB-SXM5`) or 'non-mig' for a GPU without MIG. */
  model: string;
  count?: number;
  /** Overrides the first product name of the model (e.g. `NVIDIA A100 80GB PCIe`). */
  name?: string;
  memoryTotalMiB?: number;
}

/** A host's lab profile (issue 4: set at `lab up`). */
export interface HostProfile {
  /** Seeds GPU UUIDs so each host differs and reruns agree. */
  hostname: string;
  gpus: GpuSpec[];
  driverVersion?: string;
  cudaVersion?: string;
  migEnabled?: boolean;
  ccMode?: CcMode;
  tableLayout?: TableLayout;
  giIdScheme?: GiIdScheme;
  memoryFlavour?: 'catalogue' | 'alt';
  resetAllowed?: boolean;
  persistenceMode?: boolean;
  /** Bus IDs in GPU order; default `00000000:<18 + 0x10*i>:00.0`. */
  busIds?: string[];
  processes?: { gpu: number; pid: number; name: string; usedMiB: number }[];
}

/** Table width by driver branch: R450 = 54-col `-lgi`; R470-R560 narrow; 570+ wide (mig.md §5.6, §5.9). */
export function layoutForDriver(driverVersion: string): TableLayout {
  const major = Number.parseInt(driverVersion, 10);
  if (major < 470) return 'r450';
  if (major < 570) return 'narrow';
  return 'wide';
}

function hexId(seed: string): string {
  return createHash('sha256').update(seed).digest('hex');
}

/** `GPU-8-4-4-4-12`, deterministic from the seed. */
export function gpuUuid(seed: string): string {
  const h = hexId(seed);
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** `MIG-xxxxxxxx-xxxx-5xxx-xxxx-xxxxxxxxxxxx` (mig.md §10.1: real ones have version nibble 5). */
export function migUuid(seed: string): string {
  const h = hexId(seed);
  const variant = ((Number.parseInt(h.slice(16, 17), 16) & 0x3) | 0x8).toString(16);
  return `MIG-${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

export function createHostState(profile: HostProfile): HostState {
  const driverVersion = profile.driverVersion ?? '580.173.02';
  const gpus: GpuState[] = [];
  for (const spec of profile.gpus) {
    for (let n = 0; n < (spec.count ?? 1); n++) {
      const index = gpus.length;
      const model = spec.model === 'non-mig' ? null : gpuModel(spec.model);
      const busId =
        profile.busIds?.[index] ??
        `00000000:${(0x18 + 0x10 * index).toString(16).toUpperCase().padStart(2, '0')}:00.0`;
      const mig = model !== null && (profile.migEnabled ?? false);
      gpus.push({
        index,
        modelKey: model?.key ?? null,
        name: spec.name ?? model?.productNames[0] ?? 'NVIDIA L40S',
        uuid: gpuUuid(`${profile.hostname}/gpu/${index}`),
        busId,
        memoryTotalMiB: spec.memoryTotalMiB ?? model?.memoryTotalMiB ?? 46068,
        migCurrent: mig,
        migPending: mig,
        resetAllowed: profile.resetAllowed ?? true,
        persistenceMode: profile.persistenceMode ?? true,
        ccMode: model && profile.ccMode ? profile.ccMode : model ? 'off' : null,
        gis: [],
        processes: (profile.processes ?? [])
          .filter((p) => p.gpu === index)
          .map((p) => ({ pid: p.pid, name: p.name, giId: null, ciId: null, usedMiB: p.usedMiB })),
      });
    }
  }
  return {
    schema: 1,
    driverVersion,
    cudaVersion: profile.cudaVersion ?? '13.0',
    tableLayout: profile.tableLayout ?? layoutForDriver(driverVersion),
    giIdScheme: profile.giIdScheme ?? 'standard',
    memoryFlavour: profile.memoryFlavour ?? 'catalogue',
    nextSerial: 1,
    gpus,
  };
}
