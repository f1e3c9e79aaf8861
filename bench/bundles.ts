/**
 * Bundle benchmark (issue 7): build and sign a 4 GB bundle (BENCH_BUNDLE_GB scales it), then in
 * the same run verify it with the console (in a child process, so its peak RSS is its own), hash
 * the same file with `openssl dgst -sha256` (SHA-NI, the hashing limit) and `sha256sum`, and time
 * Zarf's approach: extract everything with `tar -x`, then `sha256sum -c`. The console's verify +
 * stage (the same work as Zarf's: every byte written to disk and checked) is timed as well.
 * Every figure is the best of BENCH_BUNDLE_RUNS (default 5; 2 for the slow peers) runs from a warm page cache, each
 * after a `sync` so that no run pays for an earlier run's writes.
 */
import { spawn } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import { closeSync, mkdirSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  buildBundle,
  generateSigningKey,
  loadTrustDir,
  signBundle,
  verifyBundle,
  writeTrustDir,
} from '../offline-bundles';
import { report, type Figure } from './_report';

const GOAL_RATIO = 0.8;
const GOAL_RSS_MB = 200;

interface ChildResult {
  seconds: number;
  bytes: number;
  maxRssKb: number;
  stagedAt?: string;
}

/** Child mode: verify (and optionally stage) one bundle, print timing and peak RSS. */
async function child(bundle: string, trustDir: string, staging?: string): Promise<void> {
  const trust = loadTrustDir(trustDir);
  const started = performance.now();
  const v = await verifyBundle(bundle, { trust, ...(staging ? { stagingDir: staging } : {}) });
  const seconds = (performance.now() - started) / 1000;
  const out: ChildResult = { seconds, bytes: v.bytes, maxRssKb: process.resourceUsage().maxRSS };
  if (v.stagedAt) out.stagedAt = v.stagedAt;
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function run(
  file: string,
  args: string[],
  cwd?: string,
): Promise<{ ms: number; stdout: string; code: number | null }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const p = spawn(file, args, { cwd, stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.once('error', reject);
    p.once('close', (code) => resolve({ ms: performance.now() - started, stdout, code }));
  });
}

async function must(file: string, args: string[], cwd?: string): Promise<number> {
  const r = await run(file, args, cwd);
  if (r.code !== 0) throw new Error(`${file} ${args.join(' ')} exited ${r.code}`);
  return r.ms / 1000;
}

/** The writable directory with the most free space among the usual places. */
function roomiest(): { dir: string; free: number } {
  const candidates = [process.env.BENCH_TMPDIR, os.tmpdir(), '/var/tmp', path.resolve('out')].filter(
    Boolean,
  ) as string[];
  let best = { dir: os.tmpdir(), free: 0 };
  for (const dir of candidates) {
    try {
      mkdirSync(dir, { recursive: true });
      const s = statfsSync(dir);
      const free = s.bavail * s.bsize;
      if (free > best.free) best = { dir, free };
    } catch {
      // not usable
    }
  }
  return best;
}

/** Random-looking payload written fast: one 64 MiB random block, its first bytes varied per block. */
function writePayload(dir: string, totalBytes: number, files: number): void {
  const block = Buffer.allocUnsafe(64 * 2 ** 20);
  randomFillSync(block);
  const per = Math.floor(totalBytes / files);
  let n = 0;
  for (let i = 0; i < files; i++) {
    const fd = openSync(path.join(dir, `blob-${String(i).padStart(3, '0')}.bin`), 'w');
    for (let left = per; left > 0;) {
      block.writeUInt32BE(n++, 0);
      const len = Math.min(left, block.length);
      let off = 0;
      while (off < len) off += writeSync(fd, block, off, len - off);
      left -= len;
    }
    closeSync(fd);
  }
}

async function best<T extends { seconds: number }>(runs: number, f: () => Promise<T>): Promise<T> {
  let out: T | undefined;
  for (let i = 0; i < runs; i++) {
    // Flush dirty pages first, so no run pays for an earlier run's writes.
    await must('sync', []);
    const r = await f();
    if (!out || r.seconds < out.seconds) out = r;
  }
  return out as T;
}

