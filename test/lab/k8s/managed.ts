// Field ownership as kube-apiserver's structured-merge-diff keeps it (k8s-tenancy.md §3.4, §3.6):
// `metadata.managedFields` with FieldsV1 sets (`f:` fields, `k:` map-list keys, `v:` set values,
// `.` for an item itself), `Update` entries for POST/PUT/non-apply PATCH (the manager takes the
// fields it changed), and server-side apply: ownership, conflicts worded as apiserver words them,
// `force`, shared ownership on equal values, and removal of fields a manager stopped applying.
import { StatusError } from './errors';
import { applyMerge, itemKey } from './merge';
import { child, items, listKind, resolve, type Located } from './schema';
import type { KubeObject } from './store';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => !!v && typeof v === 'object' && !Array.isArray(v);
const equal = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** Path elements: `f:name`, `k:{"name":"x"}`, `v:"x"`. A path is stored as its JSON. */
type Path = string[];

export interface ManagedEntry {
  manager: string;
  operation: 'Apply' | 'Update';
  apiVersion: string;
  time?: string;
  subresource?: string;
  fields: Map<string, Path>;
}

/** metadata fields the server owns, never tracked (as in the apiserver's field manager). */
const SERVER_METADATA = new Set([
  'name',
  'namespace',
  'uid',
  'resourceVersion',
  'generation',
  'creationTimestamp',
  'managedFields',
  'deletionTimestamp',
  'deletionGracePeriodSeconds',
  'selfLink',
  'generateName',
]);

/** The part of an object one writer manages: status alone for /status, everything else otherwise. */
export function trackedPart(o: KubeObject, subresource: string | undefined, hasStatus: boolean): Obj {
  const { apiVersion: _a, kind: _k, metadata, ...rest } = o;
  if (subresource === 'status') return o.status === undefined ? {} : { status: o.status };
  const meta = Object.fromEntries(Object.entries(metadata ?? {}).filter(([k]) => !SERVER_METADATA.has(k)));
  const body: Obj = { ...rest };
  if (hasStatus) delete body.status;
  return Object.keys(meta).length ? { metadata: meta, ...body } : body;
}

/**
 * The set of leaf fields (and list items) a value sets. `withNodes` adds the object nodes an Update
 * entry owns as `.` (maps, and structs below the top level), as the apiserver records for
 * non-apply writes; an Apply entry owns only what the configuration sets.
 */
export function fieldSet(value: unknown, schema: Located | undefined, withNodes = false): Map<string, Path> {
  const out = new Map<string, Path>();
  const add = (p: Path) => out.set(JSON.stringify(p), p);
  const walk = (v: unknown, s: Located | undefined, at: Path, isItem: boolean) => {
    if (isItem) add(at);
    if (Array.isArray(v)) {
      const kind = listKind(s);
      if (kind.type === 'atomic' || v.length === 0) return add(at);
      const itemSchema = items(s);
      for (const item of v) {
        if (kind.type === 'set') add([...at, `v:${JSON.stringify(item)}`]);
        else walk(item, itemSchema, [...at, `k:${itemKey(item, kind, itemSchema)}`], true);
      }
      return;
    }
    if (isObj(v) && !(s && s.schema['x-kubernetes-map-type'] === 'atomic')) {
      const entries = Object.entries(v);
      if (entries.length === 0 && !isItem) return add(at);
      if (withNodes && !isItem && (isMap(s) || at.length >= 2)) add(at);
      for (const [k, c] of entries) walk(c, child(s, k), [...at, `f:${k}`], false);
      return;
    }
    if (!isItem) add(at);
  };
  if (isObj(value)) for (const [k, c] of Object.entries(value)) walk(c, child(schema, k), [`f:${k}`], false);
  return out;
}

function isMap(s: Located | undefined): boolean {
  const r = s ? resolve(s).schema : undefined;
  return !!r && typeof r.additionalProperties === 'object' && !r.properties;
}

