// ResourceQuota as kube-apiserver's admission plugin and kube-controller-manager's quota controller
// keep it (k8s-tenancy.md §1.2, §3.3, §3.10): usage from live objects (pods: requests and limits
// of non-terminal pods, init containers as max against the app containers' sum, RuntimeClass
// overhead, extended resources such as MIG profiles charged as `requests.<name>`; object counts),
// `status.hard` mirroring `spec.hard`, and the create-time checks with apiserver's messages.
import { forbidden } from './errors';
import { add, compare, formatQuantity, max, parseQuantity, zero, type Quantity } from './quantity';
import type { ResourceType } from './registry';
import type { KubeObject, ObjectStore } from './store';

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

type Usage = Map<string, Quantity>;

function addTo(usage: Usage, key: string, q: Quantity): void {
  usage.set(key, add(usage.get(key) ?? zero(q.format), q));
}

/** Per-resource sums of a list of resource maps. */
function sumOf(maps: Obj[]): Usage {
  const out: Usage = new Map();
  for (const m of maps)
    for (const [r, v] of Object.entries(m)) {
      const q = parseQuantity(v);
      if (q) addTo(out, r, q);
    }
  return out;
}

/** The pod's effective requests or limits: max(sum of containers, each init container) + overhead. */
function podResources(pod: KubeObject, which: 'requests' | 'limits'): Usage {
  const spec = asObj(pod.spec);
  const of = (list: unknown) => asArr(list).map((c) => asObj(asObj(asObj(c).resources)[which]));
  const total = sumOf(of(spec.containers));
  for (const init of of(spec.initContainers)) {
    for (const [r, v] of Object.entries(init)) {
      const q = parseQuantity(v);
      if (q) total.set(r, max(total.get(r) ?? zero(q.format), q));
    }
  }
  for (const [r, v] of Object.entries(asObj(spec.overhead))) {
    const q = parseQuantity(v);
    if (q) addTo(total, r, q);
  }
  return total;
}

const isTerminal = (pod: KubeObject) =>
  ['Succeeded', 'Failed'].includes(String(asObj(pod.status).phase ?? ''));

/** Resources a compute quota may name for pods (`cpu` is `requests.cpu`, as in the quota evaluator). */
function podUsage(pod: KubeObject): Usage {
  const usage: Usage = new Map();
  const one = parseQuantity('1') as Quantity;
  usage.set('pods', one);
  usage.set('count/pods', one);
  const requests = podResources(pod, 'requests');
  const limits = podResources(pod, 'limits');
  for (const [r, q] of requests) {
    usage.set(`requests.${r}`, q);
    if (['cpu', 'memory', 'ephemeral-storage'].includes(r)) usage.set(r, q);
  }
  for (const [r, q] of limits) {
    // Extended resources are charged by requests only (limits.<extended> is not a quota resource).
    if (!r.includes('/') || r.includes('kubernetes.io/')) usage.set(`limits.${r}`, q);
  }
  return usage;
}

const LEGACY_COUNTS: Record<string, string> = {
  configmaps: 'configmaps',
  resourcequotas: 'resourcequotas',
  secrets: 'secrets',
  services: 'services',
  persistentvolumeclaims: 'persistentvolumeclaims',
  replicationcontrollers: 'replicationcontrollers',
};

/** What one object adds to its namespace's usage. */
export function objectUsage(t: ResourceType, o: KubeObject): Usage {
  if (t.kind === 'Pod') return isTerminal(o) ? new Map() : podUsage(o);
  const one = parseQuantity('1') as Quantity;
  const usage: Usage = new Map([[`count/${t.group ? `${t.resource}.${t.group}` : t.resource}`, one]]);
  const legacy = t.group ? undefined : LEGACY_COUNTS[t.resource];
  if (legacy) usage.set(legacy, one);
  return usage;
}

/** Current usage in a namespace for the given keys, from live objects. */
export function namespaceUsage(
  store: ObjectStore,
  types: readonly ResourceType[],
  namespace: string,
  keys: string[],
): Usage {
  const used: Usage = new Map();
  const wanted = new Set(keys);
  for (const { type, object } of store.contentsOf(namespace)) {
    if (!types.includes(type)) continue;
    for (const [k, q] of objectUsage(type, object)) if (wanted.has(k)) addTo(used, k, q);
  }
  return used;
}

const hardOf = (quota: KubeObject): [string, Quantity][] =>
  Object.entries(asObj(asObj(quota.spec).hard)).flatMap(([k, v]) => {
    const q = parseQuantity(v);
    return q ? [[k, q] as [string, Quantity]] : [];
  });

