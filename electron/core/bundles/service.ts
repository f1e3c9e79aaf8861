// Bundle intake and install (design.md §4): verify in place, import into the staging area with
// re-verification in the same streaming pass, plan per kind (pure planners fed by dry runs),
// install with a plan digest check, record what is installed (rollback protection reads it).
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream, existsSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import type {
  BundlePlan,
  PlanStep,
  StagedBundle,
  TargetResult,
  VerifyProgress,
  VerifyResult,
} from '../../../shared/api';
import { ConsoleError } from '../../../shared/errors';
import {
  BundleRefusal,
  verifyBundle,
  type BundleManifest,
  type VerifiedBundle,
} from '../../../offline-bundles';
import type { Clock } from '../clock';
import type { ClusterService } from '../clusters/service';
import type { HostInventory } from '../hosts';
import type { Db } from '../store';
import { compareVersions } from '../../../offline-bundles/manifest';
import { installedVersion, listStaged, recordInstall, stagingRoot } from './index';
import { dryRunHosts, installOnHosts } from './host-packages';
import {
  checkUpgradeVersion,
  ConsoleUpgradeError,
  consoleUpgradePayload,
  stageConsoleUpgrade,
} from './console-upgrade';
import { findOciLayout, OciError, planOciLayoutPush, pushOciLayout } from './oci';
import { applyObjects, dryRunObjects } from './k8s';
import {
  bundlePlanDigest,
  hostPackagesLayout,
  parseManifestObjects,
  planFiles,
  planHostPackages,
  planK8sSteps,
  planOciSteps,
  kindRefusal,
  unsupportedKind,
  type InstallTargets,
} from './plan';
import { bundleSource, type BundleSource } from './source';
import { thresholdFor, trustStoreOf } from './trust';

type Emit<E> = (event: E) => void;
type InstallEvent = { target: string; phase: 'started' | 'done' | 'failed'; detail: string };

const PROGRESS_INTERVAL_MS = 100;

/** Bytes → bytes, rate and ETA, at most ~10 events a second plus the last. */
export function progressMeter(
  phase: VerifyProgress['phase'],
  totalBytes: number,
  emit: Emit<VerifyProgress> | undefined,
  now: () => number = () => performance.now(),
) {
  const started = now();
  let last = -Infinity;
  return (bytes: number, final = false) => {
    if (!emit) return;
    const t = now();
    if (!final && t - last < PROGRESS_INTERVAL_MS) return;
    last = t;
    const seconds = (t - started) / 1000;
    const rate = seconds > 0 ? bytes / seconds : 0;
    emit({
      phase,
      bytes,
      totalBytes,
      rate: Math.round(rate),
      etaSeconds: rate > 0 ? Math.max(0, (totalBytes - bytes) / rate) : null,
    });
  };
}

interface StagedRow {
  manifest_sha256: string;
  name: string;
  kind: string;
  version: string;
  manifest: string;
  signers: string;
  source: string;
  bytes: number;
  staged_by: string;
  staged_at: string;
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

const refusalMessage = (e: BundleRefusal) => `the bundle was refused (${e.reason}): ${e.message}`;

export class BundleService {
  constructor(
    private readonly deps: {
      db: Db;
      dataDir: string;
      clock: Clock;
      hosts: HostInventory;
      clusters: ClusterService;
      /** The console version running (console-upgrade refuses it and older ones). */
      runningVersion?: string;
    },
  ) {}

  private get runningVersion(): string {
    return this.deps.runningVersion ?? __ENCLAVE_VERSION__;
  }

  private get root() {
    return stagingRoot(this.deps.dataDir);
  }

  private verifyOptions(signal: AbortSignal | undefined) {
    return {
      trust: trustStoreOf(this.deps.db),
      installedVersion: (name: string) => installedVersion(this.deps.db, name),
      now: this.deps.clock.now(),
      ...(signal ? { signal } : {}),
    };
  }

