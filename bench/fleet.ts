/**
 * Fleet benchmark (issue 4): the same discovery command on 32 lab hosts (real
 * sshd, the nvidia-smi simulator) with the console and with Debian's Ansible
 * (`ansible all -f 32 -m command`) in the same run, cold and warm; and SSH
 * connections set up per second, ssh2 (`connectSsh`) next to OpenSSH.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { QUERY_GPU_COMMAND } from '../electron/core/gpu';
import { connectSsh } from '../electron/core/hosts/ssh';
import { labDown, labUp, type LabHost, type LabState } from '../test/lab/site';
import { seedDefaultGpus } from '../test/lab/site/gpu-profiles';
import { listProcesses, stopPids } from '../test/lab/site/proc';
import { openConsoleSide, type ConsoleSide } from './_console';
import { report, type Figure } from './_report';

const HOSTS = Number(process.env.BENCH_FLEET_HOSTS ?? 32);
const FORKS = HOSTS;
/** Fresh connections timed for the connections-per-second figure, at this concurrency. */
const CONNECTIONS = Number(process.env.BENCH_FLEET_CONNECTIONS ?? 128);
const CONNECT_CONCURRENCY = 8;
/** Warm runs are repeated and the median kept. */
const WARM_REPEATS = 3;
const GPUS_PER_HOST = 8;
const ANSIBLE = '/usr/bin/ansible';
const GOAL = 0.3;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a command, killing it (by its PID) if it outlives the timeout. */
function runProcess(
  file: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<Exit> {
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
    const timer = setTimeout(() => {
      if (child.pid) process.kill(child.pid, 'SIGKILL');
    }, options.timeoutMs ?? 300_000);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr, ms: performance.now() - started });
    });
  });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** Runs `count` tasks, at most `concurrency` at a time. */
async function fanOut(count: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, count) }, async () => {
      for (let i = next++; i < count; i = next++) await task(i);
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// Console side

async function consoleDiscover(side: ConsoleSide): Promise<number> {
  const { ms, value } = await timed(() =>
    side.admin.call('hosts.discover', { hosts: side.names, concurrency: FORKS }),
  );
  const bad = value.results.filter((r) => r.error !== null || r.gpus.length !== GPUS_PER_HOST);
  if (value.results.length !== side.names.length || bad.length) {
    throw new Error(
      `console discovery failed on ${bad.length} host(s): ${bad.map((r) => `${r.host}: ${r.error ?? `${r.gpus.length} GPUs`}`).join('; ')}`,
    );
  }
  return ms;
}

async function consoleRun(side: ConsoleSide): Promise<number> {
  const { ms, value } = await timed(() =>
    side.admin.call('hosts.run', { hosts: side.names, command: QUERY_GPU_COMMAND, concurrency: FORKS }),
  );
  const bad = value.results.filter(
    (r) => r.exitCode !== 0 || r.stdout.trim().split('\n').length !== GPUS_PER_HOST,
  );
  if (value.results.length !== side.names.length || bad.length) {
    throw new Error(
      `console hosts.run failed on ${bad.length} host(s): ${bad.map((r) => `${r.host}: ${r.error ?? `exit ${r.exitCode}`}`).join('; ')}`,
    );
  }
  return ms;
}

// ---------------------------------------------------------------------------------------------
// Ansible side

function writeAnsibleInventory(lab: LabState, file: string): void {
  const lines = lab.hosts.map(
    (h) =>
      `${h.name} ansible_host=${h.address} ansible_port=${h.port} ansible_user=${h.user} ` +
      `ansible_ssh_private_key_file=${lab.operatorKey} ansible_python_interpreter=/usr/bin/python3`,
  );
  writeFileSync(
    file,
    [
      '[gpu]',
      ...lines,
      '',
      '[all:vars]',
      "ansible_ssh_common_args='-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null'",
      '',
    ].join('\n'),
  );
}

interface AnsibleJson {
  plays?: {
    tasks?: {
      hosts?: Record<string, { rc?: number; stdout?: string; unreachable?: boolean; msg?: string }>;
    }[];
  }[];
  stats?: Record<string, { ok: number; failures: number; unreachable: number }>;
}

/** One `ansible all -m command` run; throws unless it succeeded on every host with the expected output. */
async function ansibleRun(
  lab: LabState,
  inventory: string,
  controlDir: string,
  cwd: string,
): Promise<number> {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ANSIBLE_HOST_KEY_CHECKING: 'False',
    ANSIBLE_SSH_CONTROL_PATH_DIR: controlDir,
    // Machine-readable results, to check every host (printed once, at the end).
    ANSIBLE_LOAD_CALLBACK_PLUGINS: 'True',
    ANSIBLE_STDOUT_CALLBACK: 'json',
    ANSIBLE_NOCOLOR: '1',
  };
  const exit = await runProcess(
    ANSIBLE,
    ['all', '-i', inventory, '-f', String(FORKS), '-m', 'command', '-a', QUERY_GPU_COMMAND],
    { env, cwd, timeoutMs: 300_000 },
  );
  let parsed: AnsibleJson;
  try {
    parsed = JSON.parse(exit.stdout.slice(exit.stdout.indexOf('{'))) as AnsibleJson;
  } catch {
    throw new Error(
      `ansible exited ${exit.code ?? exit.signal} without JSON results: ${(exit.stderr || exit.stdout).slice(0, 2000)}`,
    );
  }
  const results = parsed.plays?.[0]?.tasks?.[0]?.hosts ?? {};
  const problems: string[] = [];
  for (const h of lab.hosts) {
    const r = results[h.name];
    const s = parsed.stats?.[h.name];
    const lines = r?.stdout?.trim().split('\n').length ?? 0;
    if (!r || !s || s.failures || s.unreachable || r.rc !== 0 || lines !== GPUS_PER_HOST) {
      problems.push(`${h.name}: ${r?.msg ?? (r ? `rc ${r.rc}, ${lines} lines` : 'no result')}`);
    }
  }
  if (exit.code !== 0 || problems.length) {
    throw new Error(
      `ansible did not succeed on all ${lab.hosts.length} hosts (exit ${exit.code ?? exit.signal}): ${problems.slice(0, 5).join('; ')}`,
    );
  }
  return exit.ms;
}

