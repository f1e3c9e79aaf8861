/**
 * The `console-upgrade` kind: a new console package (AppImage, deb and/or rpm) and its release
 * notes, carried in as a signed bundle. After the bundle is verified and staged (offline-bundles),
 * this module
 *   - checks the payload (a package file whose name carries the bundle's version, release notes)
 *     and refuses a downgrade or the same version as the running console (checkUpgradeVersion);
 *   - copies it, hashing every byte against the signed manifest again, to
 *     `<dataDir>/upgrades/<version>/` (payload/, manifest.json, staged.json), atomically, and
 *     marks it pending (`<dataDir>/upgrades/pending.json`);
 *   - reports the running, staged and pending versions (readUpgradeStatus, for Settings);
 *   - decides at start what to do with a pending upgrade (decideUpgradeAtStart, pure): replace the
 *     AppImage the console runs from and restart, tell the operator the package-tool command for
 *     a deb/rpm install, or finish (the running console is the staged version or newer).
 *
 * How the Electron main process uses it at start (before the window; main imports core already):
 *
 *   const decision = decideFromDataDir(dataDir, __ENCLAVE_VERSION__,
 *     detectPackaging({ isPackaged: app.isPackaged, env: process.env, execPath: process.execPath }));
 *   if (decision.action === 'replace-appimage') {
 *     replaceAppImage(dataDir, decision);   // verified copy, then an atomic rename over $APPIMAGE
 *     app.relaunch(); app.exit(0); return;  // the new AppImage starts; it sees action 'finish'
 *   }
 *   if (decision.action === 'finish' || decision.action === 'failed') clearPendingUpgrade(dataDir);
 *   // and the core records decision (a ledger entry) and shows `message` in Settings.
 *
 * Electron-free (plain Node); nothing here runs the new version or installs a system package:
 * deb and rpm installs need root, which the operator's package tool has and the console has not.
 */
import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
  constants,
} from 'node:fs';
import path from 'node:path';
// Straight from the modules (not the package index): the Electron main bundle imports this file
// and must not pull in node-tar.
import { canonicalJson, compareVersions } from '../../../offline-bundles/manifest';
import type { BundleManifest } from '../../../offline-bundles/types';

export const UPGRADES_DIR = 'upgrades';
export const PENDING_FILE = 'pending.json';
const VERSION = /^(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8})){0,5}$/;
const COPY_CHUNK = 1 << 20;

export type PackageFormat = 'appimage' | 'deb' | 'rpm';

export interface ConsolePackage {
  /** Path in the bundle payload (and under `<dir>/payload/` once staged). */
  path: string;
  format: PackageFormat;
  size: number;
  sha256: string;
  /** The version in the file name (enclave-console-0.2.0-x86_64.AppImage, …_0.2.0_amd64.deb). */
  version: string;
}

export interface StagedUpgrade {
  version: string;
  /** `<dataDir>/upgrades/<version>` */
  dir: string;
  stagedAt: string;
  /** The console version that staged it. */
  stagedBy: string;
  bundle: {
    name: string;
    version: string;
    manifestSha256?: string;
    signers?: { name: string; fingerprint: string }[];
  };
  packages: ConsolePackage[];
  /** Payload path of the release notes. */
  releaseNotes: string;
}

export interface PendingUpgrade {
  version: string;
  dir: string;
  /** When a start tried to install it (AppImage replacement); a second start after that gives up. */
  attemptedAt?: string;
  attemptedFrom?: string;
}

export class ConsoleUpgradeError extends Error {
  constructor(
    readonly reason:
      | 'wrong-kind'
      | 'downgrade'
      | 'same-version'
      | 'bad-version'
      | 'no-package'
      | 'no-release-notes'
      | 'version-mismatch'
      | 'file-mismatch'
      | 'not-staged',
    message: string,
  ) {
    super(message);
    this.name = 'ConsoleUpgradeError';
  }
}

// ---------------------------------------------------------------------------------------------
// Pure checks