  /** Verifies where the file lies; a refusal is a result (and so a ledger entry), not an error. */
  async verify(
    file: string,
    options: { signal?: AbortSignal; emit?: Emit<VerifyProgress> } = {},
  ): Promise<VerifyResult> {
    const src = bundleSource(file);
    const meter = progressMeter('verifying', src.total, options.emit);
    const started = performance.now();
    try {
      const v = await verifyBundle(src.open(), {
        ...this.verifyOptions(options.signal),
        onProgress: ({ bytes }) => meter(bytes),
      });
      meter(v.bytes, true);
      return {
        verified: true,
        path: file,
        manifest: v.manifest,
        manifestSha256: v.manifestSha256,
        signers: v.signers,
        threshold: thresholdFor(this.deps.db, v.manifest.kind),
        bytes: v.bytes,
        durationMs: Math.round(performance.now() - started),
        installedVersion: installedVersion(this.deps.db, v.manifest.name) ?? null,
      };
    } catch (e) {
      if (!(e instanceof BundleRefusal)) throw e;
      return {
        verified: false,
        path: file,
        reason: e.reason,
        message: e.message,
        durationMs: Math.round(performance.now() - started),
      };
    }
  }

  /** Imports running in this process, by their `.part-` folder name. */
  private readonly active = new Set<string>();

  /**
   * Partial copies an interrupted import left behind: this process's that are no longer running,
   * and any whose process is gone (a crash, a killed CLI). Another live console's are left alone.
   */
  private removePartials(): void {
    if (!existsSync(this.root)) return;
    for (const name of readdirSync(this.root)) {
      const m = /^\.part-(\d+)-/.exec(name);
      if (!m) continue;
      const pid = Number(m[1]);
      const mine = pid === process.pid;
      if (mine ? this.active.has(name) : processAlive(pid)) continue;
      rmSync(path.join(this.root, name), { recursive: true, force: true });
    }
  }

  /**
   * Copies the bundle into `<staging>/.part-<random>/bundle.tar` while the same bytes feed the
   * verifier, which stages the payload beside it; only a bundle that verified is renamed to
   * `<staging>/<manifest sha256>/`. Anything else (refusal, I/O error, cancel, crash) leaves only a
   * `.part-` folder, removed here and before every import.
   */
  async import(
    file: string,
    operator: string,
    options: { signal?: AbortSignal; emit?: Emit<VerifyProgress> } = {},
  ): Promise<StagedBundle & { signers: { name: string; fingerprint: string }[] }> {
    const src = bundleSource(file);
    this.removePartials();
    const partName = `.part-${process.pid}-${randomBytes(8).toString('hex')}`;
    const part = path.join(this.root, partName);
    await mkdir(part, { recursive: true, mode: 0o700 });
    this.active.add(partName);
    try {
      return await this.importInto(file, src, part, operator, options);
    } finally {
      this.active.delete(partName);
      rmSync(part, { recursive: true, force: true }); // gone already once renamed into place
    }
  }

  private async importInto(
    file: string,
    src: BundleSource,
    part: string,
    operator: string,
    options: { signal?: AbortSignal; emit?: Emit<VerifyProgress> },
  ): Promise<StagedBundle & { signers: { name: string; fingerprint: string }[] }> {
    const total = src.total;
    const meter = progressMeter('copying', total, options.emit);
    let verified: VerifiedBundle;
    try {
      const copy = createWriteStream(path.join(part, 'bundle.tar'), { flags: 'wx', mode: 0o600 });
      const copyDone = new Promise<void>((resolve, reject) => {
        copy.on('finish', resolve);
        copy.on('error', reject);
      });
      let copied = 0;
      const tee = new Transform({
        transform(chunk: Buffer, _encoding, callback) {
          copied += chunk.length;
          if (copy.write(chunk)) callback(null, chunk);
          else copy.once('drain', () => callback(null, chunk));
        },
        flush(callback) {
          copy.end(callback);
        },
      });
      const source = src.open();
      source.on('error', (e) => tee.destroy(e));
      copy.on('error', (e) => tee.destroy(e));
      source.pipe(tee);
      try {
        verified = await verifyBundle(tee, {
          ...this.verifyOptions(options.signal),
          stagingDir: part,
          onProgress: () => meter(copied),
        });
      } finally {
        source.destroy();
      }
      if (!tee.writableFinished) tee.end();
      await copyDone;
      meter(copied, true);
      if (copied !== total)
        throw new ConsoleError('FAILED', `the copy holds ${copied} bytes, the file ${total}`, {
          hint: 'the medium may have been removed; insert it and import again',
        });
    } catch (e) {
      rmSync(part, { recursive: true, force: true });
      if (e instanceof BundleRefusal)
        throw new ConsoleError('FAILED', refusalMessage(e), {
          hint: 'nothing was staged; see the bundle verification for the reason',
        });
      throw e;
    }
    const sha = verified.manifestSha256;
    const final = path.join(this.root, sha);
    const payload = `${verified.manifest.name}-${verified.manifest.version}`;
    if (!verified.stagedAt) await mkdir(path.join(part, payload)); // a bundle with no payload files
    if (existsSync(final)) rmSync(final, { recursive: true, force: true });
    renameSync(part, final);
    const now = this.deps.clock.now().toISOString();
    this.deps.db
      .prepare(
        `INSERT INTO bundle_staged (manifest_sha256, name, kind, version, manifest, signers, source, bytes, staged_by, staged_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (manifest_sha256) DO UPDATE SET source = excluded.source, signers = excluded.signers,
           staged_by = excluded.staged_by, staged_at = excluded.staged_at`,
      )
      .run(
        sha,
        verified.manifest.name,
        verified.manifest.kind,
        verified.manifest.version,
        JSON.stringify(verified.manifest),
        JSON.stringify(verified.signers),
        file,
        verified.bytes,
        operator,
        now,
      );
    const staged = listStaged(this.deps.db, this.deps.dataDir).find(
      (s) => s.manifestSha256 === sha,
    ) as StagedBundle;
    return { ...staged, directory: path.join(final, payload), signers: verified.signers };
  }

