import { z } from 'zod';

/**
 * Marks schema fields that carry secrets. The dispatcher replaces them with
 * "[redacted]" before anything reaches the audit log; a test checks that every
 * field whose name looks secret is marked.
 */
const secretSchemas = new WeakSet<z.ZodType>();

export function secret<T extends z.ZodType>(schema: T): T {
  secretSchemas.add(schema);
  return schema;
}

export function isSecret(schema: z.ZodType): boolean {
  return secretSchemas.has(schema);
}

export const REDACTED = '[redacted]';
/** Field names that are redacted even if a declaration forgot to mark them. */
export const SECRET_NAME = /pass(word|phrase)?|secret|token|private|pin$|credential/i;

function unwrap(schema: z.ZodType): z.ZodType {
  let s: z.ZodType = schema;
  for (let i = 0; i < 10; i++) {
    if (isSecret(s)) return s;
    if (s instanceof z.ZodOptional || s instanceof z.ZodNullable || s instanceof z.ZodDefault) {
      s = s.unwrap() as z.ZodType;
    } else if (s instanceof z.ZodPipe) {
      s = s.in as z.ZodType;
    } else break;
  }
  return s;
}

/** A copy of `value` with secret fields replaced; never throws. */
export function redact(schema: z.ZodType | undefined, value: unknown, depth = 0): unknown {
  if (depth > 20) return REDACTED;
  const s = schema ? unwrap(schema) : undefined;
  if (s && isSecret(s)) return value === undefined ? undefined : REDACTED;
  if (Array.isArray(value)) {
    const element = s instanceof z.ZodArray ? (s.element as z.ZodType) : undefined;
    return value.slice(0, 100).map((v) => redact(element, v, depth + 1));
  }
  if (value !== null && typeof value === 'object') {
    const shape = s instanceof z.ZodObject ? (s.shape as Record<string, z.ZodType>) : undefined;
    const out: Record<string, unknown> = {};
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      // A yes/no is never a secret, whatever its name (allowPasswordLogin).
      out[key] =
        SECRET_NAME.test(key) && typeof v !== 'boolean' ? REDACTED : redact(shape?.[key], v, depth + 1);
    }
    return out;
  }
  if (typeof value === 'string' && value.length > 2000)
    return `${value.slice(0, 2000)}… (${value.length} chars)`;
  return value;
}
