import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { gzipSync } from 'node:zlib';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { allowedSignersLine, sshsigSign } from '../../offline-bundles/sshsig';
import { canonicalJson } from '../../electron/core/ledger/canonical-json';
import { FILES, SSHSIG_NAMESPACE } from '../../electron/core/ledger/export-format';
import { verifyExport, type ExportFolder } from '../../electron/core/ledger/export-verify';
import { LedgerSigner } from '../../electron/core/ledger/signer';
import {
  exportTestLedger,
  openTestLedger,
  sampleRecord,
  WORKSTATION,
  type TestLedger,
} from '../support/ledger';

let t: TestLedger | undefined;
const dirs: string[] = [];
afterEach(() => {
  t?.close();
  t = undefined;
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const target = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'enclave-medium-'));
  dirs.push(d);
  return d;
};

async function ledgerWith(n: number): Promise<TestLedger> {
  t = await openTestLedger();
  for (let i = 0; i < n; i++) t.ledger.append(sampleRecord(i));
  return t;
}

const exportNow = (l: TestLedger, to: string, full = false) => exportTestLedger(l, to, { full });

/** The folder in memory, for the bit-flip and editing tests. */
function inMemory(folder: string): ExportFolder & { files: Map<string, Buffer> } {
  const files = new Map(readdirSync(folder).map((f) => [f, readFileSync(path.join(folder, f))]));
  return { name: folder, files, list: () => [...files.keys()], read: (f) => files.get(f) };
}

/** Rewrites the manifest and signs it with `signer`, as an exporter with the key (or a bug) would. */
function resign(folder: ReturnType<typeof inMemory>, signer: LedgerSigner) {
  const manifest = [...folder.files]
    .filter(([f]) => f !== FILES.manifest && f !== FILES.manifestSig)
    .map(([f, b]) => `${createHash('sha256').update(b).digest('hex')}  ${f}\n`)
    .join('');
  folder.files.set(FILES.manifest, Buffer.from(manifest));
  folder.files.set(
    FILES.manifestSig,
    Buffer.from(sshsigSign(Buffer.from(manifest), SSHSIG_NAMESPACE, signer.privateKey, signer.publicKey)),
  );
}

