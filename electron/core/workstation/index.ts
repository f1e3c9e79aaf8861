import { statSync } from 'node:fs';
import type { z } from 'zod';
import type { SelfCheckEvent, SystemInfo } from '../../../shared/api';
import { ConsoleError } from '../../../shared/errors';
import type { Identity } from '../identity';
import { readLedgerPublicKey, verifierKey } from '../ledger';
import { opensshPublicKey } from '../../../offline-bundles/sshsig';
import { SCHEMA_VERSION, schemaVersion, type Db, type SecretsVault } from '../store';
import { readUpgradeStatus } from '../bundles/console-upgrade';

/** What `enclave info` and the Settings page show about this workstation. */
export function workstationInfo(deps: {
  db: Db;
  dataDir: string;
  identity: Identity;
  vault: SecretsVault;
}): SystemInfo {
  const key = readLedgerPublicKey(deps.db);
  return {
    ledgerKey: key
      ? {
          verifierKey: verifierKey(key.origin, key.publicKey),
          openssh: opensshPublicKey(key.publicKey, key.origin),
        }
      : null,
    version: __ENCLAVE_VERSION__,
    dataDir: deps.dataDir,
    schemaVersion: schemaVersion(deps.db),
    workstationId: deps.identity.workstationId(),
    initialised: deps.identity.isInitialised(),
    secretsProtection: deps.vault.protection,
    runtime: `Node ${process.versions.node}${process.versions.electron ? `, Electron ${process.versions.electron}` : ''}`,
    upgrades: consoleUpgrades(deps.dataDir),
  };
}

/** Staged and pending console upgrades (Settings, and the ledger's system.start entry). */
export function consoleUpgrades(dataDir: string): SystemInfo['upgrades'] {
  const status = readUpgradeStatus(dataDir, __ENCLAVE_VERSION__);
  return {
    staged: status.staged.map((u) => ({ version: u.version, stagedAt: u.stagedAt, packages: u.packages })),
    pending: status.pending
      ? {
          version: status.pending.version,
          newer: status.pending.newer,
          attemptedAt: status.pending.attemptedAt ?? null,
        }
      : null,
  };
}

const LEDGER_GUARDS = ['entries', 'nodes', 'checkpoints'].flatMap((t) => [
  `ledger_${t}_no_update`,
  `ledger_${t}_no_delete`,
]);

interface Check {
  check: string;
  run(): string; // a detail when it passes; throws with the reason when it fails
}

/** Checks the operator can run any time; each is cheap and read-only. */
export function selfChecks(deps: { db: Db; dataDir: string; vault: SecretsVault }): Check[] {
  const { db } = deps;
  return [
    {
      check: 'database integrity',
      run() {
        const result = db.pragma('quick_check', { simple: true });
        if (result !== 'ok') throw new Error(String(result));
        return 'SQLite quick_check: ok';
      },
    },
    {
      check: 'foreign keys',
      run() {
        const broken = db.pragma('foreign_key_check') as unknown[];
        if (broken.length) throw new Error(`${broken.length} rows reference missing rows`);
        return 'no dangling references';
      },
    },
    {
      check: 'schema version',
      run() {
        const v = schemaVersion(db);
        if (v !== SCHEMA_VERSION) throw new Error(`schema ${v}, expected ${SCHEMA_VERSION}`);
        return `schema ${v}`;
      },
    },
    {
      check: 'write-ahead log',
      run() {
        const mode = db.pragma('journal_mode', { simple: true });
        if (mode !== 'wal') throw new Error(`journal mode is ${String(mode)}`);
        return 'journal mode WAL, full sync on commit';
      },
    },
    {
      check: 'audit ledger is append-only',
      run() {
        const found = new Set(
          (
            db.prepare("SELECT name FROM sqlite_master WHERE type = 'trigger'").pluck().all() as string[]
          ).filter((n) => n.startsWith('ledger_')),
        );
        const missing = LEDGER_GUARDS.filter((n) => !found.has(n));
        if (missing.length) throw new Error(`guard triggers missing: ${missing.join(', ')}`);
        return 'UPDATE and DELETE of entries, tree nodes and kept checkpoints are refused by triggers';
      },
    },
    {
      check: 'data directory permissions',
      run() {
        const st = statSync(deps.dataDir);
        if ((st.mode & 0o077) !== 0) {
          throw new Error(
            `${deps.dataDir} is readable by others (mode ${(st.mode & 0o777).toString(8)}); run chmod 700`,
          );
        }
        if (typeof process.getuid === 'function' && st.uid !== process.getuid()) {
          throw new Error(`${deps.dataDir} belongs to another user (uid ${st.uid})`);
        }
        return `mode ${(st.mode & 0o777).toString(8)}, owned by this user`;
      },
    },
    {
      check: 'secrets store',
      run() {
        if (!deps.vault.unlocked) throw new Error('locked: sign in with a passphrase to unlock it');
        return `unlocked; key protected by ${deps.vault.protection}`;
      },
    },
  ];
}

export async function runSelfCheck(
  checks: Check[],
  signal: AbortSignal,
  emit: (event: z.infer<typeof SelfCheckEvent>) => void,
): Promise<{ passed: boolean; checks: { check: string; passed: boolean; detail: string }[] }> {
  const results: { check: string; passed: boolean; detail: string }[] = [];
  for (const c of checks) {
    if (signal.aborted) throw new ConsoleError('CANCELLED', 'the self-check was cancelled');
    emit({ check: c.check, status: 'running' });
    let result: { check: string; passed: boolean; detail: string };
    try {
      result = { check: c.check, passed: true, detail: c.run() };
    } catch (error) {
      result = {
        check: c.check,
        passed: false,
        detail: error instanceof Error ? error.message : String(error),
      };
    }
    results.push(result);
    emit({ check: c.check, status: result.passed ? 'passed' : 'failed', detail: result.detail });
    await new Promise((resolve) => setImmediate(resolve)); // let a cancel arrive between checks
  }
  return { passed: results.every((r) => r.passed), checks: results };
}
