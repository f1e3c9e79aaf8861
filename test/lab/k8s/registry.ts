// The kinds the Kubernetes API emulator serves, as the real API server's discovery documents name
// them (k8s-tenancy.md §3.1, §3.11): group, version, plural resource, Kind, scope, verbs.

export interface ResourceType {
  /** '' for the core group. */
  group: string;
  version: string;
  /** The lowercase plural used in URLs (`networkpolicies`). */
  resource: string;
  singular: string;
  kind: string;
  namespaced: boolean;
  shortNames?: string[];
  /** Subresources served (`status`, `finalize`). */
  subresources?: string[];
  /** Discovery categories (`kubectl get all` lists the `all` category). */
  categories?: string[];
  /** Whether the registry maintains metadata.generation (its strategy sets it; most of these kinds do not). */
  generation?: boolean;
}

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

export const RESOURCE_TYPES: readonly ResourceType[] = [
  {
    group: '',
    version: 'v1',
    resource: 'namespaces',
    singular: 'namespace',
    kind: 'Namespace',
    namespaced: false,
    shortNames: ['ns'],
    subresources: ['status', 'finalize'],
  },
  {
    group: '',
    version: 'v1',
    resource: 'resourcequotas',
    singular: 'resourcequota',
    kind: 'ResourceQuota',
    namespaced: true,
    shortNames: ['quota'],
    subresources: ['status'],
  },
  {
    group: '',
    version: 'v1',
    resource: 'limitranges',
    singular: 'limitrange',
    kind: 'LimitRange',
    namespaced: true,
    shortNames: ['limits'],
  },
  {
    group: '',
    version: 'v1',
    resource: 'pods',
    singular: 'pod',
    kind: 'Pod',
    namespaced: true,
    shortNames: ['po'],
    subresources: ['status'],
    generation: true,
    categories: ['all'],
  },
  {
    group: '',
    version: 'v1',
    resource: 'serviceaccounts',
    singular: 'serviceaccount',
    kind: 'ServiceAccount',
    namespaced: true,
    shortNames: ['sa'],
  },
  {
    group: '',
    version: 'v1',
    resource: 'configmaps',
    singular: 'configmap',
    kind: 'ConfigMap',
    namespaced: true,
    shortNames: ['cm'],
  },
  {
    group: '',
    version: 'v1',
    resource: 'nodes',
    singular: 'node',
    kind: 'Node',
    namespaced: false,
    shortNames: ['no'],
    subresources: ['status'],
  },
  {
    group: 'networking.k8s.io',
    version: 'v1',
    resource: 'networkpolicies',
    singular: 'networkpolicy',
    kind: 'NetworkPolicy',
    namespaced: true,
    shortNames: ['netpol'],
    generation: true,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'roles',
    singular: 'role',
    kind: 'Role',
    namespaced: true,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'rolebindings',
    singular: 'rolebinding',
    kind: 'RoleBinding',
    namespaced: true,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterroles',
    singular: 'clusterrole',
    kind: 'ClusterRole',
    namespaced: false,
  },
  {
    group: 'rbac.authorization.k8s.io',
    version: 'v1',
    resource: 'clusterrolebindings',
    singular: 'clusterrolebinding',
    kind: 'ClusterRoleBinding',
    namespaced: false,
  },
  {
    group: 'node.k8s.io',
    version: 'v1',
    resource: 'runtimeclasses',
    singular: 'runtimeclass',
    kind: 'RuntimeClass',
    namespaced: false,
  },
];

export const groupVersion = (t: Pick<ResourceType, 'group' | 'version'>) =>
  t.group ? `${t.group}/${t.version}` : t.version;

/** `networkpolicies.networking.k8s.io`, or just `namespaces` for the core group (§3.3). */
export const qualifiedResource = (t: ResourceType) => (t.group ? `${t.resource}.${t.group}` : t.resource);

export function findType(group: string, version: string, resource: string): ResourceType | undefined {
  return RESOURCE_TYPES.find((t) => t.group === group && t.version === version && t.resource === resource);
}

/** The APIResourceList of one group version (§3.11), subresources listed after their resource. */
/** Resources served without storage: SelfSubjectAccessReview (`kubectl auth can-i`). */
const REVIEWS = {
  group: 'authorization.k8s.io',
  version: 'v1',
  resources: [
    {
      name: 'selfsubjectaccessreviews',
      singularName: 'selfsubjectaccessreview',
      namespaced: false,
      kind: 'SelfSubjectAccessReview',
      verbs: ['create'],
    },
  ],
};

export function resourceList(group: string, version: string): object | undefined {
  if (group === REVIEWS.group && version === REVIEWS.version)
    return {
      kind: 'APIResourceList',
      apiVersion: 'v1',
      groupVersion: `${group}/${version}`,
      resources: REVIEWS.resources,
    };
  const types = RESOURCE_TYPES.filter((t) => t.group === group && t.version === version);
  if (types.length === 0) return undefined;
  const resources = types.flatMap((t) => [
    {
      name: t.resource,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: t.namespaced || t.kind !== 'Namespace' ? VERBS : VERBS.filter((v) => v !== 'deletecollection'),
      ...(t.shortNames ? { shortNames: t.shortNames } : {}),
      ...(t.categories ? { categories: t.categories } : {}),
    },
    ...(t.subresources ?? []).map((sub) => ({
      name: `${t.resource}/${sub}`,
      singularName: '',
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: sub === 'finalize' ? ['update'] : ['get', 'patch', 'update'],
    })),
  ]);
  // The core group's list has no apiVersion key; named groups carry "apiVersion":"v1" (§3.11).
  return group
    ? { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: `${group}/${version}`, resources }
    : { kind: 'APIResourceList', groupVersion: version, resources };
}

/** `/apis`: every named group with its one version. */
export function groupList(): object {
  const names = [...new Set([...RESOURCE_TYPES.filter((t) => t.group).map((t) => t.group), REVIEWS.group])];
  const groups = names.map((name) => {
    const version = RESOURCE_TYPES.find((t) => t.group === name)?.version ?? 'v1';
    const gv = { groupVersion: `${name}/${version}`, version };
    return { name, versions: [gv], preferredVersion: gv };
  });
  return { kind: 'APIGroupList', apiVersion: 'v1', groups };
}
