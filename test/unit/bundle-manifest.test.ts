// The bundle manifest, trust directory, key and tar-header rules, each checked in isolation.
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import {
  BundleRefusal,
  canonicalJson,
  checksumsText,
  compareVersions,
  fingerprint,
  loadTrustDir,
  parseAllowedSigners,
  parseManifest,
  parsePublicKeyLine,
  parseThresholds,
  rawPublicKey,
  readSigningKey,
  REFUSAL_REASONS,
  validateManifest,
} from '../../offline-bundles';
import { opensshPrivateKey } from '../../offline-bundles/keys';
import { paxRecord, fileHeader } from '../../offline-bundles/tar-writer';
import { manifestFor, testKey } from '../support/bundle-fixtures';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'bundle-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const refusalOf = (f: () => unknown) => {
  try {
    f();
  } catch (error) {
    return error instanceof BundleRefusal ? error.reason : `not a refusal: ${String(error)}`;
  }
  return 'accepted';
};

describe('manifest', () => {
  const m = manifestFor({ 'b/x': 'x', a: 'aa' });

  test('canonical JSON sorts keys at every level and has no white space', () => {
    expect(canonicalJson({ b: 1, a: [{ d: 'é', c: null }], A: true })).toBe(
      '{"A":true,"a":[{"c":null,"d":"é"}],"b":1}',
    );
    const bytes = Buffer.from(canonicalJson(m));
    expect(parseManifest(bytes)).toEqual(m);
  });

  test('non-canonical, duplicate-key and non-JSON manifests are refused', () => {
    expect(refusalOf(() => parseManifest(Buffer.from(JSON.stringify(m, null, 2))))).toBe('bad-manifest');
    const dup = canonicalJson(m).replace('{"created"', '{"name":"evil","created"');
    expect(refusalOf(() => parseManifest(Buffer.from(dup)))).toBe('bad-manifest');
    expect(refusalOf(() => parseManifest(Buffer.from('{')))).toBe('bad-manifest');
  });

  test.each([
    ['unknown field', { ...m, extra: 1 }, 'bad-manifest'],
    ['format version 2', { ...m, formatVersion: 2 }, 'bad-manifest'],
    ['kind', { ...m, kind: 'rootkit' }, 'bad-manifest'],
    ['version text', { ...m, version: '1.0-beta' }, 'bad-manifest'],
    ['expires', { ...m, expires: 'soon' }, 'bad-manifest'],
    ['unsorted files', { ...m, files: [...m.files].reverse() }, 'bad-manifest'],
    ['duplicate file', { ...m, files: [m.files[0], m.files[0]] }, 'duplicate-path'],
    ['absolute path', { ...m, files: [{ ...m.files[0], path: '/etc/passwd' }] }, 'absolute-path'],
    ['..', { ...m, files: [{ ...m.files[0], path: 'a/../../x' }] }, 'dot-dot'],
    ['empty component', { ...m, files: [{ ...m.files[0], path: 'a//x' }] }, 'bad-manifest'],
    ['backslash', { ...m, files: [{ ...m.files[0], path: 'a\\x' }] }, 'bad-manifest'],
    ['newline', { ...m, files: [{ ...m.files[0], path: 'a\nx' }] }, 'bad-manifest'],
    ['setuid mode', { ...m, files: [{ ...m.files[0], mode: 0o4755 }] }, 'setuid'],
    ['negative size', { ...m, files: [{ ...m.files[0], size: -1 }] }, 'bad-manifest'],
    ['upper-case hash', { ...m, files: [{ ...m.files[0], sha256: 'A'.repeat(64) }] }, 'bad-manifest'],
    ['file and directory at once', manifestFor({ a: '1', 'a/b': '2' }), 'bad-manifest'],
    ['sbom not in files', { ...m, sbom: ['nope'] }, 'bad-manifest'],
  ])('refuses a manifest with %s', (_what, value, reason) => {
    expect(refusalOf(() => validateManifest(value))).toBe(reason);
  });

  test('file limit', () => {
    expect(refusalOf(() => validateManifest(m, 1))).toBe('too-many-files');
    expect(refusalOf(() => validateManifest(m, 2))).toBe('accepted');
  });

  test('SHA256SUMS is derived from the manifest in sha256sum format', () => {
    expect(checksumsText(m)).toBe(`${m.files[0]?.sha256}  payload/a\n${m.files[1]?.sha256}  payload/b/x\n`);
  });

  test('versions compare numerically', () => {
    expect(compareVersions('1.10.0', '1.9.0')).toBe(1);
    expect(compareVersions('2.4', '2.4.0')).toBe(0);
    expect(compareVersions('2.4.0', '2.4.1')).toBe(-1);
    expect(compareVersions('10', '9.9.9')).toBe(1);
  });

  test('refusals serialise with their stable code', () => {
    const r = new BundleRefusal('wrong-hash', 'payload file "x" has SHA-256 …', 'payload/x');
    expect(JSON.parse(JSON.stringify(r))).toEqual({
      refused: true,
      reason: 'wrong-hash',
      message: 'payload file "x" has SHA-256 …',
      entry: 'payload/x',
    });
    expect(REFUSAL_REASONS).toContain(r.reason);
  });
});

