import type { z } from 'zod';
import type { AuditEntryView, AuditFilter } from '../../../shared/api';
import type { Role } from '../../../shared/roles';
import type { Clock } from '../clock';
import type { Db } from '../store';
import { canonicalBytes } from './canonical-json';
import { consistencyProof, inclusionProof, leafHash } from './merkle';
import { parseCheckpointText, parseNote, type Checkpoint } from './note';
import type { LedgerSigner } from './signer';
import { TreeStore } from './tree-store';
import type { CheckpointWitness } from './witness';

/** Who acted, as the ledger records it. */
export interface LedgerOperator {
  subject: string;
  displayName: string;
  roles: readonly Role[];
  method: string;
}

/** What the dispatcher and the system record; the ledger adds index and workstation. */
export interface AuditRecord {
  time: string;
  operator: LedgerOperator | null;
  procedure: string;
  target: string | null;
  input: unknown;
  planDigest?: string | null;
  /** What the procedure declared worth keeping of its result (see ProcedureSpec.auditResult). */
  result?: unknown;
  outcome: 'ok' | 'denied' | 'error';
  error: string | null;
  durationMs: number;
  transport: string;
}

/** One ledger entry exactly as hashed (docs/audit-format.md §2). */
export interface LedgerEntry extends Omit<AuditRecord, 'planDigest' | 'result'> {
  v: 1;
  index: number;
  workstation: string | null;
  planDigest: string | null;
  result: unknown;
}

/**
 * The one small interface every audited path writes through. Appends return
 * only after the SQLite commit, so an acknowledged entry survives a crash.
 */
export interface AuditSink {
  append(record: AuditRecord): number;
  list(filter: z.output<typeof AuditFilter>): { entries: AuditEntryView[]; total: number };
  count(): number;
  lastAt(): string | null;
}

/** Keep a checkpoint in the history every this many entries (the head moves with every batch). */
export const RETAIN_EVERY = 10_000;

export interface SignedCheckpoint {
  size: number;
  note: string;
  checkpoint: Checkpoint;
}

/**
 * The signed audit ledger: entries as canonical JSON, leaves of an RFC 9162
 * Merkle tree, a signed checkpoint after every committed batch (when the
 * workstation key is unlocked), proofs from stored subtree hashes.
 */
export class Ledger implements AuditSink {
  readonly tree: TreeStore;
  private readonly stmts;

