import type { z } from 'zod';
import { api, type Api, type ProcedureId } from './api';
import { ConsoleError, ErrorBodySchema } from './errors';
import { PROTOCOL_VERSION, ServerEnvelopeSchema, type ClientEnvelope } from './protocol';

/** A bidirectional text channel: Electron's MessagePort, a WebSocket, or in-process. */
export interface EnvelopeChannel {
  send(text: string): void;
  /** Registers the receiver; returns an unsubscribe function. */
  onMessage(receive: (text: string) => void): () => void;
}

export type InputOf<K extends ProcedureId> = z.input<Api[K]['input']>;
export type OutputOf<K extends ProcedureId> = z.output<Api[K]['output']>;
/** Streamed events of a procedure (unknown for procedures that declare none). */
export type EventOf<K extends ProcedureId> = z.output<NonNullable<Api[K]['events']>>;

export interface CallOptions<K extends ProcedureId> {
  onEvent?: (event: EventOf<K>) => void;
  signal?: AbortSignal;
}

interface Pending {
  resolve(output: unknown): void;
  reject(error: ConsoleError): void;
  onEvent?: (event: never) => void;
}

/**
 * The typed client both the renderer and the CLI use. It speaks envelopes only,
 * so the same code runs over every transport.
 */
export class ConsoleClient {
  private readonly pending = new Map<string, Pending>();
  private nextId = 1;
  private readonly unsubscribe: () => void;
  /** Called for results that belong to no call (e.g. a transport-level refusal). */
  onUnsolicitedError: ((error: ConsoleError) => void) | undefined;

  constructor(private readonly channel: EnvelopeChannel) {
    this.unsubscribe = channel.onMessage((text) => this.receive(text));
  }

  call<K extends ProcedureId>(id: K, input: InputOf<K>, options: CallOptions<K> = {}): Promise<OutputOf<K>> {
    const callId = `c${this.nextId++}`;
    return new Promise<OutputOf<K>>((resolve, reject) => {
      if (options.signal?.aborted) {
        reject(new ConsoleError('CANCELLED', 'cancelled before it started'));
        return;
      }
      const pending: Pending = { resolve: resolve as (o: unknown) => void, reject };
      if (options.onEvent) pending.onEvent = options.onEvent as (event: never) => void;
      this.pending.set(callId, pending);
      options.signal?.addEventListener(
        'abort',
        () => this.send({ v: PROTOCOL_VERSION, type: 'cancel', id: callId }),
        {
          once: true,
        },
      );
      this.send({ v: PROTOCOL_VERSION, type: 'call', id: callId, procedure: id, input });
    });
  }

  /** Rejects every call still waiting, e.g. when the transport closed. */
  failAll(error: ConsoleError): void {
    for (const p of this.pending.values()) p.reject(error);
    this.pending.clear();
  }

  close(): void {
    this.unsubscribe();
    this.failAll(new ConsoleError('CANCELLED', 'the connection to the console core was closed'));
  }

  private send(envelope: ClientEnvelope): void {
    this.channel.send(JSON.stringify(envelope));
  }

  private receive(text: string): void {
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return;
    }
    const envelope = ServerEnvelopeSchema.safeParse(parsed);
    if (!envelope.success) return;
    const message = envelope.data;
    if (message.type === 'event') {
      this.pending.get(message.id)?.onEvent?.(message.event as never);
      return;
    }
    const pending = message.id === null ? undefined : this.pending.get(message.id);
    if (message.id !== null) this.pending.delete(message.id);
    if (message.ok) {
      pending?.resolve(message.output);
      return;
    }
    const body = ErrorBodySchema.safeParse(message.error);
    const error = body.success
      ? ConsoleError.fromBody(body.data)
      : new ConsoleError('INTERNAL', 'the console core sent a malformed error');
    if (pending) pending.reject(error);
    else this.onUnsolicitedError?.(error);
  }
}

/** The procedures a set of roles may call and that appear in the command palette. */
export function paletteProcedures(roles: readonly string[]) {
  return Object.values(api).filter(
    (p) =>
      'action' in p && p.action?.palette && p.roles !== 'public' && p.roles.some((r) => roles.includes(r)),
  );
}
