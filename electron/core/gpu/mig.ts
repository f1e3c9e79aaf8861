// MIG partitioning for the operator (design.md §4): named layouts (built in, imported from
// nvidia-mig-parted, or the site's), a host's state read now with drift from what was applied,
// plans for a host's GPUs, and applying them step by step with read-back and rollback. Fleet
// applies are in fleet.ts. Every plan and step goes into the ledger as it happens, through the
// `journal` the caller provides, so a crash mid-apply still leaves the record of what was done.
import { createHash } from 'node:crypto';
import type { z } from 'zod';
import type { DriftRow, GpuApplyRow, GpuPlanRow, LayoutChoice, NamedLayoutRow } from '../../../shared/api';
import { ConsoleError } from '../../../shared/errors';
import { findModel, hostReadModelKey, rememberHostReadModel } from '../../../shared/mig/catalog';
import { describeStep } from '../../../shared/mig/commands';
import type { GpuMigState, MigLayout, MigPlan, NamedLayout } from '../../../shared/mig/layout';
import { exportMigPartedConfig, parseMigPartedConfig } from '../../../shared/mig/mig-parted';
import { builtinLayouts, describeLayout, resolveLayout } from '../../../shared/mig/named-layouts';
import { layoutOf, matchesLayout } from '../../../shared/mig/observed';
import { planMigLayout } from '../../../shared/mig/plan';
import type { Clock } from '../clock';
import type { HostInventory } from '../hosts';
import { canonicalJson } from '../ledger/canonical-json';
import type { Db } from '../store';
import { rememberMigRead } from './index';
import {
  applyMigPlan,
  readHostMigState,
  verifyApplied,
  type MigCommandRunner,
  type MigJournalEvent,
} from './apply';
import {
  hostMigCapabilityCommand,
  hostPlacementsCommand,
  hostProfilesCommand,
  modelFromHostOutputs,
  parseMigCapability,
} from './host-model';

export type PlanRow = z.infer<typeof GpuPlanRow>;
export type ApplyRow = z.infer<typeof GpuApplyRow>;

/** Writes one ledger entry now, as the signed-in operator (procedure, target, what to keep). */
export type Journal = (entry: {
  procedure: string;
  target: string;
  input: unknown;
  planDigest?: string;
}) => void;

export interface MigDeps {
  db: Db;
  hosts: HostInventory;
  clock: Clock;
}

export interface HostPlan {
  host: string;
  rows: PlanRow[];
  /** The states the plans were made from, by GPU index. */
  states: Map<number, GpuMigState>;
  /** The desired layout of each plannable GPU. */
  desired: Map<number, MigLayout>;
}

const digest = (value: unknown) => createHash('sha256').update(canonicalJson(value)).digest('hex');

/**
 * What identifies a plan: SHA-256 of the canonical JSON of each GPU's `{gpu, desired, steps}`. The
 * ledger's gpu.apply.plan entry carries it, and gpu.plan shows it so an apply can insist on it.
 */
export function planDigestOf(rows: readonly Pick<PlanRow, 'gpu' | 'desired' | 'steps'>[]): string {
  return digest(rows.map((r) => ({ gpu: r.gpu, desired: r.desired, steps: r.steps })));
}

export class MigService {
  constructor(private readonly deps: MigDeps) {}

  // ---- Named layouts ----

  /** Built-in layouts, with the site's and imported ones taking their place where names meet. */
  layouts(): z.infer<typeof NamedLayoutRow>[] {
    const stored = (
      this.deps.db
        .prepare('SELECT name, source, description, entries FROM mig_layouts ORDER BY name')
        .all() as {
        name: string;
        source: 'mig-parted' | 'site';
        description: string;
        entries: string;
      }[]
    ).map((r) => ({ ...r, entries: JSON.parse(r.entries) as NamedLayout['entries'] }));
    const names = new Set(stored.map((l) => l.name));
    return [...builtinLayouts().filter((l) => !names.has(l.name)), ...stored];
  }

