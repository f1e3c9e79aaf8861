// The emulator's object store: what etcd and the generic registry of kube-apiserver do for the
// kinds in registry.ts (k8s-tenancy.md §3.2-§3.5): one global resourceVersion bumped on every
// write, uid/creationTimestamp/generation maintained by the server, Status errors worded as
// apimachinery words them, label and field selectors. Pure state; no HTTP here.
import { randomUUID } from 'node:crypto';
import { qualifiedResource, type ResourceType } from './registry';

export type KubeObject = Record<string, unknown> & {
  apiVersion?: string;
  kind?: string;
  metadata?: Record<string, unknown> & {
    name?: string;
    namespace?: string;
    labels?: Record<string, string>;
    resourceVersion?: string;
  };
};

/** A Status failure (§3.3); thrown by the store, answered by the server with `code`. */
export class StatusError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
  }

  toStatus(): object {
    return {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
      ...(this.details ? { details: this.details } : {}),
      code: this.code,
    };
  }
}

const details = (t: ResourceType, name: string) => ({
  name,
  ...(t.group ? { group: t.group } : {}),
  // apiserver sets Kind to the plural resource here ("Yes we set Kind field to resource").
  kind: t.resource,
});

export const notFound = (t: ResourceType, name: string) =>
  new StatusError(404, 'NotFound', `${qualifiedResource(t)} "${name}" not found`, details(t, name));

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

