import { z } from 'zod';
import { ErrorBodySchema } from './errors';

/**
 * The wire envelopes. Every transport (Electron MessagePort, loopback WebSocket,
 * in-process for the CLI) carries exactly these, serialised as JSON text.
 */
export const PROTOCOL_VERSION = 1;
export { MAX_ENVELOPE_CHARS } from './limits';

const CallId = z.string().min(1).max(64);

export const CallEnvelopeSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('call'),
  id: CallId,
  procedure: z.string().min(1).max(128),
  input: z.unknown(),
});
export const CancelEnvelopeSchema = z.strictObject({
  v: z.literal(PROTOCOL_VERSION),
  type: z.literal('cancel'),
  id: CallId,
});
export const ClientEnvelopeSchema = z.discriminatedUnion('type', [CallEnvelopeSchema, CancelEnvelopeSchema]);
export type CallEnvelope = z.infer<typeof CallEnvelopeSchema>;
export type ClientEnvelope = z.infer<typeof ClientEnvelopeSchema>;

export type ResultEnvelope =
  | { v: 1; type: 'result'; id: string; ok: true; output: unknown }
  | { v: 1; type: 'result'; id: string | null; ok: false; error: z.infer<typeof ErrorBodySchema> };
/** A streamed event belonging to a running call. */
export type EventEnvelope = { v: 1; type: 'event'; id: string; event: unknown };
export type ServerEnvelope = ResultEnvelope | EventEnvelope;

export const ServerEnvelopeSchema = z.discriminatedUnion('type', [
  z.object({
    v: z.literal(PROTOCOL_VERSION),
    type: z.literal('result'),
    id: z.string().nullable(),
    ok: z.boolean(),
    output: z.unknown().optional(),
    error: ErrorBodySchema.optional(),
  }),
  z.object({ v: z.literal(PROTOCOL_VERSION), type: z.literal('event'), id: z.string(), event: z.unknown() }),
]);
