import { createHash, randomBytes } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type ssh2 from 'ssh2';
import { ConsoleError } from '../../../shared/errors';
import type { SshSession } from './ssh';

/**
 * SFTP upload and download with a SHA-256 check of what landed.
 *
 * Both directions write to a temporary name beside the target (`.<name>.part-<random>`), hash
 * both ends, compare, and only then rename into place; a mismatch, an error or a cancellation
 * removes the temporary file, so nothing half-written is ever left at the target name and an
 * existing target keeps its old content.
 *
 * The host side is hashed on the host (`openssl dgst -sha256 -r` when present, else `sha256sum`),
 * not by reading the file back over SFTP.
 */

export type TransferPhase = 'sending' | 'verifying' | 'done';

export interface TransferProgress {
  phase: TransferPhase;
  /** Bytes sent so far (the whole size once sending is over). */
  bytes: number;
  totalBytes: number;
}

export interface UploadOptions {
  localPath: string;
  remotePath: string;
  /** Permissions of the file on the host (e.g. 0o644); default: the host's umask decides. */
  mode?: number;
  /** Called at most ~10 times a second, and at every phase change; the last call is 'done'. */
  onProgress?: (p: TransferProgress) => void;
  signal?: AbortSignal;
  /** Host name for messages (default "the host"). */
  host?: string;
  /**
   * FOR TESTS ONLY: called once the bytes are sent, before they are verified, with the remote
   * temporary path — lets a test corrupt what landed to prove the check catches it.
   */
  afterSend?: (remoteTemporaryPath: string) => Promise<void>;
}

export interface DownloadOptions {
  remotePath: string;
  localPath: string;
  onProgress?: (p: TransferProgress) => void;
  signal?: AbortSignal;
  host?: string;
  /** FOR TESTS ONLY: called once the bytes are received, before they are verified, with the local temporary path. */
  afterSend?: (localTemporaryPath: string) => Promise<void>;
}

export interface TransferResult {
  localPath: string;
  remotePath: string;
  bytes: number;
  /** The SHA-256 (lowercase hex) both ends agreed on. */
  sha256: string;
  /** Which tool hashed the host side. */
  remoteHasher: 'openssl' | 'sha256sum';
  /** Time spent sending the bytes (without hashing), and the resulting rate. */
  sendMs: number;
  totalMs: number;
}

export type TransferRequest =
  ({ direction: 'upload' } & UploadOptions) | ({ direction: 'download' } & DownloadOptions);

/** One entry point for both directions, on an open session (the caller owns the session). */
export function transferTo(session: SshSession, request: TransferRequest): Promise<TransferResult> {
  return request.direction === 'upload' ? uploadFile(session, request) : downloadFile(session, request);
}

// SFTP status codes (draft-ietf-secsh-filexfer-02) as ssh2 sets them on `error.code`.
const SFTP_NO_SUCH_FILE = 2;
const SFTP_PERMISSION_DENIED = 3;
const SFTP_FAILURE = 4;

const CONCURRENCY = 64;
const CHUNK = 32 * 1024;
const PROGRESS_INTERVAL_MS = 100;
const HASH_HIGH_WATER_MARK = 1 << 20;
/** Slowest hashing rate assumed when sizing the remote hash command's timeout (sha256sum ~160 MiB/s). */
const SLOWEST_HASH_BYTES_PER_MS = 20 * 1024;
/** How long a cancelled transfer may take to wind down before its temporaries are removed anyway. */
const SETTLE_MS = 5_000;

// ---------------------------------------------------------------------------------------------
// Upload

