import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { build } from 'esbuild';
import { exportLedger } from '../../electron/core/ledger/export';
import { Ledger, type AuditRecord } from '../../electron/core/ledger/ledger';
import { FileWitness } from '../../electron/core/ledger/witness';
import { createLedgerKey, ledgerSignerSource } from '../../electron/core/ledger/workstation-key';
import type { LedgerSigner } from '../../electron/core/ledger/signer';
import { openDatabase, SecretsVault, type Db } from '../../electron/core/store';
import { TestClock } from './core';

export const WORKSTATION = '0b5e7c1a-93d4-4c1e-8a6f-2f4e1d0c9b7a';
const PASS = 'ledger test passphrase';

export interface TestLedger {
  dir: string;
  db: Db;
  ledger: Ledger;
  vault: SecretsVault;
  witness: FileWitness;
  signer: LedgerSigner;
  clock: TestClock;
  reopen(): TestLedger;
  close(): void;
}

export function sampleRecord(i: number, clock = new TestClock()): AuditRecord {
  return {
    time: new Date(clock.ms + i * 1000).toISOString(),
    operator: { subject: 'alice', displayName: 'Alice Auditor', roles: ['auditor'], method: 'passphrase' },
    procedure: i % 3 === 0 ? 'session.signIn' : 'system.selfCheck',
    target: i % 3 === 0 ? 'operator alice' : null,
    input: { n: i, note: 'é✓ "quoted"' },
    outcome: i % 5 === 0 ? 'denied' : 'ok',
    error: i % 5 === 0 ? 'wrong operator name or passphrase' : null,
    durationMs: 1.25 + i,
    transport: 'test',
  };
}

function wire(
  dir: string,
  db: Db,
  vault: SecretsVault,
  clock: TestClock,
): Omit<TestLedger, 'reopen' | 'close' | 'signer'> {
  const witness = new FileWitness(dir);
  const ledger = new Ledger(db, {
    clock,
    witness,
    signer: ledgerSignerSource(db, vault),
    workstationId: () => WORKSTATION,
  });
  return { dir, db, ledger, vault, witness, clock };
}

/** A real ledger on a fresh data directory, with its key created and the vault unlocked. */
export async function openTestLedger(): Promise<TestLedger> {
  const dir = mkdtempSync(path.join(tmpdir(), 'enclave-ledger-'));
  const db = openDatabase(dir);
  db.prepare("INSERT INTO meta (key, value) VALUES ('workstation_id', ?)").run(WORKSTATION);
  const op = db
    .prepare(
      "INSERT INTO operators (name, display_name, roles, passphrase_hash, created_at) VALUES ('alice', 'Alice', '[\"admin\"]', 'x', 'now')",
    )
    .run().lastInsertRowid;
  const vault = new SecretsVault(db, undefined);
  await vault.create(Number(op), PASS);
  const signer = createLedgerKey(db, vault, WORKSTATION);
  const clock = new TestClock();
  const make = (d: Db, v: SecretsVault): TestLedger => ({
    ...wire(dir, d, v, clock),
    signer,
    reopen() {
      this.ledger.close();
      d.close();
      const db2 = openDatabase(dir);
      const v2 = new SecretsVault(db2, undefined);
      return make(db2, v2);
    },
    close() {
      if (d.open) {
        this.ledger.close();
        d.close();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  });
  return make(db, vault);
}

export async function unlock(t: TestLedger): Promise<void> {
  await t.vault.unlockWithPassphrase(1, PASS);
}

/** Exports the test ledger with the real exporter. */
export function exportTestLedger(
  l: TestLedger,
  targetDir: string,
  options: { full?: boolean; onProgress?: () => void; recordingsDir?: string } = {},
) {
  return exportLedger(
    {
      db: l.db,
      ledger: l.ledger,
      signer: l.signer,
      workstationId: WORKSTATION,
      version: 'test',
      now: () => l.clock.now(),
      ...(options.recordingsDir ? { recordingsDir: options.recordingsDir } : {}),
    },
    {
      targetDir,
      full: options.full ?? false,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    },
  );
}

/** Bundles a TypeScript entry (a child process or worker script) into out/test, where node_modules resolve. */
export async function bundleForTest(entry: string, name: string): Promise<string> {
  const outfile = path.resolve(import.meta.dirname, '../../out/test', `${name}-${process.pid}.mjs`);
  await build({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    define: { __ENCLAVE_VERSION__: '"test"' },
    logLevel: 'error',
  });
  return outfile;
}
