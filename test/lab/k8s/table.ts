// Server-side printing (meta.k8s.io/v1 Table), what `kubectl get` asks for with
// `Accept: application/json;as=Table;v=v1;g=meta.k8s.io`: the columns kube-apiserver's printers give
// the emulated kinds (priority 1 columns are `-o wide`), ages as its HumanDuration prints them, and
// each row's object as PartialObjectMetadata. Without it kubectl falls back to NAME and AGE only.
import type { ResourceType } from './registry';
import type { KubeObject } from './store';

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

export const TABLE_CONTENT_TYPE = 'application/json;as=Table;v=v1;g=meta.k8s.io';

export function wantsTable(accept: string | undefined): boolean {
  return /as=Table/.test(accept ?? '') && /g=meta\.k8s\.io/.test(accept ?? '');
}

/** k8s.io/apimachinery duration.HumanDuration. */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 10) return seconds % 60 === 0 ? `${minutes}m` : `${minutes}m${seconds % 60}s`;
  if (minutes < 180) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 8) return minutes % 60 === 0 ? `${hours}h` : `${hours}h${minutes % 60}m`;
  if (hours < 48) return `${hours}h`;
  if (hours < 192)
    return hours % 24 === 0 ? `${Math.floor(hours / 24)}d` : `${Math.floor(hours / 24)}d${hours % 24}h`;
  if (hours < 24 * 365 * 2) return `${Math.floor(hours / 24)}d`;
  const days = Math.floor(hours / 24);
  if (hours < 24 * 365 * 8)
    return days % 365 === 0 ? `${Math.floor(days / 365)}y` : `${Math.floor(days / 365)}y${days % 365}d`;
  return `${Math.floor(days / 365)}y`;
}

interface Column {
  name: string;
  type: string;
  format?: string;
  priority?: number;
  cell: (o: KubeObject) => unknown;
}

const age = (o: KubeObject) => {
  const created = o.metadata?.creationTimestamp;
  return typeof created === 'string' ? humanDuration(Date.now() - Date.parse(created)) : '<unknown>';
};
const name: Column = { name: 'Name', type: 'string', format: 'name', cell: (o) => o.metadata?.name ?? '' };
const ageColumn: Column = { name: 'Age', type: 'string', cell: age };
const createdAt: Column = {
  name: 'Created At',
  type: 'date',
  cell: (o) => o.metadata?.creationTimestamp ?? '',
};

function selectorText(selector: unknown): string {
  const s = asObj(selector);
  const parts = [
    ...Object.entries(asObj(s.matchLabels)).map(([k, v]) => `${k}=${String(v)}`),
    ...asArr(s.matchExpressions).map((e) => {
      const x = asObj(e);
      const values = asArr(x.values).map(String).join(',');
      switch (x.operator) {
        case 'In':
          return `${String(x.key)} in (${values})`;
        case 'NotIn':
          return `${String(x.key)} notin (${values})`;
        case 'Exists':
          return String(x.key);
        default:
          return `!${String(x.key)}`;
      }
    }),
  ];
  return parts.length ? parts.join(',') : '<none>';
}

function quotaColumn(o: KubeObject, limits: boolean): string {
  const status = asObj(o.status);
  const hard = asObj(status.hard);
  const used = asObj(status.used);
  return Object.keys(hard)
    .filter((k) => k.startsWith('limits.') === limits)
    .sort()
    .map((k) => `${k}: ${String(used[k] ?? '0')}/${String(hard[k])}`)
    .join(', ');
}

function subjects(o: KubeObject, kind: string): string {
  return asArr(o.subjects)
    .map(asObj)
    .filter((s) => s.kind === kind)
    .map((s) =>
      kind === 'ServiceAccount' ? `${String(s.namespace ?? '')}/${String(s.name)}` : String(s.name),
    )
    .join(', ');
}

