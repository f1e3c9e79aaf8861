// Applying a named MIG layout across a fleet: hosts chosen by labels, a canary host alone first,
// then batches; it stops starting hosts once failures pass the limit. Every host's state is kept
// in mig_fleet_hosts as it changes, so a run cut short (stopped, cancelled, the console killed) can
// be resumed: hosts already done are skipped, the others are planned again from their state then.
import { randomBytes } from 'node:crypto';
import type { z } from 'zod';
import type { FleetRunRow } from '../../../shared/api';
import { ConsoleError } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { HostInventory } from '../hosts';
import type { Db } from '../store';
import type { ApplyRow, Journal, MigService, PlanRow } from './mig';

export type FleetRun = z.infer<typeof FleetRunRow>;
type HostStatus = FleetRun['hosts'][number]['status'];

export interface FleetRequest {
  layout: string;
  labels: Record<string, string>;
  models?: string[] | undefined;
  canary?: string | undefined;
  batchSize: number;
  maxFailures: number;
  force: boolean;
}

export interface FleetEvent {
  host: string;
  status: HostStatus;
  gpu?: number;
  description?: string;
}

export interface FleetDeps {
  db: Db;
  hosts: HostInventory;
  clock: Clock;
  mig: MigService;
}

/** Runs started in this process; a 'running' run not among them was cut short (the console stopped). */
const ACTIVE = new Set<string>();

export class FleetApplier {
  constructor(private readonly deps: FleetDeps) {}

  /** Starts a new run. The selection and order are fixed here, so a resume acts on the same hosts. */
  async start(
    request: FleetRequest,
    context: { operator: string; journal: Journal; signal?: AbortSignal; emit?: (e: FleetEvent) => void },
  ): Promise<FleetRun> {
    this.deps.mig.layout(request.layout); // an unknown layout refuses before anything is recorded
    const hosts = this.deps.hosts.selectByLabels(request.labels);
    if (hosts.length === 0) throw new ConsoleError('NOT_FOUND', 'no host has all of those labels');
    if (request.canary && !hosts.includes(request.canary)) {
      throw new ConsoleError('BAD_REQUEST', `the canary ${request.canary} is not among the selected hosts`, {
        hint: `choose one of ${hosts.join(', ')}`,
      });
    }
    const canary = request.canary ?? (hosts[0] as string);
    const ordered = [canary, ...hosts.filter((h) => h !== canary)];
    const id = `f-${randomBytes(8).toString('hex')}`;
    const now = this.deps.clock.now().toISOString();
    this.deps.db.transaction(() => {
      this.deps.db
        .prepare(
          `INSERT INTO mig_fleet_runs (id, layout_name, request, status, started_at, started_by)
           VALUES (?, ?, ?, 'running', ?, ?)`,
        )
        .run(id, request.layout, JSON.stringify(request), now, context.operator);
      const insert = this.deps.db.prepare(
        `INSERT INTO mig_fleet_hosts (run_id, position, host, status) VALUES (?, ?, ?, 'pending')`,
      );
      ordered.forEach((h, i) => insert.run(id, i, h));
    })();
    return this.execute(id, request, context);
  }

