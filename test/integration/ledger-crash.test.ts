import { spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileWitness } from '../../electron/core/ledger/witness';
import { verifyLedger } from '../../electron/core/ledger/verify';
import { openDatabase } from '../../electron/core/store';
import { bundleForTest, openTestLedger, type TestLedger } from '../support/ledger';

/**
 * Crash safety with real processes: a child appends in a loop and is
 * SIGKILLed at random moments; after every kill the ledger verifies and
 * every index the child acknowledged is there.
 */
const KILLS = 32;
let script: string;
let t: TestLedger;

beforeAll(async () => {
  script = await bundleForTest(path.resolve(import.meta.dirname, '../support/append-loop.ts'), 'append-loop');
  t = await openTestLedger();
  t.ledger.close();
  t.db.close();
});
afterAll(() => {
  t.close();
  rmSync(script, { force: true });
});

function runUntilKilled(delayMs: number): Promise<number[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, t.dir, 'ledger test passphrase'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.startsWith('ready\n') && !child.killed)
        setTimeout(() => child.kill('SIGKILL'), delayMs).unref();
    });
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (_code, signal) => {
      if (signal !== 'SIGKILL') reject(new Error(`the appender stopped by itself: ${err}`));
      // Only complete lines were acknowledged.
      const lines = out.split('\n').slice(1, -1);
      resolve(lines.map(Number));
    });
  });
}

describe('crash safety', () => {
  it(`keeps every acknowledged entry and verifies after ${KILLS} SIGKILLs at random moments`, async () => {
    let acknowledged = -1;
    let total = 0;
    for (let kill = 0; kill < KILLS; kill++) {
      const acks = await runUntilKilled(5 + Math.floor(Math.random() * 120));
      if (acks.length) acknowledged = Math.max(acknowledged, ...acks);
      const db = openDatabase(t.dir);
      try {
        const report = await verifyLedger(db, new FileWitness(t.dir));
        expect(report.problems, `after kill ${kill + 1}`).toEqual([]);
        expect(report.ok).toBe(true);
        expect(report.entries, `after kill ${kill + 1}`).toBeGreaterThan(acknowledged);
        total = report.entries;
      } finally {
        db.close();
      }
    }
    expect(total).toBeGreaterThan(KILLS); // the children really appended
  }, 180_000);
});
