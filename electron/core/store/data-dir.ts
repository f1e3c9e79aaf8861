import { mkdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Where the console keeps its data: `--data-dir`, else ENCLAVE_DATA_DIR,
 * else $XDG_DATA_HOME/enclave-console (default ~/.local/share/enclave-console).
 */
export function resolveDataDir(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  if (explicit) return path.resolve(explicit);
  if (env.ENCLAVE_DATA_DIR) return path.resolve(env.ENCLAVE_DATA_DIR);
  const xdg = env.XDG_DATA_HOME && path.isAbsolute(env.XDG_DATA_HOME) ? env.XDG_DATA_HOME : undefined;
  return path.join(xdg ?? path.join(homedir(), '.local', 'share'), 'enclave-console');
}

/** Creates the directory readable by this user only; refuses a path that is not a directory. */
export function ensureDataDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (!statSync(dir).isDirectory()) {
    throw new Error(`the data directory ${dir} is not a directory; choose another with --data-dir`);
  }
}
