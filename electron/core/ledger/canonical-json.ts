/**
 * RFC 8785 JSON Canonicalization Scheme (JCS). In JavaScript it reduces to:
 * primitives exactly as JSON.stringify writes them (ECMAScript number and
 * string serialisation, as the RFC prescribes), object members sorted by
 * their names' UTF-16 code units, no white space. Input must be I-JSON:
 * finite numbers, no lone surrogates.
 *
 * Fast path: copy objects with their members in sorted order and let
 * JSON.stringify write them (it keeps insertion order for non-index keys).
 * Objects with array-index-like keys ("2", "10") are enumerated numerically by
 * JavaScript, not by code units, so they take the slow, literal path.
 */
const INDEX_KEY = /^(0|[1-9][0-9]*)$/;

class NeedsSlowPath extends Error {}

function sorted(_key: string, value: unknown): unknown {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold the number ${value}`);
    return value;
  }
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw new TypeError('canonical JSON cannot hold a lone surrogate');
    return value;
  }
  if (typeof value === 'bigint' || typeof value === 'function' || typeof value === 'symbol') {
    throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') throw new NeedsSlowPath();
  const keys = Object.keys(value);
  const out: Record<string, unknown> = {};
  for (const k of keys.sort()) {
    if (INDEX_KEY.test(k)) throw new NeedsSlowPath();
    out[k] = (value as Record<string, unknown>)[k];
  }
  return out;
}

export function canonicalJson(value: unknown): string {
  try {
    const text = JSON.stringify(value, sorted);
    if (text === undefined) throw new TypeError('canonical JSON cannot hold undefined');
    return text;
  } catch (error) {
    if (error instanceof NeedsSlowPath) return literal(value);
    throw error;
  }
}

/** The literal definition, for the objects the fast path cannot order. */
function literal(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'string') return JSON.stringify(sorted('', value));
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : literal(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(sorted('', k))}:${literal(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
}

export function canonicalBytes(value: unknown): Uint8Array {
  return Buffer.from(canonicalJson(value), 'utf8');
}
