// `enclave bundle …` end to end through the built CLI: keygen, build, sign, verify (exit 3 on
// refusal, with the reason), inspect, extract, split and join. No sign-in, no data directory.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { enclave } from '../support/cli';

const root = mkdtempSync(path.join(os.tmpdir(), 'bundle-cli-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
const dataDir = path.join(root, 'never-created');
const run = (args: string[], env: Record<string, string> = {}) =>
  enclave(['--data-dir', dataDir, ...args], env);
const HAVE_SSH_KEYGEN = spawnSync('sh', ['-c', 'command -v ssh-keygen']).status === 0;

describe('enclave bundle', { timeout: 90_000 }, () => {
  const keys = path.join(root, 'keys');
  const trust = path.join(root, 'trust');
  const src = path.join(root, 'src');
  const bundle = path.join(root, 'app.tar');

  test('keygen writes an OpenSSH key pair and prints its allowed_signers line', async () => {
    const r = await run(['bundle', 'keygen', '--out', keys, '--name', 'alice']);
    expect(r.code, r.stderr).toBe(0);
    expect(statSync(path.join(keys, 'alice')).mode & 0o777).toBe(0o600);
    expect(readFileSync(path.join(keys, 'alice'), 'utf8')).toMatch(/^-----BEGIN OPENSSH PRIVATE KEY-----/);
    const line = r.stdout
      .split('\n')
      .find((l) => l.startsWith('alice namespaces="enclave-bundle" ssh-ed25519 '));
    expect(line).toBeDefined();
    mkdirSync(trust);
    writeFileSync(path.join(trust, 'allowed_signers'), `${line}\n`);
    if (HAVE_SSH_KEYGEN) {
      // ssh-keygen reads the private key and derives the same public key.
      const pub = execFileSync('ssh-keygen', ['-y', '-f', path.join(keys, 'alice')], { encoding: 'utf8' });
      expect(pub.split(' ').slice(0, 2)).toEqual(
        readFileSync(path.join(keys, 'alice.pub'), 'utf8').split(' ').slice(0, 2),
      );
    }
    const again = await run(['bundle', 'keygen', '--out', keys, '--name', 'alice']);
    expect(again.code).toBe(2);
  });

  test('build, sign, verify, inspect, extract', async () => {
    mkdirSync(path.join(src, 'etc'), { recursive: true });
    writeFileSync(path.join(src, 'etc', 'app.conf'), 'x=1\n');
    writeFileSync(path.join(src, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
    const b = await run([
      'bundle',
      'build',
      src,
      '--name',
      'app',
      '--kind',
      'files',
      '--version',
      '3.1.0',
      '--out',
      bundle,
      '--expires',
      '2099-01-01',
    ]);
    expect(b.code, b.stderr).toBe(0);
    const unsigned = await run(['bundle', 'verify', bundle, '--trust', trust, '--json']);
    expect(unsigned.code).toBe(3);
    expect(JSON.parse(unsigned.stdout)).toMatchObject({ verified: false, reason: 'no-signatures' });
    const s = await run(['bundle', 'sign', bundle, '--key', path.join(keys, 'alice')]);
    expect(s.code, s.stderr).toBe(0);
    expect(s.stdout).toContain('as alice');
    const v = await run(['bundle', 'verify', bundle, '--trust', trust, '--json']);
    expect(v.code, v.stderr).toBe(0);
    const out = JSON.parse(v.stdout);
    expect(out).toMatchObject({
      verified: true,
      manifest: { name: 'app', version: '3.1.0', expires: '2099-01-01T00:00:00.000Z' },
    });
    expect(out.signers[0].name).toBe('alice');
    const text = await run(['bundle', 'verify', bundle], { ENCLAVE_BUNDLE_TRUST: trust });
    expect(text.code).toBe(0);
    expect(text.stdout).toMatch(/Verified: +app 3\.1\.0 \(files\)/);
    const i = await run(['bundle', 'inspect', bundle, '--json']);
    expect(JSON.parse(i.stdout)).toMatchObject({
      verified: false,
      signatures: [{ signer: 'alice', valid: true }],
    });
    const it = await run(['bundle', 'inspect', bundle]);
    expect(it.stdout).toMatch(/^UNVERIFIED/);
    const to = path.join(root, 'extracted');
    const x = await run(['bundle', 'extract', bundle, '--to', to, '--trust', trust]);
    expect(x.code, x.stderr).toBe(0);
    expect(readFileSync(path.join(to, 'app-3.1.0', 'etc', 'app.conf'), 'utf8')).toBe('x=1\n');
    expect(statSync(path.join(to, 'app-3.1.0', 'run.sh')).mode & 0o777).toBe(0o755);
    expect(existsSync(dataDir)).toBe(false);
  });

  test('a refused bundle exits 3 and names the reason; extract writes nothing', async () => {
    const bad = path.join(root, 'bad.tar');
    const bytes = readFileSync(bundle);
    const at = bytes.indexOf('x=1\n');
    bytes[at] = 0x79;
    writeFileSync(bad, bytes);
    const v = await run(['bundle', 'verify', bad, '--trust', trust]);
    expect(v.code).toBe(3);
    expect(v.stderr).toMatch(/REFUSED \(wrong-hash\): payload file "etc\/app\.conf"/);
    const to = path.join(root, 'extract-bad');
    const x = await run(['bundle', 'extract', bad, '--to', to, '--trust', trust, '--json']);
    expect(x.code).toBe(3);
    expect(JSON.parse(x.stdout)).toMatchObject({
      verified: false,
      reason: 'wrong-hash',
      entry: 'payload/etc/app.conf',
    });
    expect(existsSync(to) ? execFileSync('find', [to, '-mindepth', '1'], { encoding: 'utf8' }) : '').toBe('');
  });

  test('usage errors exit 2', async () => {
    expect((await run(['bundle', 'verify', bundle])).code).toBe(2); // no trust
    expect((await run(['bundle', 'verify', path.join(root, 'nope.tar'), '--trust', trust])).code).toBe(2);
    expect(
      (await run(['bundle', 'build', src, '--name', 'app', '--kind', 'nope', '--version', '1', '--out', 'x']))
        .code,
    ).toBe(2);
    expect((await run(['bundle', 'sign', bundle])).code).toBe(2);
  });

  test('split and join; a damaged part is named and exits 3', async () => {
    const big = path.join(root, 'big');
    mkdirSync(big);
    writeFileSync(path.join(big, 'blob'), Buffer.alloc(3 * 2 ** 20, 1));
    const file = path.join(root, 'big.tar');
    expect(
      (
        await run([
          'bundle',
          'build',
          big,
          '--name',
          'big',
          '--kind',
          'files',
          '--version',
          '1',
          '--out',
          file,
        ])
      ).code,
    ).toBe(0);
    const parts = path.join(root, 'parts');
    const s = await run(['bundle', 'split', file, '--part-size', '1M', '--out', parts]);
    expect(s.code, s.stderr).toBe(0);
    const joined = path.join(root, 'joined.tar');
    const j = await run(['bundle', 'join', path.join(parts, 'big.tar.parts.json'), '--out', joined]);
    expect(j.code, j.stderr).toBe(0);
    expect(readFileSync(joined).equals(readFileSync(file))).toBe(true);
    const p3 = path.join(parts, 'big.tar.part-003');
    writeFileSync(p3, readFileSync(p3).subarray(1));
    const d = await run([
      'bundle',
      'join',
      path.join(parts, 'big.tar.parts.json'),
      '--out',
      path.join(root, 'j2.tar'),
    ]);
    expect(d.code).toBe(3);
    expect(d.stderr).toContain('part big.tar.part-003 is damaged');
    expect(d.stdout).toContain('big.tar.part-003: DAMAGED');
  });
});
