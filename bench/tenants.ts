/**
 * Tenants benchmark (issue 6): provision 200 tenants on the lab's Kubernetes API emulator with the
 * console, and with `kubectl apply --server-side -f` of the same rendered manifests, in the same run.
 * Each side gets a fresh emulator in a process of its own (same starting state, its CPU not the
 * measured side's). The console does the whole operator flow per tenant: plan (a read and a
 * server-side-apply dry run of every object, GPU capacity), apply of the reviewed plan, and a
 * read-back of every object; kubectl only applies. kubectl is timed two ways: one invocation over a
 * folder of all 200 manifests (its fastest), and one invocation per tenant (how a script provisions).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openBenchConsole } from './_console';
import { report, type Figure } from './_report';

const TENANTS = Number(process.env.BENCH_TENANTS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_TENANT_CONCURRENCY ?? 8);
const GOAL = 0.5;
const KUBECTL = process.env.KUBECTL ?? 'kubectl';
/** Built by `npm run bench` (build/build.mjs builds the lab too). */
const EMULATOR = path.resolve('out/lab/k8s.mjs');
const EXAMPLE = readFileSync('docs/examples/tenant.yaml', 'utf8');

/** The example tenant under another name, with a MIG quota the emulated fleet can hold. */
function tenantSpec(i: number): string {
  const name = `bench-${String(i).padStart(3, '0')}`;
  return EXAMPLE.replace(/^name: tenant-a$/m, `name: ${name}`)
    .replace(/tenant-a\//g, `${name}/`)
    .replace(/ {4}1g\.10gb: 4\n {4}3g\.40gb: 2\n/, '    1g.10gb: 1\n');
}

/** 32 nodes of 8 H100s cut into 1g.10gb slices: 1792 slices, room for every tenant's one. */
const NODES = Array.from({ length: 32 }, (_, i) => ({
  name: `gpu-${String(i + 1).padStart(2, '0')}`,
  gpuProduct: 'NVIDIA-H100-80GB-HBM3',
  gpus: 8,
  migLayout: 'all-1g.10gb',
}));

interface Emulator {
  child: ChildProcess;
  url: string;
  kubeconfig: string;
  stop(): Promise<void>;
}

/** Emulators still running: stopped however the benchmark ends. */
const running = new Set<ChildProcess>();

/** The lab's emulator daemon (out/lab/k8s.mjs, as `lab up` runs it), ready once it writes k8s.json. */
async function startEmulator(stateDir: string): Promise<Emulator> {
  const child = spawn(process.execPath, [EMULATOR, '--state', stateDir, '--nodes', JSON.stringify(NODES)], {
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const ready = path.join(stateDir, 'k8s.json');
  const exited = new Promise<never>((_, reject) =>
    child.once('exit', (code) => reject(new Error(`the emulator exited (${code})`))),
  );
  let info: { url: string; kubeconfig: string } | undefined;
  while (!info) {
    await Promise.race([exited, new Promise((r) => setTimeout(r, 50))]);
    try {
      info = JSON.parse(readFileSync(ready, 'utf8')) as { url: string; kubeconfig: string };
    } catch {
      // not written (completely) yet
    }
  }
  running.add(child);
  return {
    child,
    url: info.url,
    kubeconfig: readFileSync(info.kubeconfig, 'utf8'),
    stop: () =>
      new Promise((resolve) => {
        running.delete(child);
        child.removeAllListeners('exit');
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

async function consoleSide(em: Emulator, dataDir: string, specs: string[]) {
  const { core, admin } = await openBenchConsole(dataDir);
  await admin.call('clusters.import', { kubeconfig: em.kubeconfig, name: 'lab' });
  const started = performance.now();
  let next = 0;
  let unverified = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < specs.length) {
        const spec = specs[next++] as string;
        const plan = await admin.call('tenants.plan', { spec, cluster: 'lab' });
        const out = await admin.call('tenants.apply', { spec, cluster: 'lab', planDigest: plan.planDigest });
        if (!out.verified) unverified++;
      }
    }),
  );
  const ms = performance.now() - started;
  const tenants = await admin.call('tenants.list', {});
  core.close();
  return { ms, unverified, recorded: tenants.length };
}

function kubectl(args: string[], kubeconfigFile: string): { ms: number; ok: boolean; stderr: string } {
  const started = performance.now();
  const run = spawnSync(KUBECTL, [`--kubeconfig=${kubeconfigFile}`, ...args], { encoding: 'utf8' });
  return { ms: performance.now() - started, ok: run.status === 0, stderr: run.stderr.slice(0, 500) };
}

async function main(): Promise<void> {
  const version = spawnSync(KUBECTL, ['version', '--client'], { encoding: 'utf8' });
  if (version.status !== 0) {
    console.error(`no usable kubectl (${KUBECTL}): the comparison cannot run; install kubernetes-client`);
    process.exit(1);
  }
  const kubectlVersion = /Client Version: (\S+)/.exec(version.stdout)?.[1] ?? 'unknown';
  const work = mkdtempSync(path.join(tmpdir(), 'bench-tenants-'));
  try {
    const specs = Array.from({ length: TENANTS }, (_, i) => tenantSpec(i));

    // The console: plan, apply the reviewed plan, read back, for every tenant.
    const em1 = await startEmulator(path.join(work, 'k8s-console'));
    const c = await consoleSide(em1, path.join(work, 'console'), specs);
    await em1.stop();
    console.log(`console: ${TENANTS} tenants in ${(c.ms / 1000).toFixed(2)} s (${c.unverified} unverified)`);

    // The same manifests, rendered by the console once, for kubectl.
    const manifests = path.join(work, 'manifests');
    mkdirSync(manifests);
    {
      const { core, admin } = await openBenchConsole(path.join(work, 'render'));
      for (const [i, spec] of specs.entries()) {
        const { manifest } = await admin.call('tenants.render', { spec });
        writeFileSync(path.join(manifests, `${String(i).padStart(3, '0')}.yaml`), manifest);
      }
      core.close();
    }

    const em2 = await startEmulator(path.join(work, 'k8s-kubectl'));
    const kc2 = path.join(work, 'kubeconfig-2');
    writeFileSync(kc2, em2.kubeconfig, { mode: 0o600 });
    const all = kubectl(['apply', '--server-side', '--field-manager=kubectl-bench', '-f', manifests], kc2);
    await em2.stop();
    if (!all.ok) throw new Error(`kubectl apply -f DIR failed: ${all.stderr}`);

    const em3 = await startEmulator(path.join(work, 'k8s-kubectl-each'));
    const kc3 = path.join(work, 'kubeconfig-3');
    writeFileSync(kc3, em3.kubeconfig, { mode: 0o600 });
    let eachMs = 0;
    for (let i = 0; i < TENANTS; i++) {
      const r = kubectl(
        [
          'apply',
          '--server-side',
          '--field-manager=kubectl-bench',
          '-f',
          path.join(manifests, `${String(i).padStart(3, '0')}.yaml`),
        ],
        kc3,
      );
      if (!r.ok) throw new Error(`kubectl apply of tenant ${i} failed: ${r.stderr}`);
      eachMs += r.ms;
    }
    await em3.stop();

    const ratio = c.ms / all.ms;
    const figures: Figure[] = [
      {
        name: `provision ${TENANTS} tenants (plan + apply + read-back each; ${CONCURRENCY} at a time)`,
        value: c.ms / 1000,
        unit: 's',
        peer: {
          name: `kubectl ${kubectlVersion} apply --server-side -f DIR (one run)`,
          value: all.ms / 1000,
          unit: 's',
        },
        goal: `≤ ${GOAL}× kubectl`,
        met: ratio <= GOAL,
        note: `ratio ${ratio.toFixed(3)}×; ${c.recorded} tenants recorded, ${c.unverified} failed read-back`,
      },
      {
        name: `the same, kubectl once per tenant (${TENANTS} runs)`,
        value: c.ms / 1000,
        unit: 's',
        peer: {
          name: `kubectl ${kubectlVersion} apply --server-side -f FILE ×${TENANTS}`,
          value: eachMs / 1000,
          unit: 's',
        },
        note: `ratio ${(c.ms / eachMs).toFixed(3)}×`,
      },
    ];
    report('tenants', figures);
  } finally {
    for (const child of running) child.kill('SIGTERM');
    rmSync(work, { recursive: true, force: true });
  }
}

await main();
