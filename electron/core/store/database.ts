import Database from 'better-sqlite3';
import path from 'node:path';
import { ConsoleError } from '../../../shared/errors';
import { ensureDataDir } from './data-dir';
import { MIGRATIONS, SCHEMA_VERSION, type Migration } from './migrations';

export type Db = Database.Database;

export const DATABASE_FILE = 'console.db';

/**
 * Opens (creating if needed) the console database in `dataDir`: WAL, foreign
 * keys, full fsync on commit (audit appends must survive power loss), then
 * brings the schema forward.
 */
export function openDatabase(dataDir: string, migrations: readonly Migration[] = MIGRATIONS): Db {
  ensureDataDir(dataDir);
  const db = new Database(path.join(dataDir, DATABASE_FILE));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('foreign_keys = ON');
    db.pragma('busy_timeout = 5000');
    migrate(db, migrations);
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

export function schemaVersion(db: Db): number {
  return db.pragma('user_version', { simple: true }) as number;
}

export function migrate(db: Db, migrations: readonly Migration[]): void {
  const known = migrations.at(-1)?.version ?? 0;
  const current = schemaVersion(db);
  if (current > known) {
    throw new ConsoleError(
      'CONFLICT',
      `this data directory was written by a newer Enclave Console (schema ${current}; this console knows up to ${known})`,
      { hint: 'upgrade the console with a signed bundle, or point --data-dir at another directory' },
    );
  }
  for (const m of migrations) {
    if (m.version <= current) continue;
    db.transaction(() => {
      db.exec(m.sql);
      m.up?.(db);
      db.pragma(`user_version = ${m.version}`);
    }).immediate();
  }
}

export { SCHEMA_VERSION };