/** Stops Ansible's ControlPersist masters (`ssh: <controlDir>/… [mux]`), by PID. */
async function stopMuxes(controlDir: string): Promise<number> {
  const pids = listProcesses()
    .filter((p) => p.pid !== process.pid && p.cmdline.includes(controlDir))
    .map((p) => p.pid);
  await stopPids(pids);
  return pids.length;
}

// ---------------------------------------------------------------------------------------------
// Connections per second

async function ssh2ConnectionsPerSecond(lab: LabState): Promise<number> {
  const privateKey = readFileSync(lab.operatorKey);
  const { ms } = await timed(() =>
    fanOut(CONNECTIONS, CONNECT_CONCURRENCY, async (i) => {
      const h = lab.hosts[i % lab.hosts.length] as LabHost;
      const session = await connectSsh({
        name: h.name,
        address: h.address,
        port: h.port,
        user: h.user,
        privateKey,
        pinned: h.fingerprint,
      });
      try {
        const r = await session.exec('true', { timeoutMs: 10_000 });
        if (r.exitCode !== 0) throw new Error(`${h.name}: true exited ${r.exitCode}`);
      } finally {
        session.close();
      }
    }),
  );
  return CONNECTIONS / (ms / 1000);
}

async function opensshConnectionsPerSecond(lab: LabState): Promise<number> {
  const { ms } = await timed(() =>
    fanOut(CONNECTIONS, CONNECT_CONCURRENCY, async (i) => {
      const h = lab.hosts[i % lab.hosts.length] as LabHost;
      const r = await runProcess(
        'ssh',
        [
          '-F',
          '/dev/null',
          '-o',
          'ControlMaster=no',
          '-o',
          'ControlPath=none',
          '-o',
          'BatchMode=yes',
          '-o',
          'StrictHostKeyChecking=yes',
          '-o',
          `UserKnownHostsFile=${lab.knownHosts}`,
          '-i',
          lab.operatorKey,
          '-p',
          String(h.port),
          `${h.user}@${h.address}`,
          'true',
        ],
        { timeoutMs: 30_000 },
      );
      if (r.code !== 0) throw new Error(`ssh to ${h.name} exited ${r.code ?? r.signal}: ${r.stderr.trim()}`);
    }),
  );
  return CONNECTIONS / (ms / 1000);
}

// ---------------------------------------------------------------------------------------------

const seconds = (ms: number) => ms / 1000;

function versus(
  name: string,
  consoleMs: number,
  peerName: string,
  peerMs: number | undefined,
  note: string,
): Figure {
  if (peerMs === undefined) return { name, value: seconds(consoleMs), unit: 's', note };
  const ratio = consoleMs / peerMs;
  return {
    name,
    value: seconds(consoleMs),
    unit: 's',
    peer: { name: peerName, value: seconds(peerMs), unit: 's' },
    goal: `≤ ${GOAL}× Ansible`,
    met: ratio <= GOAL,
    note: `${ratio.toFixed(3)}× Ansible; ${note}`,
  };
}

