// The emulator's object store: what etcd and the generic registry of kube-apiserver do for the
// kinds in registry.ts (k8s-tenancy.md §3.2-§3.5, §3.8, §3.9): one global resourceVersion bumped on
// every write, uid/creationTimestamp/generation maintained by the server, finalizers and
// deletionTimestamp, a bounded event history for watches, label and field selectors. Validation,
// admission and field ownership are the API layer's (api.ts); nothing here speaks HTTP.
import { randomUUID } from 'node:crypto';
import { alreadyExists, conflict, forbidden, notFound, StatusError } from './errors';
import { qualifiedResource, type ResourceType } from './registry';

export { notFound, StatusError };

export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown> & {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    resourceVersion?: string;
    finalizers?: string[];
    deletionTimestamp?: string;
    managedFields?: unknown;
  };
};

/** One change, as watch streams it. `object` carries the resourceVersion of the change. */
export interface StoreEvent {
  type: 'ADDED' | 'MODIFIED' | 'DELETED';
  resource: ResourceType;
  object: KubeObject;
  /** The object before the change (MODIFIED, DELETED). */
  previous?: KubeObject;
  revision: number;
}

export interface WriteOptions {
  /** dryRun=All: everything but the commit (no revision bump, no event). */
  dryRun?: boolean;
}

/** JSON with object keys sorted: equality of objects regardless of key order. */
export function canonicalJson(v: unknown): string {
  return JSON.stringify(v, (_k, value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
        )
      : value,
  );
}

/** RFC 3339 at second precision, UTC, as metav1.Time serialises. */
export const timestamp = (d: Date) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');

// ---------------------------------------------------------------------------------------------
// Selectors (§3.5)

type Requirement =
  { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

/** Parses a label selector; invalid syntax is a 400 as the real server answers. */
export function parseLabelSelector(text: string): Requirement[] {
  const requirements: Requirement[] = [];
  // Split on commas that are not inside a set `(a,b)`.
  const parts: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  if (current.trim() || parts.length) parts.push(current);
  const bad = () =>
    new StatusError(400, 'BadRequest', `unable to parse requirement: invalid label selector "${text}"`);
  for (const raw of parts.map((p) => p.trim())) {
    if (!raw) throw bad();
    let m = /^([\w./-]+)\s*(==|=|!=)\s*([\w.-]*)$/.exec(raw);
    if (m) {
      const [, key, op, value] = m as unknown as [string, string, string, string];
      requirements.push({ key, op: op === '!=' ? 'notin' : 'in', values: [value] });
      continue;
    }
    m = /^([\w./-]+)\s+(in|notin)\s+\(([^)]*)\)$/.exec(raw);
    if (m) {
      const [, key, op, list] = m as unknown as [string, string, 'in' | 'notin', string];
      requirements.push({ key, op, values: list.split(',').map((v) => v.trim()) });
      continue;
    }
    m = /^(!?)([\w./-]+)$/.exec(raw);
    if (m) {
      requirements.push({ key: m[2] as string, op: m[1] ? '!exists' : 'exists' });
      continue;
    }
    throw bad();
  }
  return requirements;
}

export function matchesLabels(labels: Record<string, string> | undefined, selector: Requirement[]): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.hasOwn(l, r.key);
    switch (r.op) {
      case 'exists':
        return has;
      case '!exists':
        return !has;
      case 'in':
        return has && r.values.includes(l[r.key] as string);
      case 'notin':
        return !has || !r.values.includes(l[r.key] as string);
    }
  });
}

/** Field labels beyond metadata.name/namespace that kube-apiserver supports per kind. */
const FIELD_LABELS: Record<string, string[]> = {
  Namespace: ['status.phase'],
  Pod: [
    'spec.nodeName',
    'spec.restartPolicy',
    'spec.schedulerName',
    'spec.serviceAccountName',
    'spec.hostNetwork',
    'status.phase',
    'status.podIP',
    'status.nominatedNodeName',
  ],
  Node: ['spec.unschedulable'],
};

