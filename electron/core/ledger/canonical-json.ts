/**
 * RFC 8785 JSON Canonicalization Scheme (JCS). In JavaScript it reduces to:
 * primitives exactly as JSON.stringify writes them (ECMAScript number and
 * string serialisation, as the RFC prescribes), object members sorted by
 * their names' UTF-16 code units, no white space. Input must be I-JSON:
 * finite numbers, no lone surrogates.
 *
 * Fast path: give JSON.stringify objects whose members are already in sorted
 * order (it keeps insertion order for non-index keys), copying only objects
 * that are not; the ledger builds its entries in sorted order, so usually
 * nothing is copied. Objects with array-index-like keys ("2", "10") are
 * enumerated numerically by JavaScript, not by code units, so they take the
 * slow, literal path.
 */
const INDEX_KEY = /^(0|[1-9][0-9]*)$/;

class NeedsSlowPath extends Error {}

/** `value` with every object's members in code-unit order; the same object when already so. */
function inOrder(value: unknown): unknown {
  if (typeof value === 'string') {
    if (!value.isWellFormed()) throw new TypeError('canonical JSON cannot hold a lone surrogate');
    return value;
  }
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold the number ${value}`);
    return value;
  }
  if (value === null || typeof value === 'boolean') return value;
  if (typeof value !== 'object') throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const v = value[i] === undefined ? null : inOrder(value[i]);
      if (v !== value[i]) (copy ??= value.slice())[i] = v;
    }
    return copy ?? value;
  }
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') throw new NeedsSlowPath();
  const record = value as Record<string, unknown>;
  const keys = Object.keys(record);
  let sorted = true;
  let changed = false;
  const values: unknown[] = new Array(keys.length);
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i] as string;
    if (INDEX_KEY.test(k)) throw new NeedsSlowPath();
    if (i > 0 && (keys[i - 1] as string) > k) sorted = false;
    const v = record[k];
    values[i] = v === undefined ? undefined : inOrder(v);
    if (values[i] !== v || v === undefined) changed = true;
  }
  if (sorted && !changed) return value;
  const order = keys.map((k, i) => [k, values[i]] as const).filter(([, v]) => v !== undefined);
  if (!sorted) order.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const out: Record<string, unknown> = {};
  for (const [k, v] of order) out[k] = v;
  return out;
}

export function canonicalJson(value: unknown): string {
  try {
    return JSON.stringify(inOrder(value));
  } catch (error) {
    if (error instanceof NeedsSlowPath) return literal(value);
    throw error;
  }
}

/** The literal definition, for the objects the fast path cannot order. */
function literal(value: unknown): string {
  if (value === null || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number' || typeof value === 'string') return JSON.stringify(inOrder(value));
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : literal(v))).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).filter(([, v]) => v !== undefined);
    // Default sort compares UTF-16 code units, which is what RFC 8785 §3.2.3 asks for.
    entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(inOrder(k))}:${literal(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
}

export function canonicalBytes(value: unknown): Uint8Array {
  return Buffer.from(canonicalJson(value), 'utf8');
}