function invalidName(t: ResourceType, name: string): StatusError | undefined {
  if (t.kind === 'Namespace') {
    if (name.length <= 63 && DNS_LABEL.test(name)) return undefined;
    return invalid(
      t,
      name,
      'metadata.name',
      `Invalid value: "${name}": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')`,
    );
  }
  if (t.group === 'rbac.authorization.k8s.io') {
    // RBAC names are path segments: anything but '/', '%', '.' and '..'.
    if (name && name !== '.' && name !== '..' && !/[/%]/.test(name)) return undefined;
    return invalid(t, name, 'metadata.name', `Invalid value: "${name}": may not contain '/' or '%'`);
  }
  if (name.length <= 253 && DNS_SUBDOMAIN.test(name)) return undefined;
  return invalid(
    t,
    name,
    'metadata.name',
    `Invalid value: "${name}": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
  );
}

function invalid(t: ResourceType, name: string, field: string, detail: string): StatusError {
  const kind = t.group ? `${t.kind}.${t.group}` : t.kind;
  return new StatusError(422, 'Invalid', `${kind} "${name}" is invalid: ${field}: ${detail}`, {
    name,
    ...(t.group ? { group: t.group } : {}),
    kind: t.kind,
    causes: [{ reason: 'FieldValueInvalid', message: detail, field }],
  });
}

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

/** `metadata.name` / `metadata.namespace` (every kind) and `status.phase` for namespaces; = == != only. */
export function fieldMatcher(t: ResourceType, text: string): (o: KubeObject) => boolean {
  const tests = text
    .split(',')
    .filter((p) => p.trim())
    .map((part) => {
      const m = /^\s*([\w.]+)\s*(==|=|!=)\s*([^,]*?)\s*$/.exec(part);
      if (!m) throw new StatusError(400, 'BadRequest', `invalid field selector: "${part}"`);
      const [, field, op, value] = m as unknown as [string, string, string, string];
      const allowed = [
        'metadata.name',
        'metadata.namespace',
        ...(t.kind === 'Namespace' ? ['status.phase'] : []),
      ];
      if (!allowed.includes(field))
        throw new StatusError(400, 'BadRequest', `field label not supported: ${field}`);
      const read = (o: KubeObject): string => {
        const [a, b] = field.split('.') as [string, string];
        const v = (o[a] as Record<string, unknown> | undefined)?.[b];
        return typeof v === 'string' ? v : '';
      };
      return (o: KubeObject) => (op === '!=' ? read(o) !== value : read(o) === value);
    });
  return (o) => tests.every((test) => test(o));
}

// ---------------------------------------------------------------------------------------------
// The store

const key = (t: ResourceType, namespace: string | undefined, name: string) =>
  `${t.group}/${t.resource}/${namespace ?? ''}/${name}`;

export class ObjectStore {
  private readonly objects = new Map<string, KubeObject>();
  private revision = 1;

  constructor(private readonly now: () => Date = () => new Date()) {}

  get resourceVersion(): string {
    return String(this.revision);
  }

  get(t: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.objects.get(key(t, namespace, name));
    if (!found) throw notFound(t, name);
    return structuredClone(found);
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
      .map(([, o]) => o)
      .filter((o) => matchesLabels(o.metadata?.labels, labels) && fields(o))
      .sort((a, b) =>
        `${a.metadata?.namespace ?? ''}/${a.metadata?.name ?? ''}`.localeCompare(
          `${b.metadata?.namespace ?? ''}/${b.metadata?.name ?? ''}`,
        ),
      )
      .map((o) => structuredClone(o));
  }

  create(t: ResourceType, namespace: string | undefined, body: KubeObject): KubeObject {
    const metadata = { ...(body.metadata ?? {}) };
    if (t.namespaced) {
      if (metadata.namespace !== undefined && metadata.namespace !== namespace) {
        throw new StatusError(
          400,
          'BadRequest',
          'the namespace of the provided object does not match the namespace sent on the request',
        );
      }
      if (!this.objects.has(key(NAMESPACE_TYPE, undefined, namespace ?? ''))) {
        throw notFound(NAMESPACE_TYPE, namespace ?? '');
      }
      const ns = this.objects.get(key(NAMESPACE_TYPE, undefined, namespace ?? ''));
      if ((ns?.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp) {
        throw new StatusError(
          403,
          'Forbidden',
          `${t.resource} "${String(metadata.name ?? '')}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
          { name: metadata.name, kind: t.resource, causes: [{ reason: 'NamespaceTerminating' }] },
        );
      }
      metadata.namespace = namespace;
    }
    let name = typeof metadata.name === 'string' ? metadata.name : '';
    if (!name && typeof metadata.generateName === 'string') {
      name = `${metadata.generateName}${Math.random().toString(36).slice(2, 7)}`;
    }
    if (!name) throw invalid(t, '', 'metadata.name', 'Required value: name or generateName is required');
    const bad = invalidName(t, name);
    if (bad) throw bad;
    const k = key(t, t.namespaced ? namespace : undefined, name);
    if (this.objects.has(k)) {
      throw new StatusError(
        409,
        'AlreadyExists',
        `${qualifiedResource(t)} "${name}" already exists`,
        details(t, name),
      );
    }
    this.revision++;
    const stored: KubeObject = {
      ...structuredClone(body),
      apiVersion: t.group ? `${t.group}/${t.version}` : t.version,
      kind: t.kind,
      metadata: {
        ...metadata,
        name,
        uid: randomUUID(),
        resourceVersion: String(this.revision),
        creationTimestamp: this.now()
          .toISOString()
          .replace(/\.\d{3}Z$/, 'Z'),
        ...(t.kind === 'Namespace' ? {} : { generation: 1 }),
      },
    };
    if (t.kind === 'Namespace') {
      stored.spec = { finalizers: ['kubernetes'] };
      stored.status = { phase: 'Active' };
    }
    this.objects.set(k, stored);
    return structuredClone(stored);
  }

  update(t: ResourceType, namespace: string | undefined, name: string, body: KubeObject): KubeObject {
    const k = key(t, t.namespaced ? namespace : undefined, name);
    const current = this.objects.get(k);
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
      throw new StatusError(
        409,
        'Conflict',
        `Operation cannot be fulfilled on ${qualifiedResource(t)} "${name}": the object has been modified; please apply your changes to the latest version and try again`,
        details(t, name),
      );
    }
    this.revision++;
    const { metadata: _ignored, status: _status, ...rest } = structuredClone(body);
    const specChanged = JSON.stringify(rest.spec ?? null) !== JSON.stringify(current.spec ?? null);
    const next: KubeObject = {
      ...rest,
      ...(current.status !== undefined ? { status: current.status } : {}),
      apiVersion: current.apiVersion,
      kind: current.kind,
      metadata: {
        ...(given.labels !== undefined ? { labels: given.labels } : {}),
        ...(given.annotations !== undefined ? { annotations: given.annotations } : {}),
        name,
        ...(currentMeta.namespace !== undefined ? { namespace: currentMeta.namespace } : {}),
        uid: currentMeta.uid,
        resourceVersion: String(this.revision),
        creationTimestamp: currentMeta.creationTimestamp,
        ...(currentMeta.generation !== undefined
          ? { generation: Number(currentMeta.generation) + (specChanged ? 1 : 0) }
          : {}),
      },
    };
    this.objects.set(k, next);
    return structuredClone(next);
  }

  /**
   * Deletes an object. A namespace is marked terminating and its contents removed; it is gone
   * once empty (at once here: no controllers hold finalizers on the emulated kinds).
   */
  delete(t: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const k = key(t, t.namespaced ? namespace : undefined, name);
    const current = this.objects.get(k);
    if (!current) throw notFound(t, name);
    this.revision++;
    if (t.kind === 'Namespace') {
      for (const other of [...this.objects.keys()]) {
        const o = this.objects.get(other);
        if (o?.metadata?.namespace === name) this.objects.delete(other);
      }
    }
    this.objects.delete(k);
    return structuredClone(current);
  }
}

const NAMESPACE_TYPE: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'namespaces',
  singular: 'namespace',
  kind: 'Namespace',
  namespaced: false,
};
