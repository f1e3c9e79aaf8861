/**
 * Ledger benchmark (issue 3): batched and single durable appends, full
 * verification of 1,000,000 entries (time and peak RSS, in a process of its
 * own), and an export of 1,000,000 entries next to `cp` + `sync` of a file of
 * the same size, in the same run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  createLedgerKey,
  exportLedger,
  FileWitness,
  Ledger,
  ledgerSignerSource,
  verifyLedger,
  type AuditRecord,
} from '../electron/core/ledger';
import { openDatabase, SecretsVault } from '../electron/core/store';
import { report, type Figure } from './_report';

const ENTRIES = Number(process.env.BENCH_LEDGER_ENTRIES ?? 1_000_000);
const BATCH = 10_000;
const SINGLES = 3_000;
const PASS = 'benchmark passphrase';
/** Built by `npm run build` (the bench script builds first). */
const WORKER = path.resolve('out/node/ledger-verify-worker.mjs');

function record(i: number): AuditRecord {
  return {
    time: new Date(1_780_000_000_000 + i).toISOString(),
    operator: {
      subject: `operator${i % 7}`,
      displayName: `Operator ${i % 7}`,
      roles: ['operator'],
      method: 'passphrase',
    },
    procedure: i % 3 ? 'hosts.run' : 'gpu.apply',
    target: `host gpu-${String(i % 64).padStart(2, '0')}`,
    input: { command: 'nvidia-smi -L', hosts: [`gpu-${i % 64}`], timeoutSeconds: 30 },
    outcome: i % 50 ? 'ok' : 'error',
    error: i % 50 ? null : 'exit status 9',
    durationMs: 12.5 + (i % 100),
    transport: 'websocket',
  };
}

async function open(dir: string) {
  const db = openDatabase(dir);
  db.prepare(
    "INSERT OR IGNORE INTO meta (key, value) VALUES ('workstation_id', 'bench-0000-0000-0000-000000000000')",
  ).run();
  db.prepare(
    "INSERT OR IGNORE INTO operators (id, name, display_name, roles, passphrase_hash, created_at) VALUES (1, 'bench', 'Bench', '[\"admin\"]', 'x', 'now')",
  ).run();
  const vault = new SecretsVault(db, undefined);
  if (!db.prepare('SELECT 1 FROM secret_keys').get()) {
    await vault.create(1, PASS);
    createLedgerKey(db, vault, 'bench-0000-0000-0000-000000000000');
  } else await vault.unlockWithPassphrase(1, PASS);
  const witness = new FileWitness(dir);
  const ledger = new Ledger(db, {
    clock: { now: () => new Date() },
    witness,
    signer: ledgerSignerSource(db, vault),
    workstationId: () => 'bench-0000-0000-0000-000000000000',
  });
  return { db, ledger, witness, vault };
}

async function verifyOnly(dir: string): Promise<void> {
  const db = openDatabase(dir);
  const started = performance.now();
  const result = await verifyLedger(db, new FileWitness(dir), { workerScript: WORKER });
  const ms = performance.now() - started;
  process.stdout.write(
    JSON.stringify({
      ok: result.ok,
      entries: result.entries,
      ms,
      maxRssMiB: process.resourceUsage().maxRSS / 1024,
    }),
  );
}

async function main(): Promise<void> {
  if (process.argv[2] === '--verify-only') return verifyOnly(process.argv[3] as string);
  const dir = mkdtempSync(path.join(tmpdir(), 'enclave-bench-ledger-'));
  const figures: Figure[] = [];
  try {
    const { db, ledger, witness } = await open(dir);

    // Batched appends, building the 1M-entry ledger the rest uses.
    let t = performance.now();
    for (let i = 0; i < ENTRIES; i += BATCH) {
      ledger.appendBatch(Array.from({ length: Math.min(BATCH, ENTRIES - i) }, (_, j) => record(i + j)));
    }
    const batched = ENTRIES / ((performance.now() - t) / 1000);
    figures.push({
      name: `appends, batches of ${BATCH.toLocaleString('en')}`,
      value: batched,
      unit: 'entries/s',
      goal: '≥ 50,000/s',
      met: batched >= 50_000,
    });

    // Single durable appends: one transaction, one fsync'd commit and one signed checkpoint each.
    t = performance.now();
    for (let i = 0; i < SINGLES; i++) ledger.append(record(ENTRIES + i));
    const single = SINGLES / ((performance.now() - t) / 1000);
    figures.push({
      name: 'single durable appends',
      value: single,
      unit: 'appends/s',
      goal: '≥ 2,000/s',
      met: single >= 2_000,
      note: 'synchronous=FULL, a signed checkpoint per append',
    });
    ledger.close();
    witness.flush();
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.close();

    // Full verification in a fresh process, for honest time and memory figures.
    const self = fileURLToPath(import.meta.url);
    const v = spawnSync(process.execPath, [self, '--verify-only', dir], { encoding: 'utf8' });
    const verified = JSON.parse(v.stdout) as { ok: boolean; entries: number; ms: number; maxRssMiB: number };
    if (!verified.ok) throw new Error('the benchmark ledger did not verify');
    figures.push({
      name: `full verification of ${verified.entries.toLocaleString('en')} entries`,
      value: verified.ms / 1000,
      unit: 's',
      goal: '≤ 3 s',
      met: verified.ms <= 3000,
    });
    figures.push({
      name: 'verification peak RSS',
      value: verified.maxRssMiB,
      unit: 'MiB',
      goal: '< 300 MB',
      met: verified.maxRssMiB * 1.048576 < 300,
    });

    // Export of the whole ledger vs cp + sync of a file of the same size.
    const again = await open(dir);
    const medium = mkdtempSync(path.join(tmpdir(), 'enclave-bench-medium-'));
    try {
      t = performance.now();
      const exported = await exportLedger(
        {
          db: again.db,
          ledger: again.ledger,
          signer: again.ledger.signer() as never,
          workstationId: 'bench-0000',
          version: 'bench',
          now: () => new Date(),
        },
        { targetDir: medium, full: true },
      );
      const exportSeconds = (performance.now() - t) / 1000;
      const entriesFile = path.join(exported.folder, 'entries.jsonl');
      const bytes = statSync(entriesFile).size;
      const copy = path.join(medium, 'same-size-copy');
      execFileSync('cp', [entriesFile, `${copy}.src`]);
      execFileSync('sync');
      t = performance.now();
      execFileSync('sh', ['-c', `cp "${copy}.src" "${copy}" && sync`]);
      const cpSeconds = (performance.now() - t) / 1000;
      const ratio = cpSeconds / exportSeconds;
      figures.push({
        name: `export of ${ENTRIES.toLocaleString('en')} entries (${(bytes / 2 ** 20).toFixed(0)} MiB)`,
        value: bytes / 2 ** 20 / exportSeconds,
        unit: 'MiB/s',
        peer: { name: 'cp + sync', value: bytes / 2 ** 20 / cpSeconds, unit: 'MiB/s' },
        goal: '≥ 0.5× cp + sync',
        met: ratio >= 0.5,
        note: `${ratio.toFixed(2)}× cp + sync; includes fsync and read-back (${exported.readBack})`,
      });
    } finally {
      rmSync(medium, { recursive: true, force: true });
      again.ledger.close();
      again.db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  report('ledger', figures);
}

await main();