  layout(name: string): NamedLayout {
    const found = this.layouts().find((l) => l.name === name);
    if (!found) {
      throw new ConsoleError('NOT_FOUND', `there is no MIG layout named ${name}`, {
        hint: `see enclave gpu layouts (${this.layouts()
          .slice(0, 8)
          .map((l) => l.name)
          .join(', ')}, …)`,
      });
    }
    return found;
  }

  importMigParted(yaml: string, operator: string): { imported: string[]; replaced: string[] } {
    const parsed = parseMigPartedConfig(yaml);
    if (!parsed.ok) {
      throw new ConsoleError(
        'BAD_REQUEST',
        `the mig-parted config is not valid: ${parsed.errors.join('; ')}`,
        {
          hint: 'nothing was imported; fix the file (mig-parted would refuse it too) and import it again',
        },
      );
    }
    const now = this.deps.clock.now().toISOString();
    const exists = this.deps.db.prepare('SELECT 1 FROM mig_layouts WHERE name = ?').pluck();
    const put = this.deps.db.prepare(
      `INSERT INTO mig_layouts (name, source, description, entries, created_at, created_by)
       VALUES (?, 'mig-parted', ?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET source = excluded.source, description = excluded.description,
         entries = excluded.entries, created_at = excluded.created_at, created_by = excluded.created_by`,
    );
    const replaced: string[] = [];
    this.deps.db.transaction(() => {
      for (const l of parsed.layouts) {
        if (exists.get(l.name)) replaced.push(l.name);
        put.run(l.name, l.description, JSON.stringify(l.entries), now, operator);
      }
    })();
    return { imported: parsed.layouts.map((l) => l.name), replaced };
  }

  async exportMigParted(
    input: { names?: string[] | undefined } | { host: string },
  ): Promise<{ yaml: string; warnings: string[] }> {
    if ('host' in input) {
      const gpus = await this.read(input.host);
      const current: NamedLayout = {
        name: 'current',
        description: `${input.host} as read now`,
        source: 'site',
        entries: gpus.map((g) => ({ devices: [g.index], layout: layoutOf(g) })),
      };
      return exportMigPartedConfig([current]);
    }
    const chosen = input.names ? input.names.map((n) => this.layout(n)) : this.layouts();
    return exportMigPartedConfig(chosen);
  }

  // ---- Reading a host ----

  async read(host: string, signal?: AbortSignal): Promise<GpuMigState[]> {
    const runner = this.deps.hosts.commandRunner(host);
    try {
      const gpus = await readHostMigState(runner, signal);
      for (const gpu of gpus) if (gpu.model === null) gpu.model = await this.modelFromHost(runner, gpu);
      rememberMigRead(this.deps.db, host, gpus, this.deps.clock.now().toISOString());
      return gpus;
    } catch (error) {
      if (error instanceof ConsoleError) throw error;
      // A ParseError names the command and line: the host's output, not the console, is at fault.
      throw new ConsoleError('FAILED', `${host}: ${(error as Error).message}`, {
        hint: 'nothing was changed; check the host’s driver with nvidia-smi there',
      });
    }
  }

  /**
   * A MIG GPU the catalogue does not list gets a model built from its host's own profile tables
   * (remembered by product name, so later plans and checks find it); a GPU without MIG stays null.
   */
  private async modelFromHost(runner: MigCommandRunner, gpu: GpuMigState): Promise<string | null> {
    const known = findModel(hostReadModelKey(gpu.name));
    if (known) return known.key;
    const capability = parseMigCapability((await runner.run(hostMigCapabilityCommand(gpu.index))).stdout);
    if (!capability?.migCapable) return null;
    const profiles = await runner.run(hostProfilesCommand(gpu.index));
    const placements = await runner.run(hostPlacementsCommand(gpu.index));
    const model = modelFromHostOutputs(gpu.index, gpu.name, capability.memoryTotalMiB, {
      profiles: profiles.stdout + profiles.stderr,
      placements: placements.stdout + placements.stderr,
    });
    rememberHostReadModel(model);
    return model.key;
  }

