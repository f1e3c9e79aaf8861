import { copyFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { leafHash } from '../../electron/core/ledger/merkle';
import { LedgerSigner } from '../../electron/core/ledger/signer';
import { verifyLedger } from '../../electron/core/ledger/verify';
import { parseCheckpointText, parseNote } from '../../electron/core/ledger/note';
import { openTestLedger, sampleRecord, type TestLedger } from '../support/ledger';

/** Each way of tampering with the database is detected, and the report names the index and the reason. */
let t: TestLedger;
afterEach(() => t?.close());

async function ledgerWith(n: number): Promise<TestLedger> {
  t = await openTestLedger();
  for (let i = 0; i < n; i++) t.ledger.append(sampleRecord(i));
  t.db.exec(`
    DROP TRIGGER ledger_entries_no_update; DROP TRIGGER ledger_entries_no_delete;
    DROP TRIGGER ledger_nodes_no_update; DROP TRIGGER ledger_nodes_no_delete;
    DROP TRIGGER ledger_checkpoints_no_update; DROP TRIGGER ledger_checkpoints_no_delete;
  `);
  return t;
}

const firstProblem = async () => {
  const report = await verifyLedger(t.db, t.witness);
  expect(report.ok).toBe(false);
  return report.problems[0];
};
const entry = (i: number) => (t.ledger.entryBytes(i) as Buffer).toString();

describe('tampering with the ledger database', () => {
  it('an edited payload', async () => {
    await ledgerWith(20);
    t.db
      .prepare('UPDATE ledger_entries SET entry = ? WHERE idx = 7')
      .run(Buffer.from(entry(7).replace('"ok"', '"error"')));
    expect(await firstProblem()).toEqual({
      index: 7,
      reason: 'entry 7 was changed: its content no longer matches its hash',
    });
  });

  it('an edited payload whose stored hash was recomputed too', async () => {
    await ledgerWith(20);
    const forged = Buffer.from(entry(9).replace('"alice"', '"mallory"'));
    t.db
      .prepare('UPDATE ledger_entries SET entry = ?, leaf_hash = ? WHERE idx = 9')
      .run(forged, Buffer.from(leafHash(forged)));
    const p = await firstProblem();
    expect(p?.index).toBe(8); // the stored pair (8, 9) no longer matches
    expect(p?.reason).toMatch(/size 20\) does not match the entries/);
  });

  it('a deleted row', async () => {
    await ledgerWith(20);
    t.db.prepare('DELETE FROM ledger_entries WHERE idx = 12').run();
    expect(await firstProblem()).toMatchObject({ index: 12, reason: 'entries 12–12 are missing' });
  });

  it('reordered rows', async () => {
    await ledgerWith(20);
    const a = t.ledger.entryBytes(4) as Buffer;
    const b = t.ledger.entryBytes(5) as Buffer;
    t.db
      .prepare('UPDATE ledger_entries SET entry = ?, leaf_hash = ? WHERE idx = 4')
      .run(b, Buffer.from(leafHash(b)));
    t.db
      .prepare('UPDATE ledger_entries SET entry = ?, leaf_hash = ? WHERE idx = 5')
      .run(a, Buffer.from(leafHash(a)));
    expect(await firstProblem()).toMatchObject({
      index: 4,
      reason: 'entry 4 says it is entry 5: rows were reordered',
    });
  });

  it('a truncated tail', async () => {
    await ledgerWith(20);
    t.db.prepare('DELETE FROM ledger_entries WHERE idx >= 17').run();
    expect(await firstProblem()).toMatchObject({
      index: 17,
      reason: expect.stringMatching(/covers 20 entries but only 17 exist/),
    });
  });

  it('a checkpoint replaced by one signed with another key', async () => {
    await ledgerWith(20);
    const head = t.ledger.head();
    const other = LedgerSigner.generate(t.signer.name).signer;
    const forged = other.signCheckpoint(parseCheckpointText(parseNote(head?.note ?? '').text));
    t.db.prepare('UPDATE ledger_head SET note = ?').run(forged);
    // Its key id differs from the workstation key's, so no signature of ours is on it.
    expect((await firstProblem())?.reason).toMatch(
      /newest checkpoint: the note is not signed by enclave-console\.local\//,
    );
  });

  it('a forged signature', async () => {
    await ledgerWith(20);
    const note = t.ledger.head()?.note ?? '';
    const sig = note.trimEnd().split(' ').at(-1) as string;
    const bytes = Buffer.from(sig, 'base64');
    bytes[10] = (bytes[10] as number) ^ 0x40;
    t.db.prepare('UPDATE ledger_head SET note = ?').run(note.replace(sig, bytes.toString('base64')));
    expect((await firstProblem())?.reason).toMatch(/does not verify/);
  });

  it('a checkpoint with a rewritten root (a forked history), even with all entries intact', async () => {
    await ledgerWith(20);
    const forked = t.signer.signCheckpoint({
      origin: t.signer.name,
      size: 10,
      root: new Uint8Array(32).fill(7),
      extensions: [],
    });
    t.db
      .prepare('INSERT INTO ledger_checkpoints (size, note, created_at) VALUES (10, ?, ?)')
      .run(forked, 'now');
    expect(await firstProblem()).toMatchObject({
      reason: expect.stringMatching(/checkpoint at size 10 \(size 10\) does not match/),
    });
  });

  it('the whole database rolled back to an older copy', async () => {
    await ledgerWith(10);
    t.ledger.close();
    const db = path.join(t.dir, 'console.db');
    t.db.pragma('wal_checkpoint(TRUNCATE)');
    copyFileSync(db, `${db}.old`);
    for (let i = 10; i < 30; i++) t.ledger.append(sampleRecord(i));
    t.ledger.close(); // the outside copy now says 30
    t.db.close();
    for (const suffix of ['-wal', '-shm']) if (existsSync(db + suffix)) rmSync(db + suffix);
    copyFileSync(`${db}.old`, db);
    t = t.reopen();
    const report = await verifyLedger(t.db, t.witness);
    expect(report.ok).toBe(false);
    expect(report.problems[0]?.reason).toMatch(
      /has 10 entries but the checkpoint kept outside the database has 30: the database was rolled back or replaced/,
    );
  });

  it('passes again on an untouched ledger (the checks are not trigger-happy)', async () => {
    await ledgerWith(33);
    expect(await verifyLedger(t.db, t.witness)).toMatchObject({ ok: true, entries: 33, problems: [] });
  });
});
