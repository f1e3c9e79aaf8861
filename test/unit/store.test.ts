import Database from 'better-sqlite3';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  DATABASE_FILE,
  openDatabase,
  resolveDataDir,
  MIGRATIONS,
  SCHEMA_VERSION,
  schemaVersion,
  seal,
  SecretsVault,
  unseal,
  type Db,
  type OsKeyring,
} from '../../electron/core/store';
import { verifyLedger } from '../../electron/core/ledger';

const dirs: string[] = [];
const dbs: Db[] = [];
function freshDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'enclave-store-'));
  dirs.push(dir);
  return dir;
}
function open(dir = freshDir()): Db {
  const db = openDatabase(dir);
  dbs.push(db);
  return db;
}
afterEach(() => {
  for (const db of dbs.splice(0)) if (db.open) db.close();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('data directory', () => {
  it('prefers --data-dir, then ENCLAVE_DATA_DIR, then XDG_DATA_HOME', () => {
    expect(resolveDataDir('/x/y', { ENCLAVE_DATA_DIR: '/a' })).toBe('/x/y');
    expect(resolveDataDir(undefined, { ENCLAVE_DATA_DIR: '/a' })).toBe('/a');
    expect(resolveDataDir(undefined, { XDG_DATA_HOME: '/xdg' })).toBe('/xdg/enclave-console');
    expect(resolveDataDir(undefined, { XDG_DATA_HOME: 'relative' })).toMatch(
      /\.local\/share\/enclave-console$/,
    );
  });

  it('is created private to this user', () => {
    const dir = path.join(freshDir(), 'nested', 'data');
    open(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });
});

describe('database', () => {
  it('opens in WAL with foreign keys and the current schema', () => {
    const db = open();
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
    expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
  });

  it('runs forward-only migrations once, in order', () => {
    const dir = freshDir();
    const migrations = [
      { version: 1, name: 'a', sql: 'CREATE TABLE a (x INTEGER) STRICT;' },
      { version: 2, name: 'b', sql: 'INSERT INTO a VALUES (1);' },
    ];
    openDatabase(dir, migrations.slice(0, 1)).close();
    const db = openDatabase(dir, migrations);
    dbs.push(db);
    expect(schemaVersion(db)).toBe(2);
    expect(db.prepare('SELECT count(*) AS n FROM a').get()).toEqual({ n: 1 });
    db.close();
    const again = openDatabase(dir, migrations);
    dbs.push(again);
    expect(again.prepare('SELECT count(*) AS n FROM a').get()).toEqual({ n: 1 });
  });

  it('rolls back a failing migration as a whole', () => {
    const dir = freshDir();
    const broken = [
      { version: 1, name: 'broken', sql: 'CREATE TABLE t (x INTEGER); INSERT INTO nope VALUES (1);' },
    ];
    expect(() => openDatabase(dir, broken)).toThrow(/nope/);
    const raw = new Database(path.join(dir, DATABASE_FILE));
    expect(raw.pragma('user_version', { simple: true })).toBe(0);
    expect(raw.prepare("SELECT count(*) AS n FROM sqlite_master WHERE name = 't'").get()).toEqual({ n: 0 });
    raw.close();
  });

  it('refuses a data directory written by a newer console', () => {
    const dir = freshDir();
    open(dir).pragma('user_version = 999');
    expect(() => openDatabase(dir)).toThrow(/newer Enclave Console \(schema 999/);
  });

  it('carries audit entries written before the ledger into it, in order, verifiable', async () => {
    const dir = freshDir();
    const v1 = openDatabase(dir, MIGRATIONS.slice(0, 1));
    const insert = v1.prepare(
      `INSERT INTO audit_entries (at, operator, roles, method, procedure, target, input, outcome, error, duration_ms, transport)
       VALUES (?, ?, '["admin"]', 'passphrase', ?, NULL, '{"operator":"a","passphrase":"[redacted]"}', 'ok', NULL, 1.5, 'cli')`,
    );
    for (let i = 0; i < 5; i++) insert.run(`2026-01-01T00:00:0${i}.000Z`, i % 2 ? 'alice' : null, `p.${i}`);
    v1.close();
    const db = open(dir);
    expect(schemaVersion(db)).toBe(SCHEMA_VERSION);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'audit_entries'").pluck().get()).toBe(
      0,
    );
    const rows = db.prepare('SELECT idx, entry FROM ledger_entries ORDER BY idx').all() as {
      idx: number;
      entry: Buffer;
    }[];
    expect(rows.map((r) => (JSON.parse(r.entry.toString()) as { procedure: string }).procedure)).toEqual([
      'p.0',
      'p.1',
      'p.2',
      'p.3',
      'p.4',
    ]);
    expect(JSON.parse((rows[1] as { entry: Buffer }).entry.toString())).toMatchObject({
      index: 1,
      operator: { subject: 'alice', roles: ['admin'], method: 'passphrase' },
      input: { passphrase: '[redacted]' },
    });
    expect(await verifyLedger(db, undefined)).toMatchObject({ ok: false, entries: 5 }); // no key yet: nothing signed
  });
});

describe('sealing', () => {
  const key = Buffer.alloc(32, 7);
  it('round-trips and binds the label', () => {
    const sealed = seal(key, Buffer.from('secret'), 'secret:a');
    expect(unseal(key, sealed, 'secret:a').toString()).toBe('secret');
    expect(() => unseal(key, sealed, 'secret:b')).toThrow();
    expect(() => unseal(Buffer.alloc(32, 8), sealed, 'secret:a')).toThrow();
  });
  it('detects any flipped byte', () => {
    const sealed = seal(key, Buffer.from('secret value'), 'x');
    for (let i = 0; i < sealed.length; i++) {
      const bad = Buffer.from(sealed);
      bad[i] = (bad[i] as number) ^ 1;
      expect(() => unseal(key, bad, 'x')).toThrow();
    }
  });
});

describe('secrets vault', () => {
  function operators(db: Db) {
    const insert = db.prepare(
      "INSERT INTO operators (name, display_name, roles, passphrase_hash, created_at) VALUES (?, ?, '[]', 'x', 'now')",
    );
    return [1, 2].map((i) => Number(insert.run(`op${i}`, `Op ${i}`).lastInsertRowid));
  }

  it('is locked until an operator passphrase unlocks it; secrets are not stored in clear', async () => {
    const dir = freshDir();
    const db = open(dir);
    const [a, b] = operators(db) as [number, number];
    const vault = new SecretsVault(db, undefined);
    expect(vault.protection).toBe('operator-credentials');
    await vault.create(a, 'passphrase of a');
    await vault.grant(b, 'passphrase of b');
    vault.put('ssh-key', Buffer.from('PRIVATE KEY MATERIAL'));
    const raw = db.prepare('SELECT sealed FROM secrets').get() as { sealed: Buffer };
    expect(raw.sealed.includes(Buffer.from('PRIVATE KEY'))).toBe(false);

    const later = new SecretsVault(db, undefined);
    expect(later.unlocked).toBe(false);
    expect(() => later.get('ssh-key')).toThrow(/locked/);
    await expect(later.unlockWithPassphrase(b, 'wrong passphrase')).rejects.toThrow();
    expect(later.unlocked).toBe(false);
    expect(await later.unlockWithPassphrase(b, 'passphrase of b')).toBe(true);
    expect(later.get('ssh-key')?.toString()).toBe('PRIVATE KEY MATERIAL');
    expect(later.get('missing')).toBeUndefined();
  });

  it('unlocks at start through a real OS keyring when the shell has one', async () => {
    const db = open();
    const [a] = operators(db) as [number];
    // Stands in for Electron safeStorage (main process), which cannot run here.
    const wrapKey = Buffer.alloc(32, 3);
    const keyring: OsKeyring = {
      encrypt: async (b) => seal(wrapKey, b, 'keyring'),
      decrypt: async (b) => unseal(wrapKey, b, 'keyring'),
    };
    const vault = new SecretsVault(db, keyring);
    expect(vault.protection).toBe('os-keyring');
    await vault.create(a, 'passphrase of a');
    vault.put('x', Buffer.from('y'));
    const restarted = new SecretsVault(db, keyring);
    expect(await restarted.unlockWithKeyring()).toBe(true);
    expect(restarted.get('x')?.toString()).toBe('y');
    // Without the keyring (e.g. basic_text backend), the same data needs a passphrase.
    const noKeyring = new SecretsVault(db, undefined);
    expect(await noKeyring.unlockWithKeyring()).toBe(false);
    expect(await noKeyring.unlockWithPassphrase(a, 'passphrase of a')).toBe(true);
  });
});