  /** The host's GPUs now, and those whose layout no longer matches the one recorded as applied. */
  async state(
    host: string,
  ): Promise<{ host: string; readAt: string; gpus: GpuMigState[]; drift: z.infer<typeof DriftRow>[] }> {
    const gpus = await this.read(host);
    return { host, readAt: this.deps.clock.now().toISOString(), gpus, drift: this.drift(host, gpus) };
  }

  drift(host: string, gpus: readonly GpuMigState[]): z.infer<typeof DriftRow>[] {
    const drift: z.infer<typeof DriftRow>[] = [];
    for (const r of this.recorded(host)) {
      const gpu = gpus.find((g) => g.index === r.gpu);
      if (!gpu || gpu.uuid !== r.uuid) continue; // a different GPU now: its record says nothing about it
      if (matchesLayout(gpu, r.layout)) continue;
      drift.push({
        gpu: r.gpu,
        layoutName: r.layoutName,
        appliedAt: r.appliedAt,
        appliedBy: r.appliedBy,
        recorded: r.layout,
        summary: `applied ${describeLayout(r.layout)}, now ${describeLayout(layoutOf(gpu))}`,
      });
    }
    return drift;
  }

  private recorded(host: string): {
    gpu: number;
    uuid: string;
    layoutName: string | null;
    layout: MigLayout;
    appliedAt: string;
    appliedBy: string;
  }[] {
    return (
      this.deps.db
        .prepare(
          `SELECT a.gpu_index AS gpu, a.gpu_uuid AS uuid, a.layout_name AS layoutName, a.layout, a.applied_at AS appliedAt,
                  a.applied_by AS appliedBy
           FROM mig_applied a JOIN hosts h ON h.id = a.host_id WHERE h.name = ? ORDER BY a.gpu_index`,
        )
        .all(host) as {
        gpu: number;
        uuid: string;
        layoutName: string | null;
        layout: string;
        appliedAt: string;
        appliedBy: string;
      }[]
    ).map((r) => ({ ...r, layout: JSON.parse(r.layout) as MigLayout }));
  }

  // ---- Planning ----

  /** Plans the chosen layout for the host's GPUs (all, or those named) from their state read now. */
  async plan(
    host: string,
    options: {
      gpus?: number[] | undefined;
      layout: LayoutChoice;
      force: boolean;
      models?: string[] | undefined;
    },
    read?: GpuMigState[],
  ): Promise<HostPlan> {
    const all = read ?? (await this.read(host));
    for (const i of options.gpus ?? []) {
      if (!all.some((g) => g.index === i))
        throw new ConsoleError(
          'NOT_FOUND',
          `${host} has no GPU ${i} (it has ${all.map((g) => g.index).join(', ')})`,
        );
    }
    const chosen = all.filter(
      (g) =>
        (!options.gpus || options.gpus.includes(g.index)) &&
        (!options.models || (g.model !== null && options.models.includes(g.model))),
    );
    const named = 'name' in options.layout ? this.layout(options.layout.name) : undefined;
    const recorded = 'recorded' in options.layout ? this.recorded(host) : [];
    const result: HostPlan = { host, rows: [], states: new Map(), desired: new Map() };
    for (const gpu of chosen) {
      result.states.set(gpu.index, gpu);
      const base: PlanRow = {
        gpu: gpu.index,
        uuid: gpu.uuid,
        model: gpu.model,
        desired: null,
        ok: false,
        steps: [],
        descriptions: [],
        kept: [],
        warnings: [],
        problems: [],
      };
      let desired: MigLayout;
      if (named) {
        const resolved = resolveLayout(named, gpu.index, gpu.model);
        if (!resolved.ok) {
          result.rows.push({ ...base, problems: [{ code: 'invalid-layout', message: resolved.message }] });
          continue;
        }
        desired = resolved.layout;
      } else if ('layout' in options.layout) {
        desired = options.layout.layout;
      } else {
        const r = recorded.find((x) => x.gpu === gpu.index && x.uuid === gpu.uuid);
        if (!r) {
          result.rows.push({
            ...base,
            problems: [
              {
                code: 'invalid-layout',
                message: `no layout was recorded as applied to GPU ${gpu.index} of ${host}`,
              },
            ],
          });
          continue;
        }
        desired = r.layout;
      }
      const planned = planMigLayout(gpu, desired, { force: options.force });
      if (!planned.ok) {
        result.rows.push({ ...base, desired, problems: planned.problems });
        continue;
      }
      result.desired.set(gpu.index, desired);
      result.rows.push({
        ...base,
        desired,
        ok: true,
        steps: planned.plan.steps,
        descriptions: planned.plan.steps.map((s) => describeStep(s, planned.plan.model)),
        kept: planned.plan.kept,
        warnings: planned.plan.warnings,
      });
    }
    return result;
  }