  private ociOptions(targets: InstallTargets, signal: AbortSignal | undefined) {
    return {
      registry: targets.registry ?? '',
      ...(targets.registryCaPem ? { caPem: targets.registryCaPem } : {}),
      ...(targets.repository ? { repository: targets.repository } : {}),
      ...(signal ? { signal } : {}),
    };
  }

  private staged(sha: string): { row: StagedRow; manifest: BundleManifest; dir: string } {
    const row = this.deps.db.prepare('SELECT * FROM bundle_staged WHERE manifest_sha256 = ?').get(sha) as
      StagedRow | undefined;
    if (!row)
      throw new ConsoleError('NOT_FOUND', `no staged bundle has manifest digest ${sha}`, {
        hint: 'import the bundle from its medium first',
      });
    const manifest = JSON.parse(row.manifest) as BundleManifest;
    const dir = path.join(this.root, sha, `${manifest.name}-${manifest.version}`);
    return { row, manifest, dir };
  }

  /** The staged payload still matches the manifest it was verified against (nothing changed it since). */
  private checkStaged(manifest: BundleManifest, dir: string): void {
    for (const f of manifest.files) {
      const file = path.join(dir, ...f.path.split('/'));
      let hash: string;
      try {
        hash = createHash('sha256').update(readFileSync(file)).digest('hex');
      } catch {
        hash = '';
      }
      if (hash !== f.sha256) {
        throw new ConsoleError(
          'FAILED',
          `the staged copy of ${f.path} in bundle ${manifest.name} no longer matches its manifest`,
          {
            hint: 'something changed the staging area; import the bundle from its medium again',
          },
        );
      }
    }
  }

  /** Plans from a staged bundle, or from a file verified now into a scratch staging folder. */
  async plan(
    ref: ({ staged: string } | { path: string }) & InstallTargets,
    options: { signal?: AbortSignal; roles?: readonly string[] } = {},
  ): Promise<BundlePlan> {
    const mayKind = (kind: string) => {
      const refusal = options.roles ? kindRefusal(kind, options.roles) : null;
      if (refusal)
        throw new ConsoleError('FORBIDDEN', refusal, { hint: 'ask someone who may change those targets' });
    };
    if ('staged' in ref) {
      const { manifest, dir } = this.staged(ref.staged);
      mayKind(manifest.kind);
      this.checkStaged(manifest, dir);
      return this.planFor(manifest, ref.staged, dir, ref, options.signal);
    }
    const src = bundleSource(ref.path);
    const scratch = path.join(this.deps.dataDir, 'bundles', 'scratch', randomBytes(8).toString('hex'));
    try {
      let v: VerifiedBundle;
      try {
        v = await verifyBundle(src.open(), { ...this.verifyOptions(options.signal), stagingDir: scratch });
      } catch (e) {
        if (e instanceof BundleRefusal)
          throw new ConsoleError('FAILED', refusalMessage(e), { hint: 'a refused bundle cannot be planned' });
        throw e;
      }
      const dir = v.stagedAt ?? scratch;
      mayKind(v.manifest.kind);
      return await this.planFor(v.manifest, v.manifestSha256, dir, ref, options.signal);
    } finally {
      rmSync(scratch, { recursive: true, force: true });
    }
  }

