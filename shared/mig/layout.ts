// The MIG vocabulary both sides share: what an operator asks a GPU to look like (a layout), what a
// GPU looks like now (read back from the host), and the steps that get from one to the other.
// Pure data; the catalogue, validator and planner in this folder work on these types.

/** A key into the MIG catalogue (`H100-80GB-SXM5`, `A100-40GB`; mig-profiles.json `key`). */
export type GpuModelKey = string;

/** A compute instance asked for inside a GPU instance. */
export interface ComputeInstanceSpec {
  /**
   * CI profile name as `nvidia-smi mig -lcip` prints it without `MIG `: `1c.3g.40gb`, or the GPU
   * instance's own name (`3g.40gb`, never with `+me`) for the full-size CI (mig.md §3.2).
   */
  profile: string;
}

/** A GPU instance asked for. */
export interface GpuInstanceSpec {
  /** GI profile name as `-lgip` prints it without `MIG ` (`3g.40gb`, `1g.10gb+me`). */
  profile: string;
  /** First memory slot (mig.md §4.1). Omitted: the planner chooses by an exact packing search. */
  start?: number;
  /** Omitted: one full-size CI, as `-cgi … -C` makes. An empty list: a GI with no CI. */
  computeInstances?: ComputeInstanceSpec[];
}

/** What one GPU should look like. */
export interface MigLayout {
  /** false: MIG mode off; gpuInstances must then be empty. */
  migEnabled: boolean;
  gpuInstances: GpuInstanceSpec[];
}

/** A compute instance as the host reports it (`-lci`). IDs come from the driver (mig.md §4.5). */
export interface MigComputeInstance {
  id: number;
  profileId: number;
  /** `1c.3g.40gb` or `3g.40gb` (no `+me`). */
  profile: string;
  /** Placement inside the GI in compute slices; informational only, null on R450 drivers. */
  start: number | null;
  size: number | null;
}

/** A GPU instance as the host reports it (`-lgi`). */
export interface MigGpuInstance {
  /** Assigned by the driver; differs between drivers for the same placement (mig.md §4.5). */
  id: number;
  profileId: number;
  /** `3g.40gb`, `1g.10gb+me`. */
  profile: string;
  /** Memory-slot placement: what identifies a GI across drivers. */
  start: number;
  size: number;
  computeInstances: MigComputeInstance[];
}

/** A process holding the GPU; MIG changes refuse while any runs unless an admin forces them. */
export interface GpuProcessInfo {
  pid: number;
  name: string;
}

/** One GPU's MIG state as read from its host. */
export interface GpuMigState {
  index: number;
  uuid: string;
  /** Product name as nvidia-smi prints it (`NVIDIA H100 80GB HBM3`). */
  name: string;
  /** Catalogue key, or null for a GPU the catalogue does not know (or one without MIG). */
  model: GpuModelKey | null;
  migCurrent: boolean;
  /** Differs from migCurrent while an Ampere GPU waits for a reset (mig.md §5.5, §6). */
  migPending: boolean;
  processes: GpuProcessInfo[];
  gpuInstances: MigGpuInstance[];
}

/** Where a GPU instance sits; how steps name a GI whose driver-assigned ID is not known yet. */
export interface GiPlacementRef {
  profile: string;
  start: number;
}

/** One step of a MIG plan, in the order the applier runs them. */
export type MigStep =
  | {
      kind: 'set-mig-mode';
      gpu: number;
      enable: boolean;
      /** Ampere (A100/A30): the change waits for a GPU reset (mig.md §6). */
      resetRequired: boolean;
    }
  | { kind: 'reset-gpu'; gpu: number }
  | { kind: 'destroy-compute-instance'; gpu: number; gi: GiPlacementRef; giId: number; ciId: number }
  | { kind: 'destroy-gpu-instance'; gpu: number; gi: GiPlacementRef; giId: number }
  | { kind: 'create-gpu-instance'; gpu: number; gi: GiPlacementRef; profileId: number }
  | {
      kind: 'create-compute-instance';
      gpu: number;
      /** The GI by placement: its ID is read back after it is created, never predicted. */
      gi: GiPlacementRef;
      profile: string;
      profileId: number;
    }
  | { kind: 'verify'; gpu: number };

/** Why a plan cannot be made (or needs an admin's force). Phrased for the operator. */
export interface MigPlanProblem {
  code: 'invalid-layout' | 'unknown-model' | 'processes-running' | 'reset-required' | 'mig-unsupported';
  message: string;
}

/** The plan for one GPU: what stays, and the steps to reach the desired layout. */
export interface MigPlan {
  gpu: number;
  model: GpuModelKey;
  /** GIs already matching the desired layout, kept in place (with their CIs). */
  kept: GiPlacementRef[];
  steps: MigStep[];
  /** Things an operator should know that do not block the plan (e.g. a reset will be attempted). */
  warnings: string[];
}

/** One entry of a named layout: the GPUs it applies to and what they should look like. */
export interface NamedLayoutEntry {
  /** 'all', or GPU indices on each host. */
  devices: 'all' | number[];
  /** Catalogue models it is limited to (a mig-parted device-filter); absent: any model. */
  models?: GpuModelKey[];
  /**
   * A mig-parted `device-filter` exactly as imported (`0x20B010DE`, optionally `:<subsystem>`).
   * When present, `models` holds the catalogue models its IDs name (possibly none: an ID the
   * catalogue does not know matches no GPU) and export writes these strings back unchanged.
   */
  pciDeviceFilter?: string[];
  layout: MigLayout;
}

/**
 * A layout operators call by name (`all-1g`, `balanced`, nvidia-mig-parted's `all-3g.40gb`, or a
 * site's own). Like a mig-parted config, entries are walked in order and the last one matching a
 * GPU decides its layout.
 */
export interface NamedLayout {
  name: string;
  description: string;
  source: 'builtin' | 'mig-parted' | 'site';
  entries: NamedLayoutEntry[];
}
