import type { z } from 'zod';
import type { AuditEntryView, AuditFilter } from '../../../shared/api';
import type { Role } from '../../../shared/roles';
import type { Db } from '../store';

/** What the dispatcher and the system record; the sink assigns `seq`. */
export interface AuditRecord {
  at: string;
  operator: string | null;
  roles: readonly Role[];
  method: string | null;
  procedure: string;
  target: string | null;
  input: unknown;
  outcome: 'ok' | 'denied' | 'error';
  error: string | null;
  durationMs: number;
  transport: string;
}

/**
 * The one small interface every audited path writes through. Appends return
 * only after the SQLite commit, so an acknowledged entry survives a crash.
 * (The signed Merkle ledger replaces this implementation, not this interface.)
 */
export interface AuditSink {
  append(record: AuditRecord): number;
  list(filter: z.output<typeof AuditFilter>): { entries: AuditEntryView[]; total: number };
  count(): number;
  lastAt(): string | null;
}

interface Row {
  seq: number;
  at: string;
  operator: string | null;
  roles: string;
  method: string | null;
  procedure: string;
  target: string | null;
  input: string;
  outcome: 'ok' | 'denied' | 'error';
  error: string | null;
  duration_ms: number;
  transport: string;
}

export class SqliteAuditSink implements AuditSink {
  private readonly insert;
  constructor(private readonly db: Db) {
    this.insert = db.prepare(
      `INSERT INTO audit_entries (at, operator, roles, method, procedure, target, input, outcome, error, duration_ms, transport)
       VALUES (@at, @operator, @roles, @method, @procedure, @target, @input, @outcome, @error, @durationMs, @transport)`,
    );
  }

  append(record: AuditRecord): number {
    const result = this.insert.run({
      ...record,
      roles: JSON.stringify(record.roles),
      input: JSON.stringify(record.input ?? null),
    });
    return Number(result.lastInsertRowid);
  }

  list(filter: z.output<typeof AuditFilter>): { entries: AuditEntryView[]; total: number } {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    if (filter.operator !== undefined) {
      where.push('operator = @operator');
      params.operator = filter.operator;
    }
    if (filter.procedure !== undefined) {
      where.push('procedure = @procedure');
      params.procedure = filter.procedure;
    }
    if (filter.outcome !== undefined) {
      where.push('outcome = @outcome');
      params.outcome = filter.outcome;
    }
    if (filter.since !== undefined) {
      where.push('at >= @since');
      params.since = filter.since;
    }
    if (filter.until !== undefined) {
      where.push('at < @until');
      params.until = filter.until;
    }
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = (
      this.db.prepare(`SELECT count(*) AS n FROM audit_entries ${clause}`).get(params) as { n: number }
    ).n;
    const page = [...where];
    if (filter.beforeSeq !== undefined) {
      page.push('seq < @beforeSeq');
      params.beforeSeq = filter.beforeSeq;
    }
    const pageClause = page.length ? `WHERE ${page.join(' AND ')}` : '';
    const rows = this.db
      .prepare(`SELECT * FROM audit_entries ${pageClause} ORDER BY seq DESC LIMIT @limit`)
      .all({ ...params, limit: filter.limit }) as Row[];
    return { entries: rows.map(toView), total };
  }

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM audit_entries').get() as { n: number }).n;
  }

  lastAt(): string | null {
    const row = this.db.prepare('SELECT at FROM audit_entries ORDER BY seq DESC LIMIT 1').get() as
      { at: string } | undefined;
    return row?.at ?? null;
  }
}

function toView(row: Row): AuditEntryView {
  return {
    seq: row.seq,
    at: row.at,
    operator: row.operator,
    roles: JSON.parse(row.roles) as Role[],
    method: row.method as AuditEntryView['method'],
    procedure: row.procedure,
    target: row.target,
    input: JSON.parse(row.input) as unknown,
    outcome: row.outcome,
    error: row.error,
    durationMs: row.duration_ms,
    transport: row.transport,
  };
}