const COLUMNS: Record<string, Column[]> = {
  Namespace: [name, { name: 'Status', type: 'string', cell: (o) => asObj(o.status).phase ?? '' }, ageColumn],
  Node: [
    name,
    {
      name: 'Status',
      type: 'string',
      cell: (o) => {
        const ready = asArr(asObj(o.status).conditions)
          .map(asObj)
          .find((c) => c.type === 'Ready');
        const base = ready?.status === 'True' ? 'Ready' : 'NotReady';
        return asObj(o.spec).unschedulable ? `${base},SchedulingDisabled` : base;
      },
    },
    {
      name: 'Roles',
      type: 'string',
      cell: (o) =>
        Object.keys(o.metadata?.labels ?? {})
          .filter((k) => k.startsWith('node-role.kubernetes.io/'))
          .map((k) => k.slice('node-role.kubernetes.io/'.length))
          .join(',') || '<none>',
    },
    ageColumn,
    { name: 'Version', type: 'string', cell: (o) => asObj(asObj(o.status).nodeInfo).kubeletVersion ?? '' },
    {
      name: 'Internal-IP',
      type: 'string',
      priority: 1,
      cell: (o) =>
        asArr(asObj(o.status).addresses)
          .map(asObj)
          .find((a) => a.type === 'InternalIP')?.address ?? '<none>',
    },
    {
      name: 'External-IP',
      type: 'string',
      priority: 1,
      cell: (o) =>
        asArr(asObj(o.status).addresses)
          .map(asObj)
          .find((a) => a.type === 'ExternalIP')?.address ?? '<none>',
    },
    {
      name: 'OS-Image',
      type: 'string',
      priority: 1,
      cell: (o) => asObj(asObj(o.status).nodeInfo).osImage ?? '',
    },
    {
      name: 'Kernel-Version',
      type: 'string',
      priority: 1,
      cell: (o) => asObj(asObj(o.status).nodeInfo).kernelVersion ?? '',
    },
    {
      name: 'Container-Runtime',
      type: 'string',
      priority: 1,
      cell: (o) => asObj(asObj(o.status).nodeInfo).containerRuntimeVersion ?? '',
    },
  ],
  Pod: [
    name,
    { name: 'Ready', type: 'string', cell: (o) => `0/${asArr(asObj(o.spec).containers).length}` },
    { name: 'Status', type: 'string', cell: (o) => asObj(o.status).phase ?? '' },
    { name: 'Restarts', type: 'string', cell: () => '0' },
    ageColumn,
    { name: 'IP', type: 'string', priority: 1, cell: (o) => asObj(o.status).podIP ?? '<none>' },
    { name: 'Node', type: 'string', priority: 1, cell: (o) => asObj(o.spec).nodeName ?? '<none>' },
  ],
  ResourceQuota: [
    name,
    ageColumn,
    { name: 'Request', type: 'string', cell: (o) => quotaColumn(o, false) },
    { name: 'Limit', type: 'string', cell: (o) => quotaColumn(o, true) },
  ],
  LimitRange: [name, createdAt],
  ConfigMap: [
    name,
    {
      name: 'Data',
      type: 'integer',
      cell: (o) => Object.keys(asObj(o.data)).length + Object.keys(asObj(o.binaryData)).length,
    },
    ageColumn,
  ],
  ServiceAccount: [
    name,
    { name: 'Secrets', type: 'integer', cell: (o) => asArr(o.secrets).length },
    ageColumn,
  ],
  NetworkPolicy: [
    name,
    { name: 'Pod-Selector', type: 'string', cell: (o) => selectorText(asObj(o.spec).podSelector) },
    ageColumn,
  ],
  Role: [name, createdAt],
  ClusterRole: [name, createdAt],
  RoleBinding: [
    name,
    {
      name: 'Role',
      type: 'string',
      cell: (o) => `${String(asObj(o.roleRef).kind)}/${String(asObj(o.roleRef).name)}`,
    },
    ageColumn,
    { name: 'Users', type: 'string', priority: 1, cell: (o) => subjects(o, 'User') },
    { name: 'Groups', type: 'string', priority: 1, cell: (o) => subjects(o, 'Group') },
    { name: 'ServiceAccounts', type: 'string', priority: 1, cell: (o) => subjects(o, 'ServiceAccount') },
  ],
  RuntimeClass: [name, { name: 'Handler', type: 'string', cell: (o) => o.handler ?? '' }, ageColumn],
};
COLUMNS.ClusterRoleBinding = COLUMNS.RoleBinding as Column[];

/** A Table of objects; `headers` false leaves columnDefinitions out (watch events after the first). */
export function toTable(
  t: ResourceType,
  objects: KubeObject[],
  resourceVersion: string,
  headers = true,
): object {
  const columns = COLUMNS[t.kind] ?? [name, createdAt];
  return {
    kind: 'Table',
    apiVersion: 'meta.k8s.io/v1',
    metadata: { resourceVersion },
    ...(headers
      ? {
          columnDefinitions: columns.map((c) => ({
            name: c.name,
            type: c.type,
            format: c.format ?? '',
            description: '',
            priority: c.priority ?? 0,
          })),
        }
      : {}),
    rows: objects.map((o) => ({
      cells: columns.map((c) => c.cell(o)),
      object: { kind: 'PartialObjectMetadata', apiVersion: 'meta.k8s.io/v1', metadata: o.metadata ?? {} },
    })),
  };
}