  private async planFor(
    manifest: BundleManifest,
    manifestSha256: string,
    dir: string,
    targets: InstallTargets,
    signal: AbortSignal | undefined,
  ): Promise<BundlePlan> {
    const installed = installedVersion(this.deps.db, manifest.name) ?? null;
    const problems: string[] = [];
    let steps: PlanStep[] = [];
    let objects: BundlePlan['objects'] = [];
    let chosen: InstallTargets = {};
    if (installed && compareVersions(installed, manifest.version) > 0)
      problems.push(
        `${manifest.name} ${installed} is installed, newer than ${manifest.version}: rollbacks are refused`,
      );
    const unsupported = unsupportedKind(manifest.kind);
    if (unsupported) problems.push(unsupported);
    else if (manifest.kind === 'files') {
      steps = planFiles(manifest);
    } else if (manifest.kind === 'host-packages') {
      const layout = hostPackagesLayout(manifest);
      problems.push(...layout.problems);
      const hosts = targets.hosts ?? [];
      chosen = { hosts };
      if (hosts.length === 0) problems.push('name the hosts to install the packages on');
      else {
        const known = new Set(this.deps.hosts.list().map((r) => r.name));
        for (const h of hosts) if (!known.has(h)) problems.push(`there is no host ${h} in the inventory`);
        if (problems.length === 0) {
          steps = planHostPackages(manifest, layout, hosts);
          steps = await dryRunHosts(
            { hosts: this.deps.hosts, manifest, manifestSha256, layout, stagedDir: dir, signal },
            hosts,
            steps,
          );
        }
      }
    } else if (manifest.kind === 'console-upgrade') {
      try {
        const { packages, releaseNotes } = consoleUpgradePayload(manifest);
        const version = checkUpgradeVersion(this.runningVersion, manifest.version);
        if (!version.ok) problems.push(version.message);
        steps = [
          {
            target: 'workstation',
            action: `stage console ${manifest.version} (${packages.map((p) => p.format).join(', ')}) as the next version; running now: ${this.runningVersion}`,
            detail: `release notes: ${releaseNotes}\nan AppImage console replaces itself at its next start; a deb or rpm install is done with the package tool (the command is shown in Settings)`,
            blocked: false,
          },
        ];
      } catch (e) {
        if (!(e instanceof ConsoleUpgradeError)) throw e;
        problems.push(`not a usable console upgrade: ${e.message}`);
      }
    } else if (manifest.kind === 'oci-images') {
      if (!targets.registry) problems.push('name the registry to push the images to');
      else {
        chosen = { registry: targets.registry };
        try {
          const { plan } = await planOciLayoutPush(
            await findOciLayout(dir),
            this.ociOptions(targets, signal),
          );
          chosen = { registry: plan.registry };
          steps = planOciSteps(plan);
        } catch (e) {
          if (!(e instanceof OciError)) throw e;
          problems.push(`the images cannot be pushed to ${targets.registry}: ${e.message}`);
        }
      }
    } else if (manifest.kind === 'k8s-manifests') {
      const cluster = this.deps.clusters.resolve(targets.cluster);
      chosen = { cluster: cluster.name };
      const parsed = parseManifestObjects(
        manifest.files.map((f) => ({
          path: f.path,
          text: readFileSync(path.join(dir, ...f.path.split('/')), 'utf8'),
        })),
      );
      problems.push(...parsed.problems);
      if (parsed.objects.length === 0)
        problems.push(`k8s-manifests bundle ${manifest.name} holds no Kubernetes objects`);
      if (problems.length === 0) {
        const { changes, refused } = await dryRunObjects(
          this.deps.clusters.client(cluster.name),
          parsed.objects,
        );
        objects = changes;
        steps = planK8sSteps(cluster.name, changes, refused);
      }
    }
    for (const s of steps)
      if (s.blocked) problems.push(`${s.target}: ${s.action}: ${s.detail ?? 'refused by the dry run'}`);
    return {
      manifestSha256,
      name: manifest.name,
      kind: manifest.kind,
      version: manifest.version,
      installedVersion: installed,
      steps,
      objects,
      problems,
      planDigest: bundlePlanDigest({ manifestSha256, kind: manifest.kind, targets: chosen, steps }),
    };
  }

