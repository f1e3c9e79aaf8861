// Small process and command helpers for the lab: run a command with a clear
// error, find processes through /proc, and stop processes by PID only.
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command; on failure throws an error that names the command and carries its stderr. */
export function run(command: string, args: string[], input?: string): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = execFile(command, args, { encoding: 'utf8', timeout: 30_000 }, (error, stdout, stderr) => {
      if (error) {
        const code = (error as NodeJS.ErrnoException).code;
        const reason =
          code === 'ENOENT'
            ? 'command not found'
            : (stderr.trim() || error.message).split('\n').slice(-3).join(' ');
        reject(new Error(`${command} ${args.join(' ')}: ${reason}`));
      } else {
        resolve({ stdout, stderr });
      }
    });
    if (input !== undefined) child.stdin?.end(input);
  });
}

export interface ProcInfo {
  pid: number;
  ppid: number;
  state: string;
  /** Start time in clock ticks since boot: with the PID, identifies one process. */
  start: string;
  cmdline: string;
}

function readStat(pid: number): { ppid: number; state: string; start: string } | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: rest[0] ?? '?', ppid: Number(rest[1]), start: rest[19] ?? '' };
  } catch {
    return undefined;
  }
}

/** Every process visible in /proc (zombies and exiting ones excluded). */
export function listProcesses(): ProcInfo[] {
  const out: ProcInfo[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const pid = Number(entry);
    const stat = readStat(pid);
    if (!stat || stat.state === 'Z' || stat.state === 'X') continue;
    const cmdline = cmdlineOf(pid);
    if (cmdline === undefined) continue;
    out.push({ pid, ppid: stat.ppid, state: stat.state, start: stat.start, cmdline });
  }
  return out;
}

/** True while the process exists and is not a zombie. */
export function isAlive(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

/** The process's command line, or undefined when it is gone. */
export function cmdlineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return undefined;
  }
}

/** All descendants of the given PIDs (children, grandchildren, …). */
export function descendantsOf(roots: number[], procs: ProcInfo[] = listProcesses()): number[] {
  const children = new Map<number, number[]>();
  for (const p of procs) {
    const list = children.get(p.ppid) ?? [];
    list.push(p.pid);
    children.set(p.ppid, list);
  }
  const found: number[] = [];
  const queue = [...roots];
  while (queue.length) {
    const pid = queue.shift() as number;
    for (const child of children.get(pid) ?? []) {
      if (!found.includes(child)) {
        found.push(child);
        queue.push(child);
      }
    }
  }
  return found;
}

/** Processes whose environment contains `needle` (only those this user may read). */
export function processesWithEnv(needle: string, procs: ProcInfo[] = listProcesses()): number[] {
  const out: number[] = [];
  for (const p of procs) {
    try {
      if (readFileSync(`/proc/${p.pid}/environ`, 'utf8').split('\0').includes(needle)) out.push(p.pid);
    } catch {
      // not ours to read, or gone
    }
  }
  return out;
}

/** Processes in the same namespace (e.g. 'uts') as `pid`, `pid` included. */
export function processesInNamespaceOf(
  pid: number,
  kind: string,
  procs: ProcInfo[] = listProcesses(),
): number[] {
  let target: string;
  try {
    target = readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return [];
  }
  return procs
    .filter((p) => {
      try {
        return readlinkSync(`/proc/${p.pid}/ns/${kind}`) === target;
      } catch {
        return false;
      }
    })
    .map((p) => p.pid);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Sends SIGTERM to each PID, waits up to `graceMs`, then SIGKILLs what is left and waits for it. */
export async function stopPids(pids: number[], graceMs = 2000): Promise<void> {
  const unique = [...new Set(pids)].filter((p) => p > 1 && p !== process.pid);
  const signal = (pid: number, sig: NodeJS.Signals) => {
    try {
      process.kill(pid, sig);
    } catch {
      // already gone
    }
  };
  for (const pid of unique) signal(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline && unique.some(isAlive)) await sleep(25);
  const left = unique.filter(isAlive);
  for (const pid of left) signal(pid, 'SIGKILL');
  const hard = Date.now() + 3000;
  while (Date.now() < hard && left.some(isAlive)) await sleep(25);
}