/** Refuses a downgrade or the same version: the candidate must be newer than what runs. */
export function checkUpgradeVersion(
  running: string,
  candidate: string,
): { ok: true } | { ok: false; reason: 'downgrade' | 'same-version' | 'bad-version'; message: string } {
  if (!VERSION.test(candidate)) {
    return {
      ok: false,
      reason: 'bad-version',
      message: `version ${candidate} is not dotted numbers such as 0.2.0`,
    };
  }
  if (!VERSION.test(running)) {
    return {
      ok: false,
      reason: 'bad-version',
      message: `the running version ${running} is not dotted numbers`,
    };
  }
  const c = compareVersions(candidate, running);
  if (c === 0)
    return { ok: false, reason: 'same-version', message: `version ${candidate} is the version running now` };
  if (c < 0) {
    return {
      ok: false,
      reason: 'downgrade',
      message: `version ${candidate} is older than the running ${running}: downgrades are refused`,
    };
  }
  return { ok: true };
}

const PACKAGE_PATTERNS: [PackageFormat, RegExp][] = [
  ['appimage', /^enclave-console-(\d+(?:\.\d+)*)-[A-Za-z0-9_]+\.AppImage$/],
  ['deb', /^enclave-console_(\d+(?:\.\d+)*)_[A-Za-z0-9]+\.deb$/],
  ['rpm', /^enclave-console-(\d+(?:\.\d+)*)\.[A-Za-z0-9_]+\.rpm$/],
];
const NOTES = /^(release-notes|RELEASE-NOTES|RELEASE_NOTES|CHANGELOG)(\.(md|txt))?$/;

/**
 * Pure: the packages and release notes in a console-upgrade manifest, or the reason it is not
 * one. Package files sit at the top of the payload and are named as `npm run package` names them.
 */
export function consoleUpgradePayload(manifest: Pick<BundleManifest, 'kind' | 'version' | 'files'>): {
  packages: ConsolePackage[];
  releaseNotes: string;
} {
  if (manifest.kind !== 'console-upgrade') {
    throw new ConsoleUpgradeError('wrong-kind', `a ${manifest.kind} bundle is not a console upgrade`);
  }
  if (!VERSION.test(manifest.version)) {
    throw new ConsoleUpgradeError(
      'bad-version',
      `version ${manifest.version} is not dotted numbers such as 0.2.0`,
    );
  }
  const packages: ConsolePackage[] = [];
  let releaseNotes: string | undefined;
  for (const f of manifest.files) {
    if (f.path.includes('/')) continue;
    for (const [format, re] of PACKAGE_PATTERNS) {
      const m = re.exec(f.path);
      if (!m) continue;
      const version = m[1]!;
      if (compareVersions(version, manifest.version) !== 0) {
        throw new ConsoleUpgradeError(
          'version-mismatch',
          `${f.path} is version ${version}, the bundle says ${manifest.version}`,
        );
      }
      packages.push({ path: f.path, format, size: f.size, sha256: f.sha256, version });
    }
    if (NOTES.test(f.path)) releaseNotes ??= f.path;
  }
  if (packages.length === 0) {
    throw new ConsoleUpgradeError(
      'no-package',
      'the bundle holds no console package (enclave-console-<version>-<arch>.AppImage, enclave-console_<version>_<arch>.deb or enclave-console-<version>.<arch>.rpm)',
    );
  }
  if (!releaseNotes)
    throw new ConsoleUpgradeError('no-release-notes', 'the bundle holds no RELEASE-NOTES.md');
  return { packages, releaseNotes };
}

/** How the running console was installed; from Electron's `app.isPackaged`, env and execPath. */
export type Packaging =
  | { kind: 'appimage'; appImagePath: string }
  | { kind: 'system-package'; execPath: string }
  | { kind: 'unpackaged' };

export function detectPackaging(input: {
  isPackaged: boolean;
  env: Record<string, string | undefined>;
  execPath: string;
}): Packaging {
  if (!input.isPackaged) return { kind: 'unpackaged' };
  // The AppImage runtime sets APPIMAGE to the image's own path for the process it starts.
  const appImage = input.env.APPIMAGE;
  if (appImage && path.isAbsolute(appImage) && /\.AppImage$/i.test(appImage)) {
    return { kind: 'appimage', appImagePath: appImage };
  }
  return { kind: 'system-package', execPath: input.execPath };
}

