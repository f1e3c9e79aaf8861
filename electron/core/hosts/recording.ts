import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, existsSync, mkdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { constants, createGunzip, createGzip } from 'node:zlib';
import { MAX_RECORDING_CHARS, type RecordingRow } from '../../../shared/api';
import { ConsoleError } from '../../../shared/errors';
import type { Db } from '../store';

/**
 * Terminal recordings in asciicast v2 (https://docs.asciinema.org/manual/asciicast/v2/):
 * a JSON header line, then one `[seconds, code, data]` line per event ("o" output,
 * "i" input, "r" resize as "COLSxROWS"). Written gzip-compressed as the session goes,
 * flushed every second so a crash keeps what was recorded up to then.
 */
export const RECORDINGS_DIR = 'recordings';
const FLUSH_MS = 1000;
const POLICY_KEY = 'terminals.recordInput';

export const recordingFile = (dataDir: string, id: string) =>
  path.join(dataDir, RECORDINGS_DIR, `${id}.cast.gz`);

export interface FinishedRecording {
  bytes: number;
  /** SHA-256 (hex) of the stored, compressed file. */
  sha256: string;
  chars: number;
  durationMs: number;
}

export class CastRecorder {
  private readonly gzip = createGzip();
  private readonly hash = createHash('sha256');
  private readonly started = performance.now();
  private bytes = 0;
  private chars = 0;
  private dirty = false;
  private finished: Promise<FinishedRecording> | undefined;
  private readonly flusher: NodeJS.Timeout;
  private readonly written: Promise<void>;

  constructor(
    readonly file: string,
    header: { cols: number; rows: number; timestamp: number; term: string },
    private readonly recordInput: boolean,
  ) {
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const out = createWriteStream(file, { flags: 'wx', mode: 0o600 });
    this.gzip.on('data', (chunk: Buffer) => {
      this.hash.update(chunk);
      this.bytes += chunk.length;
      out.write(chunk);
    });
    this.written = new Promise((resolve, reject) => {
      out.once('error', reject);
      this.gzip.once('error', reject);
      this.gzip.once('end', () => out.end());
      out.once('close', () => resolve());
    });
    this.written.catch(() => undefined); // reported by finish()
    this.line({
      version: 2,
      width: header.cols,
      height: header.rows,
      timestamp: header.timestamp,
      env: { TERM: header.term },
    });
    this.flusher = setInterval(() => {
      if (!this.dirty) return;
      this.dirty = false;
      this.gzip.flush(constants.Z_SYNC_FLUSH);
    }, FLUSH_MS).unref();
  }

  private line(value: unknown): void {
    if (this.finished) return;
    this.gzip.write(`${JSON.stringify(value)}\n`);
    this.dirty = true;
  }

  private event(code: 'o' | 'i' | 'r', data: string): void {
    const seconds = Math.round(performance.now() - this.started) / 1000;
    this.line([seconds, code, data]);
  }

  output(data: string): void {
    this.chars += data.length;
    this.event('o', data);
  }

  /** Keystrokes: kept only where the site policy says so. */
  input(data: string): void {
    if (this.recordInput) this.event('i', data);
  }

  resize(cols: number, rows: number): void {
    this.event('r', `${cols}x${rows}`);
  }

  finish(): Promise<FinishedRecording> {
    this.finished ??= (async () => {
      clearInterval(this.flusher);
      const durationMs = Math.round(performance.now() - this.started);
      this.gzip.end();
      await this.written;
      return { bytes: this.bytes, sha256: this.hash.digest('hex'), chars: this.chars, durationMs };
    })();
    return this.finished;
  }
}

/** Reads a recording back as cast text, cut at a line past `limit` bytes; a crash-cut file reads up to its end. */
export async function readCast(
  dataDir: string,
  id: string,
  limit = MAX_RECORDING_CHARS,
): Promise<{ cast: string; truncated: boolean }> {
  const file = recordingFile(dataDir, id);
  if (!existsSync(file)) throw new ConsoleError('NOT_FOUND', `the recording file of ${id} is missing`);
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  const input = createReadStream(file);
  const gunzip = createGunzip({ finishFlush: constants.Z_SYNC_FLUSH });
  await new Promise<void>((resolve, reject) => {
    gunzip.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > limit) {
        truncated = true;
        input.destroy();
        gunzip.destroy();
        resolve();
      }
    });
    gunzip.once('end', resolve);
    gunzip.once('error', reject);
    input.once('error', reject);
    input.pipe(gunzip);
  });
  let bytes = Buffer.concat(chunks);
  if (truncated) bytes = bytes.subarray(0, bytes.lastIndexOf(0x0a, limit) + 1);
  return { cast: bytes.toString('utf8'), truncated };
}

// ---- The recordings table and the site policy ----

