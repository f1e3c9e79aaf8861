// Pure helpers of the GPU pages: catalogue lookups for discovered GPUs, slot-map blocks from what a
// GPU has now, from a layout being edited and from a plan, and the fleet summary per model.
import type { z } from 'zod';
import type { FleetRunRow, GpuApplyRow, GpuPlanRow, NamedLayoutRow } from '../../../shared/api';
import { ciProfilesOf, findModel, giProfileByName, modelForProductName } from '../../../shared/mig/catalog';
import type { GpuModel } from '../../../shared/mig/catalog';
import type { GpuMigState, MigLayout, MigStep } from '../../../shared/mig/layout';
import { resolveLayout } from '../../../shared/mig/named-layouts';
import { planMigLayout } from '../../../shared/mig/plan';
import { computeInstancesOf, describeSlots, slotRange, validateLayout } from '../../../shared/mig/validate';
import type { Gpu } from '../hosts/model';

export type NamedLayout = z.infer<typeof NamedLayoutRow>;
export type PlanRow = GpuPlanRow;
export type ApplyRow = GpuApplyRow;
export type FleetRun = z.infer<typeof FleetRunRow>;
export type { Gpu, GpuMigState, GpuModel, MigLayout, MigStep };

/** The catalogue model of a discovered GPU, from the product name and memory nvidia-smi reported. */
export function catalogModel(gpu: Pick<Gpu, 'model' | 'memoryMiB'>): GpuModel | undefined {
  return modelForProductName(gpu.model, gpu.memoryMiB);
}

/** The catalogue model of a GPU read with gpu.state. */
export function stateModel(gpu: Pick<GpuMigState, 'model'>): GpuModel | undefined {
  return gpu.model === null ? undefined : findModel(gpu.model);
}

// ---------------------------------------------------------------------------------------------
// Slot-map blocks

export type BlockTone = 'plain' | 'kept' | 'new' | 'removed' | 'problem';

/** One GPU instance drawn on the slot map: a block spanning its memory slots with its CIs inside. */
export interface SlotBlock {
  key: string;
  profile: string;
  start: number;
  size: number;
  /** Compute instance profile names, in order. */
  computeInstances: string[];
  tone: BlockTone;
  /** Index into the edited layout's gpuInstances (editor only). */
  index?: number;
  /** The driver's GI ID (read state only). */
  giId?: number;
}

/** Blocks of a GPU as read from its host. */
export function blocksOfState(gpu: GpuMigState): SlotBlock[] {
  return [...gpu.gpuInstances]
    .sort((a, b) => a.start - b.start)
    .map((gi) => ({
      key: `${gi.profile}@${gi.start}#${gi.id}`,
      profile: gi.profile,
      start: gi.start,
      size: gi.size,
      computeInstances: [...gi.computeInstances]
        .sort((a, b) => (a.start ?? 0) - (b.start ?? 0) || a.id - b.id)
        .map((ci) => ci.profile),
      tone: 'plain' as const,
      giId: gi.id,
    }));
}

/** Memory slots the GIs of a read GPU occupy. */
export function usedSlots(gpu: { gpuInstances: readonly { start: number; size: number }[] }): number {
  return new Set(gpu.gpuInstances.flatMap((gi) => slotRange(gi.start, gi.size))).size;
}

/** Blocks of a layout being edited; every GI has a start there. Unknown profiles take one slot. */
export function blocksOfLayout(
  model: GpuModel,
  layout: MigLayout,
  problemGis: ReadonlySet<number>,
): SlotBlock[] {
  return layout.gpuInstances.flatMap((gi, index) => {
    if (gi.start === undefined) return [];
    const profile = giProfileByName(model, gi.profile);
    return [
      {
        key: `edit-${index}`,
        profile: gi.profile,
        start: gi.start,
        size: profile?.memorySlices ?? 1,
        computeInstances: profile ? computeInstancesOf(profile, gi).map((ci) => ci.profile) : [],
        tone: problemGis.has(index) ? ('problem' as const) : ('plain' as const),
        index,
      },
    ];
  });
}

