// The lab's Kubernetes API emulator (test/lab/k8s) as a daemon of the lab: started by `lab up` with
// one Node per lab host (same name, that host's GPU model and count), stopped by `lab down` (it
// carries the lab's ENCLAVE_LAB_STATE in its environment, which labDown sweeps for). Its kubeconfig
// (context `enclave-lab`) is copied to `<state>/kubeconfig`.
import { spawn } from 'node:child_process';
import { existsSync, openSync, readFileSync } from 'node:fs';
import { copyFile, mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import type { GpuNodeSpec } from '../k8s/nodes';
import { defaultProfile } from './gpu-profiles';
import type { LabHost, LabState } from './index';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A host's GPUs as a node spec: from its simulator state file, else the default lab mix. */
export function nodeSpecOf(host: LabHost, index: number): GpuNodeSpec | undefined {
  let gpus: { modelKey: string | null; migCurrent?: boolean }[] = [];
  try {
    gpus = (JSON.parse(readFileSync(host.gpuStateFile, 'utf8')) as { gpus: typeof gpus }).gpus;
  } catch {
    const profile = defaultProfile(host, index);
    gpus = profile.gpus.flatMap((g) =>
      Array.from({ length: g.count ?? 1 }, () => ({
        modelKey: g.model,
        migCurrent: profile.migEnabled ?? false,
      })),
    );
  }
  const model = gpus.find((g) => g.modelKey)?.modelKey;
  if (!model) return undefined;
  const count = gpus.filter((g) => g.modelKey === model).length;
  // MIG on without instances is mig-parted's all-enabled; off is all-disabled.
  return {
    name: host.name,
    gpuProduct: model,
    gpus: count,
    migLayout: gpus[0]?.migCurrent ? 'all-enabled' : 'all-disabled',
  };
}

/**
 * The daemon's program: out/lab/k8s.mjs beside a bundled lab; from sources (tests), a fresh bundle
 * of test/lab/k8s/daemon.ts made with esbuild into the state dir.
 */
async function daemonProgram(state: LabState, dir: string): Promise<string> {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) {
    const beside = path.join(path.dirname(new URL(here).pathname), 'k8s.mjs');
    if (existsSync(beside)) return beside;
  }
  const out = path.join(dir, 'k8s.mjs');
  const { build } = await import('esbuild');
  await build({
    entryPoints: [path.join(state.repoRoot, 'test/lab/k8s/daemon.ts')],
    outfile: out,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'esm',
    logLevel: 'warning',
    banner: {
      js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
    },
  });
  return out;
}

export interface LabKube {
  pid: number;
  url: string;
  kubeconfig: string;
}

export async function startLabKube(state: LabState): Promise<LabKube> {
  const dir = path.join(state.stateDir, 'k8s');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const program = await daemonProgram(state, dir);
  const nodes = state.hosts.map((h, i) => nodeSpecOf(h, i)).filter((n): n is GpuNodeSpec => !!n);
  const log = openSync(path.join(dir, 'k8s.log'), 'a');
  const child = spawn(process.execPath, [program, '--state', dir, '--nodes', JSON.stringify(nodes)], {
    detached: true,
    stdio: ['ignore', log, log],
    env: {
      ...process.env,
      ENCLAVE_LAB_STATE: state.stateDir,
      ENCLAVE_K8S_OPENAPI_DIR: path.join(state.repoRoot, 'electron/core/tenants/openapi'),
    },
  });
  child.unref();
  const info = path.join(dir, 'k8s.json');
  const deadline = Date.now() + 15_000;
  while (!existsSync(info)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      if (child.exitCode === null) child.kill('SIGTERM');
      const tail = readFileSync(path.join(dir, 'k8s.log'), 'utf8').slice(-2000);
      throw new Error(`the Kubernetes API emulator did not start: ${tail.trim() || 'no output'}`);
    }
    await sleep(50);
  }
  const started = JSON.parse(readFileSync(info, 'utf8')) as { pid: number; url: string; kubeconfig: string };
  const kubeconfig = path.join(state.stateDir, 'kubeconfig');
  await copyFile(started.kubeconfig, kubeconfig);
  return { pid: started.pid, url: started.url, kubeconfig };
}
