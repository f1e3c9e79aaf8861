// The patch formats kube-apiserver accepts (k8s-tenancy.md §3.6) and the merge server-side apply
// uses: RFC 7386 JSON merge patch, RFC 6902 JSON patch, strategic merge patch (lists merged by the
// schema's `x-kubernetes-patch-merge-key`, `$patch` and `$deleteFromPrimitiveList` directives), and
// the structural merge of an applied configuration (`x-kubernetes-list-type` map/set/atomic).
import { StatusError } from './errors';
import { child, isAtomicMap, items, keyValue, listKind, patchMergeKey, type Located } from './schema';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const equal = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** RFC 7386: objects merge key by key, null removes, anything else replaces. */
export function mergePatch(target: unknown, patch: unknown): unknown {
  if (!isObj(patch)) return patch;
  const out: Obj = isObj(target) ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

const invalidPatch = (message: string) => new StatusError(422, 'Invalid', message);

/** RFC 6902 JSON patch; a failing operation is a 422 as the apiserver answers it. */
export function jsonPatch(target: unknown, ops: unknown): unknown {
  if (!Array.isArray(ops))
    throw new StatusError(400, 'BadRequest', 'json patch must be an array of operations');
  let doc = structuredClone(target);
  const parse = (pointer: unknown): string[] => {
    if (typeof pointer !== 'string' || (pointer !== '' && !pointer.startsWith('/')))
      throw invalidPatch(`invalid JSON pointer ${JSON.stringify(pointer)}`);
    return pointer === ''
      ? []
      : pointer
          .slice(1)
          .split('/')
          .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  };
  const parentOf = (tokens: string[]) => {
    let node: unknown = doc;
    for (const t of tokens.slice(0, -1)) {
      node = Array.isArray(node) ? node[Number(t)] : isObj(node) ? node[t] : undefined;
      if (node === undefined) throw invalidPatch(`doc is missing path: /${tokens.join('/')}`);
    }
    return { node, last: tokens[tokens.length - 1] as string };
  };
  const read = (tokens: string[]) => {
    let node: unknown = doc;
    for (const t of tokens) {
      node = Array.isArray(node) ? node[Number(t)] : isObj(node) ? node[t] : undefined;
      if (node === undefined) throw invalidPatch(`doc is missing path: /${tokens.join('/')}`);
    }
    return node;
  };
  const remove = (tokens: string[]) => {
    const { node, last } = parentOf(tokens);
    if (Array.isArray(node)) {
      const i = Number(last);
      if (!(i >= 0 && i < node.length)) throw invalidPatch(`doc is missing path: /${tokens.join('/')}`);
      node.splice(i, 1);
    } else if (isObj(node) && last in node) delete node[last];
    else throw invalidPatch(`doc is missing path: /${tokens.join('/')}`);
  };
  const add = (tokens: string[], value: unknown, replace: boolean) => {
    if (tokens.length === 0) {
      doc = value;
      return;
    }
    const { node, last } = parentOf(tokens);
    if (Array.isArray(node)) {
      const i = last === '-' ? node.length : Number(last);
      if (!(i >= 0 && i <= node.length)) throw invalidPatch(`doc is missing path: /${tokens.join('/')}`);
      node.splice(i, replace ? 1 : 0, structuredClone(value));
    } else if (isObj(node)) {
      if (replace && !(last in node)) throw invalidPatch(`doc is missing path: /${tokens.join('/')}`);
      node[last] = structuredClone(value);
    } else throw invalidPatch(`doc is missing path: /${tokens.join('/')}`);
  };
  for (const raw of ops) {
    const op = isObj(raw) ? raw : {};
    const at = parse(op.path);
    switch (op.op) {
      case 'add':
        add(at, op.value, false);
        break;
      case 'remove':
        remove(at);
        break;
      case 'replace':
        add(at, op.value, true);
        break;
      case 'move': {
        const from = parse(op.from);
        const v = read(from);
        remove(from);
        add(at, v, false);
        break;
      }
      case 'copy':
        add(at, read(parse(op.from)), false);
        break;
      case 'test':
        if (!equal(read(at), op.value))
          throw invalidPatch(`testing value /${at.join('/')} failed: test failed`);
        break;
      default:
        throw invalidPatch(`Unexpected kind: ${String(op.op)}`);
    }
  }
  return doc;
}

/**
 * Strategic merge patch (built-in kinds only): maps merge, `null` deletes, lists with a patch merge
 * key merge item by item (`$patch: delete` removes one), primitive merge lists take the union, other
 * lists are replaced. `$setElementOrder` (ordering hints kubectl sends) is accepted and ignored.
 */
export function strategicMerge(target: unknown, patch: unknown, schema: Located | undefined): unknown {
  if (!isObj(patch)) return patch;
  if (patch.$patch === 'delete') return undefined;
  const replace = patch.$patch === 'replace';
  const out: Obj = isObj(target) && !replace ? { ...target } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (k === '$patch' || k.startsWith('$setElementOrder/') || k === '$retainKeys') continue;
    if (k.startsWith('$deleteFromPrimitiveList/')) {
      const field = k.slice('$deleteFromPrimitiveList/'.length);
      const drop = Array.isArray(v) ? v : [];
      if (Array.isArray(out[field]))
        out[field] = (out[field] as unknown[]).filter((x) => !drop.some((d) => equal(d, x)));
      continue;
    }
    const s = child(schema, k);
    if (v === null) delete out[k];
    else if (Array.isArray(v)) out[k] = mergeList(out[k], v, s);
    else if (isObj(v) && !isAtomicMap(s)) {
      const merged = strategicMerge(out[k], v, s);
      if (merged === undefined) delete out[k];
      else out[k] = merged;
    } else out[k] = v;
  }
  if (isObj(patch.$retainKeys) || Array.isArray(patch.$retainKeys)) {
    const keep = patch.$retainKeys as string[];
    for (const k of Object.keys(out)) if (!keep.includes(k)) delete out[k];
  }
  return out;
}