/**
 * Lanes for blocks that overlap (only an invalid edited layout has them): each block goes to the
 * first lane where it overlaps nothing, so both sides of a conflict stay visible.
 */
export function assignLanes(blocks: readonly SlotBlock[]): number[] {
  const lanes: number[][] = [];
  return blocks.map((b) => {
    const range = slotRange(b.start, b.size);
    let lane = lanes.findIndex((used) => range.every((s) => !used.includes(s)));
    if (lane < 0) {
      lanes.push([]);
      lane = lanes.length - 1;
    }
    lanes[lane]?.push(...range);
    return lane;
  });
}

/** `slots 4–7` / `slot 2` */
export function slotsText(start: number, size: number): string {
  return describeSlots(start, size);
}

/** `3g.20gb at slots 4–7`: how controls and messages name a GPU instance. */
export function giName(profile: string, start: number, size: number): string {
  return `${profile} at ${describeSlots(start, size)}`;
}

// ---------------------------------------------------------------------------------------------
// The editor

/** A copy of a layout where every GI has a start and its CIs listed (what the editor works on). */
export function explicitLayout(model: GpuModel, gpu: GpuMigState, layout: MigLayout): MigLayout {
  const cis = (profile: string, given: MigLayout['gpuInstances'][number]['computeInstances']) => {
    const p = giProfileByName(model, profile);
    return given ?? (p ? [{ profile: p.baseName }] : []);
  };
  if (layout.gpuInstances.every((gi) => gi.start !== undefined))
    return {
      migEnabled: layout.migEnabled,
      gpuInstances: layout.gpuInstances.map((gi) => ({
        profile: gi.profile,
        start: gi.start as number,
        computeInstances: cis(gi.profile, gi.computeInstances).map((c) => ({ ...c })),
      })),
    };
  // Starts left out: where the planner would put them for this GPU (keeping what can stay), else
  // the validator's lowest packing.
  const planned = planMigLayout(gpu, layout, { force: true });
  if (planned.ok) {
    const after = afterPlan(gpu, planned.plan.kept, planned.plan.steps);
    if (after)
      return {
        migEnabled: layout.migEnabled,
        gpuInstances: after.map((b) => ({
          profile: b.profile,
          start: b.start,
          computeInstances: b.computeInstances.map((profile) => ({ profile })),
        })),
      };
  }
  const validation = validateLayout(model, layout);
  return {
    migEnabled: layout.migEnabled,
    gpuInstances: layout.gpuInstances.map((gi, index) => {
      const placed = validation.ok ? validation.placed.find((p) => p.index === index) : undefined;
      const p = giProfileByName(model, gi.profile);
      return {
        profile: gi.profile,
        start: gi.start ?? placed?.start ?? p?.placementStarts[0] ?? 0,
        computeInstances: cis(gi.profile, gi.computeInstances).map((c) => ({ ...c })),
      };
    }),
  };
}

/** Named layouts that give this GPU a layout, with that layout. */
export function layoutsFor(
  layouts: readonly NamedLayout[],
  gpu: Pick<GpuMigState, 'index' | 'model'>,
): { name: string; description: string; layout: MigLayout }[] {
  return layouts.flatMap((l) => {
    const r = resolveLayout(l, gpu.index, gpu.model);
    return r.ok ? [{ name: l.name, description: l.description, layout: r.layout }] : [];
  });
}

/** Compute slices and memory slots a layout asks for, counting profiles the model knows. */
export function layoutUsage(model: GpuModel, layout: MigLayout): { memory: number; compute: number } {
  let memory = 0;
  let compute = 0;
  for (const gi of layout.gpuInstances) {
    const p = giProfileByName(model, gi.profile);
    memory += p?.memorySlices ?? 0;
    compute += p?.computeSlices ?? 0;
  }
  return { memory, compute };
}

