import { z } from 'zod';
import { EVERY_ROLE } from '../roles';
import { Empty, Timestamp } from './common';
import { procedure } from './define';
import { HostName } from './hosts';

// MIG partitioning (design.md §4): read a GPU's state, plan a layout, apply it with read-back and
// rollback, on one host or a fleet. The schemas mirror the types in shared/mig/layout.ts.

const ProfileName = z.string().min(1).max(64);

export const MigLayoutSchema = z.object({
  migEnabled: z.boolean(),
  gpuInstances: z
    .array(
      z.object({
        profile: ProfileName,
        start: z.number().int().min(0).max(7).optional(),
        computeInstances: z
          .array(z.object({ profile: ProfileName }))
          .max(8)
          .optional(),
      }),
    )
    .max(8),
});

const GiPlacementRef = z.object({ profile: z.string(), start: z.number().int() });

export const MigStepSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('set-mig-mode'),
    gpu: z.number().int(),
    enable: z.boolean(),
    resetRequired: z.boolean(),
  }),
  z.object({ kind: z.literal('reset-gpu'), gpu: z.number().int() }),
  z.object({
    kind: z.literal('destroy-compute-instance'),
    gpu: z.number().int(),
    gi: GiPlacementRef,
    giId: z.number().int(),
    ciId: z.number().int(),
  }),
  z.object({
    kind: z.literal('destroy-gpu-instance'),
    gpu: z.number().int(),
    gi: GiPlacementRef,
    giId: z.number().int(),
  }),
  z.object({
    kind: z.literal('create-gpu-instance'),
    gpu: z.number().int(),
    gi: GiPlacementRef,
    profileId: z.number().int(),
  }),
  z.object({
    kind: z.literal('create-compute-instance'),
    gpu: z.number().int(),
    gi: GiPlacementRef,
    profile: z.string(),
    profileId: z.number().int(),
  }),
  z.object({ kind: z.literal('verify'), gpu: z.number().int() }),
]);

export const GpuMigStateSchema = z.object({
  index: z.number().int(),
  uuid: z.string(),
  name: z.string(),
  model: z.string().nullable(),
  migCurrent: z.boolean(),
  migPending: z.boolean(),
  processes: z.array(z.object({ pid: z.number().int(), name: z.string() })),
  gpuInstances: z.array(
    z.object({
      id: z.number().int(),
      profileId: z.number().int(),
      profile: z.string(),
      start: z.number().int(),
      size: z.number().int(),
      computeInstances: z.array(
        z.object({
          id: z.number().int(),
          profileId: z.number().int(),
          profile: z.string(),
          start: z.number().int().nullable(),
          size: z.number().int().nullable(),
        }),
      ),
    }),
  ),
});

/** Which layout to apply: a named one, one given in full, or the one recorded as applied (re-apply after drift). */
export const LayoutChoice = z.union([
  z.strictObject({ name: z.string().min(1).max(128) }),
  z.strictObject({ layout: MigLayoutSchema }),
  z.strictObject({ recorded: z.literal(true) }),
]);
export type LayoutChoice = z.infer<typeof LayoutChoice>;

/** One GPU's plan, or why none can be made (in operator words). */
export const GpuPlanRow = z.object({
  gpu: z.number().int(),
  uuid: z.string(),
  model: z.string().nullable(),
  /** The layout this GPU was asked for, once the choice was resolved for its model. */
  desired: MigLayoutSchema.nullable(),
  ok: z.boolean(),
  steps: z.array(MigStepSchema),
  /** A line per step for people (the same order as steps). */
  descriptions: z.array(z.string()),
  /** GPU instances that already match and stay in place, with their compute instances. */
  kept: z.array(GiPlacementRef),
  warnings: z.array(z.string()),
  problems: z.array(z.object({ code: z.string(), message: z.string() })),
});
export type GpuPlanRow = z.infer<typeof GpuPlanRow>;

export const MigStepResultSchema = z.object({
  step: MigStepSchema,
  description: z.string(),
  command: z.string().nullable(),
  exitCode: z.number().int().nullable(),
  output: z.string(),
  outputSha256: z.string(),
  ok: z.boolean(),
  error: z.string().nullable(),
});

export const GpuApplyRow = z.object({
  gpu: z.number().int(),
  outcome: z.enum(['unchanged', 'applied', 'rolled-back', 'failed', 'refused']),
  steps: z.array(MigStepResultSchema),
  rollback: z.array(MigStepResultSchema),
  finalState: GpuMigStateSchema.nullable(),
  error: z.string().nullable(),
});
export type GpuApplyRow = z.infer<typeof GpuApplyRow>;

export const NamedLayoutRow = z.object({
  name: z.string(),
  description: z.string(),
  source: z.enum(['builtin', 'mig-parted', 'site']),
  entries: z.array(
    z.object({
      devices: z.union([z.literal('all'), z.array(z.number().int())]),
      models: z.array(z.string()).optional(),
      pciDeviceFilter: z.array(z.string()).optional(),
      layout: MigLayoutSchema,
    }),
  ),
});