  async install(
    input: { staged: string; planDigest: string } & InstallTargets,
    operator: string,
    options: { signal?: AbortSignal; emit?: Emit<InstallEvent>; roles?: readonly string[] } = {},
  ): Promise<{ plan: BundlePlan; results: TargetResult[]; installed: boolean; installedAt: string | null }> {
    const emit = options.emit ?? (() => undefined);
    const { manifest, dir } = this.staged(input.staged);
    const plan = await this.plan(input, options);
    if (plan.planDigest !== input.planDigest)
      throw new ConsoleError(
        'CONFLICT',
        `the plan for ${manifest.name} ${manifest.version} changed since it was reviewed`,
        {
          hint: 'nothing was installed; review the new plan and install that',
        },
      );
    if (plan.problems.length > 0)
      throw new ConsoleError(
        'FAILED',
        `${manifest.name} ${manifest.version} cannot be installed: ${plan.problems.join('; ')}`,
        {
          hint: 'nothing was installed',
        },
      );
    let results: TargetResult[];
    if (manifest.kind === 'files') {
      results = [
        { target: 'workstation', ok: true, detail: `${manifest.files.length} files kept in ${dir}` },
      ];
      emit({ target: 'workstation', phase: 'done', detail: results[0]?.detail ?? '' });
    } else if (manifest.kind === 'host-packages') {
      results = await installOnHosts(
        {
          hosts: this.deps.hosts,
          manifest,
          manifestSha256: input.staged,
          layout: hostPackagesLayout(manifest),
          stagedDir: dir,
          signal: options.signal,
        },
        input.hosts ?? [],
        emit,
      );
    } else if (manifest.kind === 'console-upgrade') {
      try {
        const staged = stageConsoleUpgrade({
          dataDir: this.deps.dataDir,
          runningVersion: this.runningVersion,
          stagedPayloadDir: dir,
          manifest,
          manifestSha256: input.staged,
          signers: JSON.parse(this.staged(input.staged).row.signers) as {
            name: string;
            fingerprint: string;
          }[],
          now: this.deps.clock.now(),
        });
        results = [
          {
            target: 'workstation',
            ok: true,
            detail: `console ${staged.version} staged in ${staged.dir}; it is installed at the next start (AppImage) or with the package tool (deb, rpm): see Settings`,
          },
        ];
      } catch (e) {
        if (!(e instanceof ConsoleUpgradeError)) throw e;
        results = [{ target: 'workstation', ok: false, detail: `not staged: ${e.message}` }];
      }
      emit({
        target: 'workstation',
        phase: results[0]?.ok ? 'done' : 'failed',
        detail: results[0]?.detail ?? '',
      });
    } else if (manifest.kind === 'oci-images') {
      const target = `registry ${plan.steps[0]?.target.replace(/^registry /, '') ?? input.registry ?? ''}`;
      emit({ target, phase: 'started', detail: 'pushing' });
      try {
        const out = await pushOciLayout(await findOciLayout(dir), {
          ...this.ociOptions(input, options.signal),
          onProgress: (p) =>
            emit({ target, phase: 'started', detail: `${p.phase} ${p.step}/${p.steps} ${p.repository}` }),
        });
        const ok = out.verified && out.problems.length === 0;
        const detail = ok
          ? `pushed ${out.pushed.length}, mounted ${out.mounted.length}, already there ${out.skipped.length}; read back: every manifest and blob is there`
          : `pushed, but the read-back found: ${out.problems.join('; ')}`;
        results = [{ target, ok, detail }];
        emit({ target, phase: ok ? 'done' : 'failed', detail });
      } catch (e) {
        if (!(e instanceof OciError)) throw e;
        const detail = `the push stopped: ${e.message}; pushing again finishes it (what is there is skipped)`;
        results = [{ target, ok: false, detail }];
        emit({ target, phase: 'failed', detail });
      }
    } else {
      const cluster = this.deps.clusters.resolve(input.cluster);
      const { objects } = parseManifestObjects(
        manifest.files.map((f) => ({
          path: f.path,
          text: readFileSync(path.join(dir, ...f.path.split('/')), 'utf8'),
        })),
      );
      results = await applyObjects(
        this.deps.clusters.client(cluster.name),
        cluster.name,
        objects,
        emit,
        options.signal,
      );
    }
    const installed = results.every((r) => r.ok);
    let installedAt: string | null = null;
    if (installed) {
      const now = this.deps.clock.now();
      recordInstall(
        this.deps.db,
        {
          name: manifest.name,
          kind: manifest.kind,
          version: manifest.version,
          sha256: input.staged,
          installedBy: operator,
          targets: results.map((r) => r.target),
        },
        now,
      );
      installedAt = now.toISOString();
    }
    return { plan, results, installed, installedAt };
  }
}
