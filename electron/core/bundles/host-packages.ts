// host-packages, the effectful half: copy a staged bundle's files to each host over SFTP (the
// hosts.upload machinery: hashed on both ends, renamed into place), run the dry run, and at install
// the install command; per-host results. Each host works in its own scratch folder for this run
// (named by bundle, run and host, so concurrent plans or hosts sharing a /tmp never collide),
// removed afterwards.
import { randomBytes } from 'node:crypto';
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

type InstallEvent = { target: string; phase: 'started' | 'done' | 'failed'; detail: string };

/** Last lines of a command's output, for a plan step or a result. */
function tail(text: string, lines = 12): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

const output = (r: { stdout: string; stderr: string }) => `${r.stdout}${r.stderr ? `\n${r.stderr}` : ''}`;

/** Runs `work` for each host, CONCURRENCY at a time, results in the hosts' order. */
async function eachHost<T>(names: readonly string[], work: (host: string) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array(names.length);
  let next = 0;
  const worker = async () => {
    while (next < names.length) {
      const i = next++;
      results[i] = await work(names[i] as string);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, names.length) }, worker));
  return results;
}

/** One host's scratch session: a folder made, every payload file copied and checked, removed at the end. */
class HostScratch {
  readonly dir: string;
  constructor(
    private readonly ctx: HostRunContext,
    readonly host: string,
    run: string,
  ) {
    this.dir = `${remoteDirFor(ctx.manifestSha256)}-${run}-${host}`;
  }

  private options(timeoutMs: number) {
    return { timeoutMs, concurrency: 1, ...(this.ctx.signal ? { signal: this.ctx.signal } : {}) };
  }

  /** A command on this host; `problem` is why it did not succeed, or null. */
  async run(command: string, timeoutMs = COMMAND_TIMEOUT_MS) {
    const [r] = await this.ctx.hosts.run([this.host], command, this.options(timeoutMs));
    if (!r) return { problem: 'no result', text: '', exit: null };
    const text = tail(output(r));
    if (r.error) return { problem: r.error, text, exit: null };
    if (r.exitCode !== 0) return { problem: `exit ${r.exitCode ?? r.signal ?? '?'}`, text, exit: r.exitCode };
    return { problem: null, text, exit: 0 };
  }

  /** Copies every payload file; the first problem, or null. */
  async copy(): Promise<string | null> {
    const dirs = new Set([
      this.dir,
      ...this.ctx.layout.files.map((f) => path.posix.dirname(`${this.dir}/${f.path}`)),
    ]);
    const made = await this.run(`umask 077 && mkdir -p ${[...dirs].map(shQuote).join(' ')}`, 60_000);
    if (made.problem) return `could not make ${this.dir}: ${made.problem} ${made.text}`.trim();
    for (const f of this.ctx.layout.files) {
      const out = await this.ctx.hosts.upload([this.host], {
        localPath: path.join(this.ctx.stagedDir, ...f.path.split('/')),
        remotePath: `${this.dir}/${f.path}`,
        mode: f.mode,
        concurrency: 1,
        ...(this.ctx.signal ? { signal: this.ctx.signal } : {}),
      });
      const r = out.results[0];
      if (!r || r.error) return `copying ${f.path} failed: ${r?.error ?? 'no result'}`;
      if (r.sha256 !== f.sha256)
        return `the copy of ${f.path} hashes ${r.sha256 ?? '?'}, not ${f.sha256} as the manifest says`;
    }
    return null;
  }

  async remove(): Promise<void> {
    await this.ctx.hosts
      .run([this.host], `rm -rf ${shQuote(this.dir)}`, { timeoutMs: 60_000, concurrency: 1 })
      .catch(() => undefined);
  }
}

/** The plan's read: per host, copy, dry run, remove. Each host's step carries the dry run's output. */
export async function dryRunHosts(
  ctx: HostRunContext,
  names: readonly string[],
  steps: PlanStep[],
): Promise<PlanStep[]> {
  const run = `plan-${randomBytes(4).toString('hex')}`;
  return eachHost(names, async (host) => {
    const i = names.indexOf(host);
    const step = steps[i] as PlanStep;
    const scratch = new HostScratch(ctx, host, run);
    try {
      const copyProblem = await scratch.copy();
      if (copyProblem) return { ...step, detail: copyProblem, blocked: true };
      const r = await scratch.run(hostCommands(ctx.layout, ctx.manifest, scratch.dir).dryRun);
      if (r.problem)
        return { ...step, detail: `the dry run failed (${r.problem}):\n${r.text}`.trimEnd(), blocked: true };
      return { ...step, detail: `dry run: ${r.text || 'ok'}` };
    } finally {
      await scratch.remove();
    }
  });
}

/**
 * Install on each host: copy, dry run again (a host that changed since the plan stops there), then
 * install; per-host results, one host's failure never stops the others.
 */
export async function installOnHosts(
  ctx: HostRunContext,
  names: readonly string[],
  emit: (e: InstallEvent) => void,
): Promise<TargetResult[]> {
  const run = `install-${randomBytes(4).toString('hex')}`;
  return eachHost(names, async (host): Promise<TargetResult> => {
    const target = `host ${host}`;
    const fail = (detail: string): TargetResult => {
      emit({ target, phase: 'failed', detail });
      return { target, ok: false, detail };
    };
    if (ctx.signal?.aborted) return fail('nothing was done (cancelled)');
    emit({ target, phase: 'started', detail: 'copying' });
    const scratch = new HostScratch(ctx, host, run);
    try {
      const copyProblem = await scratch.copy();
      if (copyProblem) return fail(`nothing installed: ${copyProblem}`);
      const { dryRun, install } = hostCommands(ctx.layout, ctx.manifest, scratch.dir);
      emit({ target, phase: 'started', detail: 'dry run' });
      const checked = await scratch.run(dryRun);
      if (checked.problem)
        return fail(`nothing installed: the dry run failed (${checked.problem}):\n${checked.text}`);
      emit({ target, phase: 'started', detail: 'installing' });
      const done = await scratch.run(install);
      if (done.exit === null && done.problem)
        return fail(`the install did not finish (the host may be part-way; check it): ${done.problem}`);
      if (done.problem) return fail(`the install failed (${done.problem}); check the host:\n${done.text}`);
      const detail = `installed ${ctx.manifest.name} ${ctx.manifest.version}${done.text ? `:\n${done.text}` : ''}`;
      emit({ target, phase: 'done', detail });
      return { target, ok: true, detail };
    } finally {
      await scratch.remove();
    }
  });
}