async function main(): Promise<void> {
  const wantedGb = Number(process.env.BENCH_BUNDLE_GB ?? 4);
  const runs = Number(process.env.BENCH_BUNDLE_RUNS ?? 5);
  const room = roomiest();
  const freeGb = room.free / 1e9;
  let gb = wantedGb;
  const notes: string[] = [];
  // Source tree + bundle + an extracted copy (Zarf's approach) + a staged copy, plus margin.
  if (freeGb < 10 || freeGb < wantedGb * 4 + 2) {
    gb = Math.max(0.25, Math.min(wantedGb, Math.floor(((freeGb - 2) / 4) * 4) / 4));
    notes.push(
      `scaled down from ${wantedGb} GB to ${gb} GB: only ${freeGb.toFixed(1)} GB free in ${room.dir}`,
    );
  }
  const total = Math.round(gb * 1e9);
  const work = mkdtempSync(path.join(room.dir, 'enclave-bench-bundles-'));
  console.log(`bundle benchmark: ${gb} GB in ${work} (${freeGb.toFixed(1)} GB free), best of ${runs}`);
  try {
    const src = path.join(work, 'src');
    mkdirSync(src);
    writePayload(src, total, 16);
    const bundle = path.join(work, 'bench.tar');
    const keys = generateSigningKey(path.join(work, 'keys'), 'bench');
    const trustDir = path.join(work, 'trust');
    writeTrustDir(trustDir, { signers: [{ name: 'bench', publicKey: keys.publicKey }], thresholds: {} });
    let started = performance.now();
    const built = await buildBundle({
      source: src,
      name: 'bench',
      kind: 'files',
      version: '1.0.0',
      out: bundle,
    });
    const buildSeconds = (performance.now() - started) / 1000;
    started = performance.now();
    await signBundle(bundle, { privateKeyPath: keys.privateKeyPath, signer: 'bench' });
    const signSeconds = (performance.now() - started) / 1000;
    rmSync(src, { recursive: true, force: true });
    const size = built.bytes + 1024;
    const mb = (s: number) => size / 1e6 / s;
    console.log(
      `built ${(built.bytes / 1e9).toFixed(2)} GB in ${buildSeconds.toFixed(1)} s, signed (payload re-checked) in ${signSeconds.toFixed(1)} s`,
    );

    // Warm the page cache once so every tool reads the same cached bytes.
    await must('sh', ['-c', 'cat "$0" > /dev/null', bundle]);

    const self = process.argv[1] as string;
    // Console and openssl alternate, run after run, so load from elsewhere on the machine
    // falls on both alike; each figure is the best of its runs.
    const consoleRuns: (ChildResult & { wall: number })[] = [];
    const opensslRuns: { seconds: number }[] = [];
    for (let i = 0; i < runs; i++) {
      consoleRuns.push(
        await best(1, async () => {
          const r = await run(process.execPath, [self, '--child', bundle, trustDir]);
          if (r.code !== 0) throw new Error('console verify failed');
          const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as ChildResult;
          return { ...out, wall: r.ms / 1000 };
        }),
      );
      opensslRuns.push(
        await best(1, async () => ({ seconds: await must('openssl', ['dgst', '-sha256', bundle]) })),
      );
    }
    const fastest = <T extends { seconds: number }>(xs: T[]) =>
      xs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const consoleVerify = fastest(consoleRuns);
    const openssl = fastest(opensslRuns);
    const pairRatios = consoleRuns.map((c, i) => (opensslRuns[i] as { seconds: number }).seconds / c.seconds);
    console.log(
      `console verify: ${consoleVerify.seconds.toFixed(2)} s, ${mb(consoleVerify.seconds).toFixed(0)} MB/s, peak RSS ${(consoleVerify.maxRssKb / 1024).toFixed(0)} MiB`,
    );
    console.log(
      `openssl dgst -sha256: ${openssl.seconds.toFixed(2)} s, ${mb(openssl.seconds).toFixed(0)} MB/s`,
    );
    const sha256sum = await best(Math.min(runs, 2), async () => ({
      seconds: await must('sha256sum', [bundle]),
    }));
    console.log(`sha256sum: ${sha256sum.seconds.toFixed(2)} s, ${mb(sha256sum.seconds).toFixed(0)} MB/s`);
    const zarf = await best(Math.min(runs, 2), async () => {
      const dir = path.join(work, 'zarf');
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(dir);
      const t = await must('tar', ['-xf', bundle, '-C', dir]);
      const c = await must('sha256sum', ['--quiet', '-c', 'SHA256SUMS'], dir);
      rmSync(dir, { recursive: true, force: true });
      return { seconds: t + c, tar: t, check: c };
    });
    console.log(
      `tar -x + sha256sum -c: ${zarf.seconds.toFixed(2)} s (${zarf.tar.toFixed(2)} + ${zarf.check.toFixed(2)})`,
    );
    const staged = await best(Math.min(runs, 2), async () => {
      const dir = path.join(work, 'staging');
      rmSync(dir, { recursive: true, force: true });
      const r = await run(process.execPath, [self, '--child', bundle, trustDir, dir]);
      if (r.code !== 0) throw new Error('console verify+stage failed');
      const out = JSON.parse(r.stdout.trim().split('\n').pop() as string) as ChildResult;
      rmSync(dir, { recursive: true, force: true });
      return out;
    });
    console.log(
      `console verify + stage: ${staged.seconds.toFixed(2)} s, peak RSS ${(staged.maxRssKb / 1024).toFixed(0)} MiB`,
    );

    const ratio = mb(consoleVerify.seconds) / mb(openssl.seconds);
    const rssMb = (consoleVerify.maxRssKb * 1024) / 1e6;
    const common = `${(size / 1e9).toFixed(2)} GB bundle, 16 files; warm page cache; MB = 10^6 bytes; best of ${runs}`;
    const figures: Figure[] = [
      {
        name: 'verify throughput (console, one streaming pass)',
        value: mb(consoleVerify.seconds),
        unit: 'MB/s',
        peer: { name: 'openssl dgst -sha256', value: mb(openssl.seconds), unit: 'MB/s' },
        goal: `≥ ${GOAL_RATIO}× openssl`,
        met: ratio >= GOAL_RATIO,
        note: `${ratio.toFixed(2)}× openssl (${(mb(consoleVerify.wall) / mb(openssl.seconds)).toFixed(2)}× counting Node's start-up, ${consoleVerify.wall.toFixed(2)} s wall); run-by-run ratios ${pairRatios.map((r) => r.toFixed(2)).join(', ')}; ${(mb(consoleVerify.seconds) / mb(sha256sum.seconds)).toFixed(2)}× sha256sum; ${common}${notes.length ? `; ${notes.join('; ')}` : ''}`,
      },
      {
        name: 'sha256sum over the same file',
        value: mb(sha256sum.seconds),
        unit: 'MB/s',
        peer: { name: 'openssl dgst -sha256', value: mb(openssl.seconds), unit: 'MB/s' },
        note: `${(mb(sha256sum.seconds) / mb(openssl.seconds)).toFixed(2)}× openssl (coreutils without SHA-NI on this build)`,
      },
      {
        name: 'verify peak RSS (child process maxRSS)',
        value: rssMb,
        unit: 'MB',
        goal: `< ${GOAL_RSS_MB} MB`,
        met: rssMb < GOAL_RSS_MB,
        note: 'process.resourceUsage().maxRSS of the verifying process, Node runtime included',
      },
      {
        name: 'verify + stage every file (console)',
        value: staged.seconds,
        unit: 's',
        peer: { name: "tar -x + sha256sum -c (Zarf's approach)", value: zarf.seconds, unit: 's' },
        note: `${(zarf.seconds / staged.seconds).toFixed(2)}× faster; tar -x ${zarf.tar.toFixed(2)} s + sha256sum -c ${zarf.check.toFixed(2)} s, which also needs the whole payload on disk before any check; console stage peak RSS ${((staged.maxRssKb * 1024) / 1e6).toFixed(0)} MB`,
      },
      {
        name: 'verify only (console)',
        value: consoleVerify.seconds,
        unit: 's',
        peer: { name: "tar -x + sha256sum -c (Zarf's approach)", value: zarf.seconds, unit: 's' },
        note: 'no disk writes at all on the console side',
      },
      {
        name: 'build (hash, then copy with a second hash check)',
        value: buildSeconds,
        unit: 's',
        note: `${mb(buildSeconds).toFixed(0)} MB/s; sign (re-checks every payload hash) ${signSeconds.toFixed(1)} s`,
      },
    ];
    report('bundles', figures);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[2] === '--child') {
  await child(process.argv[3] as string, process.argv[4] as string, process.argv[5]);
} else {
  await main();
}
