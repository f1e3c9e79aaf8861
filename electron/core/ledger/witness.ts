import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * Copies of the latest signed checkpoint kept outside the database, so that
 * replacing the whole database with an older copy is detected: the database
 * must always contain the tree each copy commits to.
 *  - a file in the data directory (always);
 *  - the OS keyring (Electron with a real keyring), out of reach of someone
 *    who can only replace files in the data directory.
 *
 * Written after commits, at most every `intervalMs` (and on close). A crash
 * may leave a copy slightly behind the database, never ahead of it.
 */
export const WITNESS_FILE = 'ledger-checkpoint';
export const WITNESS_INTERVAL_MS = 250;

export interface CheckpointWitness {
  /** Names the copy in verification reports. */
  readonly label: string;
  /** The last checkpoint note recorded, if any. */
  read(): string | undefined;
  /** Records a newer checkpoint (may be deferred, see flush). */
  record(note: string): void;
  flush(): void;
}

/** The throttling every copy shares: the newest note wins, written at most every interval. */
abstract class DeferredWitness implements CheckpointWitness {
  abstract readonly label: string;
  private pending: string | undefined;
  private lastWrite = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    /** A deferred write failed (disk full, keyring locked); the next record retries. */
    private readonly onError: (error: unknown) => void,
  ) {}

  abstract read(): string | undefined;
  protected abstract write(note: string): void;

  /** Never throws: the entry is already committed; a copy that could not be written is reported and retried. */
  record(note: string): void {
    this.pending = note;
    if (Date.now() - this.lastWrite >= this.intervalMs) this.tryFlush();
    else this.timer ??= setTimeout(() => this.tryFlush(), this.intervalMs).unref();
  }

  private tryFlush(): void {
    try {
      this.flush();
    } catch (error) {
      this.onError(error);
    }
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const note = this.pending;
    if (note === undefined) return;
    this.write(note);
    this.lastWrite = Date.now();
    if (this.pending === note) this.pending = undefined;
  }
}

/** The copy in the data directory: write-to-temporary + fsync + rename + directory fsync, never torn. */
export class FileWitness extends DeferredWitness {
  readonly label = 'checkpoint kept outside the database';
  private readonly file: string;

  constructor(
    private readonly dir: string,
    onError: (error: unknown) => void = () => undefined,
  ) {
    super(WITNESS_INTERVAL_MS, onError);
    this.file = path.join(dir, WITNESS_FILE);
  }

  read(): string | undefined {
    return existsSync(this.file) ? readFileSync(this.file, 'utf8') : undefined;
  }

  protected write(note: string): void {
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w', 0o600);
    try {
      writeSync(fd, note);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, this.file);
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }
}

/**
 * The copy in the OS keyring through the freedesktop Secret Service
 * (`secret-tool` from libsecret: GNOME Keyring, KWallet). Used only where
 * Electron found a real keyring; never Electron's `basic_text` fallback.
 */
export class KeyringWitness extends DeferredWitness {
  readonly label = 'checkpoint kept in the OS keyring';

  constructor(
    /** The ledger origin, once the workstation is initialised. */
    private readonly origin: () => string | undefined,
    private readonly env: NodeJS.ProcessEnv = process.env,
    onError: (error: unknown) => void = () => undefined,
  ) {
    super(1000, onError);
  }

  private attributes(origin: string): string[] {
    return ['service', 'enclave-console', 'ledger', origin];
  }

  read(): string | undefined {
    const origin = this.origin();
    if (!origin) return undefined;
    const r = spawnSync('secret-tool', ['lookup', ...this.attributes(origin)], {
      env: this.env,
      encoding: 'utf8',
      timeout: 5000,
    });
    return r.status === 0 && r.stdout ? r.stdout : undefined;
  }

  protected write(note: string): void {
    const origin = this.origin();
    if (!origin) return;
    const r = spawnSync(
      'secret-tool',
      ['store', '--label', 'Enclave Console ledger checkpoint', ...this.attributes(origin)],
      { env: this.env, input: note, encoding: 'utf8', timeout: 5000 },
    );
    if (r.status !== 0)
      throw new Error(
        `the OS keyring refused the checkpoint: ${(r.stderr || r.error?.message || '').trim()}`,
      );
  }

  /** True where `secret-tool` runs and a Secret Service answers (a lookup of nothing succeeds or says "not found"). */
  static available(env: NodeJS.ProcessEnv = process.env): boolean {
    const r = spawnSync('secret-tool', ['lookup', 'service', 'enclave-console', 'probe', 'probe'], {
      env,
      encoding: 'utf8',
      timeout: 5000,
    });
    return !r.error && (r.status === 0 || (r.status === 1 && r.stderr.trim() === ''));
  }
}

/** Several copies written together; verification checks each. */
export class WitnessSet implements CheckpointWitness {
  readonly label = 'checkpoints kept outside the database';
  constructor(readonly members: readonly CheckpointWitness[]) {}
  read(): string | undefined {
    return this.members[0]?.read();
  }
  record(note: string): void {
    for (const m of this.members) m.record(note);
  }
  flush(): void {
    for (const m of this.members) m.flush();
  }
}
