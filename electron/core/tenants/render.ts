// A tenant spec as the Kubernetes objects that make it a hard-multi-tenancy tenant
// (k8s-tenancy.md §1), in provisioning order (§1.7): Namespace → ResourceQuota + LimitRange →
// NetworkPolicies (default-deny first) → Roles → RoleBindings. Pure and deterministic: same spec,
// same cluster → byte-identical objects, so plan and drift can compare them field by field.
import { quantityValue } from '../../../shared/tenants';
import type { TenantRole, TenantSpec } from '../../../shared/tenants';

/** Prefix of the console's own labels and annotations on tenant objects. */
export const TENANCY_DOMAIN = 'tenancy.enclave.io';
/** Pod Security Standards version pinned on tenant namespaces, so an upgrade cannot relax it (§1.1). */
export const PSA_VERSION = 'v1.35';

export interface TenantCluster {
  /** The API server's `--oidc-groups-prefix` (or claimMappings.groups.prefix), e.g. `oidc:`. */
  oidcGroupPrefix: string;
  /** Namespace of the cluster DNS service when the spec does not say; default kube-system. */
  dnsNamespace?: string;
  /** Labels of the cluster DNS pods when the spec does not say; default `k8s-app: kube-dns`. */
  dnsPodLabels?: Record<string, string>;
}

export interface KubernetesObject {
  apiVersion: string;
  kind: string;
  metadata: {
    name: string;
    namespace?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
  };
  [field: string]: unknown;
}

const ALL_VERBS = ['get', 'list', 'watch', 'create', 'update', 'patch', 'delete', 'deletecollection'];
const READ = ['get', 'list', 'watch'];

type PolicyRule = { apiGroups: string[]; resources: string[]; verbs: string[] };