/** The status the quota controller would write: hard as spec.hard, used for every hard key. */
export function quotaStatus(store: ObjectStore, types: readonly ResourceType[], quota: KubeObject): Obj {
  const hard = hardOf(quota);
  const used = namespaceUsage(
    store,
    types,
    String(quota.metadata?.namespace ?? ''),
    hard.map(([k]) => k),
  );
  return {
    hard: Object.fromEntries(hard.map(([k, q]) => [k, formatQuantity(q)])),
    used: Object.fromEntries(hard.map(([k, q]) => [k, formatQuantity(used.get(k) ?? zero(q.format))])),
  };
}

/** Quota scopes this emulator understands (others: the quota is treated as matching every pod). */
function quotaMatches(quota: KubeObject, t: ResourceType, o: KubeObject): boolean {
  const scopes = asArr(asObj(quota.spec).scopes).map(String);
  if (t.kind !== 'Pod') return scopes.length === 0;
  const spec = asObj(o.spec);
  const limitsOrRequests = asArr(spec.containers).some((c) => {
    const r = asObj(asObj(c).resources);
    return Object.keys(asObj(r.requests)).length + Object.keys(asObj(r.limits)).length > 0;
  });
  return scopes.every((s) => {
    switch (s) {
      case 'BestEffort':
        return !limitsOrRequests;
      case 'NotBestEffort':
        return limitsOrRequests;
      case 'Terminating':
        return spec.activeDeadlineSeconds !== undefined;
      case 'NotTerminating':
        return spec.activeDeadlineSeconds === undefined;
      default:
        return true;
    }
  });
}

const VALIDATION_SET = ['cpu', 'memory', 'requests.cpu', 'requests.memory', 'limits.cpu', 'limits.memory'];

/** The quota evaluator's Constraints: a quota on cpu/memory makes every container say it. */
function mustSpecify(pod: KubeObject, hard: string[]): string | undefined {
  const required = VALIDATION_SET.filter((r) => hard.includes(r));
  if (required.length === 0) return undefined;
  const missing = new Map<string, string[]>();
  const spec = asObj(pod.spec);
  for (const c of [...asArr(spec.containers), ...asArr(spec.initContainers)]) {
    const container = asObj(c);
    const res = asObj(container.resources);
    for (const r of required) {
      const [which, name] = r.includes('.') ? (r.split('.') as [string, string]) : ['requests', r];
      if (asObj(res[which])[name] === undefined)
        missing.set(r, [...(missing.get(r) ?? []), String(container.name ?? '')]);
    }
  }
  if (missing.size === 0) return undefined;
  return `must specify ${[...missing.keys()]
    .sort()
    .map((r) => `${r} for: ${[...new Set(missing.get(r))].sort().join(',')}`)
    .join('; ')}`;
}

const pretty = (m: Usage) =>
  [...m.keys()]
    .sort()
    .map((k) => `${k}=${formatQuantity(m.get(k) as Quantity)}`)
    .join(',');

/**
 * Admission of a create in a namespace: every matching quota must have room for what the object
 * adds (its keys present in `hard`). Throws the 403 with apiserver's wording; charges nothing
 * itself (usage is recomputed from live objects once the object is stored).
 */
export function admitQuota(
  store: ObjectStore,
  types: readonly ResourceType[],
  quotaType: ResourceType,
  t: ResourceType,
  o: KubeObject,
): void {
  const namespace = String(o.metadata?.namespace ?? '');
  const name = String(o.metadata?.name ?? '');
  const delta = objectUsage(t, o);
  for (const quota of store.list(quotaType, namespace)) {
    if (!quotaMatches(quota, t, o)) continue;
    const hard = hardOf(quota);
    const quotaName = String(quota.metadata?.name ?? '');
    if (t.kind === 'Pod') {
      const why = mustSpecify(
        o,
        hard.map(([k]) => k),
      );
      if (why) throw forbidden(t, name, `failed quota: ${quotaName}: ${why}`);
    }
    const relevant = hard.filter(([k]) => delta.has(k));
    if (relevant.length === 0) continue;
    const used = namespaceUsage(
      store,
      types,
      namespace,
      relevant.map(([k]) => k),
    );
    const failedRequested: Usage = new Map();
    const failedUsed: Usage = new Map();
    const failedHard: Usage = new Map();
    for (const [k, limit] of relevant) {
      const requested = delta.get(k) as Quantity;
      const current = used.get(k) ?? zero(limit.format);
      if (compare(add(current, requested), limit) > 0) {
        failedRequested.set(k, requested);
        failedUsed.set(k, current);
        failedHard.set(k, limit);
      }
    }
    if (failedRequested.size > 0) {
      throw forbidden(
        t,
        name,
        `exceeded quota: ${quotaName}, requested: ${pretty(failedRequested)}, used: ${pretty(failedUsed)}, limited: ${pretty(failedHard)}`,
      );
    }
  }
}
