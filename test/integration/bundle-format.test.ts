// Genuine bundles: built, signed (keys made here and by ssh-keygen), verified by the console
// and by stock tools (tar, ssh-keygen -Y verify, sha256sum -c, jq); one changed byte anywhere
// is caught by both; k-of-n thresholds; staging is atomic; split and join.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, describe, expect, test } from 'vitest';
import {
  buildBundle,
  BundleRefusal,
  checkParts,
  generateSigningKey,
  inspectBundle,
  joinParts,
  loadTrustDir,
  readManifestBytes,
  signBundle,
  splitBundle,
  verifyBundle,
  writeTrustDir,
  type TrustStore,
} from '../../offline-bundles';
import { walk } from '../support/bundle-fixtures';

const root = mkdtempSync(path.join(os.tmpdir(), 'bundle-format-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const has = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;
const HAVE_SSH_KEYGEN = has('ssh-keygen');
const HAVE_JQ = has('jq');

// A payload with nested directories, an executable, an empty file and a long path.
const src = path.join(root, 'src');
mkdirSync(path.join(src, 'bin'), { recursive: true });
mkdirSync(path.join(src, 'docs', 'a'.repeat(60), 'b'.repeat(60)), { recursive: true });
writeFileSync(path.join(src, 'bin', 'install.sh'), '#!/bin/sh\necho installing\n');
chmodSync(path.join(src, 'bin', 'install.sh'), 0o755);
writeFileSync(path.join(src, 'empty'), '');
writeFileSync(path.join(src, 'data.bin'), Buffer.alloc(200_000, 7));
writeFileSync(path.join(src, 'docs', 'a'.repeat(60), 'b'.repeat(60), 'long-name.txt'), 'deep');
writeFileSync(path.join(src, 'sbom.spdx.json'), '{"spdxVersion":"SPDX-2.3"}');

const keys = path.join(root, 'keys');
const alice = generateSigningKey(keys, 'alice');
const bob = generateSigningKey(keys, 'bob');
const carol = generateSigningKey(keys, 'carol');
const trustDir = path.join(root, 'trust');
const trustAll: TrustStore = {
  signers: [alice, bob, carol].map((k, i) => ({
    name: ['alice', 'bob', 'carol'][i] as string,
    publicKey: k.publicKey,
  })),
  thresholds: { 'console-upgrade': 2 },
};
writeTrustDir(trustDir, trustAll);

async function genuine(
  name: string,
  signers: { key: string; signer: string }[],
  kind: 'files' | 'console-upgrade' = 'files',
) {
  const out = path.join(root, `${name}.tar`);
  await buildBundle({
    source: src,
    name,
    kind,
    version: '2.4.0',
    out,
    targets: { gpuModels: ['H200'], os: ['ubuntu-22.04'] },
    description: 'test payload',
    sbom: ['sbom.spdx.json'],
  });
  for (const s of signers) await signBundle(out, { privateKeyPath: s.key, signer: s.signer });
  return out;
}

/** Stock-tool verification in a fresh directory: tar -x, ssh-keygen -Y verify per signer, jq vs SHA256SUMS, sha256sum -c. */
function stockVerify(bundle: string, signers: string[]): { ok: boolean; log: string } {
  const dir = mkdtempSync(path.join(root, 'stock-'));
  const script = [
    'set -e',
    `tar -xf "$BUNDLE" -C "$DIR"`,
    'cd "$DIR"',
    ...signers.map(
      (s) =>
        `ssh-keygen -Y verify -f "$TRUST/allowed_signers" -I ${s} -n enclave-bundle -s signatures/${s}.sig < manifest.json`,
    ),
    ...(HAVE_JQ
      ? [`jq -j '.files[] | "\\(.sha256)  payload/\\(.path)\\n"' manifest.json | cmp - SHA256SUMS`]
      : []),
    'sha256sum --quiet -c SHA256SUMS',
  ].join('\n');
  const r = spawnSync('sh', ['-c', script], {
    env: { ...process.env, BUNDLE: bundle, DIR: dir, TRUST: trustDir },
    encoding: 'utf8',
  });
  rmSync(dir, { recursive: true, force: true });
  return { ok: r.status === 0, log: `${r.stdout}${r.stderr}` };
}

/** Offsets of each member's data in a bundle written by buildBundle (plain ustar headers, maybe pax). */
function memberOffsets(file: string): { name: string; header: number; data: number; size: number }[] {
  const b = readFileSync(file);
  const out: { name: string; header: number; data: number; size: number }[] = [];
  let at = 0;
  let paxPath: string | undefined;
  while (at + 512 <= b.length && b[at] !== 0) {
    const type = String.fromCharCode(b[at + 156] as number);
    const size = parseInt(
      b
        .subarray(at + 124, at + 136)
        .toString('ascii')
        .replace(/\0.*$/s, '')
        .trim() || '0',
      8,
    );
    const prefix = b
      .subarray(at + 345, at + 500)
      .toString()
      .replace(/\0.*$/s, '');
    const base = b
      .subarray(at, at + 100)
      .toString()
      .replace(/\0.*$/s, '');
    if (type === 'x') {
      paxPath = /\d+ path=(.*)\n/.exec(b.subarray(at + 512, at + 512 + size).toString())?.[1];
    } else {
      out.push({ name: paxPath ?? (prefix ? `${prefix}/${base}` : base), header: at, data: at + 512, size });
      paxPath = undefined;
    }
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe('genuine bundles', () => {
  test('built, signed and verified by the console; staged with masked modes', async () => {
    const bundle = await genuine('genuine', [
      { key: alice.privateKeyPath, signer: 'alice' },
      { key: bob.privateKeyPath, signer: 'bob' },
    ]);
    const names = memberOffsets(bundle).map((m) => m.name);
    expect(names.slice(0, 4)).toEqual([
      'manifest.json',
      'signatures/alice.sig',
      'signatures/bob.sig',
      'SHA256SUMS',
    ]);
    expect(names.slice(4).every((n) => n.startsWith('payload/'))).toBe(true);
    const staging = path.join(root, 'staging-genuine');
    const v = await verifyBundle(bundle, { trust: loadTrustDir(trustDir), stagingDir: staging });
    expect(v.signers.map((s) => s.name).sort()).toEqual(['alice', 'bob']);
    expect(v.manifest.targets).toEqual({ gpuModels: ['H200'], os: ['ubuntu-22.04'] });
    expect(v.manifest.sbom).toEqual(['sbom.spdx.json']);
    expect(v.stagedAt).toBe(path.join(staging, 'genuine-2.4.0'));
    const staged = v.stagedAt as string;
    expect(walk(staged).filter((p) => statSync(path.join(staged, p)).isFile())).toEqual(
      v.manifest.files.map((f) => f.path).sort(),
    );
    expect(statSync(staged).mode & 0o7777).toBe(0o755);
    expect(statSync(path.join(staged, 'bin', 'install.sh')).mode & 0o7777).toBe(0o755);
    expect(statSync(path.join(staged, 'data.bin')).mode & 0o7777).toBe(0o644);
    expect(readdirSync(staging)).toEqual(['genuine-2.4.0']);
    expect(JSON.parse(JSON.stringify(v))).toEqual(v);
  });

  test.skipIf(!HAVE_SSH_KEYGEN)(
    'verified by stock tools: tar -x, ssh-keygen -Y verify, jq, sha256sum -c',
    async () => {
      const bundle = path.join(root, 'genuine.tar');
      const r = stockVerify(bundle, ['alice', 'bob']);
      expect(r.log).toContain('Good "enclave-bundle" signature for alice');
      expect(r.ok).toBe(true);
    },
  );

  test.skipIf(!HAVE_SSH_KEYGEN)(
    'one changed byte anywhere is caught by the console and by stock tools',
    async () => {
      const bundle = path.join(root, 'genuine.tar');
      const original = readFileSync(bundle);
      const members = memberOffsets(bundle);
      const at = (name: string) => members.find((m) => m.name === name) as (typeof members)[number];
      const spots: [string, number][] = [
        ['manifest byte', at('manifest.json').data + 40],
        // (+120: inside the base64 of the second line; ssh-keygen skips white space, so a flipped newline is no change to it)
        ['signature byte', at('signatures/bob.sig').data + 120],
        ['SHA256SUMS hash digit', at('SHA256SUMS').data + 3],
        ['payload byte', at('payload/data.bin').data + 123_456],
        ['last payload byte', at('payload/sbom.spdx.json').data + at('payload/sbom.spdx.json').size - 2],
        ['payload header name', at('payload/empty').header + 3],
      ];
      for (const [what, offset] of spots) {
        const changed = Buffer.from(original);
        changed[offset] = (changed[offset] as number) ^ 0x01;
        const file = path.join(root, `changed-${what.replace(/\W+/g, '-')}.tar`);
        writeFileSync(file, changed);
        const console = await verifyBundle(file, { trust: trustAll }).then(
          () => 'verified',
          (e: unknown) => (e instanceof BundleRefusal ? e.reason : String(e)),
        );
        expect(console, what).not.toBe('verified');
        expect(stockVerify(file, ['alice', 'bob']).ok, what).toBe(false);
      }
    },
  );

  test('k-of-n: console upgrades need 2 of 3 signers here', async () => {
    const one = await genuine(
      'upgrade-one',
      [{ key: alice.privateKeyPath, signer: 'alice' }],
      'console-upgrade',
    );
    await expect(verifyBundle(one, { trust: trustAll })).rejects.toMatchObject({
      reason: 'too-few-signatures',
    });
    await signBundle(one, { privateKeyPath: carol.privateKeyPath, signer: 'carol' });
    const v = await verifyBundle(one, { trust: trustAll });
    expect(v.signers.map((s) => s.name).sort()).toEqual(['alice', 'carol']);
    // The same key signing twice under its name counts once (signing again replaces its member).
    await signBundle(one, { privateKeyPath: carol.privateKeyPath, signer: 'carol' });
    expect((await inspectBundle(one)).signatures.map((s) => s.signer)).toEqual(['alice', 'carol']);
    // Threshold 3 of 3.
    await expect(
      verifyBundle(one, { trust: { ...trustAll, thresholds: { 'console-upgrade': 3 } } }),
    ).rejects.toMatchObject({ reason: 'too-few-signatures' });
  });

  test.skipIf(!HAVE_SSH_KEYGEN)(
    'a key made by ssh-keygen -t ed25519 signs; a signature made by ssh-keygen -Y sign is accepted',
    async () => {
      const dave = path.join(root, 'dave');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'dave', '-f', dave]);
      const erin = path.join(root, 'erin');
      execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'erin', '-f', erin]);
      const bundle = await genuine('sshkeys', [{ key: dave, signer: 'dave' }]);
      // erin signs with ssh-keygen itself (as with an agent or a hardware token).
      const manifest = path.join(root, 'sshkeys-manifest.json');
      writeFileSync(manifest, readManifestBytes(bundle));
      execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-f', erin, '-n', 'enclave-bundle', manifest]);
      await signBundle(bundle, { signature: readFileSync(`${manifest}.sig`, 'utf8'), signer: 'erin' });
      const trust: TrustStore = {
        signers: [
          { name: 'dave', publicKey: readFileSync(`${dave}.pub`, 'utf8') },
          { name: 'erin', publicKey: readFileSync(`${erin}.pub`, 'utf8') },
        ],
        thresholds: { files: 2 },
      };
      const v = await verifyBundle(bundle, { trust });
      expect(v.signers.map((s) => s.name).sort()).toEqual(['dave', 'erin']);
      // Our own generated key works with ssh-keygen -Y sign too.
      rmSync(`${manifest}.sig`);
      execFileSync('ssh-keygen', [
        '-q',
        '-Y',
        'sign',
        '-f',
        alice.privateKeyPath,
        '-n',
        'enclave-bundle',
        manifest,
      ]);
      const viaSshKeygen = await signBundle(bundle, {
        signature: readFileSync(`${manifest}.sig`, 'utf8'),
        signer: 'alice',
      });
      expect(viaSshKeygen.fingerprint).toBe(alice.fingerprint);
      // A signature in another namespace is refused when added.
      rmSync(`${manifest}.sig`);
      execFileSync('ssh-keygen', ['-q', '-Y', 'sign', '-f', erin, '-n', 'file', manifest]);
      await expect(
        signBundle(bundle, { signature: readFileSync(`${manifest}.sig`, 'utf8'), signer: 'erin' }),
      ).rejects.toThrow(/does not verify/);
    },
  );

  test('nothing is usable before verification completes; a refusal leaves the previous staging alone', async () => {
    const bundle = path.join(root, 'genuine.tar');
    const staging = path.join(root, 'staging-atomic');
    const seen: boolean[] = [];
    const final = path.join(staging, 'genuine-2.4.0');
    await verifyBundle(Readable.from([readFileSync(bundle)]), {
      trust: trustAll,
      stagingDir: staging,
      onProgress: () => seen.push(existsSync(final)),
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((x) => !x)).toBe(true);
    expect(existsSync(path.join(final, 'data.bin'))).toBe(true);
    // A damaged copy of the same bundle: refused, the staged one untouched, no temp dirs left.
    const damaged = Buffer.from(readFileSync(bundle));
    const data = memberOffsets(bundle).find((m) => m.name === 'payload/data.bin') as { data: number };
    damaged[data.data + 10] = 1;
    await expect(
      verifyBundle(Readable.from([damaged]), { trust: trustAll, stagingDir: staging }),
    ).rejects.toMatchObject({
      reason: 'wrong-hash',
    });
    expect(readdirSync(staging)).toEqual(['genuine-2.4.0']);
  });

  test('a bundle with no payload files verifies and stages an empty directory', async () => {
    const empty = path.join(root, 'empty-src');
    mkdirSync(empty);
    const out = path.join(root, 'empty.tar');
    await buildBundle({ source: empty, name: 'empty', kind: 'files', version: '1', out });
    await signBundle(out, { privateKeyPath: alice.privateKeyPath, signer: 'alice' });
    const staging = path.join(root, 'staging-empty');
    const v = await verifyBundle(out, { trust: trustAll, stagingDir: staging });
    expect(v.manifest.files).toEqual([]);
    expect(walk(staging)).toEqual(['empty-1']);
  });

  test('progress, abort and inspect', async () => {
    const bundle = path.join(root, 'genuine.tar');
    const progress: { bytes: number; totalBytes?: number }[] = [];
    await verifyBundle(bundle, { trust: trustAll, onProgress: (p) => progress.push(p) });
    expect(progress.at(-1)).toEqual({ bytes: statSync(bundle).size, totalBytes: statSync(bundle).size });
    const ac = new AbortController();
    ac.abort();
    await expect(verifyBundle(bundle, { trust: trustAll, signal: ac.signal })).rejects.toMatchObject({
      reason: 'aborted',
    });
    const ins = await inspectBundle(bundle);
    expect(ins.verified).toBe(false);
    expect(ins.note).toMatch(/UNVERIFIED/);
    expect(ins.signatures.map((s) => [s.signer, s.fingerprint, s.valid])).toEqual([
      ['alice', alice.fingerprint, true],
      ['bob', bob.fingerprint, true],
    ]);
  });
});

describe('split and join', () => {
  test('round trip; every part checkable alone; a damaged part is named', async () => {
    const big = path.join(root, 'big-src');
    mkdirSync(big);
    writeFileSync(path.join(big, 'blob'), Buffer.alloc(5 * 2 ** 20 + 123, 9));
    const bundle = path.join(root, 'big.tar');
    await buildBundle({ source: big, name: 'big', kind: 'files', version: '1', out: bundle });
    await signBundle(bundle, { privateKeyPath: alice.privateKeyPath, signer: 'alice' });
    const parts = path.join(root, 'parts');
    const index = splitBundle(bundle, 2 ** 20 * 2, parts);
    expect(index.parts.map((p) => p.file)).toEqual([
      'big.tar.part-001',
      'big.tar.part-002',
      'big.tar.part-003',
    ]);
    expect(checkParts(index.indexPath).ok).toBe(true);
    if (has('sha256sum'))
      expect(spawnSync('sha256sum', ['-c', 'big.tar.parts.sha256'], { cwd: parts }).status).toBe(0);
    // Part 1 alone shows the signed manifest.
    expect((await inspectBundle(path.join(parts, 'big.tar.part-001'))).manifest.name).toBe('big');
    const joined = path.join(root, 'joined.tar');
    joinParts(
      index.parts.map((p) => path.join(parts, p.file)),
      joined,
    );
    expect(readFileSync(joined).equals(readFileSync(bundle))).toBe(true);
    await verifyBundle(joined, { trust: trustAll });
    // Damage part 2.
    const p2 = path.join(parts, 'big.tar.part-002');
    const b = readFileSync(p2);
    b[1000] = (b[1000] as number) ^ 0xff;
    writeFileSync(p2, b);
    const check = checkParts(index.indexPath);
    expect(check.ok).toBe(false);
    expect(check.parts.filter((p) => !p.ok).map((p) => p.file)).toEqual(['big.tar.part-002']);
    const out = path.join(root, 'joined2.tar');
    expect(() => joinParts(index.indexPath, out)).toThrow(/part big\.tar\.part-002 is damaged/);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(root).some((f) => f.startsWith('joined2.tar'))).toBe(false);
  });
});
