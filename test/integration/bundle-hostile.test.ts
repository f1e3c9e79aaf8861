// The hostile corpus: crafted bundles, each refused with its own reason, and after each a scan
// of the sandbox around the staging directory proves nothing was written anywhere.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, describe, expect, test } from 'vitest';
import {
  BundleRefusal,
  canonicalJson,
  checksumsText,
  verifyBundle,
  type RefusalReason,
  type VerifyOptions,
} from '../../offline-bundles';
import { tarHeader, padding } from '../../offline-bundles/tar-writer';
import {
  manifestFor,
  signedHead,
  tarBytes,
  testKey,
  trustOf,
  walk,
  type CraftMember,
} from '../support/bundle-fixtures';

const root = mkdtempSync(path.join(os.tmpdir(), 'bundle-hostile-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const alice = testKey('alice');
const bob = testKey('bob');
const mallory = testKey('mallory');
const trust = trustOf([alice, bob]);
const files = { 'a.txt': 'hello', 'big.bin': Buffer.alloc(4096, 0x5a) };
const m = manifestFor(files);
const head = signedHead(m, [alice]);
const sums: CraftMember = { path: 'SHA256SUMS', data: checksumsText(m) };
const a: CraftMember = { path: 'payload/a.txt', data: 'hello' };
const big: CraftMember = { path: 'payload/big.bin', data: files['big.bin'] };
const genuine = tarBytes([...head, sums, a, big]);

interface Case {
  name: string;
  reason: RefusalReason;
  bytes: () => Buffer;
  options?: Partial<VerifyOptions>;
  /** A phrase the operator-facing message must hold (names the entry). */
  says?: string | RegExp;
}

let counter = 0;
/** A sandbox per case; the bundle lives outside it, staging inside it. */
function sandbox(): { dir: string; staging: string; bundle: string } {
  const base = path.join(root, `case-${++counter}`);
  const dir = path.join(base, 'sandbox');
  mkdirSync(dir, { recursive: true });
  return { dir, staging: path.join(dir, 'staging'), bundle: path.join(base, 'bundle.tar') };
}

const hidden = (p: string): CraftMember => ({ path: p, data: 'pwned' });
function withGlobalPax(): Buffer {
  const rec = Buffer.from('12 mtime=99\n');
  return Buffer.concat([
    tarHeader({ path: 'pax_global_header', size: rec.length, type: 'g' }),
    rec,
    padding(rec.length),
  ]);
}
function gnuLongName(name: string): Buffer {
  const data = Buffer.from(`${name}\0`);
  return Buffer.concat([
    tarHeader({ path: '././@LongLink', size: data.length, type: 'L' }),
    data,
    padding(data.length),
  ]);
}

const cases: Case[] = [
  {
    name: 'symbolic link out of the staging root',
    reason: 'link',
    bytes: () =>
      tarBytes([...head, sums, { path: 'payload/a.txt', type: '2', linkpath: '/etc/passwd' }, big]),
    says: 'payload/a.txt',
  },
  {
    name: 'hard link escaping with ..',
    reason: 'link',
    bytes: () =>
      tarBytes([...head, sums, a, { path: 'payload/big.bin', type: '1', linkpath: '../../../etc/shadow' }]),
    says: 'hard link',
  },
  {
    name: 'symlink then a file written through it',
    reason: 'link',
    bytes: () =>
      tarBytes([
        ...head,
        sums,
        { path: 'payload/d', type: '2', linkpath: '..' },
        hidden('payload/d/x'),
        a,
        big,
      ]),
  },
  {
    name: 'character device',
    reason: 'device',
    bytes: () => tarBytes([...head, sums, { path: 'payload/a.txt', type: '3' }, big]),
  },
  {
    name: 'block device',
    reason: 'device',
    bytes: () => tarBytes([...head, sums, a, { path: 'payload/big.bin', type: '4' }]),
  },
  {
    name: 'FIFO',
    reason: 'device',
    bytes: () => tarBytes([...head, sums, { path: 'payload/a.txt', type: '6' }, big]),
    says: 'FIFO',
  },
  {
    name: 'setuid bit in the tar header',
    reason: 'setuid',
    bytes: () => tarBytes([...head, sums, { ...a, mode: 0o4755 }, big]),
    says: '4755',
  },
  {
    name: 'setgid bit in the signed manifest',
    reason: 'setuid',
    bytes: () => {
      const mm = manifestFor(files, { modes: { 'a.txt': 0o2755 } });
      return tarBytes([...signedHead(mm, [alice]), { path: 'SHA256SUMS', data: checksumsText(mm) }, a, big]);
    },
  },
  {
    name: 'absolute path',
    reason: 'absolute-path',
    bytes: () => tarBytes([...head, sums, a, big, hidden(`${root}/pwned-absolute`)]),
    says: 'pwned-absolute',
  },
  {
    name: '.. in a payload path',
    reason: 'dot-dot',
    bytes: () => tarBytes([...head, sums, hidden('payload/../../pwned'), a, big]),
  },
  {
    name: 'pax path record overriding a benign name with ..',
    reason: 'dot-dot',
    bytes: () => tarBytes([...head, sums, { ...a, pax: { path: 'payload/../../../pwned-pax' } }, big]),
    says: 'pwned-pax',
  },
  {
    name: 'pax path record overriding to an absolute path',
    reason: 'absolute-path',
    bytes: () => tarBytes([...head, sums, { ...a, pax: { path: `${root}/pwned-pax-abs` } }, big]),
  },
  {
    name: 'GNU long name with ..',
    reason: 'dot-dot',
    bytes: () => tarBytes([...head, sums, { path: '', raw: gnuLongName('payload/../../pwned-gnu') }, a, big]),
  },
  {
    name: 'global pax header',
    reason: 'unsupported-entry',
    bytes: () => tarBytes([...head, sums, { path: '', raw: withGlobalPax() }, a, big]),
  },
  {
    name: 'directory entry',
    reason: 'unsupported-entry',
    bytes: () => tarBytes([...head, sums, { path: 'payload/sub/', type: '5', mode: 0o755 }, a, big]),
  },
  {
    name: 'duplicate payload path',
    reason: 'duplicate-path',
    bytes: () => tarBytes([...head, sums, a, a, big]),
    says: 'payload/a.txt',
  },
  {
    name: 'size lie: header larger than the manifest',
    reason: 'size-lie',
    bytes: () => tarBytes([...head, sums, { path: 'payload/a.txt', data: 'hello world' }, big]),
    says: '11 bytes',
  },
  {
    name: 'truncated inside a payload file',
    reason: 'truncated',
    bytes: () => genuine.subarray(0, genuine.length - 1024 - 3000),
  },
  {
    name: 'truncated: no end-of-archive marker',
    reason: 'truncated',
    bytes: () => tarBytes([...head, sums, a, big], { end: false }),
  },
  {
    name: 'manifest not first',
    reason: 'manifest-not-first',
    bytes: () => tarBytes([sums, ...head, a, big]),
  },
  {
    name: 'payload file missing',
    reason: 'missing-file',
    bytes: () => tarBytes([...head, sums, a]),
    says: 'big.bin',
  },
  {
    name: 'SHA256SUMS missing',
    reason: 'missing-file',
    bytes: () => tarBytes([...head, a, big]),
  },
  {
    name: 'extra payload file',
    reason: 'extra-file',
    bytes: () => tarBytes([...head, sums, a, big, hidden('payload/extra.sh')]),
    says: 'payload/extra.sh',
  },
  {
    name: 'wrong hash (same size)',
    reason: 'wrong-hash',
    bytes: () => tarBytes([...head, sums, { path: 'payload/a.txt', data: 'hellO' }, big]),
    says: 'a.txt',
  },
  {
    name: 'SHA256SUMS changed',
    reason: 'bad-checksums',
    bytes: () =>
      tarBytes([...head, { path: 'SHA256SUMS', data: checksumsText(m).replace(/^./, '0') }, a, big]),
  },
  {
    name: 'no signatures',
    reason: 'no-signatures',
    bytes: () => tarBytes([...signedHead(m, []), sums, a, big]),
  },
  {
    name: 'too few signatures for the kind (2 of 2 needed)',
    reason: 'too-few-signatures',
    bytes: () => genuine,
    options: { trust: trustOf([alice, bob], { files: 2 }) },
    says: '1 trusted signature',
  },
  {
    name: 'unknown signer',
    reason: 'unknown-signer',
    bytes: () => tarBytes([...signedHead(m, [mallory]), sums, a, big]),
    says: 'mallory',
  },
  {
    name: "signature claiming to be alice's made with another key",
    reason: 'unknown-signer',
    bytes: () => {
      const [manifest, sig] = signedHead(m, [{ ...mallory, name: 'alice' }]);
      return tarBytes([manifest as CraftMember, sig as CraftMember, sums, a, big]);
    },
  },
  {
    name: 'bad signature (made over another manifest)',
    reason: 'bad-signature',
    bytes: () => {
      const other = signedHead(manifestFor({ 'a.txt': 'other' }), [alice]);
      return tarBytes([head[0] as CraftMember, other[1] as CraftMember, sums, a, big]);
    },
    says: 'alice',
  },
  {
    name: 'expired',
    reason: 'expired',
    bytes: () => {
      const mm = manifestFor(files, {
        created: '2024-01-01T00:00:00.000Z',
        expires: '2025-01-01T00:00:00.000Z',
      });
      return tarBytes([...signedHead(mm, [alice]), { path: 'SHA256SUMS', data: checksumsText(mm) }, a, big]);
    },
  },
  {
    name: 'rollback: older than installed (numeric compare 1.9.0 < 1.10.0)',
    reason: 'not-newer',
    bytes: () => {
      const mm = manifestFor(files, { version: '1.9.0' });
      return tarBytes([...signedHead(mm, [alice]), { path: 'SHA256SUMS', data: checksumsText(mm) }, a, big]);
    },
    options: { installedVersion: (n) => (n === 'demo' ? '1.10.0' : undefined) },
  },
  {
    name: 'same version as installed',
    reason: 'not-newer',
    bytes: () => genuine,
    options: { installedVersion: () => '1.0' },
  },
  {
    name: 'manifest not canonical',
    reason: 'bad-manifest',
    bytes: () => tarBytes([...signedHead(JSON.stringify(m, null, 1), [alice]), sums, a, big]),
  },
  {
    name: 'decompression bomb: 64 MiB of zeros after a small gzip bundle',
    reason: 'too-large',
    bytes: () => gzipSync(Buffer.concat([genuine, Buffer.alloc(64 * 2 ** 20)]), { level: 1 }),
    says: 'decompression bomb',
  },
  {
    name: 'gzip inside gzip',
    reason: 'not-a-bundle',
    bytes: () => gzipSync(gzipSync(genuine)),
  },
  {
    name: 'byte limit',
    reason: 'too-large',
    bytes: () => genuine,
    options: { limits: { maxBytes: 2048 } },
  },
  {
    name: 'file-count limit',
    reason: 'too-many-files',
    bytes: () => genuine,
    options: { limits: { maxFiles: 1 } },
  },
  {
    name: 'not a tar at all',
    reason: 'not-a-bundle',
    bytes: () => Buffer.alloc(4096, 0x41),
  },
  {
    name: 'entry hidden after the end-of-archive marker',
    reason: 'trailing-data',
    bytes: () => Buffer.concat([genuine, tarBytes([hidden('payload/after-eof')])]),
  },
];

describe('hostile bundles', () => {
  test('the corpus holds at least 20 crafted bundles', () => {
    expect(cases.length).toBeGreaterThanOrEqual(20);
    expect(new Set(cases.map((c) => c.reason)).size).toBeGreaterThanOrEqual(20);
  });

  test('control: the genuine bundle verifies and stages, and the scan sees its files', async () => {
    const s = sandbox();
    writeFileSync(s.bundle, genuine);
    const v = await verifyBundle(s.bundle, { trust, stagingDir: s.staging });
    expect(v.signers.map((x) => x.name)).toEqual(['alice']);
    expect(walk(s.dir)).toEqual([
      'staging',
      'staging/demo-1.0.0',
      'staging/demo-1.0.0/a.txt',
      'staging/demo-1.0.0/big.bin',
    ]);
  });

  test.each(cases)('$name → $reason, nothing written', async (c) => {
    const s = sandbox();
    writeFileSync(s.bundle, c.bytes());
    const error = await verifyBundle(s.bundle, { trust, stagingDir: s.staging, ...c.options }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(BundleRefusal);
    const refusal = error as BundleRefusal;
    expect({ reason: refusal.reason, message: refusal.message }).toMatchObject({ reason: c.reason });
    if (c.says) expect(refusal.message).toMatch(c.says);
    // Serialisable for the ledger.
    expect(JSON.parse(JSON.stringify(refusal))).toMatchObject({ refused: true, reason: c.reason });
    // Nothing outside staging, nothing inside it.
    const left = walk(s.dir);
    expect(left.filter((p) => p !== 'staging')).toEqual([]);
    expect(walk(path.dirname(s.dir))).toEqual(['bundle.tar', 'sandbox', ...left.map((p) => `sandbox/${p}`)]);
  });

  test('a stream source is refused the same way', async () => {
    const { Readable } = await import('node:stream');
    const bad = tarBytes([...head, sums, { path: 'payload/a.txt', type: '2', linkpath: '/' }, big]);
    await expect(verifyBundle(Readable.from([bad]), { trust })).rejects.toMatchObject({ reason: 'link' });
  });

  test('a signed manifest listing a ".." path is refused before any payload', async () => {
    const raw = canonicalJson({
      ...m,
      files: [{ path: '../x', size: 1, sha256: '0'.repeat(64), mode: 420 }],
    });
    const s = sandbox();
    writeFileSync(s.bundle, tarBytes([...signedHead(raw, [alice]), hidden('payload/../x')]));
    await expect(verifyBundle(s.bundle, { trust, stagingDir: s.staging })).rejects.toMatchObject({
      reason: 'dot-dot',
    });
    expect(walk(s.dir)).toEqual([]);
  });
});