// Namespaced Roles rather than the built-in admin/edit ClusterRoles: those grant write on
// networkpolicies (and admin on resourcequota-adjacent objects), which would let a tenant widen
// its own egress past the residency allowlist (§1.4). Viewer binds the built-in `view` (§1.5),
// which reads no secrets.
const WORKLOAD_RULES: PolicyRule[] = [
  {
    apiGroups: [''],
    resources: ['configmaps', 'persistentvolumeclaims', 'pods', 'secrets', 'services'],
    verbs: ALL_VERBS,
  },
  { apiGroups: [''], resources: ['pods/exec', 'pods/log', 'pods/portforward'], verbs: ['create', 'get'] },
  { apiGroups: ['apps'], resources: ['deployments', 'replicasets', 'statefulsets'], verbs: ALL_VERBS },
  { apiGroups: ['batch'], resources: ['cronjobs', 'jobs'], verbs: ALL_VERBS },
  { apiGroups: [''], resources: ['events', 'limitranges', 'resourcequotas'], verbs: READ },
  { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'], verbs: READ },
];
const ADMIN_RULES: PolicyRule[] = [
  ...WORKLOAD_RULES,
  { apiGroups: [''], resources: ['serviceaccounts'], verbs: ALL_VERBS },
  // Admins hand their own (or lesser) rights to more groups; RBAC's escalation check stops more.
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['rolebindings'], verbs: ALL_VERBS },
  { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles'], verbs: READ },
];

/** What each tenant role is bound to inside the tenant namespace. */
export const ROLE_REFS: Record<
  TenantRole,
  { kind: 'Role' | 'ClusterRole'; name: string; rules?: PolicyRule[] }
> = {
  'tenant-admin': { kind: 'Role', name: 'tenant-admin', rules: ADMIN_RULES },
  developer: { kind: 'Role', name: 'tenant-developer', rules: WORKLOAD_RULES },
  viewer: { kind: 'ClusterRole', name: 'view' },
};

const BINDING_NAMES: Record<TenantRole, string> = {
  'tenant-admin': 'tenant-admins',
  developer: 'tenant-developers',
  viewer: 'tenant-viewers',
};

// Container defaults so pods that omit requests/limits are still admitted under the cpu/memory
// quota (§1.3); no GPU defaults: GPU requests are always explicit.
const DEFAULT_REQUEST = { cpu: '250m', memory: '512Mi' };
const DEFAULT_LIMIT = { cpu: '1', memory: '2Gi' };

const smaller = (...qs: string[]): string =>
  qs.reduce((a, b) => (quantityValue(b) < quantityValue(a) ? b : a));

/** LimitRange container defaults, never above what the quota allows in total. */
function containerDefaults(spec: TenantSpec): {
  defaultRequest: Record<string, string>;
  default: Record<string, string>;
} {
  const q = spec.quotas;
  const cpuLimit = smaller(DEFAULT_LIMIT.cpu, q.cpuLimit ?? q.cpu);
  const memoryLimit = smaller(DEFAULT_LIMIT.memory, q.memoryLimit ?? q.memory);
  return {
    defaultRequest: {
      cpu: smaller(DEFAULT_REQUEST.cpu, q.cpu, cpuLimit),
      memory: smaller(DEFAULT_REQUEST.memory, q.memory, memoryLimit),
    },
    default: { cpu: cpuLimit, memory: memoryLimit },
  };
}

const sorted = (values: Iterable<string>): string[] => [...new Set(values)].sort();
const sortedRecord = <T>(entries: [string, T][]): Record<string, T> =>
  Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

/** The `spec.hard` of the tenant's ResourceQuota. Extended resources only ever as `requests.` keys (§1.2). */
export function quotaHard(spec: TenantSpec): Record<string, string> {
  const q = spec.quotas;
  const hard: [string, string][] = [
    ['requests.cpu', q.cpu],
    ['limits.cpu', q.cpuLimit ?? q.cpu],
    ['requests.memory', q.memory],
    ['limits.memory', q.memoryLimit ?? q.memory],
    ['requests.storage', q.storage],
    ['pods', String(q.pods)],
    ['requests.nvidia.com/gpu', String(q.gpus)],
    // No LoadBalancer or NodePort Services: both expose pods past the namespace's NetworkPolicies.
    ['services.loadbalancers', '0'],
    ['services.nodeports', '0'],
  ];
  for (const [profile, n] of Object.entries(q.mig))
    hard.push([`requests.nvidia.com/mig-${profile}`, String(n)]);
  return sortedRecord(hard);
}

function namespaceObject(spec: TenantSpec): KubernetesObject {
  const labels: [string, string][] = [[`${TENANCY_DOMAIN}/tenant`, spec.name]];
  if (spec.residency.zone) labels.push([`${TENANCY_DOMAIN}/residency`, spec.residency.zone]);
  for (const mode of ['enforce', 'audit', 'warn']) {
    labels.push([`pod-security.kubernetes.io/${mode}`, 'restricted']);
    labels.push([`pod-security.kubernetes.io/${mode}-version`, PSA_VERSION]);
  }
  // Policy the cluster's admission guardrails read; recorded on the namespace so the tenant
  // (who has no write on namespaces, §1.1) cannot change it.
  const annotations: [string, string][] = [
    [`${TENANCY_DOMAIN}/organisation`, spec.organisation],
    [`${TENANCY_DOMAIN}/contacts`, spec.contacts.map((c) => `${c.name} <${c.email}>`).join(', ')],
    [`${TENANCY_DOMAIN}/allowed-registries`, sorted(spec.registries).join(',')],
    [`${TENANCY_DOMAIN}/allowed-gpu-products`, sorted(spec.placement.gpuProducts).join(',')],
    [`${TENANCY_DOMAIN}/allowed-node-pools`, sorted(spec.placement.nodePools).join(',')],
  ];
  if (spec.placement.runtimeClass)
    annotations.push([`${TENANCY_DOMAIN}/runtime-class`, spec.placement.runtimeClass]);
  return {
    apiVersion: 'v1',
    kind: 'Namespace',
    metadata: { name: spec.name, labels: sortedRecord(labels), annotations: sortedRecord(annotations) },
  };
}

function meta(spec: TenantSpec, name: string): KubernetesObject['metadata'] {
  return { name, namespace: spec.name, labels: { [`${TENANCY_DOMAIN}/tenant`]: spec.name } };
}

function networkPolicies(spec: TenantSpec, cluster: TenantCluster): KubernetesObject[] {
  const np = (name: string, body: Record<string, unknown>): KubernetesObject => ({
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: meta(spec, name),
    spec: { podSelector: {}, ...body },
  });
  const dnsNamespace = spec.residency.dns.namespace ?? cluster.dnsNamespace ?? 'kube-system';
  const dnsPods = spec.residency.dns.podLabels ?? cluster.dnsPodLabels ?? { 'k8s-app': 'kube-dns' };
  const sameTenant = { namespaceSelector: { matchLabels: { [`${TENANCY_DOMAIN}/tenant`]: spec.name } } };
  const out = [
    np('default-deny-all', { policyTypes: ['Ingress', 'Egress'] }),
    np('allow-dns', {
      policyTypes: ['Egress'],
      egress: [
        {
          // One element: namespace AND pod selector (two elements would OR them, §1.4).
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': dnsNamespace } },
              podSelector: { matchLabels: sortedRecord(Object.entries(dnsPods)) },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    }),
    np('allow-same-tenant', {
      policyTypes: ['Ingress', 'Egress'],
      ingress: [{ from: [sameTenant] }],
      egress: [{ to: [sameTenant] }],
    }),
  ];
  const cidrs = sorted(spec.residency.egressCidrs);
  if (cidrs.length > 0) {
    out.push(
      np('egress-residency-allowlist', {
        policyTypes: ['Egress'],
        egress: [{ to: cidrs.map((cidr) => ({ ipBlock: { cidr } })) }],
      }),
    );
  }
  return out;
}

function rbac(spec: TenantSpec, cluster: TenantCluster): KubernetesObject[] {
  const roles: KubernetesObject[] = [];
  const bindings: KubernetesObject[] = [];
  for (const role of ['tenant-admin', 'developer', 'viewer'] as const) {
    const ref = ROLE_REFS[role];
    const groups = sorted(
      spec.groups.filter((g) => g.role === role).map((g) => `${cluster.oidcGroupPrefix}${g.group}`),
    );
    if (groups.length === 0) continue;
    if (ref.rules) {
      roles.push({
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'Role',
        metadata: meta(spec, ref.name),
        rules: ref.rules,
      });
    }
    bindings.push({
      apiVersion: 'rbac.authorization.k8s.io/v1',
      kind: 'RoleBinding',
      metadata: meta(spec, BINDING_NAMES[role]),
      subjects: groups.map((name) => ({ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name })),
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: ref.kind, name: ref.name },
    });
  }
  return [...roles, ...bindings];
}

/** The tenant's objects in the order they are created. */
export function renderTenant(spec: TenantSpec, cluster: TenantCluster): KubernetesObject[] {
  return [
    namespaceObject(spec),
    {
      apiVersion: 'v1',
      kind: 'ResourceQuota',
      metadata: meta(spec, 'tenant-quota'),
      spec: { hard: quotaHard(spec) },
    },
    {
      apiVersion: 'v1',
      kind: 'LimitRange',
      metadata: meta(spec, 'tenant-defaults'),
      spec: { limits: [{ type: 'Container', ...containerDefaults(spec) }] },
    },
    ...networkPolicies(spec, cluster),
    ...rbac(spec, cluster),
  ];
}
