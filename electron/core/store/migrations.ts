import type { Db } from './database';
import { LEDGER_MIGRATION } from '../ledger/schema';

/**
 * Forward-only, numbered schema migrations. Each runs in its own transaction and
 * sets PRAGMA user_version to its number. Never edit a released migration: add one.
 */
export interface Migration {
  version: number;
  name: string;
  sql: string;
  /** Data conversion that SQL alone cannot do; runs after `sql`, in the same transaction. */
  up?: (db: Db) => void;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'workstation, operators, secrets, audit, inventory',
    sql: `
      CREATE TABLE meta (
        key   TEXT PRIMARY KEY,
        value TEXT NOT NULL
      ) STRICT;

      CREATE TABLE operators (
        id              INTEGER PRIMARY KEY,
        name            TEXT NOT NULL UNIQUE,
        display_name    TEXT NOT NULL,
        roles           TEXT NOT NULL,            -- JSON array of role names
        passphrase_hash TEXT NOT NULL,            -- PHC string, scrypt
        disabled        INTEGER NOT NULL DEFAULT 0,
        created_at      TEXT NOT NULL,
        last_sign_in_at TEXT
      ) STRICT;

      -- Failed sign-ins per attempted operator name, for rate limiting across processes.
      CREATE TABLE sign_in_failures (
        subject TEXT NOT NULL,
        at      TEXT NOT NULL
      ) STRICT;
      CREATE INDEX sign_in_failures_subject ON sign_in_failures(subject, at);

      -- The data-encryption key, wrapped once per way of unlocking it.
      CREATE TABLE secret_keys (
        id          INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL CHECK (kind IN ('operator-passphrase', 'os-keyring')),
        operator_id INTEGER REFERENCES operators(id) ON DELETE CASCADE,
        kdf         TEXT,                         -- PHC-style scrypt parameters and salt
        wrapped     BLOB NOT NULL,                -- AES-256-GCM: nonce(12) | ciphertext | tag(16)
        created_at  TEXT NOT NULL,
        UNIQUE (kind, operator_id)
      ) STRICT;

      CREATE TABLE secrets (
        name       TEXT PRIMARY KEY,
        sealed     BLOB NOT NULL,                 -- AES-256-GCM under the data-encryption key
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE audit_entries (
        seq         INTEGER PRIMARY KEY AUTOINCREMENT,
        at          TEXT NOT NULL,
        operator    TEXT,
        roles       TEXT NOT NULL,                -- JSON array
        method      TEXT,
        procedure   TEXT NOT NULL,
        target      TEXT,
        input       TEXT NOT NULL,                -- JSON, secrets redacted
        outcome     TEXT NOT NULL CHECK (outcome IN ('ok', 'denied', 'error')),
        error       TEXT,
        duration_ms REAL NOT NULL,
        transport   TEXT NOT NULL
      ) STRICT;
      CREATE INDEX audit_entries_operator ON audit_entries(operator, seq);
      CREATE INDEX audit_entries_at ON audit_entries(at);
      CREATE TRIGGER audit_entries_no_update BEFORE UPDATE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;
      CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
        BEGIN SELECT RAISE(ABORT, 'audit entries are append-only'); END;

      CREATE TABLE hosts (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL UNIQUE,
        address      TEXT NOT NULL,
        port         INTEGER NOT NULL DEFAULT 22,
        user         TEXT NOT NULL,
        labels       TEXT NOT NULL DEFAULT '{}',  -- JSON object
        fingerprint  TEXT,                        -- pinned host key, SHA256:…
        last_seen_at TEXT,
        created_at   TEXT NOT NULL
      ) STRICT;

      CREATE TABLE gpus (
        host_id    INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
        idx        INTEGER NOT NULL,
        uuid       TEXT NOT NULL UNIQUE,
        model      TEXT NOT NULL,
        memory_mib INTEGER NOT NULL,
        mig_mode   TEXT NOT NULL CHECK (mig_mode IN ('enabled', 'disabled', 'unsupported')),
        PRIMARY KEY (host_id, idx)
      ) STRICT;

      CREATE TABLE clusters (
        id       INTEGER PRIMARY KEY,
        name     TEXT NOT NULL UNIQUE,
        server   TEXT NOT NULL,
        context  TEXT NOT NULL,
        added_at TEXT NOT NULL
      ) STRICT;

      CREATE TABLE tenants (
        id         INTEGER PRIMARY KEY,
        name       TEXT NOT NULL,
        cluster_id INTEGER NOT NULL REFERENCES clusters(id),
        created_at TEXT NOT NULL,
        UNIQUE (cluster_id, name)
      ) STRICT;

      CREATE TABLE bundles (
        id           INTEGER PRIMARY KEY,
        name         TEXT NOT NULL,
        kind         TEXT NOT NULL,
        version      TEXT NOT NULL,
        sha256       TEXT NOT NULL,
        installed_at TEXT NOT NULL,
        UNIQUE (name, version)
      ) STRICT;
    `,
  },
  LEDGER_MIGRATION,
  {
    version: 3,
    name: 'host credentials and key pinning',
    sql: `
      ALTER TABLE hosts ADD COLUMN key_secret TEXT;   -- name of the encrypted secret holding the SSH key
      ALTER TABLE hosts ADD COLUMN pinned_at TEXT;    -- when the host key fingerprint was pinned
    `,
  },
  {
    version: 4,
    name: 'discovered host facts and GPU details',
    sql: `
      ALTER TABLE hosts ADD COLUMN facts TEXT;          -- JSON: os, kernel, CPU, TEE flags, memory
      ALTER TABLE hosts ADD COLUMN discovered_at TEXT;
      ALTER TABLE gpus ADD COLUMN bus_id TEXT;
      ALTER TABLE gpus ADD COLUMN driver_version TEXT;
      ALTER TABLE gpus ADD COLUMN mig_pending TEXT NOT NULL DEFAULT 'unsupported';
      ALTER TABLE gpus ADD COLUMN mig_devices INTEGER NOT NULL DEFAULT 0;
    `,
  },
  {
    version: 5,
    name: 'terminal session recordings',
    sql: `
      -- One row per terminal session; the asciicast itself is <dataDir>/recordings/<id>.cast.gz.
      CREATE TABLE recordings (
        id             TEXT PRIMARY KEY,          -- t-<32 hex>, also the terminal id
        host           TEXT NOT NULL,
        operator       TEXT NOT NULL,
        started        TEXT NOT NULL,
        ended          TEXT,                      -- null while open, or when the console stopped first
        cols           INTEGER NOT NULL,
        rows           INTEGER NOT NULL,
        chars          INTEGER NOT NULL DEFAULT 0, -- output characters recorded
        bytes          INTEGER,                   -- size of the stored gzip file
        sha256         TEXT,                      -- of the stored gzip file (hex)
        input_recorded INTEGER NOT NULL DEFAULT 0
      ) STRICT;
      CREATE INDEX recordings_host ON recordings(host, started);
    `,
  },
  {
    version: 6,
    name: 'jump hosts',
    sql: `
      ALTER TABLE hosts ADD COLUMN jump_host TEXT;     -- name of the inventory host this one is reached through
    `,
  },
  {
    version: 7,
    name: 'ssh-agent authentication',
    sql: `
      ALTER TABLE hosts ADD COLUMN auth TEXT NOT NULL DEFAULT 'key' CHECK (auth IN ('key', 'agent'));
    `,
  },
  {
    version: 8,
    name: 'password login (where the site policy allows it)',
    // SQLite cannot change a CHECK in place: add the widened column, copy, drop, rename.
    sql: `
      ALTER TABLE hosts ADD COLUMN login TEXT NOT NULL DEFAULT 'key' CHECK (login IN ('key', 'agent', 'password'));
      UPDATE hosts SET login = auth;
      ALTER TABLE hosts DROP COLUMN auth;
      ALTER TABLE hosts RENAME COLUMN login TO auth;
    `,
  },
  {
    version: 9,
    name: 'MIG layouts, applied layouts and fleet runs',
    sql: `
      -- Layouts the site defined or imported from nvidia-mig-parted (built-in ones live in code).
      CREATE TABLE mig_layouts (
        name        TEXT PRIMARY KEY,
        source      TEXT NOT NULL CHECK (source IN ('mig-parted', 'site')),
        description TEXT NOT NULL,
        entries     TEXT NOT NULL,                -- JSON NamedLayoutEntry[]
        created_at  TEXT NOT NULL,
        created_by  TEXT NOT NULL
      ) STRICT;

      -- The layout last applied to each GPU, with placements: what drift is measured against.
      CREATE TABLE mig_applied (
        host_id     INTEGER NOT NULL REFERENCES hosts(id) ON DELETE CASCADE,
        gpu_index   INTEGER NOT NULL,
        gpu_uuid    TEXT NOT NULL,
        layout_name TEXT,                         -- null for a layout given inline
        layout      TEXT NOT NULL,                -- JSON MigLayout as read back after applying
        applied_at  TEXT NOT NULL,
        applied_by  TEXT NOT NULL,
        PRIMARY KEY (host_id, gpu_index)
      ) STRICT;

      -- Fleet applies, host by host, so one interrupted can be resumed where it stopped.
      CREATE TABLE mig_fleet_runs (
        id          TEXT PRIMARY KEY,             -- f-<hex>
        layout_name TEXT NOT NULL,
        request     TEXT NOT NULL,                -- JSON: selection and options as given
        status      TEXT NOT NULL CHECK (status IN ('running', 'done', 'stopped', 'interrupted')),
        started_at  TEXT NOT NULL,
        started_by  TEXT NOT NULL,
        finished_at TEXT,
        note        TEXT
      ) STRICT;
      CREATE TABLE mig_fleet_hosts (
        run_id      TEXT NOT NULL REFERENCES mig_fleet_runs(id) ON DELETE CASCADE,
        position    INTEGER NOT NULL,             -- 0 is the canary
        host        TEXT NOT NULL,
        status      TEXT NOT NULL CHECK (status IN ('pending', 'running', 'done', 'failed', 'skipped')),
        result      TEXT,                         -- JSON per-GPU outcomes
        finished_at TEXT,
        PRIMARY KEY (run_id, host)
      ) STRICT;
    `,
  },
  {
    version: 10,
    name: 'the MIG layout last read of each GPU',
    sql: `
      ALTER TABLE gpus ADD COLUMN mig_layout TEXT;    -- JSON [{profile, start, size}] as last read over SSH
      ALTER TABLE gpus ADD COLUMN mig_read_at TEXT;
    `,
  },
  {
    version: 11,
    name: 'which process records a terminal session',
    sql: `
      -- The console process writing a recording: one left open by a process that is gone was cut
      -- short by a crash and is finished (and vouched for in the ledger) when a console next starts.
      ALTER TABLE recordings ADD COLUMN owner_pid INTEGER;
    `,
  },
  {
    version: 12,
    name: 'cluster settings and what each tenant was last applied as',
    sql: `
      ALTER TABLE clusters ADD COLUMN oidc_group_prefix TEXT NOT NULL DEFAULT 'oidc:';
      ALTER TABLE clusters ADD COLUMN version TEXT;
      -- The spec, rendered objects and outcome of the last apply: drift compares the cluster with them.
      ALTER TABLE tenants ADD COLUMN organisation TEXT NOT NULL DEFAULT '';
      ALTER TABLE tenants ADD COLUMN spec TEXT;               -- YAML as applied
      ALTER TABLE tenants ADD COLUMN applied_objects TEXT;    -- JSON array of the objects applied
      ALTER TABLE tenants ADD COLUMN plan_digest TEXT;
      ALTER TABLE tenants ADD COLUMN last_applied_at TEXT;
      ALTER TABLE tenants ADD COLUMN status TEXT NOT NULL DEFAULT 'unknown'
        CHECK (status IN ('healthy', 'drifted', 'failed', 'unknown', 'decommissioning'));
      ALTER TABLE tenants ADD COLUMN last_drift TEXT;         -- JSON changes of the last drift check
      ALTER TABLE tenants ADD COLUMN drift_checked_at TEXT;
    `,
  },
  {
    version: 13,
    name: 'bundle trust store, staged bundles, and where bundles were installed',
    sql: `
      -- Signer keys trusted for offline bundles (OpenSSH Ed25519 public key lines).
      CREATE TABLE bundle_signers (
        name        TEXT PRIMARY KEY,
        public_key  TEXT NOT NULL UNIQUE,
        fingerprint TEXT NOT NULL UNIQUE,   -- SHA256:… as ssh-keygen -l prints it
        added_by    TEXT NOT NULL,
        added_at    TEXT NOT NULL
      ) STRICT;
      -- Valid signatures a bundle of each kind needs (k of n); a kind not listed needs 1.
      CREATE TABLE bundle_thresholds (
        kind       TEXT PRIMARY KEY,
        threshold  INTEGER NOT NULL CHECK (threshold >= 1),
        set_by     TEXT NOT NULL,
        set_at     TEXT NOT NULL
      ) STRICT;
      -- Verified copies in <data dir>/bundles/staged/<manifest sha256>/.
      CREATE TABLE bundle_staged (
        manifest_sha256 TEXT PRIMARY KEY,
        name       TEXT NOT NULL,
        kind       TEXT NOT NULL,
        version    TEXT NOT NULL,
        manifest   TEXT NOT NULL,           -- JSON as verified
        signers    TEXT NOT NULL,           -- JSON [{name, fingerprint}]
        source     TEXT NOT NULL,
        bytes      INTEGER NOT NULL,
        staged_by  TEXT NOT NULL,
        staged_at  TEXT NOT NULL
      ) STRICT;
      ALTER TABLE bundles ADD COLUMN installed_by TEXT;
      ALTER TABLE bundles ADD COLUMN targets TEXT NOT NULL DEFAULT '[]';   -- JSON array
    `,
  },
];

export const SCHEMA_VERSION = MIGRATIONS.at(-1)?.version ?? 0;