describe('trust directory', () => {
  const alice = testKey('alice');
  const bob = testKey('bob');

  test('allowed_signers: namespaces, comments, several principals, other namespaces skipped', () => {
    const text = [
      '# site signers',
      `alice namespaces="enclave-bundle" ${alice.line} alice@build`,
      `bob,robert namespaces="file,enclave-bundle" ${bob.line}`,
      `git-only namespaces="git" ${bob.line}`,
      `anyns ${alice.line}`,
      '',
    ].join('\n');
    expect(parseAllowedSigners(text).map((s) => s.name)).toEqual(['alice', 'bob', 'robert', 'anyns']);
  });

  test('allowed_signers: unsupported options, wildcards and other key types are errors', () => {
    expect(() => parseAllowedSigners(`alice cert-authority ${alice.line}`)).toThrow(/not supported/);
    expect(() => parseAllowedSigners(`*@site namespaces="enclave-bundle" ${alice.line}`)).toThrow(
      /no wildcards/,
    );
    expect(() => parseAllowedSigners('alice ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ')).toThrow(/ssh-ed25519/);
  });

  test('thresholds.json: kinds and whole numbers only', () => {
    expect(parseThresholds('{"console-upgrade":2,"files":1}')).toEqual({ 'console-upgrade': 2, files: 1 });
    expect(() => parseThresholds('{"console":2}')).toThrow(/not a bundle kind/);
    expect(() => parseThresholds('{"files":0}')).toThrow(/1 to 64/);
  });

  test('loadTrustDir reads both files; a directory without allowed_signers is refused', () => {
    const dir = path.join(tmp, 'trust');
    expect(() => loadTrustDir(tmp)).toThrow(/no allowed_signers/);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir);
    writeFileSync(path.join(dir, 'allowed_signers'), `alice namespaces="enclave-bundle" ${alice.line}\n`);
    writeFileSync(path.join(dir, 'thresholds.json'), '{"k8s-manifests": 1}');
    expect(loadTrustDir(dir)).toEqual({
      signers: [{ name: 'alice', publicKey: alice.line }],
      thresholds: { 'k8s-manifests': 1 },
    });
  });
});

describe('keys', () => {
  test('an OpenSSH private key round-trips, and its fingerprint is ssh-keygen style', () => {
    const { privateKey } = generateKeyPairSync('ed25519');
    const jwk = privateKey.export({ format: 'jwk' });
    const seed = Buffer.from(jwk.d as string, 'base64url');
    const pub = rawPublicKey(privateKey);
    const k = readSigningKey(opensshPrivateKey(seed, pub, 'me'));
    expect(k.comment).toBe('me');
    expect(Buffer.from(k.publicKey).equals(Buffer.from(pub))).toBe(true);
    expect(fingerprint(pub)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(readSigningKey(privateKey.export({ format: 'pem', type: 'pkcs8' }) as string).publicKey).toEqual(
      pub,
    );
  });

  test('encrypted keys and non-Ed25519 keys are refused with a way forward', () => {
    const text = opensshPrivateKey(
      Buffer.alloc(32, 1),
      rawPublicKey(generateKeyPairSync('ed25519').privateKey),
      'x',
    );
    // Corrupt the check bytes.
    const body = Buffer.from(text.split('\n').slice(1, -2).join(''), 'base64');
    const at = body.indexOf(Buffer.from('none'));
    const enc = Buffer.from(body);
    enc.write('aes1', at); // cipher name "aes1": not "none"
    const armored = `-----BEGIN OPENSSH PRIVATE KEY-----\n${enc.toString('base64')}\n-----END OPENSSH PRIVATE KEY-----\n`;
    expect(() => readSigningKey(armored)).toThrow(/passphrase-protected.*ssh-keygen -Y sign/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({
      format: 'pem',
      type: 'pkcs8',
    });
    expect(() => readSigningKey(rsa as string)).toThrow(/Ed25519/);
    expect(() => parsePublicKeyLine('ssh-ed25519 AAAA')).toThrow();
  });
});

describe('tar headers', () => {
  test('pax record lengths count themselves', () => {
    for (const v of ['x', 'a'.repeat(5), 'a'.repeat(94), 'a'.repeat(995)]) {
      const r = paxRecord('path', v);
      expect(Number(r.split(' ')[0])).toBe(Buffer.byteLength(r));
    }
  });

  test('long paths use the ustar prefix, then a pax path record', () => {
    const mid = `payload/${'d'.repeat(90)}/${'f'.repeat(90)}`;
    const h = fileHeader(mid, 1, 0o644, 0);
    expect(h.length).toBe(512);
    expect(h.subarray(345, 345 + 98).toString()).toBe(`payload/${'d'.repeat(90)}`);
    const long = `payload/${'x'.repeat(200)}`;
    const p = fileHeader(long, 1, 0o644, 0);
    expect(p.length).toBe(512 * 3);
    expect(p.subarray(512, 1024).toString()).toContain(`path=${long}\n`);
  });
});