/** `metadata.name` / `metadata.namespace` (every kind) and the per-kind labels; = == != only. */
export function fieldMatcher(t: ResourceType, text: string): (o: KubeObject) => boolean {
  const tests = text
    .split(',')
    .filter((p) => p.trim())
    .map((part) => {
      const m = /^\s*([\w.]+)\s*(==|=|!=)\s*([^,]*?)\s*$/.exec(part);
      if (!m) throw new StatusError(400, 'BadRequest', `invalid field selector: "${part}"`);
      const [, field, op, value] = m as unknown as [string, string, string, string];
      const allowed = ['metadata.name', 'metadata.namespace', ...(FIELD_LABELS[t.kind] ?? [])];
      if (!allowed.includes(field))
        throw new StatusError(400, 'BadRequest', `field label not supported: ${field}`);
      const read = (o: KubeObject): string => {
        let v: unknown = o;
        for (const part of field.split('.')) v = (v as Record<string, unknown> | undefined)?.[part];
        return typeof v === 'string' || typeof v === 'boolean' ? String(v) : '';
      };
      return (o: KubeObject) => (op === '!=' ? read(o) !== value : read(o) === value);
    });
  return (o) => tests.every((test) => test(o));
}

// ---------------------------------------------------------------------------------------------
// The store

const key = (t: ResourceType, namespace: string | undefined, name: string) =>
  `${t.group}/${t.resource}/${t.namespaced ? (namespace ?? '') : ''}/${name}`;

export const NAMESPACE_TYPE: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  singular: 'namespace',
  kind: 'Namespace',
  namespaced: false,
};

const hasStatus = (t: ResourceType) => (t.subresources ?? []).includes('status');

export class ObjectStore {
  private readonly objects = new Map<string, { type: ResourceType; object: KubeObject }>();
  private revision = 1;
  private readonly history: StoreEvent[] = [];
  private readonly listeners = new Set<(e: StoreEvent) => void>();
  /** Events older than this revision are no longer retained (watch from them: 410 Expired). */
  private compacted = 1;

  constructor(
    readonly now: () => Date = () => new Date(),
    private readonly historyLimit = 5000,
  ) {}

  get resourceVersion(): string {
    return String(this.revision);
  }

  /** The oldest resourceVersion a watch may still start from. */
  get oldestResourceVersion(): number {
    return this.compacted;
  }

  /** Forgets history up to the current revision, as etcd compaction does (tests of 410 use it). */
  compact(): void {
    this.history.length = 0;
    this.compacted = this.revision;
  }