export type StartDecision =
  | { action: 'none'; message?: string }
  /** The running console is the pending version or newer: the upgrade is done; clear it. */
  | { action: 'finish'; version: string; runningVersion: string; message: string }
  /** A replacement was tried at the last start and this is still the old version: give up. */
  | { action: 'failed'; version: string; runningVersion: string; message: string }
  | {
      action: 'replace-appimage';
      version: string;
      runningVersion: string;
      /** The staged AppImage. */
      source: string;
      sha256: string;
      size: number;
      /** The AppImage this console runs from ($APPIMAGE), replaced by an atomic rename. */
      target: string;
      message: string;
    }
  /** deb/rpm: the operator installs it with the package tool (root); the console cannot. */
  | { action: 'package-tool'; version: string; runningVersion: string; commands: string[]; message: string };

/**
 * Pure: what a starting console does with a pending upgrade. `staged` is the pending version's
 * staged.json (readStagedUpgrade), null when the pending entry points at nothing usable.
 */
export function decideUpgradeAtStart(input: {
  runningVersion: string;
  pending: PendingUpgrade | null;
  staged: StagedUpgrade | null;
  packaging: Packaging;
}): StartDecision {
  const { runningVersion, pending, staged, packaging } = input;
  if (!pending) return { action: 'none' };
  const base = { version: pending.version, runningVersion };
  if (VERSION.test(runningVersion) && compareVersions(runningVersion, pending.version) >= 0) {
    return {
      action: 'finish',
      ...base,
      message: `console ${runningVersion} is running; the upgrade to ${pending.version} is complete`,
    };
  }
  if (!staged || staged.version !== pending.version) {
    return {
      action: 'failed',
      ...base,
      message: `the staged upgrade ${pending.version} is missing from the data directory; import the bundle again`,
    };
  }
  if (pending.attemptedAt) {
    return {
      action: 'failed',
      ...base,
      message: `the upgrade to ${pending.version} was tried at ${pending.attemptedAt} but ${runningVersion} is still running; install it with the package tool, or import the bundle again`,
    };
  }
  const payload = (p: ConsolePackage) => path.join(staged.dir, 'payload', p.path);
  if (packaging.kind === 'appimage') {
    const image = staged.packages.find((p) => p.format === 'appimage');
    if (image) {
      return {
        action: 'replace-appimage',
        ...base,
        source: payload(image),
        sha256: image.sha256,
        size: image.size,
        target: packaging.appImagePath,
        message: `replacing ${packaging.appImagePath} with console ${pending.version}, then restarting`,
      };
    }
  }
  if (packaging.kind === 'unpackaged') {
    return {
      action: 'none',
      message: `console ${pending.version} is staged; a development build does not install it`,
    };
  }
  const commands = staged.packages.flatMap((p) =>
    p.format === 'deb'
      ? [`sudo apt install ${payload(p)}`]
      : p.format === 'rpm'
        ? [`sudo dnf install ${payload(p)}`]
        : [`install -m 0755 ${payload(p)} <where the AppImage lives>`],
  );
  return {
    action: 'package-tool',
    ...base,
    commands,
    message: `console ${pending.version} is staged; install it with the package tool, then restart the console`,
  };
}

// ---------------------------------------------------------------------------------------------
// The data directory

const upgradesDir = (dataDir: string) => path.join(dataDir, UPGRADES_DIR);

