import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { exportTestLedger, openTestLedger, sampleRecord, type TestLedger } from '../support/ledger';

/**
 * docs/examples/verify-export.sh is a second, independent implementation of the
 * format (bash + OpenSSL, from docs/audit-format.md alone): it must accept the
 * console's exports and refuse a changed entry or signature.
 */
const SCRIPT = path.resolve(import.meta.dirname, '../../docs/examples/verify-export.sh');
let t: TestLedger;
const medium = mkdtempSync(path.join(tmpdir(), 'enclave-independent-'));
afterAll(() => {
  t?.close();
  rmSync(medium, { recursive: true, force: true });
});

const run = (dir: string, key?: string) =>
  spawnSync('bash', [SCRIPT, dir, ...(key ? [key] : [])], { encoding: 'utf8' });

describe('an independent verifier (bash + OpenSSL) accepts the exports', () => {
  it('checks the Ed25519 note signature and rebuilds the Merkle root', async () => {
    t = await openTestLedger();
    for (let i = 0; i < 13; i++) t.ledger.append(sampleRecord(i));
    const { folder } = await exportTestLedger(t, medium, { full: true });
    const ok = run(folder, t.signer.verifierKey);
    expect(ok.status, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('checkpoint signature ok');
    expect(ok.stdout).toContain('root ok: 13 entries');

    const copy = path.join(medium, 'tampered');
    execFileSync('cp', ['-r', folder, copy]);
    const entries = path.join(copy, 'entries.jsonl');
    writeFileSync(entries, readFileSync(entries, 'utf8').replace('"alice"', '"malice"'));
    const badEntry = run(copy, t.signer.verifierKey);
    expect(badEntry.status).toBe(3);
    expect(badEntry.stdout).toContain('the entries do not produce the signed root');

    const note = path.join(copy, 'checkpoint');
    writeFileSync(note, readFileSync(note, 'utf8').replace(/\n3\n|\n13\n/, '\n12\n'));
    const badNote = run(copy, t.signer.verifierKey);
    expect(badNote.status).toBe(3);
    expect(badNote.stdout).toContain('does not verify');
  });
});