  subscribe(listener: (e: StoreEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Retained events after `revision`, oldest first. */
  eventsSince(revision: number): StoreEvent[] {
    return this.history.filter((e) => e.revision > revision);
  }

  private emit(e: StoreEvent): void {
    this.history.push(e);
    if (this.history.length > this.historyLimit) {
      const dropped = this.history.splice(0, this.history.length - this.historyLimit);
      this.compacted = dropped[dropped.length - 1]?.revision ?? this.compacted;
    }
    for (const l of [...this.listeners]) l(e);
  }

  tryGet(t: ResourceType, namespace: string | undefined, name: string): KubeObject | undefined {
    const found = this.objects.get(key(t, namespace, name));
    return found ? structuredClone(found.object) : undefined;
  }

  get(t: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.tryGet(t, namespace, name);
    if (!found) throw notFound(t, name);
    return found;
  }

  list(
    t: ResourceType,
    namespace: string | undefined,
    filter: { labelSelector?: string | undefined; fieldSelector?: string | undefined } = {},
  ): KubeObject[] {
    const labels = filter.labelSelector ? parseLabelSelector(filter.labelSelector) : [];
    const fields = filter.fieldSelector ? fieldMatcher(t, filter.fieldSelector) : () => true;
    const prefix = `${t.group}/${t.resource}/${namespace === undefined ? '' : `${namespace}/`}`;
    return [...this.objects.entries()]
      .filter(([k]) => k.startsWith(prefix))
      .map(([, o]) => o.object)
      .filter((o) => matchesLabels(o.metadata?.labels, labels) && fields(o))
      .sort((a, b) =>
        `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`.localeCompare(
          `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`,
        ),
      )
      .map((o) => structuredClone(o));
  }

  /**
   * The list as it was at `revision` (a paginated list's snapshot), rebuilt by undoing the retained
   * events since; undefined once history no longer reaches back that far.
   */
  listAt(
    t: ResourceType,
    namespace: string | undefined,
    filter: { labelSelector?: string | undefined; fieldSelector?: string | undefined },
    revision: number,
  ): KubeObject[] | undefined {
    if (revision < this.compacted) return undefined;
    const keyOf = (o: KubeObject) => `${o.metadata?.namespace ?? ''}/${o.metadata?.name ?? ''}`;
    const state = new Map(this.list(t, namespace).map((o) => [keyOf(o), o]));
    const events = this.eventsSince(revision).filter(
      (e) =>
        e.resource.resource === t.resource &&
        e.resource.group === t.group &&
        (namespace === undefined || e.object.metadata?.namespace === namespace),
    );
    for (const e of events.reverse()) {
      if (e.type === 'ADDED') state.delete(keyOf(e.object));
      else if (e.previous) state.set(keyOf(e.previous), e.previous);
    }
    const labels = filter.labelSelector ? parseLabelSelector(filter.labelSelector) : [];
    const fields = filter.fieldSelector ? fieldMatcher(t, filter.fieldSelector) : () => true;
    return [...state.values()]
      .filter((o) => matchesLabels(o.metadata?.labels, labels) && fields(o))
      .sort((a, b) => keyOf(a).localeCompare(keyOf(b)))
      .map((o) => structuredClone(o));
  }

  /** Every stored object in a namespace, of any kind (the namespace controller's discovery). */
  contentsOf(namespace: string): { type: ResourceType; object: KubeObject }[] {
    return [...this.objects.values()]
      .filter((o) => o.type.namespaced && o.object.metadata?.namespace === namespace)
      .map((o) => ({ type: o.type, object: structuredClone(o.object) }));
  }

  private commit(
    t: ResourceType,
    type: StoreEvent['type'],
    object: KubeObject,
    previous?: KubeObject,
  ): KubeObject {
    this.revision++;
    const meta = object.metadata ?? {};
    const stored = { ...object, metadata: { ...meta, resourceVersion: String(this.revision) } };
    const k = key(t, meta.namespace, meta.name ?? '');
    if (type === 'DELETED') this.objects.delete(k);
    else this.objects.set(k, { type: t, object: stored });
    this.emit({
      type,
      resource: t,
      object: structuredClone(stored),
      ...(previous ? { previous: structuredClone(previous) } : {}),
      revision: this.revision,
    });
    return structuredClone(stored);
  }

  /** Checks that a namespaced create may go into `namespace` (exists, not terminating). */
  admitNamespace(t: ResourceType, namespace: string | undefined, name: string): void {
    if (!t.namespaced) return;
    const ns = this.objects.get(key(NAMESPACE_TYPE, undefined, namespace ?? ''))?.object;
    if (!ns) throw notFound(NAMESPACE_TYPE, namespace ?? '');
    if (ns.metadata?.deletionTimestamp) {
      throw forbidden(
        t,
        name,
        `unable to create new content in namespace ${namespace} because it is being terminated`,
        [
          {
            reason: 'NamespaceTerminating',
            message: `namespace ${namespace} is being terminated`,
            field: 'metadata.namespace',
          },
        ],
      );
    }
  }

  /**
   * Creates an object (server fields set here: uid, creationTimestamp, generation, resourceVersion).
   * The body's name must already be final (generateName resolved by the caller or here).
   */
  create(
    t: ResourceType,
    namespace: string | undefined,
    body: KubeObject,
    opts: WriteOptions = {},
  ): KubeObject {
    const metadata = { ...(body.metadata ?? {}) };
    if (t.namespaced) {
      if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
        throw new StatusError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      metadata.namespace = namespace;
    } else delete metadata.namespace;
    let name = typeof metadata.name === 'string' ? metadata.name : '';
    if (!name && typeof metadata.generateName === 'string') {
      name = `${metadata.generateName}${Math.random().toString(36).slice(2, 7).padEnd(5, 'x')}`;
    }
    this.admitNamespace(t, namespace, name);
    if (this.objects.has(key(t, namespace, name))) throw alreadyExists(t, name);
    const stored: KubeObject = {
      ...structuredClone(body),
      apiVersion: t.group ? `${t.group}/${t.version}` : t.version,
      kind: t.kind,
      metadata: {
        ...metadata,
        name,
        uid: randomUUID(),
        resourceVersion: String(this.revision + 1),
        creationTimestamp: timestamp(this.now()),
        ...(t.generation ? { generation: 1 } : {}),
      },
    };
    delete stored.metadata?.deletionTimestamp;
    if (t.kind === 'Namespace') {
      stored.spec = { finalizers: ['kubernetes'] };
      stored.status = { phase: 'Active' };
    }
    if (opts.dryRun) return stored;
    return this.commit(t, 'ADDED', stored);
  }

  /**
   * Replaces an object (PUT semantics): resourceVersion in the body is a precondition; for the
   * main resource status is kept, for /status only status is taken.
   */
  update(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    body: KubeObject,
    opts: WriteOptions & { subresource?: string | undefined } = {},
  ): KubeObject {
    const current = this.objects.get(key(t, namespace, name))?.object;
    if (!current) throw notFound(t, name);
    const given = body.metadata ?? {};
    if (given.name !== undefined && given.name !== name) {
      throw new StatusError(
        400,
        'BadRequest',
        `the name of the object (${String(given.name)}) does not match the name on the URL (${name})`,
      );
    }
    const currentMeta = current.metadata ?? {};
    if (given.resourceVersion !== undefined && given.resourceVersion !== currentMeta.resourceVersion) {
      throw conflict(t, name);
    }
    let next: KubeObject;
    if (opts.subresource === 'status') {
      next = {
        ...structuredClone(current),
        ...(body.status !== undefined ? { status: structuredClone(body.status) } : {}),
        metadata: {
          ...structuredClone(currentMeta),
          ...(given.managedFields !== undefined ? { managedFields: given.managedFields } : {}),
        },
      };
      if (body.status === undefined) delete next.status;
    } else {
      const { metadata: _m, status, apiVersion: _a, kind: _k, ...rest } = structuredClone(body);
      const keepStatus = hasStatus(t) || t.kind === 'Namespace';
      const body2 = keepStatus ? rest : { ...rest, ...(status !== undefined ? { status } : {}) };
      const { metadata: _cm, status: currentStatus, apiVersion: _ca, kind: _ck, ...currentRest } = current;
      const specChanged =
        canonicalJson(body2) !==
        canonicalJson(
          keepStatus
            ? currentRest
            : { ...currentRest, ...(currentStatus !== undefined ? { status: currentStatus } : {}) },
        );
      if (t.kind === 'Namespace') {
        // spec.finalizers of a namespace is only changed through /finalize.
        body2.spec = structuredClone(current.spec);
      }
      const finalizers = Array.isArray(given.finalizers) ? given.finalizers : [];
      if (currentMeta.deletionTimestamp) {
        const added = finalizers.filter((f) => !(currentMeta.finalizers ?? []).includes(f));
        if (added.length > 0)
          throw new StatusError(
            422,
            'Invalid',
            `${t.kind} "${name}" is invalid: metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`,
          );
      }
      next = {
        ...body2,
        ...(keepStatus && currentStatus !== undefined ? { status: currentStatus } : {}),
        apiVersion: current.apiVersion,
        kind: current.kind,
        metadata: {
          ...(given.generateName !== undefined ? { generateName: given.generateName } : {}),
          name,
          ...(currentMeta.namespace !== undefined ? { namespace: currentMeta.namespace } : {}),
          uid: currentMeta.uid,
          resourceVersion: currentMeta.resourceVersion,
          ...(currentMeta.generation !== undefined
            ? { generation: Number(currentMeta.generation) + (specChanged ? 1 : 0) }
            : {}),
          creationTimestamp: currentMeta.creationTimestamp,
          ...(currentMeta.deletionTimestamp !== undefined
            ? { deletionTimestamp: currentMeta.deletionTimestamp, deletionGracePeriodSeconds: 0 }
            : {}),
          ...(given.labels !== undefined && Object.keys(given.labels).length ? { labels: given.labels } : {}),
          ...(given.annotations !== undefined && Object.keys(given.annotations).length
            ? { annotations: given.annotations }
            : {}),
          ...(finalizers.length ? { finalizers } : {}),
          ...(given.ownerReferences !== undefined ? { ownerReferences: given.ownerReferences } : {}),
          ...(given.managedFields !== undefined ? { managedFields: given.managedFields } : {}),
        },
      };
    }
    if (canonicalJson(next) === canonicalJson(current)) return structuredClone(current); // a no-op write keeps its resourceVersion
    if (opts.dryRun) return next;
    // An object being deleted goes once its last finalizer is removed (namespaces: also spec.finalizers).
    if (
      next.metadata?.deletionTimestamp &&
      (next.metadata.finalizers ?? []).length === 0 &&
      !(
        t.kind === 'Namespace' &&
        ((next.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length > 0
      )
    ) {
      return this.commit(t, 'DELETED', next, current);
    }
    return this.commit(t, 'MODIFIED', next, current);
  }

  /** Writes an object as given apart from its resourceVersion (controllers; no checks). */
  put(t: ResourceType, object: KubeObject): KubeObject {
    const meta = object.metadata ?? {};
    const current = this.objects.get(key(t, meta.namespace, meta.name ?? ''))?.object;
    if (
      current &&
      canonicalJson({ ...current, metadata: { ...current.metadata, resourceVersion: '' } }) ===
        canonicalJson({ ...object, metadata: { ...meta, resourceVersion: '' } })
    )
      return structuredClone(current);
    if (
      current &&
      meta.deletionTimestamp &&
      (meta.finalizers ?? []).length === 0 &&
      !(
        t.kind === 'Namespace' &&
        ((object.spec as { finalizers?: string[] } | undefined)?.finalizers ?? []).length > 0
      )
    )
      return this.commit(t, 'DELETED', object, current);
    return this.commit(t, current ? 'MODIFIED' : 'ADDED', object, current);
  }

  /**
   * Deletes an object: at once when it has no finalizers, else it is marked (deletionTimestamp,
   * generation bumped once) and stays readable. A namespace always goes through Terminating.
   */
  delete(
    t: ResourceType,
    namespace: string | undefined,
    name: string,
    opts: WriteOptions & { precondition?: { uid?: string; resourceVersion?: string } } = {},
  ): { object: KubeObject; pending: boolean } {
    const current = this.objects.get(key(t, namespace, name))?.object;
    if (!current) throw notFound(t, name);
    const meta = current.metadata ?? {};
    if (opts.precondition?.uid !== undefined && opts.precondition.uid !== meta.uid)
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedResource(t)} "${name}": Precondition failed: UID in precondition: ${opts.precondition.uid}, UID in object meta: ${String(meta.uid)}`,
      );
    if (
      opts.precondition?.resourceVersion !== undefined &&
      opts.precondition.resourceVersion !== meta.resourceVersion
    )
      throw conflict(t, name);
    const isNamespace = t.kind === 'Namespace';
    if (isNamespace && meta.deletionTimestamp) {
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on namespaces "${name}": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.`,
        { name, kind: 'namespaces' },
      );
    }
    if (isNamespace || (meta.finalizers ?? []).length > 0) {
      if (meta.deletionTimestamp) return { object: structuredClone(current), pending: true };
      const marked: KubeObject = {
        ...structuredClone(current),
        metadata: {
          ...structuredClone(meta),
          deletionTimestamp: timestamp(this.now()),
          deletionGracePeriodSeconds: 0,
          ...(meta.generation !== undefined ? { generation: Number(meta.generation) + 1 } : {}),
        },
      };
      if (isNamespace) marked.status = { ...(current.status as object), phase: 'Terminating' };
      return { object: opts.dryRun ? marked : this.commit(t, 'MODIFIED', marked, current), pending: true };
    }
    if (opts.dryRun) return { object: structuredClone(current), pending: false };
    return { object: this.commit(t, 'DELETED', current, current), pending: false };
  }
}
