/**
 * The console-upgrade kind (electron/core/bundles/console-upgrade.ts): the pure checks and start
 * decision with tables of cases, and staging for real: a console-upgrade bundle built, signed and
 * verified with offline-bundles (the same code `enclave bundle` runs), staged under a temp data
 * dir, then the AppImage replacement a start performs, on plain files. Electron is not involved:
 * relaunching is the main process's one call after replaceAppImage.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildBundle,
  generateSigningKey,
  readManifestBytes,
  signBundle,
  verifyBundle,
  type BundleManifest,
  type VerifiedBundle,
} from '../../offline-bundles';
import {
  checkUpgradeVersion,
  clearPendingUpgrade,
  consoleUpgradePayload,
  decideFromDataDir,
  decideUpgradeAtStart,
  detectPackaging,
  readPendingUpgrade,
  readStagedUpgrade,
  readUpgradeStatus,
  replaceAppImage,
  stageConsoleUpgrade,
  type StagedUpgrade,
} from '../../electron/core/bundles/console-upgrade';

const running = __ENCLAVE_VERSION__;
const bump = (v: string, part: 0 | 1 | 2) =>
  v
    .split('.')
    .map((n, i) => (i === part ? Number(n) + 1 : i > part ? 0 : Number(n)))
    .join('.');
const next = bump(running, 1);
const tmp = mkdtempSync(path.join(tmpdir(), 'enclave-upgrade-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('version checks', () => {
  it.each([
    [running, next, true, undefined],
    [running, bump(running, 0), true, undefined],
    [running, bump(running, 2), true, undefined],
    [running, running, false, 'same-version'],
    ['2.4.0', '2.4', false, 'same-version'],
    ['2.4.0', '2.3.9', false, 'downgrade'],
    ['2.10.0', '2.9.0', false, 'downgrade'],
    ['2.9.0', '2.10.0', true, undefined],
    ['2.4.0', '2.5.0-rc1', false, 'bad-version'],
  ])('running %s, bundle %s: ok %s', (from, to, ok, reason) => {
    const r = checkUpgradeVersion(from, to);
    expect(r.ok).toBe(ok);
    if (!r.ok) expect(r.reason).toBe(reason);
  });
});

const manifestOf = (version: string, files: [string, number][], kind = 'console-upgrade') =>
  ({
    formatVersion: 1,
    name: 'enclave-console',
    kind,
    version,
    created: '2026-11-30T00:00:00Z',
    expires: '2027-02-28T00:00:00Z',
    files: files.map(([p, size]) => ({ path: p, size, sha256: 'a'.repeat(64), mode: 0o644 })),
  }) as BundleManifest;

describe('what a console-upgrade payload must hold', () => {
  it('finds the packages and the release notes', () => {
    const r = consoleUpgradePayload(
      manifestOf('0.2.0', [
        ['RELEASE-NOTES.md', 10],
        ['enclave-console-0.2.0-x86_64.AppImage', 100],
        ['enclave-console-0.2.0.x86_64.rpm', 80],
        ['enclave-console_0.2.0_amd64.deb', 90],
        ['sbom/console.spdx.json', 5],
      ]),
    );
    expect(r.releaseNotes).toBe('RELEASE-NOTES.md');
    expect(r.packages.map((p) => `${p.format} ${p.version}`)).toEqual([
      'appimage 0.2.0',
      'rpm 0.2.0',
      'deb 0.2.0',
    ]);
  });

  it.each([
    ['files kind', manifestOf('0.2.0', [['RELEASE-NOTES.md', 1]], 'files'), 'wrong-kind'],
    ['no package', manifestOf('0.2.0', [['RELEASE-NOTES.md', 1]]), 'no-package'],
    ['no notes', manifestOf('0.2.0', [['enclave-console_0.2.0_amd64.deb', 1]]), 'no-release-notes'],
    [
      'a package of another version',
      manifestOf('0.2.0', [
        ['RELEASE-NOTES.md', 1],
        ['enclave-console-0.3.0-x86_64.AppImage', 1],
      ]),
      'version-mismatch',
    ],
    [
      'a package in a subdirectory only',
      manifestOf('0.2.0', [
        ['RELEASE-NOTES.md', 1],
        ['x/enclave-console_0.2.0_amd64.deb', 1],
      ]),
      'no-package',
    ],
  ])('refuses %s', (_what, manifest, reason) => {
    expect(() => consoleUpgradePayload(manifest)).toThrow(expect.objectContaining({ reason }) as Error);
  });
});

describe('how the console was installed', () => {
  it.each([
    [
      { isPackaged: false, env: { APPIMAGE: '/opt/x.AppImage' }, execPath: '/usr/bin/electron' },
      'unpackaged',
    ],
    [
      {
        isPackaged: true,
        env: { APPIMAGE: '/home/op/Enclave.AppImage' },
        execPath: '/tmp/.mount_x/enclave-console',
      },
      'appimage',
    ],
    [
      {
        isPackaged: true,
        env: { APPIMAGE: 'relative.AppImage' },
        execPath: '/opt/Enclave Console/enclave-console',
      },
      'system-package',
    ],
    [{ isPackaged: true, env: {}, execPath: '/opt/Enclave Console/enclave-console' }, 'system-package'],
  ])('%j is %s', (input, kind) => {
    expect(detectPackaging(input).kind).toBe(kind);
  });
});

describe('the start decision', () => {
  const staged: StagedUpgrade = {
    version: '0.3.0',
    dir: '/data/upgrades/0.3.0',
    stagedAt: '2026-11-30T00:00:00.000Z',
    stagedBy: '0.2.0',
    bundle: { name: 'enclave-console', version: '0.3.0' },
    packages: [
      {
        path: 'enclave-console-0.3.0-x86_64.AppImage',
        format: 'appimage',
        size: 5,
        sha256: 'b'.repeat(64),
        version: '0.3.0',
      },
      {
        path: 'enclave-console_0.3.0_amd64.deb',
        format: 'deb',
        size: 4,
        sha256: 'c'.repeat(64),
        version: '0.3.0',
      },
    ],
    releaseNotes: 'RELEASE-NOTES.md',
  };
  const pending = { version: '0.3.0', dir: '/data/upgrades/0.3.0' };
  const appimage = { kind: 'appimage', appImagePath: '/home/op/Enclave.AppImage' } as const;
  const system = { kind: 'system-package', execPath: '/opt/Enclave Console/enclave-console' } as const;

  it.each([
    [
      'nothing pending',
      { runningVersion: '0.2.0', pending: null, staged: null, packaging: appimage },
      'none',
    ],
    [
      'AppImage, staged newer',
      { runningVersion: '0.2.0', pending, staged, packaging: appimage },
      'replace-appimage',
    ],
    ['deb/rpm install', { runningVersion: '0.2.0', pending, staged, packaging: system }, 'package-tool'],
    [
      'development run',
      { runningVersion: '0.2.0', pending, staged, packaging: { kind: 'unpackaged' } as const },
      'none',
    ],
    ['already upgraded', { runningVersion: '0.3.0', pending, staged, packaging: appimage }, 'finish'],
    ['newer than staged', { runningVersion: '0.4.0', pending, staged, packaging: system }, 'finish'],
    [
      'tried once, still old',
      { runningVersion: '0.2.0', pending: { ...pending, attemptedAt: 'x' }, staged, packaging: appimage },
      'failed',
    ],
    ['staged files gone', { runningVersion: '0.2.0', pending, staged: null, packaging: appimage }, 'failed'],
    [
      'AppImage without an AppImage staged',
      {
        runningVersion: '0.2.0',
        pending,
        staged: { ...staged, packages: [staged.packages[1]!] },
        packaging: appimage,
      },
      'package-tool',
    ],
  ])('%s → %s', (_what, input, action) => {
    expect(decideUpgradeAtStart(input).action).toBe(action);
  });

  it('replacing an AppImage names the staged file, its digest and the running image', () => {
    const d = decideUpgradeAtStart({ runningVersion: '0.2.0', pending, staged, packaging: appimage });
    expect(d).toMatchObject({
      action: 'replace-appimage',
      source: '/data/upgrades/0.3.0/payload/enclave-console-0.3.0-x86_64.AppImage',
      target: '/home/op/Enclave.AppImage',
      sha256: 'b'.repeat(64),
      size: 5,
    });
  });

  it('a deb/rpm install gets the package-tool commands', () => {
    const d = decideUpgradeAtStart({ runningVersion: '0.2.0', pending, staged, packaging: system });
    expect(d.action === 'package-tool' && d.commands).toEqual([
      'install -m 0755 /data/upgrades/0.3.0/payload/enclave-console-0.3.0-x86_64.AppImage <where the AppImage lives>',
      'sudo apt install /data/upgrades/0.3.0/payload/enclave-console_0.3.0_amd64.deb',
    ]);
  });
});

/** A console-upgrade bundle built, signed and verified with offline-bundles, staged for install. */
async function verifiedBundle(version: string, name = `b-${version}`) {
  const source = path.join(tmp, name, 'source');
  mkdirSync(source, { recursive: true });
  const appImage = randomBytes(300_000);
  writeFileSync(path.join(source, `enclave-console-${version}-x86_64.AppImage`), appImage, { mode: 0o755 });
  writeFileSync(path.join(source, `enclave-console_${version}_amd64.deb`), randomBytes(100_000));
  writeFileSync(path.join(source, 'RELEASE-NOTES.md'), `# Enclave Console ${version}\n\n- better things\n`);
  const keys = path.join(tmp, name, 'keys');
  const key = generateSigningKey(keys, 'release-1');
  const out = path.join(tmp, name, `enclave-console-${version}.bundle.tar`);
  await buildBundle({ source, name: 'enclave-console', kind: 'console-upgrade', version, out });
  await signBundle(out, { signer: 'release-1', privateKeyPath: key.privateKeyPath });
  const verified: VerifiedBundle = await verifyBundle(out, {
    trust: {
      signers: [{ name: 'release-1', publicKey: key.publicKey }],
      thresholds: { 'console-upgrade': 1 },
    },
    stagingDir: path.join(tmp, name, 'staging'),
  });
  return { verified, manifestBytes: readManifestBytes(out), appImage };
}