describe('audit export', () => {
  it('writes a folder that verifies offline, with its signed time, and OpenSSH can check the manifest', async () => {
    const l = await ledgerWith(25);
    const medium = target();
    const result = await exportNow(l, medium);
    expect(result).toMatchObject({ from: 0, to: 25 });
    expect(path.basename(result.folder)).toMatch(/^enclave-audit-0b5e7c1a-0-25-\d{8}T\d{6}Z$/);
    expect(readdirSync(medium)).toEqual([path.basename(result.folder)]);
    const report = verifyExport(result.folder, { key: l.signer.verifierKey });
    expect(report).toMatchObject({ ok: true, from: 0, to: 25, keySource: 'given', problem: null });
    expect(report.signedAt).toBe('2026-11-29T10:00:00.000Z');
    // OpenSSH alone: the manifest signature, then sha256sum -c.
    execFileSync(
      'ssh-keygen',
      [
        '-Y',
        'verify',
        '-f',
        'allowed_signers',
        '-I',
        `enclave-audit@${WORKSTATION}`,
        '-n',
        SSHSIG_NAMESPACE,
        '-s',
        'MANIFEST.sig',
      ],
      {
        cwd: result.folder,
        input: readFileSync(path.join(result.folder, 'MANIFEST')),
      },
    );
    execFileSync('sha256sum', ['-c', '--quiet', 'MANIFEST'], { cwd: result.folder });
    expect(readFileSync(path.join(result.folder, FILES.allowedSigners), 'utf8')).toBe(
      `${allowedSignersLine(`enclave-audit@${WORKSTATION}`, SSHSIG_NAMESPACE, l.signer.publicKey)}\n`,
    );
  });

  it('exports only what is new, proving it extends the previous export', async () => {
    const l = await ledgerWith(10);
    const first = await exportNow(l, target());
    for (let i = 10; i < 23; i++) l.ledger.append(sampleRecord(i));
    const second = await exportNow(l, target());
    expect(second).toMatchObject({ from: 10, to: 23 });
    const previous = readFileSync(path.join(first.folder, FILES.checkpoint), 'utf8');
    expect(verifyExport(second.folder, { key: l.signer.verifierKey, previous })).toMatchObject({
      ok: true,
      from: 10,
      to: 23,
    });
    expect(readFileSync(path.join(second.folder, FILES.entries), 'utf8').split('\n')).toHaveLength(14);
    // A full export is checked against a previous checkpoint by rebuilding the tree.
    const full = await exportNow(l, target(), true);
    expect(verifyExport(full.folder, { key: l.signer.verifierKey, previous })).toMatchObject({
      ok: true,
      from: 0,
      to: 23,
    });
  });

  it('detects every single flipped bit in every exported file of a small log', async () => {
    const l = await ledgerWith(3);
    const result = await exportNow(l, target());
    const folder = inMemory(result.folder);
    expect(verifyExport(folder, { key: l.signer.verifierKey }).ok).toBe(true);
    let flips = 0;
    const missed: string[] = [];
    for (const [file, original] of folder.files) {
      for (let bit = 0; bit < original.length * 8; bit++) {
        const changed = Buffer.from(original);
        changed[bit >> 3] = (changed[bit >> 3] as number) ^ (1 << (bit & 7));
        folder.files.set(file, changed);
        if (verifyExport(folder, { key: l.signer.verifierKey }).ok) missed.push(`${file} bit ${bit}`);
        flips++;
      }
      folder.files.set(file, original);
    }
    expect(missed).toEqual([]);
    expect(flips).toBeGreaterThan(20_000);
  }, 180_000);

  it('names the entry and the reason when entries are changed, removed or added (even under a valid signature)', async () => {
    const l = await ledgerWith(8);
    const result = await exportNow(l, target());
    const lines = () =>
      readFileSync(path.join(result.folder, FILES.entries), 'utf8').split('\n').slice(0, -1);
    const cases: [string, string[], RegExp, number | null][] = [
      [
        'changed',
        lines().map((x, i) => (i === 6 ? x.replace('"ok"', '"error"') : x)),
        /do not produce the signed root/,
        null,
      ],
      ['removed', lines().filter((_, i) => i !== 3), /line for entry 3 says it is entry 4/, 3],
      [
        'added',
        [...lines(), canonicalJson({ ...JSON.parse(lines()[7] as string), index: 8 })],
        /should hold entries up to 7/,
        9,
      ],
      [
        'not canonical',
        lines().map((x, i) => (i === 2 ? x.replace('{', '{ ') : x)),
        /entry 2 is not in canonical form/,
        2,
      ],
    ];
    for (const [what, content, reason, index] of cases) {
      const folder = inMemory(result.folder);
      folder.files.set(FILES.entries, Buffer.from(content.join('\n') + '\n'));
      // Untouched manifest: the file hash gives it away.
      expect(verifyExport(folder, { key: l.signer.verifierKey }).problem?.reason, what).toMatch(
        /changed after it was signed/,
      );
      // Manifest re-signed with the real key (a buggy or coerced exporter): the tree gives it away.
      resign(folder, l.signer);
      const report = verifyExport(folder, { key: l.signer.verifierKey });
      expect(report.problem?.reason, what).toMatch(reason);
      expect(report.problem?.index, what).toBe(index);
    }
  });

  it('refuses an export signed by another key than the trusted one', async () => {
    const l = await ledgerWith(4);
    const result = await exportNow(l, target());
    const folder = inMemory(result.folder);
    const other = LedgerSigner.generate(l.signer.name).signer;
    folder.files.set(FILES.key, Buffer.from(`${other.verifierKey}\n`));
    resign(folder, other);
    expect(verifyExport(folder, { key: l.signer.verifierKey }).problem?.reason).toMatch(
      /another key than the one you trust/,
    );
    // Without --key the folder's own key is used, and the checkpoint (signed by the real key) fails.
    const selfKeyed = verifyExport(folder);
    expect(selfKeyed.ok).toBe(false);
    expect(selfKeyed.problem?.reason).toMatch(/not signed by/);
  });

  it('refuses an export whose consistency proof or start does not match the previous one', async () => {
    const l = await ledgerWith(6);
    const first = await exportNow(l, target());
    for (let i = 6; i < 15; i++) l.ledger.append(sampleRecord(i));
    const second = await exportNow(l, target());
    const previous = readFileSync(path.join(first.folder, FILES.checkpoint), 'utf8');

    const badProof = inMemory(second.folder);
    const proof = (badProof.files.get(FILES.consistency) as Buffer).toString().split('\n');
    proof[0] = Buffer.alloc(32, 9).toString('base64');
    badProof.files.set(FILES.consistency, Buffer.from(proof.join('\n')));
    resign(badProof, l.signer);
    expect(verifyExport(badProof, { key: l.signer.verifierKey, previous }).problem?.reason).toMatch(
      /consistency proof from size 6 to 15 does not verify/,
    );

    // A previous checkpoint from another point of the log: this export does not continue it.
    const other = l.signer.signCheckpoint({
      origin: l.signer.name,
      size: 6,
      root: new Uint8Array(32).fill(1),
      extensions: [],
    });
    expect(
      verifyExport(second.folder, { key: l.signer.verifierKey, previous: other }).problem?.reason,
    ).toMatch(/does not continue the checkpoint you gave/);
  });

  it('leaves nothing that verifies when the medium is too small', async () => {
    const l = await ledgerWith(5);
    const medium = target();
    writeFileSync(path.join(medium, 'x'), '');
    const { statfsSync } = await import('node:fs');
    expect(statfsSync(medium).bavail).toBeGreaterThan(0);
    // Interrupted export: a .partial folder is never accepted.
    const partial = path.join(medium, 'enclave-audit-x-0-5-20260101T000000Z.partial');
    const done = await exportNow(l, target());
    execFileSync('cp', ['-r', done.folder, partial]);
    expect(verifyExport(partial).problem?.reason).toMatch(/interrupted export/);
    expect(verifyExport(path.join(medium, 'nothing-here')).ok).toBe(false);
  });

  it('carries terminal recordings with the entries that vouch for them, and refuses a swapped or missing one', async () => {
    const l = await ledgerWith(2);
    const recordings = path.join(l.dir, 'recordings');
    mkdirSync(recordings);
    const cast = gzipSync('{"version":2,"width":80,"height":24}\n[0.1,"o","hello\\r\\n"]\n');
    writeFileSync(path.join(recordings, 't-abc.cast.gz'), cast);
    l.ledger.append({
      ...sampleRecord(2),
      procedure: 'terminals.open',
      outcome: 'ok',
      error: null,
      result: { recording: 't-abc', sha256: createHash('sha256').update(cast).digest('hex') },
    });
    const result = await exportTestLedger(l, target(), { recordingsDir: recordings });
    expect(result.files).toContain('recording-t-abc.cast.gz');
    expect(verifyExport(result.folder, { key: l.signer.verifierKey }).ok).toBe(true);

    const swapped = inMemory(result.folder);
    swapped.files.set('recording-t-abc.cast.gz', gzipSync('{"version":2}\n'));
    resign(swapped, l.signer);
    expect(verifyExport(swapped, { key: l.signer.verifierKey }).problem).toMatchObject({
      file: 'recording-t-abc.cast.gz',
      index: 2,
      reason: expect.stringMatching(/not the one the ledger vouches for/),
    });
    const missing = inMemory(result.folder);
    missing.files.delete('recording-t-abc.cast.gz');
    resign(missing, l.signer);
    expect(verifyExport(missing, { key: l.signer.verifierKey }).problem?.reason).toMatch(
      /recording t-abc is missing/,
    );

    // A recording changed on the workstation after its session is refused at export.
    writeFileSync(path.join(recordings, 't-abc.cast.gz'), gzipSync('tampered'));
    await expect(exportTestLedger(l, target(), { full: true, recordingsDir: recordings })).rejects.toThrow(
      /no longer matches the digest in the ledger/,
    );
  });
});
