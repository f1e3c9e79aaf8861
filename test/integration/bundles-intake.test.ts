import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VerifyProgress } from '../../shared/api';
import type { ConsoleClient } from '../../shared/client';
import type { ConsoleError } from '../../shared/errors';
import { splitBundle } from '../../offline-bundles';
import { ADMIN, openTestCore, type TestCore } from '../support/core';
import { makeBundle, makeSigner, type TestSigner } from './bundles-fixtures';

/**
 * Bundle intake through the dispatcher with real signed bundles (offline-bundles build and sign):
 * scan, verify in place with progress, every verification (pass or fail) a ledger entry with the
 * manifest or the refusal reason, import into staging with re-verification, an interrupted import
 * that leaves nothing staged, rollback protection from the installed record, and import from a
 * real loop-mounted ext4 image (as root).
 */
const work = mkdtempSync(path.join(tmpdir(), 'enclave-bundles-intake-'));
const media = path.join(work, 'media');
mkdirSync(media);
let t: TestCore;
let admin: ConsoleClient;
let viewer: ConsoleClient;
let alice: TestSigner;
let bob: TestSigner;
let mallory: TestSigner;
const now = () => t.clock.now();
const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: ConsoleError) => e,
  );
const lastEntry = () => t.core.ledger.list({ limit: 1 }).entries[0];
const staging = () => path.join(t.dir, 'bundles', 'staged');

