import { z } from 'zod';
import type { Role } from '../roles';
import { procedure } from './define';
import { Empty, Timestamp } from './common';
import { HostName } from './hosts';

/** Terminal ids and recording ids: `t-` then 32 hex digits (the recording shares the terminal's id). */
export const TerminalId = z
  .string()
  .regex(/^t-[0-9a-f]{32}$/, 'a terminal id looks like t- and 32 hex digits');
const Cols = z.number().int().min(2).max(1000);
const Rows = z.number().int().min(1).max(500);

/** Largest keystroke batch one terminals.input call carries. */
export const MAX_TERMINAL_INPUT = 64 * 1024;
/** Largest cast text terminals.recording returns; longer recordings are cut at a line. */
export const MAX_RECORDING_CHARS = 4 * 1024 * 1024;

export const TerminalEvent = z.discriminatedUnion('type', [
  /** The first event: the id that terminals.input/resize/ack name, and the recording's. */
  z.object({ type: z.literal('opened'), terminal: TerminalId, recordsInput: z.boolean() }),
  /** Output, batched; `seq` counts data events from 1. Acknowledge `data.length` once written. */
  z.object({ type: z.literal('data'), data: z.string(), seq: z.number().int() }),
  /** The shell ended; null when the connection dropped or the terminal was closed. */
  z.object({ type: z.literal('exit'), code: z.number().int().nullable() }),
]);
export type TerminalEvent = z.infer<typeof TerminalEvent>;

export const RecordingSummary = z.object({
  id: TerminalId,
  sha256: z.string().nullable(),
  /** Output characters recorded. */
  chars: z.number().int(),
  /** Bytes of the stored (gzip) file. */
  bytes: z.number().int().nullable(),
  durationMs: z.number().nullable(),
});

export const RecordingRow = z.object({
  id: TerminalId,
  host: z.string(),
  operator: z.string(),
  started: Timestamp,
  /** Null while the terminal is open (or when the console stopped before it ended). */
  ended: Timestamp.nullable(),
  cols: z.number().int(),
  rows: z.number().int(),
  chars: z.number().int(),
  bytes: z.number().int().nullable(),
  sha256: z.string().nullable(),
  inputRecorded: z.boolean(),
});
export type RecordingRow = z.infer<typeof RecordingRow>;

const TERMINAL_USERS = ['operator', 'admin'] as const satisfies readonly Role[];
const RECORDING_READERS = [
  'auditor',
  'security-officer',
  'admin',
  'operator',
] as const satisfies readonly Role[];

export const terminalProcedures = [
  procedure({
    id: 'terminals.open',
    summary:
      'An interactive shell on a host (PTY over SSH). Streams output until the shell exits or the call is cancelled; every session is recorded (asciicast v2).',
    input: z.strictObject({ host: HostName, cols: Cols.default(80), rows: Rows.default(24) }),
    output: z.object({
      terminal: TerminalId,
      exitCode: z.number().int().nullable(),
      recording: RecordingSummary,
    }),
    events: TerminalEvent,
    roles: TERMINAL_USERS,
    audited: true,
    mutates: true,
    target: (input) => `host ${input.host}`,
    auditResult: (output) => ({
      recording: output.recording.id,
      chars: output.recording.chars,
      bytes: output.recording.bytes,
      durationMs: output.recording.durationMs,
      sha256: output.recording.sha256,
      exitCode: output.exitCode,
    }),
  }),
  // input/resize/ack act inside the audited terminals.open call and land in its recording.
  procedure({
    id: 'terminals.input',
    summary: 'Keystrokes (or pasted text) for an open terminal.',
    input: z.strictObject({ terminal: TerminalId, data: z.string().min(1).max(MAX_TERMINAL_INPUT) }),
    output: z.object({ ok: z.literal(true) }),
    roles: TERMINAL_USERS,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'terminals.resize',
    summary: 'The new size of an open terminal.',
    input: z.strictObject({ terminal: TerminalId, cols: Cols, rows: Rows }),
    output: z.object({ ok: z.literal(true) }),
    roles: TERMINAL_USERS,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'terminals.ack',
    summary: 'Acknowledges output characters written to the screen (flow control).',
    input: z.strictObject({ terminal: TerminalId, chars: z.number().int().min(0).max(100_000_000) }),
    output: z.object({ unacknowledged: z.number().int() }),
    roles: TERMINAL_USERS,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'terminals.recordings',
    summary: 'Terminal session recordings, newest first.',
    input: z.strictObject({
      host: HostName.optional(),
      limit: z.number().int().min(1).max(500).default(100),
    }),
    output: z.array(RecordingRow),
    roles: RECORDING_READERS,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'terminals.recording',
    summary: 'One recording as asciicast v2 text, for playback (cut at a line when very long).',
    input: z.strictObject({ id: TerminalId }),
    output: z.object({ recording: RecordingRow, cast: z.string(), truncated: z.boolean() }),
    roles: RECORDING_READERS,
    // Watching a session is itself worth a ledger line.
    audited: true,
    mutates: false,
    target: (input) => `recording ${input.id}`,
  }),
  procedure({
    id: 'terminals.policy',
    summary: 'The site policy for terminal recordings.',
    input: Empty,
    output: z.object({ recordInput: z.boolean() }),
    roles: [...RECORDING_READERS],
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'terminals.setPolicy',
    summary:
      'Whether terminal recordings also keep keystrokes (passwords typed at prompts included). Off by default.',
    input: z.strictObject({ recordInput: z.boolean() }),
    output: z.object({ recordInput: z.boolean(), previous: z.boolean() }),
    roles: ['security-officer', 'admin'],
    audited: true,
    mutates: true,
    target: () => 'terminal recording policy',
    auditResult: (output) => output,
  }),
] as const;
