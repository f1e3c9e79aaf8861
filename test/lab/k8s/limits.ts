// The LimitRanger admission plugin for pods (k8s-tenancy.md §1.3): a namespace's LimitRange
// `Container` items fill in missing requests and limits (defaultRequest, default; each defaulting
// to the other as the API defaults them, default to max), and min/max are enforced with its
// messages. It runs before ResourceQuota, so defaulted containers satisfy a quota's "must specify".
import { forbidden } from './errors';
import { compare, parseQuantity } from './quantity';
import type { ResourceType } from './registry';
import type { KubeObject, ObjectStore } from './store';

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export function admitLimitRanges(
  store: ObjectStore,
  limitRangeType: ResourceType,
  podType: ResourceType,
  pod: KubeObject,
): void {
  const namespace = String(pod.metadata?.namespace ?? '');
  const items = store
    .list(limitRangeType, namespace)
    .flatMap((lr) => asArr(asObj(lr.spec).limits).map(asObj))
    .filter((i) => i.type === 'Container');
  if (items.length === 0) return;
  const spec = asObj(pod.spec);
  const set: string[] = [];
  const errors: string[] = [];
  for (const c of [...asArr(spec.initContainers), ...asArr(spec.containers)]) {
    const container = asObj(c);
    const resources = asObj(container.resources);
    const requests = { ...asObj(resources.requests) };
    const limits = { ...asObj(resources.limits) };
    const setRequests: string[] = [];
    const setLimits: string[] = [];
    for (const item of items) {
      const def = { ...asObj(item.max), ...asObj(item.default) };
      const defRequest = { ...def, ...asObj(item.defaultRequest) };
      for (const [r, v] of Object.entries(def)) {
        if (limits[r] === undefined) {
          limits[r] = v;
          setLimits.push(r);
        }
      }
      for (const [r, v] of Object.entries(defRequest)) {
        if (requests[r] === undefined) {
          // defaultRequest (itself defaulting to default, as LimitRange defaulting does).
          requests[r] = v;
          setRequests.push(r);
        }
      }
    }
    if (setRequests.length || setLimits.length) {
      container.resources = {
        ...resources,
        ...(Object.keys(limits).length ? { limits } : {}),
        ...(Object.keys(requests).length ? { requests } : {}),
      };
      const name = String(container.name ?? '');
      if (setRequests.length)
        set.push(`${[...new Set(setRequests)].sort().join(', ')} request for container ${name}`);
      if (setLimits.length)
        set.push(`${[...new Set(setLimits)].sort().join(', ')} limit for container ${name}`);
    }
    for (const item of items) {
      for (const [r, max] of Object.entries(asObj(item.max))) {
        const q = parseQuantity(max);
        const limit = parseQuantity(limits[r]);
        if (q && limit && compare(limit, q) > 0)
          errors.push(
            `maximum ${r} usage per Container is ${String(max)}, but limit is ${String(limits[r])}`,
          );
        if (q && limits[r] === undefined)
          errors.push(`maximum ${r} usage per Container is ${String(max)}.  No limit is specified`);
      }
      for (const [r, min] of Object.entries(asObj(item.min))) {
        const q = parseQuantity(min);
        const request = parseQuantity(requests[r]);
        if (q && request && compare(request, q) < 0)
          errors.push(
            `minimum ${r} usage per Container is ${String(min)}, but request is ${String(requests[r])}`,
          );
        if (q && requests[r] === undefined)
          errors.push(`minimum ${r} usage per Container is ${String(min)}.  No request is specified`);
      }
    }
  }
  if (errors.length) {
    throw forbidden(
      podType,
      String(pod.metadata?.name ?? ''),
      errors.length === 1 ? (errors[0] as string) : `[${errors.join(', ')}]`,
    );
  }
  if (set.length) {
    pod.metadata = {
      ...pod.metadata,
      annotations: {
        ...(pod.metadata?.annotations ?? {}),
        'kubernetes.io/limit-ranger': `LimitRanger plugin set: ${set.join('; ')}`,
      },
    };
  }
}
