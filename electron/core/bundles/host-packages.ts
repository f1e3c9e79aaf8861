// host-packages, the effectful half: copy a staged bundle's files to each host over SFTP (the
// hosts.upload machinery: hashed on both ends, renamed into place), run the dry run, and at install
// the install command; per-host results. The scratch folder on each host is removed afterwards.
import path from 'node:path';
import type { PlanStep, TargetResult } from '../../../shared/api';
import type { HostInventory } from '../hosts';
import { hostCommands, remoteDirFor, type HostPackagesLayout, type ManifestLike } from './plan';
import { shQuote } from './shell';

const COMMAND_TIMEOUT_MS = 30 * 60_000;
const CONCURRENCY = 8;

export interface HostRunContext {
  hosts: HostInventory;
  manifest: ManifestLike;
  manifestSha256: string;
  layout: HostPackagesLayout;
  /** The staged payload folder on this workstation. */
  stagedDir: string;
  signal?: AbortSignal | undefined;
}

/** Last lines of a command's output, for a plan step or a result. */
function tail(text: string, lines = 12): string {
  const all = text.trimEnd().split('\n');
  return all.slice(-lines).join('\n');
}

/**
 * Copies every payload file to `remoteDir` on each host. Returns per host the first problem, if
 * any (the host unreachable, a copy whose hash differs, no space).
 */
async function copyTo(
  ctx: HostRunContext,
  names: readonly string[],
  remoteDir: string,
  onHost?: (host: string, detail: string) => void,
): Promise<Map<string, string>> {
  const failed = new Map<string, string>();
  const dirs = new Set([
    remoteDir,
    ...ctx.layout.files.map((f) => path.posix.dirname(`${remoteDir}/${f.path}`)),
  ]);
  const mkdir = await ctx.hosts.run(
    names,
    `rm -rf ${shQuote(remoteDir)} && mkdir -p ${[...dirs].map(shQuote).join(' ')} && chmod 700 ${shQuote(remoteDir)}`,
    { timeoutMs: 60_000, concurrency: CONCURRENCY, ...(ctx.signal ? { signal: ctx.signal } : {}) },
  );
  for (const r of mkdir) {
    if (r.error || r.exitCode !== 0)
      failed.set(r.host, `could not prepare ${remoteDir}: ${r.error ?? tail(r.stderr || r.stdout, 3)}`);
  }
  for (const f of ctx.layout.files) {
    const live = names.filter((n) => !failed.has(n));
    if (live.length === 0) break;
    const out = await ctx.hosts.upload(live, {
      localPath: path.join(ctx.stagedDir, ...f.path.split('/')),
      remotePath: `${remoteDir}/${f.path}`,
      mode: f.mode,
      concurrency: CONCURRENCY,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    for (const r of out.results) {
      if (r.error) failed.set(r.host, `copying ${f.path} failed: ${r.error}`);
      else if (r.sha256 !== f.sha256)
        failed.set(
          r.host,
          `the copy of ${f.path} hashes ${r.sha256 ?? '?'}, not ${f.sha256} as the manifest says`,
        );
    }
    for (const n of live) if (!failed.has(n)) onHost?.(n, `copied ${f.path}`);
  }
  return failed;
}

async function cleanUp(ctx: HostRunContext, names: readonly string[], remoteDir: string): Promise<void> {
  if (names.length === 0) return;
  await ctx.hosts.run(names, `rm -rf ${shQuote(remoteDir)}`, { timeoutMs: 60_000, concurrency: CONCURRENCY });
}

/** The plan's read: copy, dry run, remove. Each host's step carries the dry run's output. */
export async function dryRunHosts(
  ctx: HostRunContext,
  names: readonly string[],
  steps: PlanStep[],
): Promise<PlanStep[]> {
  const remoteDir = `${remoteDirFor(ctx.manifestSha256)}-plan`;
  const { dryRun } = hostCommands(ctx.layout, ctx.manifest, remoteDir);
  try {
    const failed = await copyTo(ctx, names, remoteDir);
    const live = names.filter((n) => !failed.has(n));
    const runs = await ctx.hosts.run(live, dryRun, {
      timeoutMs: COMMAND_TIMEOUT_MS,
      concurrency: CONCURRENCY,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    });
    const byHost = new Map(runs.map((r) => [r.host, r]));
    return steps.map((step, i) => {
      const host = names[i] as string;
      const copyProblem = failed.get(host);
      if (copyProblem) return { ...step, detail: copyProblem, blocked: true };
      const r = byHost.get(host);
      if (!r || r.error)
        return { ...step, detail: `the dry run did not run: ${r?.error ?? 'no result'}`, blocked: true };
      const output = tail(`${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`);
      if (r.exitCode !== 0)
        return {
          ...step,
          detail: `the dry run failed (exit ${r.exitCode ?? r.signal ?? '?'}):\n${output}`,
          blocked: true,
        };
      return { ...step, detail: `dry run: ${output || 'ok'}` };
    });
  } finally {
    await cleanUp(ctx, names, remoteDir).catch(() => undefined);
  }
}

/**
 * Install on each host: copy, dry run again (a host that changed since the plan stops there), then
 * install; per-host results, one host's failure never stops the others.
 */
export async function installOnHosts(
  ctx: HostRunContext,
  names: readonly string[],
  emit: (e: { target: string; phase: 'started' | 'done' | 'failed'; detail: string }) => void,
): Promise<TargetResult[]> {
  const remoteDir = remoteDirFor(ctx.manifestSha256);
  const { dryRun, install } = hostCommands(ctx.layout, ctx.manifest, remoteDir);
  for (const n of names) emit({ target: `host ${n}`, phase: 'started', detail: 'copying' });
  const results = new Map<string, TargetResult>();
  const fail = (host: string, detail: string) => {
    results.set(host, { target: `host ${host}`, ok: false, detail });
    emit({ target: `host ${host}`, phase: 'failed', detail });
  };
  try {
    const copyFailed = await copyTo(ctx, names, remoteDir);
    for (const [host, why] of copyFailed) fail(host, `nothing installed: ${why}`);
    const copied = names.filter((n) => !copyFailed.has(n));
    const options = {
      timeoutMs: COMMAND_TIMEOUT_MS,
      concurrency: CONCURRENCY,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
    };
    const checked = await ctx.hosts.run(copied, dryRun, options);
    const ready: string[] = [];
    for (const r of checked) {
      if (r.error || r.exitCode !== 0)
        fail(
          r.host,
          `nothing installed: the dry run failed: ${r.error ?? tail(`${r.stdout}\n${r.stderr}`, 6)}`,
        );
      else ready.push(r.host);
    }
    const ran = await ctx.hosts.run(ready, install, options);
    for (const r of ran) {
      const output = tail(`${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`, 6);
      if (r.error)
        fail(r.host, `the install did not finish (the host may be part-way; check it): ${r.error}`);
      else if (r.exitCode !== 0)
        fail(
          r.host,
          `the install failed (exit ${r.exitCode ?? r.signal ?? '?'}); check the host:\n${output}`,
        );
      else {
        const detail = `installed ${ctx.manifest.name} ${ctx.manifest.version}${output ? `:\n${output}` : ''}`;
        results.set(r.host, { target: `host ${r.host}`, ok: true, detail });
        emit({ target: `host ${r.host}`, phase: 'done', detail });
      }
    }
  } finally {
    await cleanUp(ctx, names, remoteDir).catch(() => undefined);
  }
  return names.map(
    (n) => results.get(n) ?? { target: `host ${n}`, ok: false, detail: 'nothing was done (cancelled)' },
  );
}