/** A GPU whose layout no longer matches the one applied (Hopper after a reboot, mig.md §6). */
export const DriftRow = z.object({
  gpu: z.number().int(),
  layoutName: z.string().nullable(),
  appliedAt: Timestamp,
  appliedBy: z.string(),
  recorded: MigLayoutSchema,
  /** In words: what differs. */
  summary: z.string(),
});

const HostGpus = {
  host: HostName,
  /** GPU indices on the host; all GPUs when left out. */
  gpus: z.array(z.number().int().min(0).max(63)).min(1).max(64).optional(),
};

const MIG_OPERATORS = ['operator', 'admin'] as const;

export const FleetHostRow = z.object({
  host: z.string(),
  position: z.number().int(),
  status: z.enum(['pending', 'running', 'done', 'failed', 'skipped']),
  gpus: z.array(GpuApplyRow),
  error: z.string().nullable(),
});

export const FleetRunRow = z.object({
  id: z.string(),
  layoutName: z.string(),
  status: z.enum(['running', 'done', 'stopped', 'interrupted']),
  startedAt: Timestamp,
  startedBy: z.string(),
  finishedAt: Timestamp.nullable(),
  note: z.string().nullable(),
  hosts: z.array(FleetHostRow),
});

const ResourceCounts = z.record(z.string(), z.number());

/** A MIG change through the GPU Operator on one Kubernetes node, for review. */
export const OperatorMigPlanSchema = z.object({
  cluster: z.string(),
  node: z.string(),
  product: z.string(),
  model: z.string(),
  gpus: z.number().int(),
  currentConfig: z.string().nullable(),
  currentState: z.string().nullable(),
  layout: z.string(),
  /** `nvidia.com/gpu` and `nvidia.com/mig-*` the node offers now, and once the layout is applied. */
  current: ResourceCounts,
  expected: ResourceCounts,
  changes: z.array(z.object({ resource: z.string(), before: z.number(), after: z.number() })),
  planDigest: z.string(),
});

const OperatorTarget = z.strictObject({
  cluster: z.string().min(1).max(63),
  node: z.string().min(1).max(253),
  /** A mig-parted config name the GPU Operator's MIG manager knows (e.g. all-1g.10gb, all-balanced). */
  layout: z.string().min(1).max(128),
});