/** CI profiles a GI of the edited layout offers (empty for an unknown profile). */
export function ciChoices(model: GpuModel, profile: string): string[] {
  const p = giProfileByName(model, profile);
  return p ? ciProfilesOf(p).map((c) => c.name) : [];
}

// ---------------------------------------------------------------------------------------------
// Plans as a diff

const placementKey = (gi: { profile: string; start: number }) => `${gi.profile}@${gi.start}`;

/**
 * What the GPU looks like once a plan has run: the GIs kept (with their CIs, less those destroyed)
 * and those created, with the CIs created in them. Null when the plan turns MIG off.
 */
export function afterPlan(
  gpu: GpuMigState,
  kept: readonly { profile: string; start: number }[],
  steps: readonly MigStep[],
): SlotBlock[] | null {
  if (steps.some((s) => s.kind === 'set-mig-mode' && !s.enable)) return null;
  const model = stateModel(gpu);
  const sizeOf = (profile: string, fallback: number) =>
    (model && giProfileByName(model, profile)?.memorySlices) ?? fallback;
  const destroyedCis = new Set(
    steps.flatMap((s) => (s.kind === 'destroy-compute-instance' ? [`${s.giId}/${s.ciId}`] : [])),
  );
  const blocks: SlotBlock[] = [];
  for (const k of kept) {
    const current = gpu.gpuInstances.find((gi) => gi.profile === k.profile && gi.start === k.start);
    blocks.push({
      key: `after-${placementKey(k)}`,
      profile: k.profile,
      start: k.start,
      size: current?.size ?? sizeOf(k.profile, 1),
      computeInstances: (current?.computeInstances ?? [])
        .filter((ci) => !destroyedCis.has(`${current?.id}/${ci.id}`))
        .sort((a, b) => (a.start ?? 0) - (b.start ?? 0) || a.id - b.id)
        .map((ci) => ci.profile),
      tone: 'kept',
    });
  }
  for (const s of steps)
    if (s.kind === 'create-gpu-instance')
      blocks.push({
        key: `after-${placementKey(s.gi)}`,
        profile: s.gi.profile,
        start: s.gi.start,
        size: sizeOf(s.gi.profile, 1),
        computeInstances: [],
        tone: 'new',
      });
  for (const s of steps)
    if (s.kind === 'create-compute-instance')
      blocks
        .find((b) => b.profile === s.gi.profile && b.start === s.gi.start)
        ?.computeInstances.push(s.profile);
  return blocks.sort((a, b) => a.start - b.start);
}

/** The GPU now, with the GIs the plan destroys marked. */
export function beforePlan(
  gpu: GpuMigState,
  kept: readonly { profile: string; start: number }[],
): SlotBlock[] {
  const keptKeys = new Set(kept.map(placementKey));
  return blocksOfState(gpu).map((b) => ({ ...b, tone: keptKeys.has(placementKey(b)) ? 'kept' : 'removed' }));
}

export type StepTone = 'create' | 'destroy' | 'mode' | 'verify';

export function stepTone(step: MigStep): StepTone {
  switch (step.kind) {
    case 'create-gpu-instance':
    case 'create-compute-instance':
      return 'create';
    case 'destroy-gpu-instance':
    case 'destroy-compute-instance':
      return 'destroy';
    case 'set-mig-mode':
    case 'reset-gpu':
      return 'mode';
    case 'verify':
      return 'verify';
  }
}

