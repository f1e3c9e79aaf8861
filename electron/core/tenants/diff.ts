// Field-level differences between Kubernetes objects, for the plan (the object now vs what the dry
// run says it would become) and for drift (what the console applied vs the object now). Pure.
import type { FieldChange } from '../../../shared/api';
import { isQuantity, quantityValue } from '../../../shared/tenants';

/** Set by the API server on every write; never a difference an operator should see. */
const SERVER_METADATA = new Set([
  'managedFields',
  'resourceVersion',
  'uid',
  'creationTimestamp',
  'generation',
  'selfLink',
]);

type Json = unknown;
const isMap = (v: Json): v is Record<string, Json> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

/** `spec.hard["requests.cpu"]`, `spec.egress[0].to`: readable and unambiguous. */
export function fieldPath(parts: readonly (string | number)[]): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'number') out += `[${p}]`;
    else if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(p)) out += out === '' ? p : `.${p}`;
    else out += `[${JSON.stringify(p)}]`;
  }
  return out;
}

/** The object without status and server-maintained metadata. */
export function desiredPart(object: Record<string, Json>): Record<string, Json> {
  const { status: _status, metadata, ...rest } = object;
  const meta = isMap(metadata)
    ? Object.fromEntries(Object.entries(metadata).filter(([k]) => !SERVER_METADATA.has(k)))
    : metadata;
  return meta === undefined ? rest : { ...rest, metadata: meta };
}

/** Two scalars are the same value; quantities compare by amount (`1000m` is `1`). */
function sameScalar(a: Json, b: Json): boolean {
  if (a === b) return true;
  if (typeof a === 'string' && typeof b === 'string' && isQuantity(a) && isQuantity(b)) {
    return quantityValue(a) === quantityValue(b);
  }
  if (typeof a === 'number' && typeof b === 'string' && isQuantity(b)) return quantityValue(b) === a;
  if (typeof b === 'number' && typeof a === 'string' && isQuantity(a)) return quantityValue(a) === b;
  return false;
}

function deepEqual(a: Json, b: Json): boolean {
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => deepEqual(x, b[i]));
  }
  if (isMap(a) && isMap(b)) {
    const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
    return [...keys].every((k) => deepEqual(a[k], b[k]));
  }
  return sameScalar(a, b);
}

/**
 * Every field that differs between two objects: maps key by key, lists element by element when
 * they have the same length (else the whole list), scalars by value.
 */
export function objectDiff(before: Json, after: Json): FieldChange[] {
  const out: FieldChange[] = [];
  const walk = (a: Json, b: Json, at: (string | number)[]) => {
    if (isMap(a) && isMap(b)) {
      for (const k of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort())
        walk(a[k], b[k], [...at, k]);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(x, b[i], [...at, i]));
      return;
    }
    if (a === undefined && b === undefined) return;
    if (deepEqual(a, b)) return;
    out.push({
      path: fieldPath(at),
      ...(a === undefined ? {} : { before: a }),
      ...(b === undefined ? {} : { after: b }),
    });
  };
  walk(before, after, []);
  return out;
}

/**
 * Drift: the fields the console applied that no longer hold on the live object. Only what was
 * applied is compared (defaults, status and others' additions are not drift), except lists,
 * which the console owns whole: an egress rule or a group added to a list is drift.
 */
export function appliedFieldsDrift(applied: Json, live: Json): FieldChange[] {
  const out: FieldChange[] = [];
  const walk = (a: Json, b: Json, at: (string | number)[]) => {
    if (isMap(a)) {
      if (!isMap(b)) {
        out.push({ path: fieldPath(at), before: a, ...(b === undefined ? {} : { after: b }) });
        return;
      }
      for (const k of Object.keys(a).sort()) walk(a[k], b[k], [...at, k]);
      return;
    }
    if (Array.isArray(a) && Array.isArray(b) && a.length === b.length) {
      a.forEach((x, i) => walk(x, b[i], [...at, i]));
      return;
    }
    if (deepEqual(a, b)) return;
    out.push({
      path: fieldPath(at),
      ...(a === undefined ? {} : { before: a }),
      ...(b === undefined ? {} : { after: b }),
    });
  };
  walk(desiredPart(applied as Record<string, Json>), live, []);
  return out;
}
