import { randomBytes } from 'node:crypto';
import { StringDecoder } from 'node:string_decoder';
import type ssh2 from 'ssh2';
import type { TerminalEvent } from '../../../shared/api';
import { ConsoleError } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { Db } from '../store';
import type { HostInventory } from './index';
import {
  CastRecorder,
  finishRecording,
  insertRecording,
  recordInputPolicy,
  recordingFile,
  type FinishedRecording,
} from './recording';

/**
 * Interactive shells over SSH with flow control, as VS Code's terminal does it:
 * output is counted when sent and discounted when the renderer acknowledges it
 * has written it; above HIGH_WATER unacknowledged characters the SSH channel is
 * paused (ssh2 stops granting window, so the host stops sending), below LOW_WATER
 * it resumes. A flood therefore costs bounded memory here and in the renderer.
 */
export const HIGH_WATER = 100_000;
export const LOW_WATER = 5_000;
/** Output is batched into one event per BATCH_MS or BATCH_CHARS, whichever comes first. */
const BATCH_MS = 5;
const BATCH_CHARS = 16 * 1024;
const TERM = 'xterm-256color';

interface Live {
  id: string;
  /** The connection that opened it: only that one may type into it. */
  connection: string;
  stream: ssh2.ClientChannel;
  recorder: CastRecorder;
  unacknowledged: number;
  /** The most unacknowledged characters seen at once (for tests and diagnostics). */
  peakUnacknowledged: number;
  paused: boolean;
}

export interface TerminalOutcome {
  terminal: string;
  exitCode: number | null;
  recording: FinishedRecording & { id: string };
}

export class Terminals {
  private readonly live = new Map<string, Live>();

  constructor(private readonly deps: { db: Db; dataDir: string; hosts: HostInventory; clock: Clock }) {}

  /** Runs one terminal until its shell exits or `signal` aborts. */
  async open(
    request: { host: string; cols: number; rows: number },
    ctx: { connection: string; operator: string; signal: AbortSignal; emit: (e: TerminalEvent) => void },
  ): Promise<TerminalOutcome> {
    const { db, dataDir, hosts, clock } = this.deps;
    const session = await hosts.connect(request.host);
    let stream: ssh2.ClientChannel;
    try {
      if (ctx.signal.aborted) throw new ConsoleError('CANCELLED', 'the terminal was closed before it opened');
      stream = await session.shell(request);
    } catch (error) {
      session.close();
      throw error;
    }
    const id = `t-${randomBytes(16).toString('hex')}`;
    const recordsInput = recordInputPolicy(db);
    const started = clock.now();
    const recorder = new CastRecorder(
      recordingFile(dataDir, id),
      { cols: request.cols, rows: request.rows, timestamp: Math.floor(started.getTime() / 1000), term: TERM },
      recordsInput,
    );
    insertRecording(db, {
      id,
      host: request.host,
      operator: ctx.operator,
      started: started.toISOString(),
      cols: request.cols,
      rows: request.rows,
      inputRecorded: recordsInput,
    });
    const t: Live = {
      id,
      connection: ctx.connection,
      stream,
      recorder,
      unacknowledged: 0,
      peakUnacknowledged: 0,
      paused: false,
    };
    this.live.set(id, t);
    ctx.emit({ type: 'opened', terminal: id, recordsInput });

    let pending = '';
    let seq = 0;
    let timer: NodeJS.Timeout | undefined;
    const flush = () => {
      clearTimeout(timer);
      timer = undefined;
      if (!pending) return;
      const data = pending;
      pending = '';
      ctx.emit({ type: 'data', data, seq: ++seq });
      t.unacknowledged += data.length;
      t.peakUnacknowledged = Math.max(t.peakUnacknowledged, t.unacknowledged);
      if (t.unacknowledged > HIGH_WATER && !t.paused) {
        t.paused = true;
        stream.pause();
      }
    };
    const decoder = new StringDecoder('utf8');
    const output = (chunk: Buffer) => {
      const text = decoder.write(chunk);
      if (!text) return;
      recorder.output(text);
      pending += text;
      if (pending.length >= BATCH_CHARS) flush();
      else timer ??= setTimeout(flush, BATCH_MS);
    };
    stream.on('data', output);
    stream.stderr.on('data', output);

    let exitCode: number | null = null;
    const ended = new Promise<void>((resolve) => {
      stream.on('exit', (code: unknown) => {
        if (typeof code === 'number') exitCode = code;
      });
      stream.once('close', () => resolve());
      stream.on('error', () => resolve());
      const abort = () => {
        stream.close();
        session.close(); // a channel that never answers its close must not keep the call open
        resolve();
      };
      if (ctx.signal.aborted) abort();
      else ctx.signal.addEventListener('abort', abort, { once: true });
    });
    try {
      await ended;
    } finally {
      const rest = decoder.end();
      if (rest) {
        recorder.output(rest);
        pending += rest;
      }
      flush();
      this.live.delete(id);
      session.close();
    }
    ctx.emit({ type: 'exit', code: exitCode });
    const done = await recorder.finish();
    finishRecording(db, id, clock.now().toISOString(), done);
    return { terminal: id, exitCode, recording: { id, ...done } };
  }

  private owned(connection: string, id: string): Live {
    const t = this.live.get(id);
    if (!t || t.connection !== connection) {
      throw new ConsoleError('NOT_FOUND', `there is no open terminal ${id} on this connection`, {
        hint: 'the shell may have exited; open a new terminal',
      });
    }
    return t;
  }

  input(connection: string, id: string, data: string): void {
    const t = this.owned(connection, id);
    t.recorder.input(data);
    t.stream.write(data);
  }

  resize(connection: string, id: string, cols: number, rows: number): void {
    const t = this.owned(connection, id);
    t.stream.setWindow(rows, cols, 0, 0);
    t.recorder.resize(cols, rows);
  }

  /** Discounts what the renderer has written; resumes a paused channel below LOW_WATER. */
  ack(connection: string, id: string, chars: number): number {
    const t = this.owned(connection, id);
    t.unacknowledged = Math.max(0, t.unacknowledged - chars);
    if (t.paused && t.unacknowledged < LOW_WATER) {
      t.paused = false;
      t.stream.resume();
    }
    return t.unacknowledged;
  }

  /** Flow-control state of an open terminal (tests, diagnostics). */
  state(id: string): { unacknowledged: number; peakUnacknowledged: number; paused: boolean } | undefined {
    const t = this.live.get(id);
    return (
      t && { unacknowledged: t.unacknowledged, peakUnacknowledged: t.peakUnacknowledged, paused: t.paused }
    );
  }
}