function mergeList(current: unknown, patch: unknown[], schema: Located | undefined): unknown[] {
  const key = patchMergeKey(schema);
  const existing = Array.isArray(current) ? [...current] : [];
  if (patch.some((p) => isObj(p) && p.$patch === 'replace'))
    return patch.filter((p) => !(isObj(p) && p.$patch === 'replace'));
  if (key === undefined) return patch;
  const itemSchema = items(schema);
  if (key === '') {
    // A primitive list merged by value (finalizers): the union, in order.
    for (const p of patch) if (!existing.some((e) => equal(e, p))) existing.push(p);
    return existing;
  }
  for (const p of patch) {
    if (!isObj(p)) continue;
    const i = existing.findIndex((e) => isObj(e) && equal(e[key], p[key]));
    if (p.$patch === 'delete') {
      if (i >= 0) existing.splice(i, 1);
    } else if (i >= 0) existing[i] = strategicMerge(existing[i], p, itemSchema);
    else existing.push(strategicMerge({}, p, itemSchema));
  }
  return existing;
}

// ---------------------------------------------------------------------------------------------
// Server-side apply's structural merge (structured-merge-diff)

/** The identity of a list item under the list's type: its key fields, its value, or its index. */
export function itemKey(
  item: unknown,
  kind: ReturnType<typeof listKind>,
  itemSchema: Located | undefined,
): string {
  if (kind.type === 'map' && isObj(item))
    return JSON.stringify(Object.fromEntries(kind.keys.map((k) => [k, keyValue(item, k, itemSchema)])));
  return JSON.stringify(item);
}

/** Merges an applied configuration into the live object: the applied values win. */
export function applyMerge(live: unknown, applied: unknown, schema: Located | undefined): unknown {
  if (Array.isArray(applied)) {
    const kind = listKind(schema);
    if (kind.type === 'atomic' || !Array.isArray(live)) return structuredClone(applied);
    const itemSchema = items(schema);
    const out = [...live];
    for (const a of applied) {
      const k = itemKey(a, kind, itemSchema);
      const i = out.findIndex((e) => itemKey(e, kind, itemSchema) === k);
      if (i >= 0) out[i] = kind.type === 'map' ? applyMerge(out[i], a, itemSchema) : a;
      else out.push(structuredClone(a));
    }
    return out;
  }
  if (!isObj(applied) || isAtomicMap(schema) || !isObj(live)) return structuredClone(applied);
  const out: Obj = { ...live };
  for (const [k, v] of Object.entries(applied)) out[k] = applyMerge(out[k], v, child(schema, k));
  return out;
}