  constructor(
    private readonly db: Db,
    private readonly deps: {
      clock: Clock;
      witness: CheckpointWitness;
      /** The workstation key while the secrets store is unlocked. */
      signer: () => LedgerSigner | undefined;
      workstationId: () => string | null;
    },
  ) {
    this.tree = new TreeStore(db);
    this.stmts = {
      size: db.prepare('SELECT coalesce(max(idx) + 1, 0) FROM ledger_entries').pluck(),
      insert: db.prepare(
        `INSERT INTO ledger_entries (idx, at, operator, procedure, outcome, target, entry, leaf_hash)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      head: db.prepare('SELECT size, note FROM ledger_head WHERE id = 1'),
      setHead: db.prepare(
        `INSERT INTO ledger_head (id, size, note) VALUES (1, ?, ?)
         ON CONFLICT (id) DO UPDATE SET size = excluded.size, note = excluded.note`,
      ),
      lastRetained: db.prepare('SELECT coalesce(max(size), 0) FROM ledger_checkpoints').pluck(),
      retain: db.prepare(
        'INSERT OR IGNORE INTO ledger_checkpoints (size, note, created_at) VALUES (?, ?, ?)',
      ),
      entry: db.prepare('SELECT entry FROM ledger_entries WHERE idx = ?').pluck(),
    };
  }

  size(): number {
    return this.stmts.size.get() as number;
  }

  /** The workstation key, while the secrets store is unlocked. */
  signer(): LedgerSigner | undefined {
    return this.deps.signer();
  }

  /** Writes the outside copy of the newest checkpoint now (at shutdown). */
  close(): void {
    this.deps.witness.flush();
  }

  append(record: AuditRecord): number {
    return this.appendBatch([record])[0] as number;
  }

  /** Appends in one transaction; returns the entries' indexes once committed. */
  appendBatch(records: readonly AuditRecord[]): number[] {
    const { note, indexes } = this.db
      .transaction(() => {
        const size = this.size();
        const workstation = this.deps.workstationId();
        const leaves: Uint8Array[] = [];
        const indexes: number[] = [];
        records.forEach((record, i) => {
          const index = size + i;
          const bytes = canonicalBytes(ledgerEntry(record, index, workstation));
          const leaf = leafHash(bytes);
          this.stmts.insert.run(
            index,
            record.time,
            record.operator?.subject ?? null,
            record.procedure,
            record.outcome,
            record.target,
            bytes,
            leaf,
          );
          leaves.push(leaf);
          indexes.push(index);
        });
        const root = this.tree.append(size, leaves);
        return { note: this.signHead(size + records.length, root), indexes };
      })
      .immediate();
    if (note) this.deps.witness.record(note);
    return indexes;
  }

  /** Signs a checkpoint for the current tree (e.g. after unlocking, for entries written while locked). */
  signNow(options: { retain?: boolean; timestamp?: boolean } = {}): SignedCheckpoint | undefined {
    const result = this.db
      .transaction(() => {
        const size = this.size();
        return { size, note: this.signHead(size, this.tree.root(size), options) };
      })
      .immediate();
    if (!result.note) return undefined;
    this.deps.witness.record(result.note);
    return {
      size: result.size,
      note: result.note,
      checkpoint: parseCheckpointText(parseNote(result.note).text),
    };
  }

  private signHead(size: number, root: Uint8Array, options: { retain?: boolean; timestamp?: boolean } = {}) {
    const signer = this.deps.signer();
    if (!signer) return undefined; // locked: the next unlocked append signs these entries too
    const now = this.deps.clock.now();
    const note = signer.signCheckpoint(
      { origin: signer.name, size, root, extensions: [] },
      options.timestamp ? Math.floor(now.getTime() / 1000) : undefined,
    );
    this.stmts.setHead.run(size, note);
    const last = this.stmts.lastRetained.get() as number;
    if (options.retain || last === 0 || size - last >= RETAIN_EVERY) {
      this.stmts.retain.run(size, note, now.toISOString());
    }
    return note;
  }

  /** The newest signed checkpoint in the database. */
  head(): SignedCheckpoint | undefined {
    const row = this.stmts.head.get() as { size: number; note: string } | undefined;
    if (!row) return undefined;
    return { size: row.size, note: row.note, checkpoint: parseCheckpointText(parseNote(row.note).text) };
  }

  /** Every retained checkpoint, oldest first, plus the head. */
  checkpoints(): { size: number; note: string }[] {
    const retained = this.db.prepare('SELECT size, note FROM ledger_checkpoints ORDER BY size').all() as {
      size: number;
      note: string;
    }[];
    const head = this.stmts.head.get() as { size: number; note: string } | undefined;
    if (head && !retained.some((c) => c.size === head.size && c.note === head.note)) retained.push(head);
    return retained;
  }

  entryBytes(index: number): Buffer | undefined {
    return this.stmts.entry.get(index) as Buffer | undefined;
  }

  inclusionProof(index: number, treeSize: number): Uint8Array[] {
    return inclusionProof(index, treeSize, this.tree.range);
  }

  consistencyProof(size1: number, size2: number): Uint8Array[] {
    return consistencyProof(size1, size2, this.tree.range);
  }

  // --- the AuditSink reading side -------------------------------------------

  list(filter: z.output<typeof AuditFilter>): { entries: AuditEntryView[]; total: number } {
    const where: string[] = [];
    const params: Record<string, unknown> = {};
    const add = (clause: string, key: string, value: unknown) => {
      if (value === undefined) return;
      where.push(clause);
      params[key] = value;
    };
    add('operator = @operator', 'operator', filter.operator);
    add('procedure = @procedure', 'procedure', filter.procedure);
    add('outcome = @outcome', 'outcome', filter.outcome);
    add('instr(target, @target) > 0', 'target', filter.target);
    add('at >= @since', 'since', filter.since);
    add('at < @until', 'until', filter.until);
    const clause = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const total = this.db
      .prepare(`SELECT count(*) FROM ledger_entries ${clause}`)
      .pluck()
      .get(params) as number;
    if (filter.beforeIndex !== undefined) {
      where.push('idx < @beforeIndex');
      params.beforeIndex = filter.beforeIndex;
    }
    const page = where.length ? `WHERE ${where.join(' AND ')}` : '';
    const rows = this.db
      .prepare(`SELECT entry FROM ledger_entries ${page} ORDER BY idx DESC LIMIT @limit`)
      .pluck()
      .all({ ...params, limit: filter.limit }) as Buffer[];
    // The view is read from the hashed entry itself, never from the filter columns.
    return { entries: rows.map((b) => entryView(JSON.parse(b.toString('utf8')) as LedgerEntry)), total };
  }

  count(): number {
    return this.size();
  }

  lastAt(): string | null {
    return (
      (this.db.prepare('SELECT at FROM ledger_entries ORDER BY idx DESC LIMIT 1').pluck().get() as string) ??
      null
    );
  }
}

/** The entry with its members already in canonical (sorted) order, so encoding copies nothing. */
function ledgerEntry(r: AuditRecord, index: number, workstation: string | null): LedgerEntry {
  const o = r.operator;
  return {
    durationMs: r.durationMs,
    error: r.error,
    index,
    input: r.input,
    operator: o ? { displayName: o.displayName, method: o.method, roles: o.roles, subject: o.subject } : null,
    outcome: r.outcome,
    planDigest: r.planDigest ?? null,
    procedure: r.procedure,
    result: r.result ?? null,
    target: r.target,
    time: r.time,
    transport: r.transport,
    v: 1,
    workstation,
  };
}

export function entryView(e: LedgerEntry): AuditEntryView {
  return {
    index: e.index,
    time: e.time,
    workstation: e.workstation,
    operator: e.operator ? { ...e.operator, roles: [...e.operator.roles] } : null,
    procedure: e.procedure,
    result: e.result ?? null,
    target: e.target,
    input: e.input,
    planDigest: e.planDigest,
    outcome: e.outcome,
    error: e.error,
    durationMs: e.durationMs,
    transport: e.transport,
  } as AuditEntryView;
}
