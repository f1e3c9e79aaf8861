import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * A copy of the latest signed checkpoint kept outside the database, so that
 * replacing the whole database with an older copy is detected: the database
 * must always contain the tree this file commits to.
 *
 * Written after commits, at most every WITNESS_INTERVAL_MS (and on close), by
 * write-to-temporary + fsync + rename + directory fsync. A crash may leave it
 * slightly behind the database, never ahead of it, and never torn.
 */
export const WITNESS_FILE = 'ledger-checkpoint';
export const WITNESS_INTERVAL_MS = 250;

export interface CheckpointWitness {
  /** The last checkpoint note recorded outside the database, if any. */
  read(): string | undefined;
  /** Records a newer checkpoint (may be deferred, see flush). */
  record(note: string): void;
  flush(): void;
}

export class FileWitness implements CheckpointWitness {
  private pending: string | undefined;
  private lastWrite = 0;
  private timer: NodeJS.Timeout | undefined;
  private readonly file: string;

  constructor(
    private readonly dir: string,
    /** A deferred write failed (disk full, directory gone); the next record retries. */
    private readonly onError: (error: unknown) => void = () => undefined,
  ) {
    this.file = path.join(dir, WITNESS_FILE);
  }

  read(): string | undefined {
    return existsSync(this.file) ? readFileSync(this.file, 'utf8') : undefined;
  }

  record(note: string): void {
    this.pending = note;
    if (Date.now() - this.lastWrite >= WITNESS_INTERVAL_MS) this.flush();
    else
      this.timer ??= setTimeout(() => {
        try {
          this.flush();
        } catch (error) {
          this.onError(error);
        }
      }, WITNESS_INTERVAL_MS).unref();
  }

  flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const note = this.pending;
    if (note === undefined) return;
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
    this.lastWrite = Date.now();
    if (this.pending === note) this.pending = undefined;
  }
}
