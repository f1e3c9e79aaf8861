import type { z } from 'zod';
import { rolesAllow, redact, type AnyProcedure, type Api, type ProcedureId } from '../../../shared/api';
import type { EventOf } from '../../../shared/client';
import { ConsoleError, issuesFromZod, type ErrorBody } from '../../../shared/errors';
import {
  ClientEnvelopeSchema,
  MAX_ENVELOPE_CHARS,
  PROTOCOL_VERSION,
  type CallEnvelope,
  type ServerEnvelope,
} from '../../../shared/protocol';
import type { Clock } from '../clock';
import { isExpired, ledgerOperator, type Session } from '../identity';
import type { AuditSink } from '../ledger';
import type { Connection } from './connection';

export interface CallContext<K extends ProcedureId = ProcedureId> {
  connection: Connection;
  /** The session when the call started (null for public procedures called signed out). */
  session: Session | null;
  signal: AbortSignal;
  emit(event: EventOf<K>): void;
}

export type Handler<K extends ProcedureId> = (
  input: z.output<Api[K]['input']>,
  ctx: CallContext<K>,
) => Promise<z.input<Api[K]['output']>> | z.input<Api[K]['output']>;

/** One handler per declared procedure; the type makes a missing one a compile error. */
export type Handlers = { [K in ProcedureId]: Handler<K> };

export interface Logger {
  error(message: string, error?: unknown): void;
}

export const MAX_CALLS_PER_CONNECTION = 32;

/**
 * The only entrance to the core. For every call: envelope and input schema →
 * session and permission → handler → audit entry → output schema. Transports
 * hand it raw text and get envelopes back; they add nothing of their own.
 */
export class Dispatcher {
  constructor(
    private readonly deps: {
      api: Readonly<Record<string, AnyProcedure>>;
      handlers: Handlers;
      audit: AuditSink;
      clock: Clock;
      log: Logger;
    },
  ) {}

  /** Entry point for transports: one received message. Never throws. */
  receive(connection: Connection, text: unknown, send: (envelope: ServerEnvelope) => void): void {
    const refuse = (id: string | null, error: ConsoleError) =>
      send({ v: PROTOCOL_VERSION, type: 'result', id, ok: false, error: error.toBody() });
    if (typeof text !== 'string') {
      refuse(null, new ConsoleError('BAD_REQUEST', 'envelopes are JSON text'));
      return;
    }
    if (text.length > MAX_ENVELOPE_CHARS) {
      refuse(
        null,
        new ConsoleError(
          'TOO_LARGE',
          `the request is ${text.length} characters; the limit is ${MAX_ENVELOPE_CHARS}`,
          {
            hint: 'send large files through the file transfer procedures, not inline',
          },
        ),
      );
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      refuse(null, new ConsoleError('BAD_REQUEST', 'the request is not valid JSON'));
      return;
    }
    const envelope = ClientEnvelopeSchema.safeParse(parsed);
    if (!envelope.success) {
      const id =
        typeof (parsed as { id?: unknown })?.id === 'string'
          ? (parsed as { id: string }).id.slice(0, 64)
          : null;
      refuse(
        id,
        new ConsoleError('BAD_REQUEST', 'the request envelope is malformed', {
          issues: issuesFromZod(envelope.error),
        }),
      );
      return;
    }
    if (envelope.data.type === 'cancel') {
      connection.calls.get(envelope.data.id)?.abort();
      return;
    }
    void this.call(connection, envelope.data, send);
  }