export async function uploadFile(session: SshSession, options: UploadOptions): Promise<TransferResult> {
  const started = performance.now();
  const host = options.host ?? 'the host';
  const { localPath, remotePath, signal } = options;
  throwIfCancelled(signal);

  const local = await statLocal(localPath, 'local file');
  if (!local.isFile())
    throw new ConsoleError('BAD_REQUEST', `${localPath} is not a regular file`, {
      hint: 'upload a single file; pack a directory into an archive first',
    });
  const size = local.size;

  const sftp = await session.sftp();
  const remoteDir = path.posix.dirname(remotePath);
  const temporary = path.posix.join(remoteDir, temporaryName(path.posix.basename(remotePath)));
  const report = progress(options.onProgress, size);
  let created = false;
  const stopHash = new AbortController(); // stops the local hash when the send fails
  const abort = onAbort(signal, () => sftp.end());
  try {
    await checkRemoteDirectory(sftp, remoteDir, host);
    const existing = await sftpStat(sftp, remotePath).catch(() => undefined);
    if (existing?.isDirectory())
      throw new ConsoleError('BAD_REQUEST', `${remotePath} on ${host} is a directory`, {
        hint: 'give the full path of the file to create, including its name',
      });
    await checkFreeSpace(sftp, remoteDir, size, host);

    report('sending', 0, true);
    const sendStarted = performance.now();
    // Hash the local file while fastPut reads it (its reads are out of order, so it cannot feed
    // the hash itself; the second read comes from the page cache). If the file changes meanwhile,
    // the two digests disagree and nothing lands.
    const localHash = hashLocal(
      localPath,
      signal ? AbortSignal.any([signal, stopHash.signal]) : stopHash.signal,
    );
    localHash.catch(() => undefined);
    let sent = 0;
    created = true; // fastPut creates the temporary file first; from here on it is ours to remove
    const sending = new Promise<void>((resolve, reject) =>
      sftp.fastPut(
        localPath,
        temporary,
        {
          concurrency: CONCURRENCY,
          chunkSize: CHUNK,
          step: (total) => {
            sent = total;
            report('sending', total);
          },
        },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    try {
      await abort.race(sending);
    } catch (error) {
      if (signal?.aborted) await settle(sending);
      throw await uploadError(error, { sftp, remoteDir, temporary, host, remaining: size - sent, signal });
    }
    if (options.mode !== undefined) {
      const mode = options.mode;
      await abort.race(sftpCall<void>((cb) => sftp.chmod(temporary, mode, cb)));
    }
    const sendMs = performance.now() - sendStarted;
    report('sending', size, true);

    const expected = await abort.race(localHash);
    await options.afterSend?.(temporary);
    report('verifying', size, true);
    const landed = await abort.race(hashRemote(session, temporary, size, host, signal));
    if (landed.sha256 !== expected)
      throw new ConsoleError(
        'FAILED',
        `the upload to ${host}:${remotePath} did not land intact: local SHA-256 ${expected}, on the host ${landed.sha256}`,
        {
          hint: 'nothing was put in place (the target keeps its old content); try again, and if it repeats check the host’s disk and memory',
        },
      );
    await abort.race(renameRemote(sftp, temporary, remotePath, host));
    created = false;
    report('done', size, true);
    return {
      localPath,
      remotePath,
      bytes: size,
      sha256: expected,
      remoteHasher: landed.tool,
      sendMs,
      totalMs: performance.now() - started,
    };
  } catch (error) {
    throw cancelledOr(error, signal);
  } finally {
    stopHash.abort();
    abort.dispose();
    if (created) await removeRemote(session, sftp, temporary, signal);
    sftp.end();
  }
}

async function checkRemoteDirectory(sftp: ssh2.SFTPWrapper, dir: string, host: string): Promise<void> {
  let attrs: ssh2.Stats;
  try {
    attrs = await sftpStat(sftp, dir);
  } catch (error) {
    const code = sftpCode(error);
    if (code === SFTP_NO_SUCH_FILE)
      throw new ConsoleError('NOT_FOUND', `the remote directory ${dir} does not exist on ${host}`, {
        hint: `create it first (mkdir -p ${dir}) or choose another destination`,
      });
    if (code === SFTP_PERMISSION_DENIED)
      throw new ConsoleError(
        'FAILED',
        `the remote directory ${dir} on ${host} cannot be reached by the login user`,
        {
          hint: 'a directory above it is not searchable by that user; choose another destination or fix its permissions',
        },
      );
    throw new ConsoleError(
      'FAILED',
      `cannot inspect the remote directory ${dir} on ${host}: ${message(error)}`,
    );
  }
  if (!attrs.isDirectory())
    throw new ConsoleError('BAD_REQUEST', `${dir} on ${host} is not a directory`, {
      hint: 'choose a destination inside an existing directory',
    });
}

async function checkFreeSpace(
  sftp: ssh2.SFTPWrapper,
  dir: string,
  size: number,
  host: string,
): Promise<void> {
  const free = await freeBytes(sftp, dir);
  if (free !== undefined && free < size)
    throw diskFull(host, dir, `${formatBytes(free)} free, ${formatBytes(size)} needed`);
}

function freeBytes(sftp: ssh2.SFTPWrapper, dir: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    try {
      sftp.ext_openssh_statvfs(dir, (error, info: { f_bavail?: number; f_frsize?: number } | undefined) => {
        if (error || typeof info?.f_bavail !== 'number' || typeof info.f_frsize !== 'number')
          return resolve(undefined);
        resolve(info.f_bavail * info.f_frsize);
      });
    } catch {
      resolve(undefined); // the server has no statvfs@openssh.com
    }
  });
}