function writeFileAtomic(file: string, data: string | Buffer, mode = 0o600): void {
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fd = openSync(tmp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(tmp, file);
}

/** Copies `from` to a new file `to`, hashing what it copies; returns the size and SHA-256. */
function copyHashed(from: string, to: string, mode: number): { size: number; sha256: string } {
  const st = lstatSync(from);
  if (!st.isFile()) throw new ConsoleUpgradeError('file-mismatch', `${from} is not a regular file`);
  const src = openSync(from, constants.O_RDONLY | constants.O_NOFOLLOW);
  const dst = openSync(
    to,
    constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
    0o600,
  );
  const hash = createHash('sha256');
  const buf = Buffer.allocUnsafe(COPY_CHUNK);
  let size = 0;
  try {
    for (;;) {
      const n = readSync(src, buf, 0, buf.length, null);
      if (n === 0) break;
      hash.update(buf.subarray(0, n));
      let off = 0;
      while (off < n) off += writeSync(dst, buf, off, n - off);
      size += n;
    }
    fsyncSync(dst);
  } finally {
    closeSync(src);
    closeSync(dst);
  }
  chmodSync(to, mode);
  return { size, sha256: hash.digest('hex') };
}

export interface StageOptions {
  dataDir: string;
  /** The console version running now (__ENCLAVE_VERSION__). */
  runningVersion: string;
  /** The verified bundle's staged payload (offline-bundles' `<stagingDir>/<name>-<version>`). */
  stagedPayloadDir: string;
  manifest: BundleManifest;
  /** The signed manifest.json bytes, kept beside the staged upgrade (else its canonical JSON). */
  manifestBytes?: Buffer;
  manifestSha256?: string;
  signers?: { name: string; fingerprint: string }[];
  now?: Date;
}

/**
 * Stages a verified console-upgrade bundle as the next version: `<dataDir>/upgrades/<version>/`
 * and pending.json. Refuses a downgrade or the same version, a payload that is not a console
 * upgrade, and any file that no longer matches the signed manifest (nothing is left behind then).
 */
export function stageConsoleUpgrade(o: StageOptions): StagedUpgrade {
  const { packages, releaseNotes } = consoleUpgradePayload(o.manifest);
  const version = o.manifest.version;
  const check = checkUpgradeVersion(o.runningVersion, version);
  if (!check.ok) throw new ConsoleUpgradeError(check.reason, check.message);

  const root = upgradesDir(o.dataDir);
  mkdirSync(root, { recursive: true, mode: 0o700 });
  const incoming = path.join(root, `.incoming-${process.pid}-${randomBytes(6).toString('hex')}`);
  mkdirSync(path.join(incoming, 'payload'), { recursive: true, mode: 0o700 });
  try {
    const wanted = new Set([...packages.map((p) => p.path), releaseNotes]);
    for (const f of o.manifest.files) {
      if (!wanted.has(f.path)) continue; // SBOMs and other files stay in the bundle staging area
      const mode = f.path.endsWith('.AppImage') ? 0o755 : 0o644;
      const got = copyHashed(
        path.join(o.stagedPayloadDir, ...f.path.split('/')),
        path.join(incoming, 'payload', f.path),
        mode,
      );
      if (got.size !== f.size || got.sha256 !== f.sha256) {
        throw new ConsoleUpgradeError(
          'file-mismatch',
          `${f.path} is ${got.size} bytes with SHA-256 ${got.sha256}; the signed manifest says ${f.size} bytes, ${f.sha256}`,
        );
      }
    }
    writeFileSync(path.join(incoming, 'manifest.json'), o.manifestBytes ?? canonicalJson(o.manifest), {
      mode: 0o600,
    });
    const final = path.join(root, version);
    const staged: StagedUpgrade = {
      version,
      dir: final,
      stagedAt: (o.now ?? new Date()).toISOString(),
      stagedBy: o.runningVersion,
      bundle: {
        name: o.manifest.name,
        version,
        ...(o.manifestSha256 ? { manifestSha256: o.manifestSha256 } : {}),
        ...(o.signers ? { signers: o.signers } : {}),
      },
      packages,
      releaseNotes,
    };
    writeFileSync(path.join(incoming, 'staged.json'), `${JSON.stringify(staged, null, 2)}\n`, {
      mode: 0o600,
    });
    // Replace an earlier staging of the same version whole.
    let old: string | undefined;
    if (existsSync(final)) {
      old = path.join(root, `.replaced-${process.pid}-${randomBytes(6).toString('hex')}`);
      renameSync(final, old);
    }
    renameSync(incoming, final);
    if (old) rmSync(old, { recursive: true, force: true });
    const pending: PendingUpgrade = { version, dir: final };
    writeFileAtomic(path.join(root, PENDING_FILE), `${JSON.stringify(pending, null, 2)}\n`);
    return staged;
  } catch (error) {
    rmSync(incoming, { recursive: true, force: true });
    throw error;
  }
}

/** The staged.json of `<dataDir>/upgrades/<version>`, or null. */
export function readStagedUpgrade(dataDir: string, version: string): StagedUpgrade | null {
  if (!VERSION.test(version)) return null;
  try {
    const staged = JSON.parse(
      readFileSync(path.join(upgradesDir(dataDir), version, 'staged.json'), 'utf8'),
    ) as StagedUpgrade;
    return staged.version === version ? staged : null;
  } catch {
    return null;
  }
}

export function readPendingUpgrade(dataDir: string): PendingUpgrade | null {
  try {
    const p = JSON.parse(
      readFileSync(path.join(upgradesDir(dataDir), PENDING_FILE), 'utf8'),
    ) as PendingUpgrade;
    return typeof p.version === 'string' && VERSION.test(p.version) ? p : null;
  } catch {
    return null;
  }
}

export function clearPendingUpgrade(dataDir: string): void {
  rmSync(path.join(upgradesDir(dataDir), PENDING_FILE), { force: true });
}

export interface UpgradeStatus {
  running: string;
  /** Every staged version, newest first. */
  staged: {
    version: string;
    stagedAt: string;
    packages: PackageFormat[];
    releaseNotes: string;
    dir: string;
  }[];
  pending: (PendingUpgrade & { newer: boolean }) | null;
}

/** The running, staged and pending versions (Settings, and the ledger entry at start). */
export function readUpgradeStatus(dataDir: string, runningVersion: string): UpgradeStatus {
  const root = upgradesDir(dataDir);
  const staged: UpgradeStatus['staged'] = [];
  if (existsSync(root)) {
    for (const name of readdirSync(root)) {
      if (!VERSION.test(name) || !statSync(path.join(root, name)).isDirectory()) continue;
      const s = readStagedUpgrade(dataDir, name);
      if (s) {
        staged.push({
          version: s.version,
          stagedAt: s.stagedAt,
          packages: s.packages.map((p) => p.format),
          releaseNotes: path.join(s.dir, 'payload', s.releaseNotes),
          dir: s.dir,
        });
      }
    }
  }
  staged.sort((a, b) => compareVersions(b.version, a.version));
  const pending = readPendingUpgrade(dataDir);
  return {
    running: runningVersion,
    staged,
    pending: pending ? { ...pending, newer: compareVersions(pending.version, runningVersion) > 0 } : null,
  };
}

/** The start decision from the data directory (reads pending.json and its staged.json). */
export function decideFromDataDir(
  dataDir: string,
  runningVersion: string,
  packaging: Packaging,
): StartDecision {
  const pending = readPendingUpgrade(dataDir);
  return decideUpgradeAtStart({
    runningVersion,
    pending,
    staged: pending ? readStagedUpgrade(dataDir, pending.version) : null,
    packaging,
  });
}

/**
 * Carries out a `replace-appimage` decision: copies the staged AppImage beside the target (same
 * filesystem), checks its SHA-256 against the signed manifest, makes it executable and renames it
 * over the target (the running process keeps its open image). Records the attempt in pending.json
 * first, so a replacement that does not come up as the new version is not tried again.
 */
export function replaceAppImage(
  dataDir: string,
  d: Extract<StartDecision, { action: 'replace-appimage' }>,
  now = new Date(),
): void {
  const pending = readPendingUpgrade(dataDir);
  if (!pending || pending.version !== d.version) {
    throw new ConsoleUpgradeError('not-staged', `console ${d.version} is not the pending upgrade`);
  }
  writeFileAtomic(
    path.join(upgradesDir(dataDir), PENDING_FILE),
    `${JSON.stringify({ ...pending, attemptedAt: now.toISOString(), attemptedFrom: d.runningVersion }, null, 2)}\n`,
  );
  const tmp = path.join(
    path.dirname(d.target),
    `.${path.basename(d.target)}.${randomBytes(6).toString('hex')}.new`,
  );
  try {
    const got = copyHashed(d.source, tmp, 0o755);
    if (got.size !== d.size || got.sha256 !== d.sha256) {
      throw new ConsoleUpgradeError(
        'file-mismatch',
        `the staged ${path.basename(d.source)} is ${got.size} bytes with SHA-256 ${got.sha256}; the signed manifest says ${d.size}, ${d.sha256}`,
      );
    }
    renameSync(tmp, d.target);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  }
}
