import type { Db } from '../store/database';
import type { Migration } from '../store/migrations';
import { canonicalBytes } from './canonical-json';
import { leafHash } from './merkle';
import { TreeStore } from './tree-store';

/**
 * Migration 2: the signed ledger replaces the plain audit table. Entries
 * written before it are carried over in order, re-encoded as canonical JSON
 * leaves; the first checkpoint signed afterwards covers them.
 */
export const LEDGER_MIGRATION: Migration = {
  version: 2,
  name: 'signed audit ledger',
  sql: `
    CREATE TABLE ledger_entries (
      idx       INTEGER PRIMARY KEY,             -- leaf index, from 0, no gaps
      at        TEXT NOT NULL,                   -- the next four columns only serve filters;
      operator  TEXT,                            -- what the ledger says is in "entry"
      procedure TEXT NOT NULL,
      outcome   TEXT NOT NULL,
      target    TEXT,
      entry     BLOB NOT NULL,                   -- canonical JSON (RFC 8785), UTF-8
      leaf_hash BLOB NOT NULL                    -- SHA-256(0x00 || entry)
    ) STRICT;
    CREATE INDEX ledger_entries_operator ON ledger_entries(operator, idx);
    CREATE INDEX ledger_entries_at ON ledger_entries(at);
    CREATE INDEX ledger_entries_procedure ON ledger_entries(procedure, idx);

    -- Complete perfect subtrees: (level, idx) covers leaves [idx * 2^level, (idx + 1) * 2^level).
    CREATE TABLE ledger_nodes (
      level INTEGER NOT NULL,
      idx   INTEGER NOT NULL,
      hash  BLOB NOT NULL,
      PRIMARY KEY (level, idx)
    ) STRICT, WITHOUT ROWID;

    -- Checkpoints kept for history (every 10,000 entries, and each export).
    CREATE TABLE ledger_checkpoints (
      size       INTEGER PRIMARY KEY,
      note       TEXT NOT NULL,                  -- C2SP signed note
      created_at TEXT NOT NULL
    ) STRICT;

    -- The newest signed checkpoint; moves with every committed batch.
    CREATE TABLE ledger_head (
      id   INTEGER PRIMARY KEY CHECK (id = 1),
      size INTEGER NOT NULL,
      note TEXT NOT NULL
    ) STRICT;

    CREATE TRIGGER ledger_entries_no_update BEFORE UPDATE ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
    CREATE TRIGGER ledger_entries_no_delete BEFORE DELETE ON ledger_entries
      BEGIN SELECT RAISE(ABORT, 'ledger entries are append-only'); END;
    CREATE TRIGGER ledger_nodes_no_update BEFORE UPDATE ON ledger_nodes
      BEGIN SELECT RAISE(ABORT, 'ledger nodes are append-only'); END;
    CREATE TRIGGER ledger_nodes_no_delete BEFORE DELETE ON ledger_nodes
      BEGIN SELECT RAISE(ABORT, 'ledger nodes are append-only'); END;
    CREATE TRIGGER ledger_checkpoints_no_update BEFORE UPDATE ON ledger_checkpoints
      BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;
    CREATE TRIGGER ledger_checkpoints_no_delete BEFORE DELETE ON ledger_checkpoints
      BEGIN SELECT RAISE(ABORT, 'ledger checkpoints are append-only'); END;
  `,
  up(db: Db) {
    const workstation =
      (db.prepare("SELECT value FROM meta WHERE key = 'workstation_id'").pluck().get() as
        string | undefined) ?? null;
    const old = db.prepare('SELECT * FROM audit_entries ORDER BY seq').all() as {
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
    }[];
    const insert = db.prepare(
      'INSERT INTO ledger_entries (idx, at, operator, procedure, outcome, target, entry, leaf_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    const names = db.prepare('SELECT name, display_name FROM operators').all() as {
      name: string;
      display_name: string;
    }[];
    const leaves = old.map((row, index) => {
      const entry = {
        v: 1,
        index,
        time: row.at,
        workstation,
        operator: row.operator
          ? {
              subject: row.operator,
              displayName: names.find((n) => n.name === row.operator)?.display_name ?? row.operator,
              roles: JSON.parse(row.roles) as string[],
              method: row.method ?? 'passphrase',
            }
          : null,
        procedure: row.procedure,
        target: row.target,
        input: JSON.parse(row.input) as unknown,
        planDigest: null,
        result: null,
        outcome: row.outcome,
        error: row.error,
        durationMs: row.duration_ms,
        transport: row.transport,
      };
      const bytes = canonicalBytes(entry);
      const leaf = leafHash(bytes);
      insert.run(index, row.at, row.operator, row.procedure, row.outcome, row.target, bytes, leaf);
      return leaf;
    });
    new TreeStore(db).append(0, leaves);
    db.exec(`
      DROP TRIGGER audit_entries_no_update;
      DROP TRIGGER audit_entries_no_delete;
      DROP TABLE audit_entries;
    `);
  },
};