function diskFull(host: string, dir: string, detail: string): ConsoleError {
  return new ConsoleError('FAILED', `the host's disk is full: ${host} has no room in ${dir} (${detail})`, {
    hint: `free space on ${host} (or choose a destination on another filesystem) and upload again; nothing was left behind`,
  });
}

async function uploadError(
  error: unknown,
  c: {
    sftp: ssh2.SFTPWrapper;
    remoteDir: string;
    temporary: string;
    host: string;
    remaining: number;
    signal: AbortSignal | undefined;
  },
): Promise<unknown> {
  if (c.signal?.aborted) return cancelled();
  if (error instanceof ConsoleError) return error;
  const code = sftpCode(error);
  const local = (error as NodeJS.ErrnoException).code;
  if (local === 'ENOENT' || local === 'EACCES' || local === 'EISDIR')
    return new ConsoleError('FAILED', `cannot read the local file: ${message(error)}`);
  if (code === SFTP_PERMISSION_DENIED)
    return new ConsoleError(
      'FAILED',
      `the remote directory ${c.remoteDir} on ${c.host} is not writable by the login user`,
      {
        hint: 'choose a directory that user owns, or have its permissions fixed on the host',
      },
    );
  if (code === SFTP_NO_SUCH_FILE)
    return new ConsoleError('NOT_FOUND', `the remote directory ${c.remoteDir} does not exist on ${c.host}`, {
      hint: `create it first (mkdir -p ${c.remoteDir}) or choose another destination`,
    });
  if (code === SFTP_FAILURE) {
    // OpenSSH's sftp-server reports ENOSPC (and EDQUOT) as a plain "Failure"; ask the filesystem.
    const free = await freeBytes(c.sftp, c.remoteDir);
    if (free !== undefined && free < Math.max(c.remaining, CHUNK))
      return diskFull(c.host, c.remoteDir, `${formatBytes(free)} free when the write failed`);
    return new ConsoleError('FAILED', `writing to ${c.host} failed: ${message(error)}`, {
      hint: 'the host may be out of disk space or over a quota; check it (df -h) and try again',
    });
  }
  if (/No response from server|not open|closed/i.test(message(error)))
    return new ConsoleError('FAILED', `the connection to ${c.host} dropped during the upload`, {
      hint: 'try again once the host is reachable; nothing was put in place',
    });
  return new ConsoleError('FAILED', `the upload to ${c.host} failed: ${message(error)}`);
}

async function renameRemote(sftp: ssh2.SFTPWrapper, from: string, to: string, host: string): Promise<void> {
  let posix = true;
  try {
    await new Promise<void>((resolve, reject) => {
      try {
        sftp.ext_openssh_rename(from, to, (error) => (error ? reject(error) : resolve()));
      } catch {
        posix = false; // the server lacks posix-rename@openssh.com
        resolve();
      }
    });
    if (posix) return;
    // Plain SFTP rename refuses an existing target: remove it first (not atomic, but the new
    // content is already verified, so the window only ever shows the old file or none).
    await sftpCall<void>((cb) => sftp.unlink(to, cb)).catch((error: unknown) => {
      if (sftpCode(error) !== SFTP_NO_SUCH_FILE) throw error;
    });
    await sftpCall<void>((cb) => sftp.rename(from, to, cb));
  } catch (error) {
    throw new ConsoleError(
      'FAILED',
      `the file was verified on ${host} but could not be moved into place at ${to}: ${message(error)}`,
      {
        hint: 'check the permissions of the target and its directory on the host',
      },
    );
  }
}