  /** Every selected host's plan, read and planned side by side (a few at a time), for review. */
  async plan(request: {
    layout: string;
    labels: Record<string, string>;
    models?: string[] | undefined;
    force: boolean;
  }): Promise<{ hosts: { host: string; gpus: PlanRow[]; error: string | null }[] }> {
    this.deps.mig.layout(request.layout);
    const hosts = this.deps.hosts.selectByLabels(request.labels);
    if (hosts.length === 0) throw new ConsoleError('NOT_FOUND', 'no host has all of those labels');
    const results: { host: string; gpus: PlanRow[]; error: string | null }[] = new Array(hosts.length);
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < hosts.length; i = next++) {
        const host = hosts[i] as string;
        try {
          const planned = await this.deps.mig.plan(host, {
            layout: { name: request.layout },
            force: request.force,
            models: request.models,
          });
          results[i] = { host, gpus: planned.rows, error: null };
        } catch (e) {
          results[i] = { host, gpus: [], error: (e as Error).message };
        }
      }
    };
    await Promise.all(Array.from({ length: Math.min(8, hosts.length) }, worker));
    return { hosts: results };
  }

  /** Continues a run that stopped, was cancelled or was cut short: hosts not done are applied again. */
  async resume(
    id: string,
    context: { operator: string; journal: Journal; signal?: AbortSignal; emit?: (e: FleetEvent) => void },
  ): Promise<FleetRun> {
    const run = this.run(id);
    if (ACTIVE.has(id)) throw new ConsoleError('CONFLICT', `fleet run ${id} is still running`);
    if (run.status === 'done') throw new ConsoleError('CONFLICT', `fleet run ${id} is already done`);
    const request = JSON.parse(
      this.deps.db.prepare('SELECT request FROM mig_fleet_runs WHERE id = ?').pluck().get(id) as string,
    ) as FleetRequest;
    this.deps.db
      .prepare(`UPDATE mig_fleet_runs SET status = 'running', finished_at = NULL, note = NULL WHERE id = ?`)
      .run(id);
    return this.execute(id, request, context);
  }

  /** Whether the run was started with force: resuming it applies with force again (administrators only). */
  forced(id: string): boolean {
    this.run(id); // NOT_FOUND for an unknown run
    const request = this.deps.db
      .prepare('SELECT request FROM mig_fleet_runs WHERE id = ?')
      .pluck()
      .get(id) as string;
    return (JSON.parse(request) as FleetRequest).force;
  }

  private async execute(
    id: string,
    request: FleetRequest,
    context: { operator: string; journal: Journal; signal?: AbortSignal; emit?: (e: FleetEvent) => void },
  ): Promise<FleetRun> {
    ACTIVE.add(id);
    try {
      const todo = this.run(id).hosts.filter((h) => h.status !== 'done' && h.status !== 'skipped');
      const set = (host: string, status: HostStatus, result?: unknown) => {
        this.deps.db
          .prepare(
            'UPDATE mig_fleet_hosts SET status = ?, result = ?, finished_at = ? WHERE run_id = ? AND host = ?',
          )
          .run(
            status,
            result === undefined ? null : JSON.stringify(result),
            status === 'running' || status === 'pending' ? null : this.deps.clock.now().toISOString(),
            id,
            host,
          );
        context.emit?.({ host, status });
      };
      // A resumed run retries its failed hosts, so only this pass's failures count against the limit.
      let failures = 0;
      const applyHost = async (host: string): Promise<boolean> => {
        set(host, 'running');
        try {
          const out = await this.deps.mig.apply(host, {
            layout: { name: request.layout },
            force: request.force,
            models: request.models,
            operator: context.operator,
            journal: context.journal,
            ...(context.signal ? { signal: context.signal } : {}),
            onProgress: (p) =>
              context.emit?.({ host, status: 'running', gpu: p.gpu, description: p.description }),
          });
          if (out.results.length === 0) {
            set(host, 'skipped', { gpus: [], error: 'no GPU of the chosen models' });
            return true;
          }
          const ok = out.results.every((r) => r.outcome === 'applied' || r.outcome === 'unchanged');
          const error = ok
            ? null
            : out.results.flatMap((r) => (r.error ? [`GPU ${r.gpu}: ${r.error}`] : [])).join('; ');
          set(host, ok ? 'done' : 'failed', { gpus: out.results, error });
          return ok;
        } catch (e) {
          set(host, 'failed', { gpus: [] as ApplyRow[], error: (e as Error).message });
          return false;
        }
      };

      const canary = todo[0]?.position === 0 ? todo.shift() : undefined;
      if (canary && !(await applyHost(canary.host))) {
        return this.finish(id, 'stopped', `the canary ${canary.host} failed; no other host was started`);
      }
      while (todo.length > 0) {
        if (context.signal?.aborted) return this.finish(id, 'stopped', 'cancelled by the operator');
        const batch = todo.splice(0, request.batchSize);
        const outcomes = await Promise.all(batch.map((h) => applyHost(h.host)));
        failures += outcomes.filter((ok) => !ok).length;
        if (failures > request.maxFailures && todo.length > 0) {
          return this.finish(
            id,
            'stopped',
            `${failures} host${failures === 1 ? '' : 's'} failed (limit ${request.maxFailures}); ${todo.length} not started`,
          );
        }
      }
      return failures > 0
        ? this.finish(id, 'stopped', `${failures} host${failures === 1 ? '' : 's'} failed`)
        : this.finish(id, 'done', null);
    } finally {
      ACTIVE.delete(id);
    }
  }

  private finish(id: string, status: 'done' | 'stopped', note: string | null): FleetRun {
    this.deps.db
      .prepare('UPDATE mig_fleet_runs SET status = ?, finished_at = ?, note = ? WHERE id = ?')
      .run(status, this.deps.clock.now().toISOString(), note, id);
    return this.run(id);
  }

  run(id: string): FleetRun {
    const row = this.deps.db.prepare('SELECT * FROM mig_fleet_runs WHERE id = ?').get(id) as
      RunRow | undefined;
    if (!row)
      throw new ConsoleError('NOT_FOUND', `there is no fleet run ${id}`, {
        hint: 'see enclave gpu fleet-runs',
      });
    return this.view(row);
  }

  runs(limit: number): FleetRun[] {
    const rows = this.deps.db
      .prepare('SELECT * FROM mig_fleet_runs ORDER BY started_at DESC, rowid DESC LIMIT ?')
      .all(limit) as RunRow[];
    return rows.map((r) => this.view(r));
  }

  private view(row: RunRow): FleetRun {
    const hosts = (
      this.deps.db
        .prepare(
          'SELECT position, host, status, result FROM mig_fleet_hosts WHERE run_id = ? ORDER BY position',
        )
        .all(row.id) as { position: number; host: string; status: HostStatus; result: string | null }[]
    ).map((h) => {
      const result = h.result ? (JSON.parse(h.result) as { gpus: ApplyRow[]; error: string | null }) : null;
      return {
        host: h.host,
        position: h.position,
        status: h.status,
        gpus: result?.gpus ?? [],
        error: result?.error ?? null,
      };
    });
    // 'running' in the table but not in this process: the console stopped while it ran.
    const status = row.status === 'running' && !ACTIVE.has(row.id) ? 'interrupted' : row.status;
    return {
      id: row.id,
      layoutName: row.layout_name,
      status,
      startedAt: row.started_at,
      startedBy: row.started_by,
      finishedAt: row.finished_at,
      note: row.note,
      hosts,
    };
  }
}

interface RunRow {
  id: string;
  layout_name: string;
  request: string;
  status: FleetRun['status'];
  started_at: string;
  started_by: string;
  finished_at: string | null;
  note: string | null;
}