beforeAll(async () => {
  t = await openTestCore();
  admin = t.connect();
  await admin.call('session.signIn', { operator: ADMIN.name, passphrase: ADMIN.passphrase });
  viewer = await t.connectAs(['viewer']);
  alice = makeSigner(work, 'alice');
  bob = makeSigner(work, 'bob');
  mallory = makeSigner(work, 'mallory');
  await admin.call('bundles.trustAddSigner', { name: 'alice', publicKey: alice.publicKey });
  await admin.call('bundles.trustAddSigner', { name: 'bob', publicKey: bob.publicKey });
});
afterAll(() => {
  t?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('bundle verification and intake', () => {
  let good: { path: string; manifestSha256: string };

  it('scans a folder for bundle files', async () => {
    good = await makeBundle(media, {
      name: 'site-docs',
      kind: 'files',
      version: '1.0.0',
      files: { 'README.txt': 'hello enclave\n', 'tools/run.sh': ['#!/bin/sh\necho ok\n', 0o755] },
      signers: [alice],
      now: now(),
    });
    writeFileSync(path.join(media, 'notes.txt'), 'not a bundle');
    const found = await viewer.call('bundles.scan', { path: media });
    expect(found.bundles.map((b) => path.basename(b.path))).toEqual(['site-docs-1.0.0.tar']);
    expect(found.bundles[0]).toMatchObject({ medium: null, size: readFileSync(good.path).length });
    expect((await failure(viewer.call('bundles.scan', { path: path.join(work, 'nope') }))).code).toBe(
      'NOT_FOUND',
    );
  });

  it('verifies in place with progress, and the pass is a ledger entry with the manifest and signers', async () => {
    const events: VerifyProgress[] = [];
    const before = t.core.ledger.count();
    const r = await viewer.call('bundles.verify', { path: good.path }, { onEvent: (e) => events.push(e) });
    if (!r.verified) throw new Error(`refused: ${r.message}`);
    expect(r.manifest).toMatchObject({ name: 'site-docs', kind: 'files', version: '1.0.0' });
    expect(r.manifest.files.map((f) => f.path)).toEqual(['README.txt', 'tools/run.sh']);
    expect(r.manifestSha256).toBe(good.manifestSha256);
    expect(r.signers.map((s) => s.name)).toEqual(['alice']);
    expect(r.threshold).toBe(1);
    expect(r.installedVersion).toBeNull();
    const last = events.at(-1) as VerifyProgress;
    expect(last).toMatchObject({ phase: 'verifying', bytes: r.bytes, totalBytes: r.bytes });
    expect(last.rate).toBeGreaterThanOrEqual(0);
    expect(t.core.ledger.count() - before).toBe(1);
    expect(lastEntry()).toMatchObject({
      procedure: 'bundles.verify',
      outcome: 'ok',
      target: `bundle file ${good.path}`,
      result: {
        verified: true,
        name: 'site-docs',
        kind: 'files',
        version: '1.0.0',
        manifestSha256: good.manifestSha256,
        signers: [{ name: 'alice' }],
      },
    });
  });

  it('records every refusal with its reason: unknown signer, tampered payload, expired, too few signatures', async () => {
    const cases: [string, Promise<string>][] = [];
    const foreign = await makeBundle(work, {
      name: 'foreign',
      kind: 'files',
      version: '1.0.0',
      files: { a: 'a' },
      signers: [mallory],
      now: now(),
    });
    cases.push(['unknown-signer', Promise.resolve(foreign.path)]);
    const tampered = path.join(work, 'tampered.tar');
    const bytes = readFileSync(good.path);
    const at = bytes.indexOf(Buffer.from('hello enclave'));
    expect(at).toBeGreaterThan(0);
    bytes[at] = 'H'.charCodeAt(0);
    writeFileSync(tampered, bytes);
    cases.push(['wrong-hash', Promise.resolve(tampered)]);
    const expired = await makeBundle(work, {
      name: 'stale',
      kind: 'files',
      version: '1.0.0',
      files: { a: 'a' },
      signers: [alice],
      now: new Date(now().getTime() - 40 * 86_400_000),
    });
    cases.push(['expired', Promise.resolve(expired.path)]);
    for (const [reason, file] of cases) {
      const p = await file;
      const r = await viewer.call('bundles.verify', { path: p });
      expect(r.verified, `${reason}: ${JSON.stringify(r)}`).toBe(false);
      if (r.verified) continue;
      expect(r.reason).toBe(reason);
      expect(r.message.length).toBeGreaterThan(10);
      expect(lastEntry()).toMatchObject({
        procedure: 'bundles.verify',
        outcome: 'ok',
        result: { verified: false, reason, message: r.message },
      });
    }
    // Two of the two trusted signers for host packages: one signature is not enough.
    await admin.call('bundles.trustSetThreshold', { kind: 'host-packages', threshold: 2 });
    const once = await makeBundle(work, {
      name: 'drivers',
      kind: 'host-packages',
      version: '1.0.0',
      files: { 'install.sh': 'echo hi\n' },
      signers: [alice],
      now: now(),
    });
    const r = await viewer.call('bundles.verify', { path: once.path });
    expect(r).toMatchObject({ verified: false, reason: 'too-few-signatures' });
    const twice = await makeBundle(work, {
      name: 'drivers',
      kind: 'host-packages',
      version: '1.0.0',
      files: { 'install.sh': 'echo hi\n' },
      signers: [alice, bob],
      now: now(),
      out: path.join(work, 'drivers-twice.tar'),
    });
    const ok = await viewer.call('bundles.verify', { path: twice.path });
    expect(ok).toMatchObject({ verified: true, threshold: 2 });
    await admin.call('bundles.trustSetThreshold', { kind: 'host-packages', threshold: 1 });
    // A file that is not there is an error, recorded too.
    const missing = await failure(viewer.call('bundles.verify', { path: path.join(work, 'gone.tar') }));
    expect(missing.code).toBe('NOT_FOUND');
    expect(lastEntry()).toMatchObject({ procedure: 'bundles.verify', outcome: 'error' });
  });

  it('imports into staging with re-verification (copy identical, payload staged), audited; a viewer may not', async () => {
    expect((await failure(viewer.call('bundles.import', { path: good.path }))).code).toBe('FORBIDDEN');
    // A crashed import's leftovers (its process is gone) are removed by the next one; another live
    // process's import in progress (pid 1 is always alive) is left alone.
    const deadPid = spawnSync(process.execPath, ['-e', '0']).pid as number;
    const crashed = path.join(staging(), `.part-${deadPid}-deadbeef`);
    const running = path.join(staging(), '.part-1-cafe');
    mkdirSync(crashed, { recursive: true });
    writeFileSync(path.join(crashed, 'bundle.tar'), 'half a copy');
    mkdirSync(running);
    const events: VerifyProgress[] = [];
    const s = await admin.call('bundles.import', { path: good.path }, { onEvent: (e) => events.push(e) });
    expect(s).toMatchObject({
      manifestSha256: good.manifestSha256,
      name: 'site-docs',
      version: '1.0.0',
      stagedBy: 'admin',
    });
    expect(events.at(-1)).toMatchObject({ phase: 'copying', bytes: readFileSync(good.path).length });
    expect(readFileSync(path.join(staging(), s.manifestSha256, 'bundle.tar'))).toEqual(
      readFileSync(good.path),
    );
    expect(readFileSync(path.join(s.directory, 'README.txt'), 'utf8')).toBe('hello enclave\n');
    expect(readdirSync(staging()).sort()).toEqual(['.part-1-cafe', s.manifestSha256]);
    rmSync(running, { recursive: true });
    expect(lastEntry()).toMatchObject({
      procedure: 'bundles.import',
      outcome: 'ok',
      result: { name: 'site-docs', manifestSha256: good.manifestSha256, signers: [{ name: 'alice' }] },
    });
    expect((await viewer.call('bundles.staged', {})).map((b) => b.manifestSha256)).toEqual([
      good.manifestSha256,
    ]);
  });

  it('a refused import stages nothing and says why', async () => {
    const tampered = path.join(work, 'tampered.tar');
    const e = await failure(admin.call('bundles.import', { path: tampered }));
    expect(e.code).toBe('FAILED');
    expect(e.message).toMatch(/^the bundle was refused \(wrong-hash\)/);
    expect(readdirSync(staging())).toEqual([good.manifestSha256]);
    expect(lastEntry()).toMatchObject({ procedure: 'bundles.import', outcome: 'error' });
  });

  it('an import cancelled part-way leaves no partial copy and nothing staged', async () => {
    const big = await makeBundle(work, {
      name: 'big',
      kind: 'files',
      version: '1.0.0',
      files: { 'blob.bin': randomBytes(96 * 1024 * 1024) },
      signers: [alice],
      now: now(),
    });
    const controller = new AbortController();
    let seen = 0;
    const e = await failure(
      admin.call(
        'bundles.import',
        { path: big.path },
        {
          signal: controller.signal,
          onEvent: (ev) => {
            seen = ev.bytes;
            if (ev.bytes > 0 && ev.bytes < ev.totalBytes) controller.abort();
          },
        },
      ),
    );
    expect(seen).toBeGreaterThan(0);
    expect(['CANCELLED', 'FAILED']).toContain(e.code);
    // The dispatcher answers the cancel at once; the handler finishes unwinding just after.
    await new Promise((r) => setTimeout(r, 500));
    expect(readdirSync(staging())).toEqual([good.manifestSha256]);
    expect((await viewer.call('bundles.staged', {})).map((b) => b.name)).toEqual(['site-docs']);
    // Importing again works from scratch.
    const again = await admin.call('bundles.import', { path: big.path });
    expect(again.manifestSha256).toBe(big.manifestSha256);
    expect(readdirSync(staging()).sort()).toEqual([good.manifestSha256, big.manifestSha256].sort());
  });

  it('plans and installs a files bundle, records it, and then refuses the same or an older version (rollback)', async () => {
    const plan = await admin.call('bundles.plan', { staged: good.manifestSha256 });
    expect(plan.problems).toEqual([]);
    expect(plan.steps).toHaveLength(1);
    expect(plan.steps[0]?.action).toMatch(/^keep 2 files/);
    const wrong = await failure(
      admin.call('bundles.install', { staged: good.manifestSha256, planDigest: 'f'.repeat(64) }),
    );
    expect(wrong.code).toBe('CONFLICT');
    expect(await viewer.call('bundles.list', {})).toEqual([]);
    const out = await admin.call('bundles.install', {
      staged: good.manifestSha256,
      planDigest: plan.planDigest,
    });
    expect(out.installed).toBe(true);
    expect(out.results).toEqual([expect.objectContaining({ target: 'workstation', ok: true })]);
    expect(lastEntry()).toMatchObject({
      procedure: 'bundles.install',
      outcome: 'ok',
      result: { installed: true, planDigest: plan.planDigest, manifestSha256: good.manifestSha256 },
    });
    const list = await viewer.call('bundles.list', {});
    expect(list).toEqual([
      expect.objectContaining({
        name: 'site-docs',
        version: '1.0.0',
        sha256: good.manifestSha256,
        installedBy: 'admin',
        targets: ['workstation'],
      }),
    ]);
    const same = await viewer.call('bundles.verify', { path: good.path });
    expect(same).toMatchObject({ verified: false, reason: 'not-newer' });
    const older = await makeBundle(work, {
      name: 'site-docs',
      kind: 'files',
      version: '0.9.0',
      files: { 'README.txt': 'old\n' },
      signers: [alice],
      now: now(),
    });
    expect(await viewer.call('bundles.verify', { path: older.path })).toMatchObject({
      verified: false,
      reason: 'not-newer',
    });
    const newer = await makeBundle(work, {
      name: 'site-docs',
      kind: 'files',
      version: '1.10.0',
      files: { 'README.txt': 'new\n' },
      signers: [alice],
      now: now(),
    });
    expect(await viewer.call('bundles.verify', { path: newer.path })).toMatchObject({
      verified: true,
      installedVersion: '1.0.0',
    });
  });

  it('refuses to install a staged copy that changed after import', async () => {
    const b = await makeBundle(work, {
      name: 'notes',
      kind: 'files',
      version: '2.0.0',
      files: { 'a.txt': 'original\n' },
      signers: [alice],
      now: now(),
    });
    const s = await admin.call('bundles.import', { path: b.path });
    const plan = await admin.call('bundles.plan', { staged: s.manifestSha256 });
    writeFileSync(path.join(s.directory, 'a.txt'), 'changed\n');
    const e = await failure(
      admin.call('bundles.install', { staged: s.manifestSha256, planDigest: plan.planDigest }),
    );
    expect(e.message).toBe('the staged copy of a.txt in bundle notes no longer matches its manifest');
    expect((await viewer.call('bundles.list', {})).map((r) => r.name)).toEqual(['site-docs']);
  });

  it('verifies and imports a split bundle by its parts index, joined on import; a damaged part is refused by name', async () => {
    const b = await makeBundle(work, {
      name: 'split-docs',
      kind: 'files',
      version: '1.0.0',
      files: { 'big.bin': randomBytes(2 * 1024 * 1024 + 12345) },
      signers: [alice],
      now: now(),
    });
    const partsDir = path.join(work, 'split-medium');
    const index = splitBundle(b.path, 1024 * 1024, partsDir);
    expect(index.parts.length).toBe(3);
    const found = await viewer.call('bundles.scan', { path: partsDir });
    expect(found.bundles).toEqual([
      expect.objectContaining({ path: index.indexPath, size: readFileSync(b.path).length }),
    ]);
    expect(await viewer.call('bundles.verify', { path: index.indexPath })).toMatchObject({
      verified: true,
      manifestSha256: b.manifestSha256,
    });
    const s = await admin.call('bundles.import', { path: index.indexPath });
    expect(
      readFileSync(path.join(staging(), s.manifestSha256, 'bundle.tar')).equals(readFileSync(b.path)),
    ).toBe(true);
    expect(s.source).toBe(index.indexPath);

    const second = path.join(partsDir, index.parts[1]?.file as string);
    const bytes = readFileSync(second);
    bytes[100] = (bytes[100] as number) ^ 1;
    writeFileSync(second, bytes);
    const r = await viewer.call('bundles.verify', { path: index.indexPath });
    expect(r).toMatchObject({ verified: false, reason: 'damaged-part' });
    if (!r.verified) expect(r.message).toContain(index.parts[1]?.file as string);
    rmSync(second);
    const gone = await failure(viewer.call('bundles.verify', { path: index.indexPath }));
    expect(gone.message).toBe(
      `part ${index.parts[1]?.file} of ${path.basename(b.path)} is not beside its index`,
    );
  });

  it('stages a console upgrade for the next start, and refuses a downgrade in the plan', async () => {
    const upgrade = (version: string) =>
      makeBundle(work, {
        name: 'enclave-console',
        kind: 'console-upgrade',
        version,
        files: {
          [`enclave-console-${version}-x86_64.AppImage`]: [`#!/bin/sh\necho console ${version}\n`, 0o755],
          'RELEASE-NOTES.md': `# ${version}\n`,
        },
        signers: [alice],
        now: now(),
        out: path.join(work, `console-${version}.tar`),
      });
    const old = await upgrade('0.0.1');
    const oldPlan = await admin.call('bundles.plan', { path: old.path });
    expect(oldPlan.problems).toEqual([
      `version 0.0.1 is older than the running ${__ENCLAVE_VERSION__}: downgrades are refused`,
    ]);
    const next = await upgrade('99.0.0');
    const s = await admin.call('bundles.import', { path: next.path });
    const plan = await admin.call('bundles.plan', { staged: s.manifestSha256 });
    expect(plan.problems).toEqual([]);
    expect(plan.steps[0]?.action).toBe(
      `stage console 99.0.0 (appimage) as the next version; running now: ${__ENCLAVE_VERSION__}`,
    );
    const out = await admin.call('bundles.install', {
      staged: s.manifestSha256,
      planDigest: plan.planDigest,
    });
    expect(out.installed).toBe(true);
    expect(existsSync(path.join(t.dir, 'upgrades', '99.0.0'))).toBe(true);
    expect(existsSync(path.join(t.dir, 'upgrades', 'pending.json'))).toBe(true);
    expect((await viewer.call('bundles.list', {})).find((r) => r.name === 'enclave-console')).toMatchObject({
      version: '99.0.0',
      kind: 'console-upgrade',
    });
  });

  it('asks for the registry of an oci-images bundle before it can plan a push', async () => {
    const b = await makeBundle(work, {
      name: 'images',
      kind: 'oci-images',
      version: '1.0.0',
      files: { 'index.json': '{}' },
      signers: [alice],
      now: now(),
    });
    const s = await admin.call('bundles.import', { path: b.path });
    const plan = await admin.call('bundles.plan', { staged: s.manifestSha256 });
    expect(plan.problems).toEqual(['name the registry to push the images to']);
    const e = await failure(
      admin.call('bundles.install', { staged: s.manifestSha256, planDigest: plan.planDigest }),
    );
    expect(e.message).toBe('images 1.0.0 cannot be installed: name the registry to push the images to');
    // A layout that is not one is named as such (nothing is contacted: the layout is read first).
    const bad = await admin.call('bundles.plan', {
      staged: s.manifestSha256,
      registry: 'http://127.0.0.1:9',
    });
    expect(bad.problems.join('\n')).toMatch(/^the images cannot be pushed to http:\/\/127\.0\.0\.1:9: /);
  });
});

const isRoot = process.getuid?.() === 0;
const hasTools = ['losetup', 'mkfs.ext4', 'mount', 'umount'].every(
  (x) => spawnSync('which', [x]).status === 0,
);
const loopReason = !isRoot
  ? 'not root: losetup and mount need root'
  : !hasTools
    ? 'losetup/mkfs.ext4/mount missing'
    : '';
if (loopReason) console.log(`bundles-intake: loop-mounted ext4 import skipped here: ${loopReason}`);

describe.skipIf(loopReason !== '')(
  `import from a loop-mounted ext4 image${loopReason ? ` (skipped: ${loopReason})` : ''}`,
  () => {
    it('finds, verifies and imports a bundle from the mounted medium, then verifies it after a read-only remount', async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'enclave-bundle-loop-'));
      const image = path.join(dir, 'medium.img');
      const mountPoint = path.join(dir, 'mnt');
      mkdirSync(mountPoint);
      execFileSync('truncate', ['-s', '64M', image]);
      execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', '-L', 'BUNDLES', image]);
      const device = execFileSync('losetup', ['--find', '--show', image]).toString().trim();
      execFileSync('mount', [device, mountPoint]);
      try {
        const b = await makeBundle(work, {
          name: 'usb-docs',
          kind: 'files',
          version: '3.1.0',
          files: { 'guide.txt': randomBytes(4 * 1024 * 1024).toString('base64') },
          signers: [alice],
          now: now(),
        });
        mkdirSync(path.join(mountPoint, 'bundles'));
        copyFileSync(b.path, path.join(mountPoint, 'bundles', 'usb-docs-3.1.0.tar'));
        execFileSync('umount', [mountPoint]);
        execFileSync('mount', ['-o', 'ro', device, mountPoint]);
        const found = await viewer.call('bundles.scan', { path: mountPoint });
        expect(found.bundles.map((x) => path.relative(mountPoint, x.path))).toEqual([
          'bundles/usb-docs-3.1.0.tar',
        ]);
        const onMedium = found.bundles[0]?.path as string;
        expect(await viewer.call('bundles.verify', { path: onMedium })).toMatchObject({
          verified: true,
          manifestSha256: b.manifestSha256,
        });
        const s = await admin.call('bundles.import', { path: onMedium });
        expect(s.source).toBe(onMedium);
        // Buffer.equals: toEqual walks a multi-megabyte buffer element by element.
        expect(
          readFileSync(path.join(staging(), s.manifestSha256, 'bundle.tar')).equals(readFileSync(b.path)),
        ).toBe(true);
        expect(existsSync(path.join(s.directory, 'guide.txt'))).toBe(true);
      } finally {
        spawnSync('umount', [mountPoint]);
        spawnSync('losetup', ['-d', device]);
        rmSync(dir, { recursive: true, force: true });
      }
    });
  },
);