async function main(): Promise<void> {
  const work = mkdtempSync(path.join(tmpdir(), 'enclave-bench-fleet-'));
  chmodSync(work, 0o711); // the lab's login user must reach its host directories
  const stateDir = path.join(work, 'lab');
  const figures: Figure[] = [];
  let side: ConsoleSide | undefined;
  let lab: LabState | undefined;
  const controlDirs: string[] = [];
  try {
    lab = await labUp({ hosts: HOSTS, stateDir, seedHost: seedDefaultGpus });
    const where = `${lab.hosts.length} lab hosts, ${lab.mode} mode (${lab.modeReason})`;
    console.log(`fleet: ${where}`);
    side = await openConsoleSide(lab, path.join(work, 'console'));

    // Console: discovery (facts, --query-gpu, -L on each host) cold, then warm (pooled connections).
    const discoverCold = await consoleDiscover(side);
    const discoverWarm: number[] = [];
    for (let i = 0; i < WARM_REPEATS; i++) discoverWarm.push(await consoleDiscover(side));
    // Console: hosts.run of Ansible's single command, warm, then cold (pool emptied first).
    const runWarm: number[] = [];
    for (let i = 0; i < WARM_REPEATS; i++) runWarm.push(await consoleRun(side));
    side.core.hosts.pool.closeAll();
    await new Promise((r) => setTimeout(r, 500));
    const runCold = await consoleRun(side);
    side.core.hosts.pool.closeAll();

    // Ansible: the same single command, cold (no ControlPersist sockets) then warm (same socket dir).
    let ansibleCold: number | undefined;
    let ansibleWarm: number | undefined;
    let ansibleVersion: string | undefined;
    if (existsSync(ANSIBLE)) {
      ansibleVersion = (await runProcess(ANSIBLE, ['--version'])).stdout.split('\n')[0]?.trim();
      const inventory = path.join(work, 'inventory.ini');
      writeAnsibleInventory(lab, inventory);
      const controlDir = mkdtempSync(path.join(tmpdir(), 'enclave-bench-cp-'));
      controlDirs.push(controlDir);
      ansibleCold = await ansibleRun(lab, inventory, controlDir, work);
      const warm: number[] = [];
      for (let i = 0; i < WARM_REPEATS; i++) warm.push(await ansibleRun(lab, inventory, controlDir, work));
      ansibleWarm = median(warm);
      await stopMuxes(controlDir);
    }
    const noPeer = ansibleCold === undefined ? `; peer missing: ${ANSIBLE} is not installed` : '';
    const a = ansibleVersion ?? 'Ansible';

    figures.push(
      versus(
        `hosts.run of --query-gpu on ${HOSTS} hosts, cold`,
        runCold,
        `${a}, cold`,
        ansibleCold,
        `same single command; fresh connections on both sides${noPeer}`,
      ),
      versus(
        `hosts.run of --query-gpu on ${HOSTS} hosts, warm`,
        median(runWarm),
        `${a}, warm`,
        ansibleWarm,
        `median of ${WARM_REPEATS}; pooled ssh2 vs ControlPersist${noPeer}`,
      ),
      versus(
        `hosts.discover on ${HOSTS} hosts, cold (3 commands)`,
        discoverCold,
        `${a}, cold (1 command)`,
        ansibleCold,
        `facts + --query-gpu + -L and storing them, vs Ansible's one command${noPeer}`,
      ),
      versus(
        `hosts.discover on ${HOSTS} hosts, warm (3 commands)`,
        median(discoverWarm),
        `${a}, warm (1 command)`,
        ansibleWarm,
        `median of ${WARM_REPEATS}${noPeer}`,
      ),
    );

    // SSH connections set up per second.
    const ssh2Rate = await ssh2ConnectionsPerSecond(lab);
    const opensshRate = await opensshConnectionsPerSecond(lab);
    figures.push({
      name: `SSH connections set up (${CONNECTIONS}, ${CONNECT_CONCURRENCY} at a time)`,
      value: ssh2Rate,
      unit: 'conn/s',
      peer: { name: 'OpenSSH ssh -o ControlMaster=no', value: opensshRate, unit: 'conn/s' },
      note: `${(ssh2Rate / opensshRate).toFixed(2)}× OpenSSH; each: key exchange, pinned host key, public-key auth, \`true\`, close; ${where}`,
    });
  } finally {
    for (const dir of controlDirs) {
      await stopMuxes(dir).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    }
    side?.admin.close();
    side?.core.close();
    if (lab) await labDown(stateDir);
    else if (existsSync(path.join(stateDir, 'lab.json'))) await labDown(stateDir).catch(() => undefined);
    rmSync(work, { recursive: true, force: true });
  }
  report('fleet', figures);
}

await main();