function step(
  node: unknown,
  element: string,
  s: Located | undefined,
): { node: unknown; schema: Located | undefined } {
  const kind = element.slice(0, 2);
  const rest = element.slice(2);
  if (kind === 'f:') return { node: isObj(node) ? node[rest] : undefined, schema: child(s, rest) };
  const itemSchema = items(s);
  if (!Array.isArray(node)) return { node: undefined, schema: itemSchema };
  if (kind === 'v:') return { node: node.find((x) => JSON.stringify(x) === rest), schema: itemSchema };
  const lk = listKind(s);
  return { node: node.find((x) => itemKey(x, lk, itemSchema) === rest), schema: itemSchema };
}

export function valueAt(o: unknown, p: Path, schema: Located | undefined): unknown {
  let node = o;
  let s = schema;
  for (const e of p) ({ node, schema: s } = step(node, e, s));
  return node;
}

function removeAt(o: unknown, p: Path, schema: Located | undefined): void {
  let node = o;
  let s = schema;
  for (const e of p.slice(0, -1)) ({ node, schema: s } = step(node, e, s));
  const last = p[p.length - 1] as string;
  if (last.startsWith('f:') && isObj(node)) delete node[last.slice(2)];
  else if (Array.isArray(node)) {
    const { node: target } = step(node, last, s);
    const i = node.indexOf(target);
    if (i >= 0) node.splice(i, 1);
  }
}

/** `.spec.containers[name="x"].image`, as structured-merge-diff prints a path. */
export function pathString(p: Path): string {
  return p
    .map((e) => {
      const rest = e.slice(2);
      if (e.startsWith('f:')) return `.${rest}`;
      if (e.startsWith('v:')) return `[=${rest}]`;
      const keys = JSON.parse(rest) as Obj;
      return `[${Object.entries(keys)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(',')}]`;
    })
    .join('');
}

// ---------------------------------------------------------------------------------------------
// FieldsV1 encoding

export function toFieldsV1(fields: Map<string, Path>): Obj {
  const root: Obj = {};
  const own = new Set(fields.keys());
  for (const p of fields.values()) {
    let node = root;
    for (const e of p) node = (node[e] ??= {}) as Obj;
  }
  const mark = (node: Obj, at: Path) => {
    for (const [k, v] of Object.entries(node)) {
      const here = [...at, k];
      const c = v as Obj;
      if (Object.keys(c).length > 0) {
        mark(c, here);
        if (own.has(JSON.stringify(here))) c['.'] = {};
      }
    }
  };
  mark(root, []);
  return sortKeys(root) as Obj;
}

function sortKeys(v: unknown): unknown {
  if (!isObj(v)) return v;
  return Object.fromEntries(
    Object.keys(v)
      .sort((a, b) => (a === '.' ? -1 : b === '.' ? 1 : a < b ? -1 : a > b ? 1 : 0))
      .map((k) => [k, sortKeys(v[k])]),
  );
}

export function fromFieldsV1(tree: unknown): Map<string, Path> {
  const out = new Map<string, Path>();
  const walk = (node: unknown, at: Path) => {
    if (!isObj(node)) return;
    for (const [k, v] of Object.entries(node)) {
      if (k === '.') out.set(JSON.stringify(at), at);
      else if (isObj(v) && Object.keys(v).length === 0) out.set(JSON.stringify([...at, k]), [...at, k]);
      else walk(v, [...at, k]);
    }
  };
  walk(tree, []);
  return out;
}

export function readManaged(o: KubeObject | undefined): ManagedEntry[] {
  const list = o?.metadata?.managedFields;
  if (!Array.isArray(list)) return [];
  return list.filter(isObj).map((e) => ({
    manager: String(e.manager ?? ''),
    operation: e.operation === 'Apply' ? 'Apply' : 'Update',
    apiVersion: String(e.apiVersion ?? ''),
    ...(typeof e.time === 'string' ? { time: e.time } : {}),
    ...(typeof e.subresource === 'string' ? { subresource: e.subresource } : {}),
    fields: fromFieldsV1(e.fieldsV1),
  }));
}