describe('staging a verified bundle', () => {
  const dataDir = path.join(tmp, 'data');
  let bundle: Awaited<ReturnType<typeof verifiedBundle>>;
  beforeAll(async () => {
    mkdirSync(dataDir, { mode: 0o700 });
    bundle = await verifiedBundle(next);
  });
  const stage = (b: typeof bundle, runningVersion = running) =>
    stageConsoleUpgrade({
      dataDir,
      runningVersion,
      stagedPayloadDir: b.verified.stagedAt!,
      manifest: b.verified.manifest,
      manifestBytes: b.manifestBytes,
      manifestSha256: b.verified.manifestSha256,
      signers: b.verified.signers,
    });

  it('stages it under <dataDir>/upgrades/<version> with the signed manifest, and marks it pending', () => {
    const staged = stage(bundle);
    const dir = path.join(dataDir, 'upgrades', next);
    expect(staged.dir).toBe(dir);
    expect(readdirSync(dir).sort()).toEqual(['manifest.json', 'payload', 'staged.json']);
    expect(readFileSync(path.join(dir, 'manifest.json'))).toEqual(bundle.manifestBytes);
    const image = path.join(dir, 'payload', `enclave-console-${next}-x86_64.AppImage`);
    expect(sha(readFileSync(image))).toBe(sha(bundle.appImage));
    expect(statSync(image).mode & 0o777).toBe(0o755);
    expect(statSync(path.join(dir, 'payload', 'RELEASE-NOTES.md')).mode & 0o777).toBe(0o644);
    expect(staged.bundle.signers?.map((s) => s.name)).toEqual(['release-1']);
    expect(readStagedUpgrade(dataDir, next)).toEqual(staged);
    expect(readPendingUpgrade(dataDir)).toEqual({ version: next, dir });
    const status = readUpgradeStatus(dataDir, running);
    expect(status.running).toBe(running);
    expect(status.pending).toMatchObject({ version: next, newer: true });
    expect(status.staged).toEqual([
      expect.objectContaining({
        version: next,
        packages: ['appimage', 'deb'],
        releaseNotes: path.join(dir, 'payload', 'RELEASE-NOTES.md'),
      }),
    ]);
    // Nothing half-done left beside it.
    expect(readdirSync(path.join(dataDir, 'upgrades')).sort()).toEqual([next, 'pending.json']);
  });

  it('refuses the running version and a downgrade, leaving the data dir as it was', () => {
    const before = readdirSync(path.join(dataDir, 'upgrades')).sort();
    expect(() => stage(bundle, next)).toThrow(expect.objectContaining({ reason: 'same-version' }) as Error);
    expect(() => stage(bundle, bump(next, 0))).toThrow(
      expect.objectContaining({
        reason: 'downgrade',
        message: expect.stringMatching(/downgrades are refused/),
      }) as Error,
    );
    expect(readdirSync(path.join(dataDir, 'upgrades')).sort()).toEqual(before);
  });

  it('refuses a staged file changed since verification, and leaves nothing of it', async () => {
    const later = bump(next, 1);
    const b = await verifiedBundle(later);
    const notes = path.join(b.verified.stagedAt!, 'RELEASE-NOTES.md');
    writeFileSync(notes, readFileSync(notes, 'utf8').replace('better', 'bitter'));
    expect(() => stage(b)).toThrow(expect.objectContaining({ reason: 'file-mismatch' }) as Error);
    expect(readdirSync(path.join(dataDir, 'upgrades')).sort()).toEqual([next, 'pending.json']);
    expect(readPendingUpgrade(dataDir)?.version).toBe(next);
  });

  it('a newer bundle becomes the pending one; Settings lists both, newest first', async () => {
    const later = bump(next, 2);
    stage(await verifiedBundle(later, 'later'));
    const status = readUpgradeStatus(dataDir, running);
    expect(status.staged.map((s) => s.version)).toEqual([later, next]);
    expect(status.pending?.version).toBe(later);
  });

  it('installs on the next start: the AppImage replaced (verified copy, atomic rename), then finished', () => {
    const target = path.join(tmp, 'apps', 'Enclave_Console.AppImage');
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, 'the old console', { mode: 0o755 });
    const packaging = detectPackaging({
      isPackaged: true,
      env: { APPIMAGE: target },
      execPath: '/tmp/.mount/x',
    });
    const pending = readPendingUpgrade(dataDir)!;
    const d = decideFromDataDir(dataDir, running, packaging);
    expect(d.action).toBe('replace-appimage');
    if (d.action !== 'replace-appimage') return;
    replaceAppImage(dataDir, d, new Date('2026-11-30T10:00:00Z'));
    const staged = readStagedUpgrade(dataDir, pending.version)!;
    expect(sha(readFileSync(target))).toBe(staged.packages.find((p) => p.format === 'appimage')!.sha256);
    expect(statSync(target).mode & 0o777).toBe(0o755);
    expect(readdirSync(path.dirname(target))).toEqual(['Enclave_Console.AppImage']);
    expect(readPendingUpgrade(dataDir)).toMatchObject({
      attemptedAt: '2026-11-30T10:00:00.000Z',
      attemptedFrom: running,
    });
    // Still the old version after that start: not tried again.
    expect(decideFromDataDir(dataDir, running, packaging).action).toBe('failed');
    // The new version starts: done; the pending mark is cleared.
    const done = decideFromDataDir(dataDir, pending.version, packaging);
    expect(done).toMatchObject({ action: 'finish', version: pending.version });
    clearPendingUpgrade(dataDir);
    expect(readPendingUpgrade(dataDir)).toBeNull();
    expect(readUpgradeStatus(dataDir, pending.version).pending).toBeNull();
  });

  it('a staged AppImage changed on disk is not installed, and the running one is untouched', async () => {
    const data2 = path.join(tmp, 'data2');
    mkdirSync(data2, { mode: 0o700 });
    const b = await verifiedBundle(next, 'again');
    stageConsoleUpgrade({
      dataDir: data2,
      runningVersion: running,
      stagedPayloadDir: b.verified.stagedAt!,
      manifest: b.verified.manifest,
    });
    const staged = readStagedUpgrade(data2, next)!;
    const image = path.join(staged.dir, 'payload', staged.packages[0]!.path);
    writeFileSync(image, randomBytes(300_000));
    const target = path.join(tmp, 'apps2', 'Enclave.AppImage');
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, 'the old console');
    const d = decideFromDataDir(data2, running, { kind: 'appimage', appImagePath: target });
    if (d.action !== 'replace-appimage') throw new Error(d.action);
    expect(() => replaceAppImage(data2, d)).toThrow(
      expect.objectContaining({ reason: 'file-mismatch' }) as Error,
    );
    expect(readFileSync(target, 'utf8')).toBe('the old console');
    expect(readdirSync(path.dirname(target))).toEqual(['Enclave.AppImage']);
    expect(existsSync(path.join(data2, 'upgrades', next, 'manifest.json'))).toBe(true);
  });
});