  async call(
    connection: Connection,
    envelope: CallEnvelope,
    send: (envelope: ServerEnvelope) => void,
  ): Promise<void> {
    const { id } = envelope;
    const reply = (result: { ok: true; output: unknown } | { ok: false; error: ErrorBody }) =>
      send({ v: PROTOCOL_VERSION, type: 'result', id, ...result } as ServerEnvelope);
    const fail = (error: ConsoleError) => reply({ ok: false, error: error.toBody() });

    if (!Object.hasOwn(this.deps.api, envelope.procedure)) {
      fail(
        new ConsoleError('UNKNOWN_PROCEDURE', `there is no procedure "${envelope.procedure}"`, {
          hint: 'the client and the core may be different versions; restart the console',
        }),
      );
      return;
    }
    const spec = this.deps.api[envelope.procedure] as AnyProcedure;
    if (connection.calls.has(id)) {
      fail(new ConsoleError('BAD_REQUEST', `call id "${id}" is already running on this connection`));
      return;
    }
    if (connection.calls.size >= MAX_CALLS_PER_CONNECTION) {
      fail(
        new ConsoleError(
          'RATE_LIMITED',
          `more than ${MAX_CALLS_PER_CONNECTION} calls are running on this connection`,
        ),
      );
      return;
    }

    // 1. Input schema.
    const input = spec.input.safeParse(envelope.input);
    if (!input.success) {
      fail(
        new ConsoleError('BAD_REQUEST', `the input of ${spec.id} is invalid`, {
          issues: issuesFromZod(input.error),
        }),
      );
      return;
    }

    // 2. Session and permission.
    const started = performance.now();
    const now = this.deps.clock.now();
    let session = connection.session;
    if (session && isExpired(session, now)) {
      connection.session = session = null;
      if (spec.roles !== 'public') {
        fail(
          new ConsoleError('UNAUTHENTICATED', 'your session has expired', {
            hint: 'sign in again; sessions end after 15 minutes without activity',
          }),
        );
        return;
      }
    }
    if (spec.roles !== 'public') {
      if (!session) {
        fail(new ConsoleError('UNAUTHENTICATED', `sign in to use ${spec.id}`));
        return;
      }
      if (!rolesAllow(spec, session.roles)) {
        const error = new ConsoleError(
          'FORBIDDEN',
          `your roles (${session.roles.join(', ')}) do not allow ${spec.id}`,
          {
            hint: `it needs one of: ${spec.roles.join(', ')}`,
          },
        );
        // Denials are always recorded, even for procedures whose allowed calls are not.
        this.audit(spec, connection, session, input.data, 'denied', error.message, started, true);
        fail(error);
        return;
      }
      session.lastActiveAt = now;
    }

    // 3. Handler, with cancellation and streamed events.
    const controller = new AbortController();
    connection.calls.set(id, controller);
    const emit = (event: unknown) => {
      if (controller.signal.aborted || !spec.events) return;
      send({ v: PROTOCOL_VERSION, type: 'event', id, event: spec.events.parse(event) });
    };
    const handler = this.deps.handlers[spec.id as ProcedureId] as unknown as Handler<ProcedureId>;
    let output: unknown;
    let error: ConsoleError | undefined;
    try {
      // A handler that finished despite a late cancel reports what it did: its result is real.
      output = await handler(input.data as never, { connection, session, signal: controller.signal, emit });
    } catch (thrown) {
      error = thrown instanceof ConsoleError ? thrown : this.internal(spec.id, thrown);
    } finally {
      connection.calls.delete(id);
    }

    // 4. Audit: the operator before the call, or the one it signed in.
    const outcome = !error
      ? 'ok'
      : error.code === 'UNAUTHENTICATED' || error.code === 'RATE_LIMITED'
        ? 'denied'
        : 'error';
    try {
      this.audit(
        spec,
        connection,
        session ?? connection.session,
        input.data,
        outcome,
        error?.message ?? null,
        started,
        false,
        error ? undefined : output,
      );
    } catch (auditError) {
      // An action that cannot be audited is reported as failed, never as done.
      fail(
        this.internal(
          spec.id,
          auditError,
          'the audit entry could not be written; the action may have taken effect',
        ),
      );
      return;
    }
    if (error) {
      fail(error);
      return;
    }

    // 5. Output schema.
    const checked = spec.output.safeParse(output);
    if (!checked.success) {
      fail(this.internal(spec.id, checked.error, 'the core produced an answer that breaks its own contract'));
      return;
    }
    reply({ ok: true, output: checked.data });
  }

  private audit(
    spec: AnyProcedure,
    connection: Connection,
    session: Session | null,
    input: unknown,
    outcome: 'ok' | 'denied' | 'error',
    error: string | null,
    started: number,
    always = false,
    output?: unknown,
  ): void {
    if (!spec.audited && !always) return;
    let result: unknown = null;
    try {
      if (output !== undefined && spec.auditResult) result = spec.auditResult(output) ?? null;
    } catch {
      result = null;
    }
    let target: string | null;
    try {
      target = spec.target?.(input) ?? null;
    } catch {
      target = null;
    }
    this.deps.audit.append({
      time: this.deps.clock.now().toISOString(),
      operator: ledgerOperator(session),
      procedure: spec.id,
      target,
      input: redact(spec.input, input),
      outcome,
      error,
      result,
      durationMs: Math.round((performance.now() - started) * 1000) / 1000,
      transport: connection.transport,
    });
  }

  private internal(
    procedureId: string,
    cause: unknown,
    message = 'an internal error occurred',
  ): ConsoleError {
    this.deps.log.error(`${procedureId}: ${message}`, cause);
    return new ConsoleError('INTERNAL', message, { hint: 'see the console log for details and report it' });
  }
}