export function writeManaged(entries: ManagedEntry[]): Obj[] {
  return entries
    .filter((e) => e.fields.size > 0)
    .map((e) => ({
      manager: e.manager,
      operation: e.operation,
      apiVersion: e.apiVersion,
      ...(e.time ? { time: e.time } : {}),
      fieldsType: 'FieldsV1',
      fieldsV1: toFieldsV1(e.fields),
      ...(e.subresource ? { subresource: e.subresource } : {}),
    }));
}

const sameIdentity = (e: ManagedEntry, manager: string, operation: string, subresource: string | undefined) =>
  e.manager === manager && e.operation === operation && (e.subresource ?? '') === (subresource ?? '');

const isLeaf = (fields: Map<string, Path>, key: string, p: Path) => {
  for (const [k, other] of fields)
    if (k !== key && other.length > p.length && JSON.stringify(other.slice(0, p.length)) === key)
      return false;
  return true;
};

/**
 * managedFields after a non-apply write: the writer takes every field it added or changed (others
 * lose them), and fields that no longer exist leave every set.
 */
export function recordUpdate(
  before: KubeObject | undefined,
  after: KubeObject,
  opts: {
    manager: string;
    apiVersion: string;
    subresource?: string | undefined;
    hasStatus: boolean;
    schema: Located | undefined;
    now: string;
  },
): Obj[] {
  const entries = readManaged(before);
  const oldPart = before ? trackedPart(before, opts.subresource, opts.hasStatus) : {};
  const newPart = trackedPart(after, opts.subresource, opts.hasStatus);
  const oldSet = before ? fieldSet(oldPart, opts.schema, true) : new Map<string, Path>();
  const newSet = fieldSet(newPart, opts.schema, true);
  // Fields gone from the whole object leave every set; changes within the writer's part move to it.
  const wholeNew = fieldSet(trackedPart(after, undefined, false), opts.schema, true);
  const changed = new Map<string, Path>();
  for (const [k, p] of newSet) {
    if (
      !oldSet.has(k) ||
      (isLeaf(newSet, k, p) && !equal(valueAt(oldPart, p, opts.schema), valueAt(newPart, p, opts.schema)))
    )
      changed.set(k, p);
  }
  for (const e of entries) {
    for (const k of [...e.fields.keys()]) if (changed.has(k) || !wholeNew.has(k)) e.fields.delete(k);
  }
  if (changed.size > 0) {
    let mine = entries.find((e) => sameIdentity(e, opts.manager, 'Update', opts.subresource));
    if (!mine) {
      mine = {
        manager: opts.manager,
        operation: 'Update',
        apiVersion: opts.apiVersion,
        fields: new Map(),
        ...(opts.subresource ? { subresource: opts.subresource } : {}),
      };
      entries.push(mine);
    }
    for (const [k, p] of changed) mine.fields.set(k, p);
    mine.time = opts.now;
    mine.apiVersion = opts.apiVersion;
  }
  return writeManaged(entries);
}

function managerLabel(e: ManagedEntry): string {
  let s = JSON.stringify(e.manager);
  if (e.subresource) s += ` with subresource ${JSON.stringify(e.subresource)}`;
  if (e.operation === 'Update') s += ` using ${e.apiVersion}`;
  return s;
}

/**
 * Server-side apply of `applied` (the intent object) over `live` (undefined: create). Returns the
 * merged object with its new managedFields; throws the 409 of a conflict unless `force`.
 */
