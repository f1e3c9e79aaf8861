import { rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { leafHash } from '../../electron/core/ledger/merkle';
import { verifyLedger } from '../../electron/core/ledger/verify';
import { bundleForTest, openTestLedger, sampleRecord, type TestLedger } from '../support/ledger';

/**
 * Verification on two threads must give exactly the single-thread answer,
 * including for checkpoints that end inside a block and changes on either side.
 */
let worker: string;
let t: TestLedger;
const BLOCK = 256;

beforeAll(async () => {
  worker = await bundleForTest(
    path.resolve(import.meta.dirname, '../../electron/core/ledger/verify-worker.ts'),
    'verify-worker',
  );
  t = await openTestLedger();
  // Kept checkpoints at sizes that end inside blocks, on block edges, and in both halves.
  for (const [n, size] of [
    [300, 300],
    [1037, 1337],
    [712, 2049],
    [851, 2900],
    [100, 3000],
  ] as const) {
    t.ledger.appendBatch(Array.from({ length: n }, (_, i) => sampleRecord(size - n + i)));
    t.ledger.signNow({ retain: true });
  }
});
afterAll(() => {
  t.close();
  rmSync(worker, { force: true });
});

const both = async () => {
  const single = await verifyLedger(t.db, t.witness, { workerScript: null, blockSize: BLOCK });
  const parallel = await verifyLedger(t.db, t.witness, {
    workerScript: worker,
    parallelAbove: 0,
    blockSize: BLOCK,
  });
  return { single, parallel };
};
const strip = ({ durationMs: _d, ...rest }: { durationMs: number }) => rest;

describe('verification on two threads', () => {
  it('agrees with one thread on an intact ledger', async () => {
    const { single, parallel } = await both();
    expect(parallel.ok).toBe(true);
    expect(parallel.checkpointsChecked).toBeGreaterThanOrEqual(5);
    expect(strip(parallel)).toEqual(strip(single));
  });

  it('finds a change in the worker half and one in this thread’s half, like one thread does', async () => {
    t.db.exec('DROP TRIGGER IF EXISTS ledger_entries_no_update');
    for (const idx of [2900, 40]) {
      const bytes = t.ledger.entryBytes(idx) as Buffer;
      const forged = Buffer.from(bytes.toString().replace('"alice"', '"mallet"'));
      t.db
        .prepare('UPDATE ledger_entries SET entry = ?, leaf_hash = ? WHERE idx = ?')
        .run(forged, Buffer.from(leafHash(forged)), idx);
      const { single, parallel } = await both();
      expect(parallel.ok).toBe(false);
      expect(strip(parallel)).toEqual(strip(single));
      expect(parallel.problems[0]?.reason).toMatch(/does not match the entries/);
      t.db
        .prepare('UPDATE ledger_entries SET entry = ?, leaf_hash = ? WHERE idx = ?')
        .run(bytes, Buffer.from(leafHash(bytes)), idx);
    }
    expect((await both()).parallel.ok).toBe(true);
  });
});