interface Row {
  id: string;
  host: string;
  operator: string;
  started: string;
  ended: string | null;
  cols: number;
  rows: number;
  chars: number;
  bytes: number | null;
  sha256: string | null;
  input_recorded: number;
}

const toRow = (r: Row): RecordingRow => ({
  id: r.id,
  host: r.host,
  operator: r.operator,
  started: r.started,
  ended: r.ended,
  cols: r.cols,
  rows: r.rows,
  chars: r.chars,
  bytes: r.bytes,
  sha256: r.sha256,
  inputRecorded: r.input_recorded === 1,
});

export function insertRecording(
  db: Db,
  r: {
    id: string;
    host: string;
    operator: string;
    started: string;
    cols: number;
    rows: number;
    inputRecorded: boolean;
  },
): void {
  db.prepare(
    `INSERT INTO recordings (id, host, operator, started, cols, rows, chars, input_recorded, owner_pid)
     VALUES (?, ?, ?, ?, ?, ?, 0, ?, ?)`,
  ).run(r.id, r.host, r.operator, r.started, r.cols, r.rows, r.inputRecorded ? 1 : 0, process.pid);
}

export function finishRecording(db: Db, id: string, ended: string, done: FinishedRecording): void {
  db.prepare('UPDATE recordings SET ended = ?, chars = ?, bytes = ?, sha256 = ? WHERE id = ?').run(
    ended,
    done.chars,
    done.bytes,
    done.sha256,
    id,
  );
}

/** Whether a process is still there (signal 0 only checks; EPERM means it exists under another user). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** What a crash left of a recording, as the ledger will vouch for it. */
export interface RecoveredRecording {
  id: string;
  host: string;
  operator: string;
  started: string;
  ended: string;
  /** null when the file itself is gone. */
  bytes: number | null;
  sha256: string | null;
}

/**
 * Finishes recordings left open by a console process that is gone (killed, crashed, power lost):
 * the compressed file keeps what was flushed (every second), possibly without its gzip trailer;
 * its size and SHA-256 are recorded as it is, and the time it was last written becomes the end.
 * A recording whose process still runs (another console on this data directory) is left alone.
 */
export async function recoverUnfinishedRecordings(db: Db, dataDir: string): Promise<RecoveredRecording[]> {
  const open = db
    .prepare('SELECT id, host, operator, started, owner_pid FROM recordings WHERE ended IS NULL')
    .all() as { id: string; host: string; operator: string; started: string; owner_pid: number | null }[];
  const recovered: RecoveredRecording[] = [];
  for (const r of open) {
    if (r.owner_pid !== null && r.owner_pid !== process.pid && processAlive(r.owner_pid)) continue;
    if (r.owner_pid === process.pid) continue;
    const file = recordingFile(dataDir, r.id);
    let bytes: number | null = null;
    let sha256: string | null = null;
    let ended = r.started;
    try {
      const st = statSync(file);
      bytes = st.size;
      ended = st.mtime.toISOString();
      sha256 = await new Promise<string>((resolve, reject) => {
        const hash = createHash('sha256');
        createReadStream(file)
          .on('data', (chunk) => hash.update(chunk))
          .once('error', reject)
          .once('end', () => resolve(hash.digest('hex')));
      });
    } catch {
      // The file is gone: the row is finished with no digest, and the ledger says so.
    }
    db.prepare('UPDATE recordings SET ended = ?, bytes = ?, sha256 = ? WHERE id = ? AND ended IS NULL').run(
      ended,
      bytes,
      sha256,
      r.id,
    );
    recovered.push({
      id: r.id,
      host: r.host,
      operator: r.operator,
      started: r.started,
      ended,
      bytes,
      sha256,
    });
  }
  return recovered;
}

export function listRecordings(db: Db, filter: { host?: string | undefined; limit: number }): RecordingRow[] {
  const rows = (
    filter.host
      ? db
          .prepare('SELECT * FROM recordings WHERE host = ? ORDER BY started DESC, rowid DESC LIMIT ?')
          .all(filter.host, filter.limit)
      : db.prepare('SELECT * FROM recordings ORDER BY started DESC, rowid DESC LIMIT ?').all(filter.limit)
  ) as Row[];
  return rows.map(toRow);
}

export function getRecording(db: Db, id: string): RecordingRow {
  const row = db.prepare('SELECT * FROM recordings WHERE id = ?').get(id) as Row | undefined;
  if (!row) throw new ConsoleError('NOT_FOUND', `there is no recording ${id}`);
  return toRow(row);
}

/** Site policy: whether recordings keep keystrokes too. Off unless set. */
export function recordInputPolicy(db: Db): boolean {
  return db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get(POLICY_KEY) === 'true';
}

export function setRecordInputPolicy(db: Db, on: boolean): boolean {
  const previous = recordInputPolicy(db);
  db.prepare(
    'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value',
  ).run(POLICY_KEY, on ? 'true' : 'false');
  return previous;
}