/** `4 to create, 2 to destroy, a GPU reset`: what a plan does, in a line. */
export function planSummary(row: Pick<PlanRow, 'steps' | 'kept'>): string {
  if (row.steps.length === 0) return 'No changes: the GPU already has this layout';
  const count = (tone: StepTone) => row.steps.filter((s) => stepTone(s) === tone).length;
  const parts = [
    count('destroy') > 0 ? `${count('destroy')} to destroy` : '',
    count('create') > 0 ? `${count('create')} to create` : '',
    row.steps.some((s) => s.kind === 'set-mig-mode') ? 'a MIG-mode change' : '',
    row.steps.some((s) => s.kind === 'reset-gpu') ? 'a GPU reset' : '',
    row.kept.length > 0 ? `${row.kept.length} GPU instance${row.kept.length === 1 ? '' : 's'} kept` : '',
  ].filter(Boolean);
  return `${row.steps.length} step${row.steps.length === 1 ? '' : 's'}: ${parts.join(', ')}`;
}

// ---------------------------------------------------------------------------------------------
// Fleet summary

export interface ModelSummary {
  model: string;
  /** Catalogue key, when the catalogue knows the model. */
  key: string | undefined;
  memorySlots: number | undefined;
  count: number;
  hosts: number;
  memoryMiB: number;
  migOn: number;
  migOff: number;
  migUnsupported: number;
  /** MIG-enabled GPUs whose layout the console has read (in this window, or last time), and their slots. */
  read: { gpus: number; hosts: number; allocated: number; total: number };
}

/** Per model: counts from gpus.list, and memory slots from the states read (matched by UUID). */
export function modelSummaries(
  gpus: readonly Gpu[],
  reads: ReadonlyMap<string, readonly GpuMigState[]>,
): ModelSummary[] {
  const byUuid = new Map<string, GpuMigState>();
  for (const [host, states] of reads) for (const s of states) byUuid.set(`${host}/${s.uuid}`, s);
  const byModel = new Map<string, Gpu[]>();
  for (const g of gpus) byModel.set(g.model, [...(byModel.get(g.model) ?? []), g]);
  return [...byModel]
    .map(([model, list]): ModelSummary => {
      const catalogued = list[0] ? catalogModel(list[0]) : undefined;
      const read = { gpus: 0, hosts: 0, allocated: 0, total: 0 };
      const readHosts = new Set<string>();
      for (const g of list) {
        // A read in this window first; else what the console last read of it (kept with the GPU).
        const s = byUuid.get(`${g.host}/${g.uuid}`);
        const on = s ? s.migCurrent : g.migMode === 'enabled' && g.gpuInstances !== null;
        if (!on) continue;
        const slots = (s ? stateModel(s)?.memorySlots : undefined) ?? catalogued?.memorySlots;
        if (!slots) continue;
        read.gpus += 1;
        read.total += slots;
        read.allocated += s ? usedSlots(s) : usedSlots({ gpuInstances: g.gpuInstances ?? [] });
        readHosts.add(g.host);
      }
      read.hosts = readHosts.size;
      return {
        model,
        key: catalogued?.key,
        memorySlots: catalogued?.memorySlots,
        count: list.length,
        hosts: new Set(list.map((g) => g.host)).size,
        memoryMiB: list[0]?.memoryMiB ?? 0,
        migOn: list.filter((g) => g.migMode === 'enabled').length,
        migOff: list.filter((g) => g.migMode === 'disabled').length,
        migUnsupported: list.filter((g) => g.migMode === 'unsupported').length,
        read,
      };
    })
    .sort((a, b) => b.count - a.count || a.model.localeCompare(b.model));
}

/** `zone=zone-a, rack=rack-1` or `zone=zone-a rack=rack-1` into labels; problems named. */
export function parseLabels(text: string): { labels: Record<string, string>; problem: string | null } {
  const labels: Record<string, string> = {};
  for (const part of text.split(/[\s,]+/).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { labels, problem: `"${part}" is not key=value` };
    labels[part.slice(0, eq)] = part.slice(eq + 1);
  }
  return { labels, problem: null };
}

export function hostsWithLabels(
  hosts: readonly { name: string; labels: Record<string, string> }[],
  labels: Record<string, string>,
): string[] {
  return hosts.filter((h) => Object.entries(labels).every(([k, v]) => h.labels[k] === v)).map((h) => h.name);
}