  // ---- Applying ----

  /**
   * Plans and applies on one host, GPU after GPU. Refuses the whole host before changing anything
   * when any chosen GPU cannot be planned. The plan goes into the ledger before the first step, and
   * each step as it completes; the applied layout (as read back) is recorded for drift checks.
   */
  async apply(
    host: string,
    options: {
      gpus?: number[] | undefined;
      layout: LayoutChoice;
      force: boolean;
      models?: string[] | undefined;
      /** The digest of the plan the operator reviewed (gpu.plan); applying refuses if the plan now differs. */
      planDigest?: string | undefined;
      /** How each step is checked (see MigApplyOptions.readBack); default: the driver's answers. */
      readBack?: 'confirmations' | 'every-step' | undefined;
      operator: string;
      journal: Journal;
      signal?: AbortSignal | undefined;
      onProgress?: (p: {
        gpu: number;
        phase: 'apply' | 'rollback';
        done: number;
        total: number;
        description: string;
      }) => void;
    },
  ): Promise<{ host: string; plans: PlanRow[]; results: ApplyRow[] }> {
    const planned = await this.plan(host, options);
    const refused = planned.rows.filter((r) => !r.ok);
    if (refused.length > 0) {
      // Most problems already start with "GPU n"; name the GPU only where they do not.
      const messages = refused.flatMap((r) =>
        r.problems.map((p) =>
          new RegExp(`^GPU ${r.gpu}\\b`).test(p.message) ? p.message : `GPU ${r.gpu}: ${p.message}`,
        ),
      );
      const busy = refused.some((r) => r.problems.some((p) => p.code === 'processes-running'));
      throw new ConsoleError('CONFLICT', `${host}: nothing was changed. ${messages.join('; ')}`, {
        hint: busy
          ? 'stop the processes on those GPUs first, or (administrators) apply with force'
          : 'choose a layout every selected GPU can take, or select GPUs with --gpu',
      });
    }
    const layoutName = 'name' in options.layout ? options.layout.name : null;
    const plans = planned.rows.map((r) => ({ gpu: r.gpu, desired: r.desired, steps: r.steps }));
    if (options.planDigest !== undefined && options.planDigest !== planDigestOf(planned.rows)) {
      throw new ConsoleError(
        'CONFLICT',
        `${host}: nothing was changed. The GPUs are not as they were when the plan you reviewed was made, so the plan now differs`,
        { hint: 'plan again, review the new plan, and apply that' },
      );
    }
    options.journal({
      procedure: 'gpu.apply.plan',
      target: `host ${host}`,
      input: { layout: layoutName ?? ('recorded' in options.layout ? 'recorded' : 'given'), plans },
      planDigest: planDigestOf(planned.rows),
    });
    const runner = this.deps.hosts.commandRunner(host);
    const journalStep = (event: MigJournalEvent) =>
      options.journal(
        event.kind === 'step'
          ? {
              procedure: event.phase === 'apply' ? 'gpu.apply.step' : 'gpu.apply.rollback-step',
              target: `host ${host} GPU ${event.gpu}`,
              input: {
                step: event.result.description,
                command: event.result.command,
                exitCode: event.result.exitCode,
                outputSha256: event.result.outputSha256,
                ok: event.result.ok,
                error: event.result.error,
              },
            }
          : {
              procedure: 'gpu.apply.rollback',
              target: `host ${host} GPU ${event.gpu}`,
              input: { reason: event.reason, steps: event.plan?.steps.length ?? null },
            },
      );
    const results: ApplyRow[] = [];
    const toVerify = new Map<number, { plan: MigPlan; before: GpuMigState; desired: MigLayout }>();
    let lost: ApplyRow | null = null;
    // With the driver confirming each step, the listings that verify every GPU are read once for
    // the whole host after its last GPU (`every-step` verifies each GPU as soon as it is done).
    const deferVerify = options.readBack !== 'every-step';
    const stepOptions = {
      journal: journalStep,
      ...(options.readBack ? { readBack: options.readBack } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    };
    for (const row of planned.rows) {
      const before = planned.states.get(row.gpu) as GpuMigState;
      const desired = planned.desired.get(row.gpu) as MigLayout;
      if (lost) {
        // A GPU left in a state nobody could read back (the host gone, a rollback that failed):
        // changing more GPUs of that host would only pile on; these are left exactly as they were.
        results.push({
          gpu: row.gpu,
          outcome: 'refused',
          steps: [],
          rollback: [],
          finalState: before,
          error: `not started: GPU ${lost.gpu} failed and was left as described there, so no further GPU of ${host} was changed`,
        });
        continue;
      }
      const plan: MigPlan = {
        gpu: row.gpu,
        model: row.model ?? '',
        kept: row.kept,
        steps: row.steps,
        warnings: row.warnings,
      };
      toVerify.set(row.gpu, { plan, before, desired });
      const result = await applyMigPlan(runner, plan, before, desired, { ...stepOptions, deferVerify });
      results.push(result);
      if (result.outcome === 'failed') lost = result;
    }
    if (deferVerify && results.some((r) => r.outcome === 'applied')) {
      const read = await readHostMigState(runner).catch(() => null);
      for (const [i, r] of results.entries()) {
        const p = toVerify.get(r.gpu);
        if (r.outcome !== 'applied' || !p) continue;
        results[i] = read
          ? await verifyApplied(
              runner,
              p.plan,
              p.before,
              p.desired,
              { ...r, outcome: 'applied' },
              read.find((g) => g.index === r.gpu),
              stepOptions,
            )
          : {
              ...r,
              outcome: 'failed',
              error: `the host could not be read back to verify GPU ${r.gpu}: check it with nvidia-smi mig -lgi`,
            };
      }
    }
    for (const r of results) {
      if ((r.outcome === 'applied' || r.outcome === 'unchanged') && r.finalState) {
        this.recordApplied(host, r.finalState, layoutName, options.operator);
      }
    }
    rememberMigRead(
      this.deps.db,
      host,
      results.flatMap((r) => (r.finalState ? [r.finalState] : [])),
      this.deps.clock.now().toISOString(),
    );
    return { host, plans: planned.rows, results };
  }

  private recordApplied(host: string, gpu: GpuMigState, layoutName: string | null, operator: string): void {
    this.deps.db
      .prepare(
        `INSERT INTO mig_applied (host_id, gpu_index, gpu_uuid, layout_name, layout, applied_at, applied_by)
         SELECT id, ?, ?, ?, ?, ?, ? FROM hosts WHERE name = ?
         ON CONFLICT (host_id, gpu_index) DO UPDATE SET gpu_uuid = excluded.gpu_uuid, layout_name = excluded.layout_name,
           layout = excluded.layout, applied_at = excluded.applied_at, applied_by = excluded.applied_by`,
      )
      .run(
        gpu.index,
        gpu.uuid,
        layoutName,
        JSON.stringify(layoutOf(gpu)),
        this.deps.clock.now().toISOString(),
        operator,
        host,
      );
  }
}
