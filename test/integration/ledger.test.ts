import { describe, expect, it } from 'vitest';
import {
  verifyInclusion,
  verifyConsistency,
  leafHash,
  rootFromLeafHashes,
} from '../../electron/core/ledger/merkle';
import { parseCheckpointText, parseNote, verifyNote } from '../../electron/core/ledger/note';
import { RETAIN_EVERY } from '../../electron/core/ledger/ledger';
import { verifyLedger } from '../../electron/core/ledger/verify';
import { openTestLedger, sampleRecord, unlock } from '../support/ledger';

describe('the signed ledger', () => {
  it('appends canonical entries, signs a checkpoint per batch and proves inclusion of each', async () => {
    const t = await openTestLedger();
    try {
      const first = t.ledger.append(sampleRecord(0));
      expect(first).toBe(0);
      expect(t.ledger.appendBatch([1, 2, 3, 4].map((i) => sampleRecord(i)))).toEqual([1, 2, 3, 4]);
      for (let i = 5; i < 40; i++) t.ledger.append(sampleRecord(i));
      const head = t.ledger.head();
      expect(head?.size).toBe(40);
      const verifier = { name: t.signer.name, publicKey: t.signer.publicKey };
      const checkpoint = parseCheckpointText(verifyNote(head?.note ?? '', verifier).text);
      expect(checkpoint.origin).toBe(`enclave-console.local/${'0b5e7c1a-93d4-4c1e-8a6f-2f4e1d0c9b7a'}/audit`);
      // The root equals one computed from the entries alone.
      const leaves = Array.from({ length: 40 }, (_, i) => leafHash(t.ledger.entryBytes(i) as Buffer));
      expect(Buffer.from(rootFromLeafHashes(leaves))).toEqual(Buffer.from(checkpoint.root));
      for (let i = 0; i < 40; i++) {
        expect(
          verifyInclusion(leaves[i] as Uint8Array, i, 40, t.ledger.inclusionProof(i, 40), checkpoint.root),
        ).toBe(true);
      }
      const r17 = rootFromLeafHashes(leaves.slice(0, 17));
      expect(verifyConsistency(17, 40, t.ledger.consistencyProof(17, 40), r17, checkpoint.root)).toBe(true);
      // Entries are canonical JSON with the fields the format names.
      const entry = JSON.parse((t.ledger.entryBytes(3) as Buffer).toString()) as Record<string, unknown>;
      expect(Object.keys(entry)).toEqual([
        'durationMs',
        'error',
        'index',
        'input',
        'operator',
        'outcome',
        'planDigest',
        'procedure',
        'result',
        'target',
        'time',
        'transport',
        'v',
        'workstation',
      ]);
      const report = await verifyLedger(t.db, t.witness);
      expect(report).toMatchObject({ ok: true, entries: 40, signedSize: 40, unsignedTail: 0, problems: [] });
    } finally {
      t.close();
    }
  });

  it('keeps appending while the key is locked and signs those entries at the next unlock', async () => {
    let t = await openTestLedger();
    try {
      t.ledger.append(sampleRecord(0));
      t = t.reopen(); // a new process: the vault is locked
      t.ledger.append(sampleRecord(1));
      t.ledger.append(sampleRecord(2));
      expect(t.ledger.head()?.size).toBe(1);
      expect(await verifyLedger(t.db, t.witness)).toMatchObject({
        ok: true,
        entries: 3,
        signedSize: 1,
        unsignedTail: 2,
      });
      await unlock(t);
      t.ledger.append(sampleRecord(3));
      expect(await verifyLedger(t.db, t.witness)).toMatchObject({
        ok: true,
        entries: 4,
        signedSize: 4,
        unsignedTail: 0,
      });
    } finally {
      t.close();
    }
  });

  it('retains a checkpoint every RETAIN_EVERY entries and checks each against the rebuilt tree', async () => {
    const t = await openTestLedger();
    try {
      const batch = Array.from({ length: 1000 }, (_, i) => sampleRecord(i));
      for (let i = 0; i < Math.ceil((RETAIN_EVERY * 2.5) / 1000); i++) t.ledger.appendBatch(batch);
      const sizes = t.ledger.checkpoints().map((c) => c.size);
      expect(sizes.length).toBeGreaterThanOrEqual(3);
      const report = await verifyLedger(t.db, t.witness);
      expect(report.ok).toBe(true);
      expect(report.checkpointsChecked).toBe(sizes.length);
      for (const c of t.ledger.checkpoints()) expect(parseNote(c.note).signatures).toHaveLength(1);
    } finally {
      t.close();
    }
  });

  it('refuses UPDATE and DELETE on entries, nodes and kept checkpoints', async () => {
    const t = await openTestLedger();
    try {
      for (let i = 0; i < 4; i++) t.ledger.append(sampleRecord(i));
      expect(() => t.db.prepare("UPDATE ledger_entries SET procedure = 'x'").run()).toThrow(/append-only/);
      expect(() => t.db.prepare('DELETE FROM ledger_entries WHERE idx = 3').run()).toThrow(/append-only/);
      expect(() => t.db.prepare('DELETE FROM ledger_nodes').run()).toThrow(/append-only/);
      expect(() => t.db.prepare("UPDATE ledger_checkpoints SET note = ''").run()).toThrow(/append-only/);
    } finally {
      t.close();
    }
  });
});
