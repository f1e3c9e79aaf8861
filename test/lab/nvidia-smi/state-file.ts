// The host's state file: read, write atomically (temp + rename), and a lock file so concurrent
// nvidia-smi invocations on one host (several SSH sessions) do not lose each other's changes.
import { closeSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import type { HostState } from './state';

const LOCK_WAIT_MS = 10_000;
/** A lock older than this was left by a killed process (a dropped SSH session, say). */
const STALE_LOCK_MS = 30_000;

function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Runs `fn` holding `<file>.lock`; throws if the lock cannot be had within LOCK_WAIT_MS. */
export function withStateLock<T>(file: string, fn: () => T): T {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      closeSync(openSync(lock, 'wx'));
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      try {
        if (Date.now() - statSync(lock).mtimeMs > STALE_LOCK_MS) unlinkSync(lock);
      } catch {
        // The holder released it between our checks; just retry.
      }
      if (Date.now() > deadline) throw new Error(`state file ${file} is locked (${lock})`, { cause: e });
      sleepSync(10 + Math.floor(Math.random() * 20));
    }
  }
  try {
    return fn();
  } finally {
    unlinkSync(lock);
  }
}

export function readState(file: string): HostState {
  const state = JSON.parse(readFileSync(file, 'utf8')) as HostState;
  if (state.schema !== 1) throw new Error(`state file ${file} has unknown schema ${String(state.schema)}`);
  return state;
}

export function writeStateAtomically(file: string, state: HostState): void {
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o644 });
  renameSync(tmp, file);
}