async function removeRemote(
  session: SshSession,
  sftp: ssh2.SFTPWrapper,
  file: string,
  signal: AbortSignal | undefined,
): Promise<void> {
  const unlink = (channel: ssh2.SFTPWrapper) =>
    withTimeout(
      sftpCall<void>((cb) => channel.unlink(file, cb)).catch((error: unknown) => {
        if (sftpCode(error) !== SFTP_NO_SUCH_FILE) throw error;
      }),
      SETTLE_MS,
    );
  // A cancelled transfer closed its channel; open a fresh one to clean up.
  if (!signal?.aborted) {
    try {
      return await unlink(sftp);
    } catch {
      // fall through to a fresh channel
    }
  }
  if (session.closed) return;
  try {
    const fresh = await withTimeout(session.sftp(), SETTLE_MS);
    try {
      await unlink(fresh);
    } finally {
      fresh.end();
    }
  } catch {
    // best effort: the connection is gone; the name is unmistakably a temporary (.NAME.part-…)
  }
}

// ---------------------------------------------------------------------------------------------
// Download

export async function downloadFile(session: SshSession, options: DownloadOptions): Promise<TransferResult> {
  const started = performance.now();
  const host = options.host ?? 'the host';
  const { localPath, remotePath, signal } = options;
  throwIfCancelled(signal);

  const localDir = path.dirname(path.resolve(localPath));
  const dirStat = await statLocal(localDir, 'local directory');
  if (!dirStat.isDirectory())
    throw new ConsoleError('BAD_REQUEST', `${localDir} is not a directory`, {
      hint: 'choose a destination inside an existing directory',
    });
  const existing = await stat(localPath).catch(() => undefined);
  if (existing?.isDirectory())
    throw new ConsoleError('BAD_REQUEST', `${localPath} is a directory`, {
      hint: 'give the full path of the file to create, including its name',
    });

  const sftp = await session.sftp();
  const temporary = path.join(localDir, temporaryName(path.basename(localPath)));
  let created = false;
  const abort = onAbort(signal, () => sftp.end());
  try {
    let attrs: ssh2.Stats;
    try {
      attrs = await abort.race(sftpStat(sftp, remotePath));
    } catch (error) {
      if (sftpCode(error) === SFTP_NO_SUCH_FILE)
        throw new ConsoleError('NOT_FOUND', `${remotePath} does not exist on ${host}`, {
          hint: 'check the path (and that its directory is readable by the login user)',
        });
      if (sftpCode(error) === SFTP_PERMISSION_DENIED)
        throw new ConsoleError('FAILED', `${remotePath} on ${host} is not readable by the login user`);
      throw error;
    }
    if (!attrs.isFile())
      throw new ConsoleError('BAD_REQUEST', `${remotePath} on ${host} is not a regular file`);
    const size = attrs.size;
    const report = progress(options.onProgress, size);
    report('sending', 0, true);

    // Reserve the temporary name (and learn early whether the directory is writable).
    try {
      await (await open(temporary, 'wx', 0o600)).close();
    } catch (error) {
      throw localWriteError(error, localDir);
    }
    created = true;

    // Hash the host side first: the bytes received must match what the host held.
    const remote = await abort.race(hashRemote(session, remotePath, size, host, signal));

    const sendStarted = performance.now();
    const receiving = new Promise<void>((resolve, reject) =>
      sftp.fastGet(
        remotePath,
        temporary,
        {
          concurrency: CONCURRENCY,
          chunkSize: CHUNK,
          step: (total) => report('sending', total),
        },
        (error) => (error ? reject(error) : resolve()),
      ),
    );
    try {
      await abort.race(receiving);
    } catch (error) {
      if (signal?.aborted) {
        await settle(receiving);
        throw cancelled();
      }
      if (error instanceof ConsoleError) throw error;
      const local = (error as NodeJS.ErrnoException).code;
      if (typeof local === 'string') throw localWriteError(error, localDir);
      throw new ConsoleError('FAILED', `the download from ${host} failed: ${message(error)}`);
    }
    const sendMs = performance.now() - sendStarted;
    report('sending', size, true);
    await options.afterSend?.(temporary);

    report('verifying', size, true);
    const received = await abort.race(hashLocal(temporary, signal));
    if (received !== remote.sha256)
      throw new ConsoleError(
        'FAILED',
        `the download of ${host}:${remotePath} did not arrive intact: on the host SHA-256 ${remote.sha256}, received ${received}`,
        {
          hint: 'nothing was put in place; if the file is being written on the host, wait until it is complete, then try again',
        },
      );
    await rename(temporary, localPath);
    created = false;
    report('done', size, true);
    return {
      localPath,
      remotePath,
      bytes: size,
      sha256: received,
      remoteHasher: remote.tool,
      sendMs,
      totalMs: performance.now() - started,
    };
  } catch (error) {
    throw cancelledOr(error, signal);
  } finally {
    abort.dispose();
    sftp.end();
    if (created) await rm(temporary, { force: true });
  }
}