export function serverSideApply(
  live: KubeObject | undefined,
  applied: KubeObject,
  opts: {
    manager: string;
    force: boolean;
    apiVersion: string;
    subresource?: string | undefined;
    hasStatus: boolean;
    schema: Located | undefined;
    now: string;
  },
): KubeObject {
  const entries = readManaged(live);
  const appliedPart = trackedPart(applied, opts.subresource, opts.hasStatus);
  const appliedSet = fieldSet(appliedPart, opts.schema);
  const liveObj = live ?? {};
  const merged = applyMerge(structuredClone(liveObj), appliedPart, opts.schema) as KubeObject;
  const conflicts: { entry: ManagedEntry; path: Path }[] = [];
  for (const e of entries) {
    if (sameIdentity(e, opts.manager, 'Apply', opts.subresource)) continue;
    for (const [k, p] of e.fields) {
      if (!appliedSet.has(k) || !isLeaf(appliedSet, k, p)) continue;
      if (!equal(valueAt(liveObj, p, opts.schema), valueAt(merged, p, opts.schema)))
        conflicts.push({ entry: e, path: p });
    }
  }
  if (conflicts.length > 0 && !opts.force) throw conflictError(conflicts);
  for (const { entry, path } of conflicts) entry.fields.delete(JSON.stringify(path));

  let mine = entries.find((e) => sameIdentity(e, opts.manager, 'Apply', opts.subresource));
  const previous = mine?.fields ?? new Map<string, Path>();
  // Fields this manager applied before and omits now go, unless someone else still owns them.
  const dropped = [...previous].filter(
    ([k]) => !appliedSet.has(k) && !entries.some((e) => e !== mine && e.fields.has(k)),
  );
  // A list item goes with its fields: its own fields are not removed first (that would lose the
  // key it is found by).
  const droppedKeys = new Set(dropped.map(([k]) => k));
  const underDropped = (p: Path) =>
    p.slice(0, -1).some((_, i) => droppedKeys.has(JSON.stringify(p.slice(0, i + 1))));
  for (const [, p] of dropped.filter(([, p]) => !underDropped(p)).sort((a, b) => b[1].length - a[1].length)) {
    removeAt(merged, p, opts.schema);
  }
  if (!mine) {
    mine = {
      manager: opts.manager,
      operation: 'Apply',
      apiVersion: opts.apiVersion,
      fields: new Map(),
      ...(opts.subresource ? { subresource: opts.subresource } : {}),
    };
    entries.push(mine);
  }
  // The timestamp moves only when the set does, so that an unchanged apply is a no-op write.
  const same =
    mine.fields.size === appliedSet.size && [...appliedSet.keys()].every((k) => mine.fields.has(k));
  mine.fields = appliedSet;
  if (!same || !mine.time) mine.time = opts.now;
  mine.apiVersion = opts.apiVersion;
  // Fields gone from the object (removed above) leave the other sets too.
  const present = fieldSet(trackedPart(merged, undefined, false), opts.schema, true);
  for (const e of entries)
    if (e !== mine) for (const k of [...e.fields.keys()]) if (!present.has(k)) e.fields.delete(k);
  merged.metadata = { ...(merged.metadata ?? {}), managedFields: writeManaged(entries) };
  return merged;
}

function conflictError(conflicts: { entry: ManagedEntry; path: Path }[]): StatusError {
  const causes = conflicts.map((c) => ({
    reason: 'FieldManagerConflict',
    message: `conflict with ${managerLabel(c.entry)}`,
    field: pathString(c.path),
  }));
  let message: string;
  const first = conflicts[0];
  if (conflicts.length === 1 && first) {
    message = `Apply failed with 1 conflict: conflict with ${managerLabel(first.entry)}: ${pathString(first.path)}`;
  } else {
    // Grouped by manager, managers sorted (apiserver's getConflictMessage).
    const byManager = new Map<string, { entry: ManagedEntry; paths: string[] }>();
    for (const c of conflicts) {
      const label = managerLabel(c.entry);
      const group = byManager.get(label) ?? { entry: c.entry, paths: [] };
      group.paths.push(pathString(c.path));
      byManager.set(label, group);
    }
    const lines = [...byManager.entries()]
      .sort(([a, x], [b, y]) => x.entry.manager.localeCompare(y.entry.manager) || a.localeCompare(b))
      .flatMap(([label, g]) => [`conflicts with ${label}:`, ...g.paths.map((p) => `- ${p}`)]);
    message = `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`;
  }
  return new StatusError(409, 'Conflict', message, { causes });
}