export const gpuProcedures = [
  procedure({
    id: 'gpu.layouts',
    summary: 'MIG layouts by name: built in, imported from nvidia-mig-parted, or defined by the site.',
    input: Empty,
    output: z.array(NamedLayoutRow),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'gpu.state',
    summary:
      "Read a host's GPUs and their MIG layout now (nvidia-smi over SSH), with drift from what was applied.",
    input: z.strictObject({ host: HostName }),
    output: z.object({
      host: z.string(),
      readAt: Timestamp,
      gpus: z.array(GpuMigStateSchema),
      drift: z.array(DriftRow),
    }),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'gpu.plan',
    summary: "Plan a MIG layout for a host's GPUs from their state read now; nothing is changed.",
    input: z.strictObject({ ...HostGpus, layout: LayoutChoice, force: z.boolean().default(false) }),
    output: z.object({
      host: z.string(),
      gpus: z.array(GpuPlanRow),
      /** SHA-256 of the plan (see docs/mig.md); give it to gpu.apply to apply exactly this plan. */
      planDigest: z.string(),
    }),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'gpu.apply',
    summary:
      'Apply a MIG layout to GPUs of one host: plan from the state read now, run each step, read back, roll back on failure.',
    input: z.strictObject({
      ...HostGpus,
      layout: LayoutChoice,
      /** Apply while GPU processes run (administrators only); the driver may still refuse. */
      force: z.boolean().default(false),
      /**
       * How each step is checked before the next: `confirmations`, the driver's answer naming the
       * instance and its ID (the listings are read for mode changes, resets, any unexpected answer and
       * the final verification); `every-step`, the listings after every step too (slower).
       */
      readBack: z.enum(['confirmations', 'every-step']).default('confirmations'),
      /** The planDigest of the plan the operator reviewed: refused, changing nothing, if the plan now differs. */
      planDigest: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
    }),
    output: z.object({ host: z.string(), plans: z.array(GpuPlanRow), results: z.array(GpuApplyRow) }),
    events: z.object({
      gpu: z.number().int(),
      phase: z.enum(['apply', 'rollback']),
      done: z.number().int(),
      total: z.number().int(),
      description: z.string(),
    }),
    roles: MIG_OPERATORS,
    audited: true,
    mutates: true,
    target: (input) => `host ${input.host}${input.gpus ? ` GPU ${input.gpus.join(',')}` : ''}`,
    auditResult: (output) =>
      output.results.map((r) => ({
        gpu: r.gpu,
        outcome: r.outcome,
        steps: r.steps.map((s) => ({ command: s.command, exitCode: s.exitCode, ok: s.ok })),
        rollback: r.rollback.length,
        error: r.error,
      })),
    action: { title: 'Apply a MIG layout…', palette: true, page: 'gpus' },
  }),
  procedure({
    id: 'gpu.fleetApply',
    summary:
      'Apply a named MIG layout across hosts chosen by labels: a canary host first, then batches; stops when failures pass the limit; resumable.',
    input: z.union([
      z.strictObject({
        layout: z.string().min(1).max(128),
        labels: z.record(z.string().max(64), z.string().max(256)),
        /** Only GPUs of these catalogue models (e.g. H100-80GB-SXM5). */
        models: z.array(z.string()).min(1).optional(),
        /** The first host, applied alone before any other; default: the first selected. */
        canary: HostName.optional(),
        batchSize: z.number().int().min(1).max(256).default(4),
        /** Stop starting hosts once this many have failed. */
        maxFailures: z.number().int().min(0).max(1000).default(0),
        force: z.boolean().default(false),
      }),
      z.strictObject({ resume: z.string().regex(/^f-[0-9a-f]{16}$/) }),
    ]),
    output: FleetRunRow,
    events: z.object({
      host: z.string(),
      status: z.enum(['pending', 'running', 'done', 'failed', 'skipped']),
      gpu: z.number().int().optional(),
      description: z.string().optional(),
    }),
    roles: MIG_OPERATORS,
    audited: true,
    mutates: true,
    target: (input) => ('resume' in input ? `fleet run ${input.resume}` : `layout ${input.layout}`),
    auditResult: (output) => ({
      run: output.id,
      status: output.status,
      hosts: output.hosts.map((h) => ({ host: h.host, status: h.status })),
    }),
  }),
  procedure({
    id: 'gpu.fleetPlan',
    summary:
      'Plan a named MIG layout on every host chosen by labels (each from its state read now), to review before a fleet apply; nothing is changed.',
    input: z.strictObject({
      layout: z.string().min(1).max(128),
      labels: z.record(z.string().max(64), z.string().max(256)),
      models: z.array(z.string()).min(1).optional(),
      force: z.boolean().default(false),
    }),
    output: z.object({
      hosts: z.array(
        z.object({
          host: z.string(),
          gpus: z.array(GpuPlanRow),
          /** Why the host could not be read or planned at all (unreachable, garbled output). */
          error: z.string().nullable(),
        }),
      ),
    }),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'gpu.fleetRuns',
    summary: 'Fleet applies, newest first, with each host’s state (to see progress or resume one).',
    input: z.strictObject({ limit: z.number().int().min(1).max(100).default(20) }),
    output: z.array(FleetRunRow),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'gpu.importMigParted',
    summary:
      'Import an nvidia-mig-parted config (version v1): each of its configs becomes a named layout; same names are replaced.',
    input: z.strictObject({ yaml: z.string().min(1).max(1_000_000) }),
    output: z.object({ imported: z.array(z.string()), replaced: z.array(z.string()) }),
    roles: MIG_OPERATORS,
    audited: true,
    mutates: true,
    target: () => 'MIG layouts',
    auditResult: (output) => output,
  }),
  procedure({
    id: 'gpu.exportMigParted',
    summary:
      'Named layouts, or the layouts GPUs of a host have now, as an nvidia-mig-parted config (placements are dropped).',
    input: z.union([
      z.strictObject({ names: z.array(z.string()).min(1).optional() }),
      z.strictObject({ host: HostName }),
    ]),
    output: z.object({ yaml: z.string(), warnings: z.array(z.string()) }),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'gpu.operatorPlan',
    summary:
      "Plan a MIG layout on a Kubernetes node through the GPU Operator: the node's GPU resources now and once its MIG manager has applied the layout; nothing is changed.",
    input: OperatorTarget,
    output: OperatorMigPlanSchema,
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'gpu.operatorApply',
    summary:
      "Apply a MIG layout through the GPU Operator: label the node's nvidia.com/mig.config, wait for the MIG manager's state, verify the node's MIG resources; on failure label the previous config again.",
    input: OperatorTarget.extend({
      planDigest: z
        .string()
        .regex(/^[0-9a-f]{64}$/)
        .optional(),
      timeoutSeconds: z.number().int().min(1).max(3600).default(600),
    }),
    output: z.object({
      plan: OperatorMigPlanSchema,
      outcome: z.enum(['applied', 'unchanged', 'rolled-back', 'failed']),
      state: z.string().nullable(),
      allocatable: ResourceCounts,
      verified: z.boolean(),
      problems: z.array(z.string()),
    }),
    events: z.object({
      phase: z.enum(['labelling', 'waiting', 'verifying', 'rolling-back']),
      message: z.string(),
    }),
    roles: MIG_OPERATORS,
    audited: true,
    mutates: true,
    target: (input) => `node ${input.node} of cluster ${input.cluster}`,
    auditResult: (output) => ({
      layout: output.plan.layout,
      previous: output.plan.currentConfig,
      outcome: output.outcome,
      state: output.state,
      verified: output.verified,
      problems: output.problems,
      allocatable: output.allocatable,
    }),
    action: { title: 'Apply a MIG layout through the GPU Operator…', page: 'clusters' },
  }),
] as const;