function localWriteError(error: unknown, dir: string): ConsoleError {
  switch ((error as NodeJS.ErrnoException).code) {
    case 'ENOSPC':
    case 'EDQUOT':
      return new ConsoleError('FAILED', `this machine's disk is full (writing into ${dir})`, {
        hint: 'free some space or choose another destination; nothing was left behind',
      });
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new ConsoleError('FAILED', `the local directory ${dir} is not writable`, {
        hint: 'choose a directory you can write to',
      });
    default:
      return new ConsoleError('FAILED', `cannot write into ${dir}: ${message(error)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// Hashing

/** SHA-256 of a local file, read in 1 MiB chunks. */
export function hashLocal(file: string, signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    const stream = createReadStream(file, { highWaterMark: HASH_HIGH_WATER_MARK });
    const stop = () => stream.destroy(cancelled());
    signal?.addEventListener('abort', stop, { once: true });
    stream.on('data', (chunk) => hash.update(chunk));
    stream.on('error', (error) => {
      signal?.removeEventListener('abort', stop);
      reject(error);
    });
    stream.on('end', () => {
      signal?.removeEventListener('abort', stop);
      resolve(hash.digest('hex'));
    });
  });
}

/** The shell command that hashes `file` on a host; prints the tool's name, then its output. */
export function remoteHashCommand(file: string): string {
  const f = shQuote(file);
  return (
    `if command -v openssl >/dev/null 2>&1; then echo openssl; exec openssl dgst -sha256 -r < ${f}; ` +
    `else echo sha256sum; exec sha256sum < ${f}; fi`
  );
}

/**
 * Parses remoteHashCommand's output strictly: the tool's name, then exactly one digest line as
 * that tool prints it for standard input (`<hex> *stdin` for openssl -r, `<hex>  -` for sha256sum).
 */
export function parseRemoteHash(
  stdout: string,
): { tool: 'openssl' | 'sha256sum'; sha256: string } | undefined {
  const lines = stdout.split('\n');
  if (lines.length !== 3 || lines[2] !== '') return undefined;
  const [tool, line] = lines as [string, string];
  const pattern =
    tool === 'openssl'
      ? /^([0-9a-f]{64}) \*stdin$/
      : tool === 'sha256sum'
        ? /^([0-9a-f]{64}) [ *]-$/
        : undefined;
  const digest = pattern?.exec(line)?.[1];
  return digest ? { tool: tool as 'openssl' | 'sha256sum', sha256: digest } : undefined;
}

async function hashRemote(
  session: SshSession,
  file: string,
  size: number,
  host: string,
  signal: AbortSignal | undefined,
): Promise<{ tool: 'openssl' | 'sha256sum'; sha256: string }> {
  const timeoutMs = 60_000 + Math.ceil(size / SLOWEST_HASH_BYTES_PER_MS);
  const result = await session.exec(remoteHashCommand(file), { timeoutMs, ...(signal ? { signal } : {}) });
  const parsed = result.exitCode === 0 ? parseRemoteHash(result.stdout) : undefined;
  if (!parsed)
    throw new ConsoleError(
      'FAILED',
      `could not hash ${file} on ${host} (exit ${result.exitCode ?? result.signal}): ${firstLine(result.stderr || result.stdout)}`,
      { hint: 'the host needs openssl or sha256sum (coreutils) on its PATH' },
    );
  return parsed;
}

// ---------------------------------------------------------------------------------------------
// Small helpers

function temporaryName(base: string): string {
  return `.${base}.part-${randomBytes(6).toString('hex')}`;
}

function progress(onProgress: ((p: TransferProgress) => void) | undefined, totalBytes: number) {
  let lastAt = -Infinity;
  let lastPhase: TransferPhase | undefined;
  let lastBytes = -1;
  return (phase: TransferPhase, bytes: number, force = false): void => {
    if (!onProgress) return;
    const now = performance.now();
    if (phase === lastPhase && bytes === lastBytes) return;
    if (!force && phase === lastPhase && now - lastAt < PROGRESS_INTERVAL_MS) return;
    lastAt = now;
    lastPhase = phase;
    lastBytes = bytes;
    try {
      onProgress({ phase, bytes, totalBytes });
    } catch {
      // a listener's failure must not break the transfer
    }
  };
}

/** Aborting closes the SFTP channel (stopping fastPut/fastGet) and rejects whatever is awaited. */
function onAbort(signal: AbortSignal | undefined, close: () => void) {
  let rejectAll: ((e: unknown) => void)[] = [];
  const listener = () => {
    close();
    for (const r of rejectAll) r(cancelled());
    rejectAll = [];
  };
  signal?.addEventListener('abort', listener, { once: true });
  return {
    race<T>(p: Promise<T>): Promise<T> {
      if (!signal) return p;
      if (signal.aborted) return Promise.reject(cancelled());
      return new Promise<T>((resolve, reject) => {
        rejectAll.push(reject);
        p.then(resolve, reject).finally(() => {
          rejectAll = rejectAll.filter((r) => r !== reject);
        });
      });
    },
    dispose: () => signal?.removeEventListener('abort', listener),
  };
}

/** Waits (bounded) for an interrupted transfer to wind down, so no late write recreates a removed file. */
async function settle(p: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    p.catch(() => undefined),
    new Promise((resolve) => {
      timer = setTimeout(resolve, SETTLE_MS);
    }),
  ]);
  clearTimeout(timer);
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('timed out')), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

function cancelled(): ConsoleError {
  return new ConsoleError('CANCELLED', 'the transfer was cancelled', {
    hint: 'nothing was put in place and the temporary files were removed',
  });
}

function cancelledOr(error: unknown, signal: AbortSignal | undefined): unknown {
  if (signal?.aborted && !(error instanceof ConsoleError && error.code === 'CANCELLED')) return cancelled();
  return error;
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw cancelled();
}

async function statLocal(file: string, what: string) {
  try {
    return await stat(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT')
      throw new ConsoleError('NOT_FOUND', `the ${what} ${file} does not exist`, {
        hint: 'check the path on this machine',
      });
    throw new ConsoleError('FAILED', `cannot read the ${what} ${file}: ${message(error)}`, {
      hint: 'check its permissions on this machine',
    });
  }
}

function sftpCall<T>(start: (cb: (error: Error | null | undefined, value: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => start((error, value) => (error ? reject(error) : resolve(value))));
}

function sftpStat(sftp: ssh2.SFTPWrapper, file: string): Promise<ssh2.Stats> {
  return sftpCall<ssh2.Stats>((cb) => sftp.stat(file, cb));
}

function sftpCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'number' ? code : undefined;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function firstLine(s: string): string {
  return s.trim().split('\n')[0] ?? '';
}

function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(1)} ${units[i]}`;
}
