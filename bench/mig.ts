/**
 * MIG benchmark (issue 5): apply the `balanced` layout to every GPU of 32 lab hosts (8 GPUs each,
 * the default lab mix: A100-40GB, A100-80GB with MIG off, H100 with swapped GI IDs, H200 with MIG
 * off) with the console, and with an Ansible playbook running the same nvidia-smi commands, in the
 * same run. The console plans from the state it reads, runs each step, reads the state back after
 * every step and verifies each GPU; the playbook only runs the commands (taken from the console's
 * own run, GI IDs included), so it does strictly less work. Both start from the same seeded state.
 */
import { spawn } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ConsoleCore } from '../electron/core';
import { labDown, labUp, type LabState } from '../test/lab/site';
import { seedDefaultGpus } from '../test/lab/site/gpu-profiles';
import { listProcesses, stopPids } from '../test/lab/site/proc';
import { openConsoleSide } from './_console';
import { report, type Figure } from './_report';

const HOSTS = Number(process.env.BENCH_MIG_HOSTS ?? 32);
const GPUS_PER_HOST = 8;
const LAYOUT = 'balanced';
const PLAYBOOK = '/usr/bin/ansible-playbook';
const GOAL = 0.3;

function runProcess(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(file, args, {
      env: options.env ?? process.env,
      cwd: options.cwd,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(
      () => child.pid && process.kill(child.pid, 'SIGKILL'),
      options.timeoutMs ?? 1_800_000,
    );
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

/** Seeds every host's GPUs again (as lab up did), owned by the lab's login user. */
function reseed(lab: LabState): void {
  lab.hosts.forEach((host, i) => {
    seedDefaultGpus(host, i);
    const owner = statSync(host.hostDir);
    if (process.getuid?.() === 0) chownSync(host.gpuStateFile, owner.uid, owner.gid);
  });
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'enclave-bench-mig-'));
  chmodSync(work, 0o711);
  const stateDir = path.join(work, 'lab');
  const figures: Figure[] = [];
  let lab: LabState | undefined;
  let core: ConsoleCore | undefined;
  const controlDir = mkdtempSync(path.join(tmpdir(), 'enclave-bench-cp-'));
  try {
    lab = await labUp({ hosts: HOSTS, stateDir, seedHost: seedDefaultGpus });
    const site = lab;
    const where = `${lab.hosts.length} lab hosts × ${GPUS_PER_HOST} GPUs, ${lab.mode} mode`;
    console.log(`mig: ${where}`);
    const side = await openConsoleSide(lab, path.join(work, 'console'));
    core = side.core;
    const admin = side.admin;

    // Console: every host at once, each host GPU after GPU; once with the default read-back (the
    // driver's answers, one verifying read per host), once reading the listings after every step.
    const consoleApply = async (readBack: 'confirmations' | 'every-step') => {
      const started = performance.now();
      const applied = await Promise.all(
        site.hosts.map((h) => admin.call('gpu.apply', { host: h.name, layout: { name: LAYOUT }, readBack })),
      );
      const ms = performance.now() - started;
      const bad = applied.flatMap((a) =>
        a.results
          .filter((r) => r.outcome !== 'applied')
          .map((r) => `${a.host} GPU ${r.gpu}: ${r.outcome} ${r.error ?? ''}`),
      );
      if (bad.length)
        throw new Error(
          `console apply (${readBack}) did not succeed everywhere: ${bad.slice(0, 5).join('; ')}`,
        );
      return { ms, applied };
    };
    const { ms: consoleMs, applied } = await consoleApply('confirmations');
    const commands = new Map(
      applied.map((a) => [
        a.host,
        a.results.flatMap((r) => r.steps.flatMap((s) => (s.command ? [s.command] : []))),
      ]),
    );
    const steps = [...commands.values()].reduce((n, c) => n + c.length, 0);
    console.log(`mig: console applied ${LAYOUT} in ${(consoleMs / 1000).toFixed(1)} s (${steps} commands)`);
    let everyStepMs: number | undefined;
    if (process.env.BENCH_MIG_EVERY_STEP !== '0') {
      reseed(lab);
      everyStepMs = (await consoleApply('every-step')).ms;
      console.log(`mig: console (every-step read-back) in ${(everyStepMs / 1000).toFixed(1)} s`);
    }

    let ansibleMs: number | undefined;
    let version: string | undefined;
    if (existsSync(PLAYBOOK)) {
      version = (await runProcess(PLAYBOOK, ['--version'])).stdout.split('\n')[0]?.trim();
      reseed(lab);
      const inventory = path.join(work, 'inventory.yaml');
      const hosts: Record<string, unknown> = {};
      for (const h of lab.hosts) {
        hosts[h.name] = {
          ansible_host: h.address,
          ansible_port: h.port,
          ansible_user: h.user,
          ansible_ssh_private_key_file: lab.operatorKey,
          ansible_python_interpreter: '/usr/bin/python3',
          mig_commands: commands.get(h.name) ?? [],
        };
      }
      writeFileSync(inventory, JSON.stringify({ all: { hosts } }));
      const playbook = path.join(work, 'mig.yaml');
      writeFileSync(
        playbook,
        [
          '- hosts: all',
          '  gather_facts: false',
          '  tasks:',
          '    - name: the nvidia-smi steps of the plan, in order',
          '      command: "{{ item }}"',
          '      loop: "{{ mig_commands }}"',
          '',
        ].join('\n'),
      );
      const env = {
        ...process.env,
        ANSIBLE_HOST_KEY_CHECKING: 'False',
        ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
        ANSIBLE_SSH_ARGS:
          '-o ControlMaster=auto -o ControlPersist=60s -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null',
        ANSIBLE_PIPELINING: 'True',
        ANSIBLE_NOCOLOR: '1',
      };
      const run = await runProcess(PLAYBOOK, ['-i', inventory, '-f', String(HOSTS), playbook], {
        env,
        cwd: work,
      });
      if (run.code !== 0) throw new Error(`ansible-playbook exited ${run.code}: ${run.stdout.slice(-2000)}`);
      ansibleMs = run.ms;
      // The playbook's result, read the way the console reads a host: every GPU must be balanced.
      for (const h of lab.hosts) {
        const state = await admin.call('gpu.state', { host: h.name });
        if (state.drift.length > 0)
          throw new Error(
            `${h.name} after the playbook differs from the console's result: ${state.drift[0]?.summary}`,
          );
      }
    }
    const ratio = ansibleMs === undefined ? undefined : consoleMs / ansibleMs;
    figures.push({
      name: `apply ${LAYOUT} to ${HOSTS} hosts × ${GPUS_PER_HOST} GPUs`,
      value: consoleMs / 1000,
      unit: 's',
      ...(ansibleMs !== undefined
        ? {
            peer: {
              name: `${version ?? 'ansible-playbook'}, same ${steps} commands (pipelining, ControlPersist)`,
              value: ansibleMs / 1000,
              unit: 's',
            },
          }
        : {}),
      goal: `≤ ${GOAL}× Ansible`,
      ...(ratio !== undefined ? { met: ratio <= GOAL } : {}),
      note:
        ratio === undefined
          ? `peer missing: ${PLAYBOOK} is not installed (apt-get install ansible-core); ${where}`
          : `${ratio.toFixed(3)}× Ansible; the console also plans, checks the driver's answer to every step and verifies every GPU from one read of each host; ${where}`,
    });
    if (everyStepMs !== undefined) {
      const r = ansibleMs === undefined ? undefined : everyStepMs / ansibleMs;
      figures.push({
        name: `the same with --read-back every-step`,
        value: everyStepMs / 1000,
        unit: 's',
        ...(ansibleMs !== undefined
          ? { peer: { name: 'ansible-playbook, as above', value: ansibleMs / 1000, unit: 's' } }
          : {}),
        ...(r !== undefined ? { goal: `≤ ${GOAL}× Ansible`, met: r <= GOAL } : {}),
        note: `${r === undefined ? '' : `${r.toFixed(3)}× Ansible; `}the four nvidia-smi listings after every step and each GPU verified at once (each simulated nvidia-smi run is a Node start, ~85 ms)`,
      });
    }
  } finally {
    await stopPids(
      listProcesses()
        .filter((p) => p.pid !== process.pid && p.cmdline.includes(controlDir))
        .map((p) => p.pid),
    ).catch(() => undefined);
    rmSync(controlDir, { recursive: true, force: true });
    core?.close();
    if (lab) await labDown(stateDir);
    rmSync(work, { recursive: true, force: true });
  }
  report('mig', figures);
}

await main();
