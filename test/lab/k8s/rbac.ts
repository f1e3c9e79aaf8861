// Authorization as kube-apiserver's RBAC authorizer decides it (k8s-tenancy.md §1.5, §3.3), so
// tests can check what a tenant's OIDC groups may do: users and groups from the bearer token, the
// client certificate (CN, O) or impersonation headers; `system:masters` may do anything; otherwise
// a request is allowed when a ClusterRoleBinding, or a RoleBinding in the request's namespace,
// grants a matching rule. Denials carry the apiserver's 403 message. The default ClusterRoles
// (cluster-admin, admin, edit, view) are seeded with their rules for the emulated kinds.
import { forbidden, StatusError } from './errors';
import { qualifiedResource, type ResourceType } from './registry';
import type { KubeObject, ObjectStore } from './store';

export interface UserInfo {
  name: string;
  groups: string[];
}

export interface RequestAttributes {
  verb: string;
  type: ResourceType;
  namespace: string | undefined;
  name: string | undefined;
  subresource: string | undefined;
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const strings = (v: unknown) => asArr(v).map(String);

const ALL = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const READ = ['get', 'list', 'watch'];

/** The bootstrap ClusterRoles, with their rules for the kinds the emulator serves. */
export function defaultClusterRoles(): KubeObject[] {
  const role = (name: string, rules: object[]): KubeObject => ({
    apiVersion: 'rbac.authorization.k8s.io/v1',
    kind: 'ClusterRole',
    metadata: {
      name,
      labels: { 'kubernetes.io/bootstrapping': 'rbac-defaults' },
      annotations: { 'rbac.authorization.kubernetes.io/autoupdate': 'true' },
    },
    rules,
  });
  const workloads = { apiGroups: [''], resources: ['pods', 'pods/status', 'configmaps', 'serviceaccounts'] };
  const policies = { apiGroups: ['networking.k8s.io'], resources: ['networkpolicies'] };
  const limits = {
    apiGroups: [''],
    resources: ['resourcequotas', 'resourcequotas/status', 'limitranges', 'namespaces', 'namespaces/status'],
  };
  return [
    role('cluster-admin', [
      { apiGroups: ['*'], resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ]),
    role('admin', [
      { ...workloads, verbs: ALL },
      { ...policies, verbs: ALL },
      { ...limits, verbs: READ },
      { apiGroups: ['rbac.authorization.k8s.io'], resources: ['roles', 'rolebindings'], verbs: ALL },
    ]),
    role('edit', [
      { ...workloads, verbs: ALL },
      { ...policies, verbs: ALL },
      { ...limits, verbs: READ },
    ]),
    role('view', [
      { ...workloads, verbs: READ },
      { ...policies, verbs: READ },
      { ...limits, verbs: READ },
    ]),
  ];
}

function ruleMatches(rule: Obj, a: RequestAttributes): boolean {
  const verbs = strings(rule.verbs);
  if (!verbs.includes('*') && !verbs.includes(a.verb)) return false;
  const groups = strings(rule.apiGroups);
  if (!groups.includes('*') && !groups.includes(a.type.group)) return false;
  const resource = a.subresource ? `${a.type.resource}/${a.subresource}` : a.type.resource;
  const resources = strings(rule.resources);
  const resourceOk =
    resources.includes('*') ||
    resources.includes(resource) ||
    (a.subresource !== undefined &&
      (resources.includes(`${a.type.resource}/*`) || resources.includes(`*/${a.subresource}`)));
  if (!resourceOk) return false;
  const names = strings(rule.resourceNames);
  return names.length === 0 || (a.name !== undefined && names.includes(a.name));
}

function subjectMatches(subject: Obj, user: UserInfo, bindingNamespace: string | undefined): boolean {
  switch (subject.kind) {
    case 'User':
      return subject.name === user.name;
    case 'Group':
      return user.groups.includes(String(subject.name));
    case 'ServiceAccount':
      return (
        user.name ===
        `system:serviceaccount:${String(subject.namespace ?? bindingNamespace ?? '')}:${String(subject.name)}`
      );
    default:
      return false;
  }
}

export class Authorizer {
  constructor(
    private readonly store: ObjectStore,
    private readonly types: readonly ResourceType[],
  ) {}

  private type(kind: string): ResourceType {
    return this.types.find((t) => t.kind === kind) as ResourceType;
  }

  private rulesOf(ref: Obj, namespace: string | undefined): Obj[] {
    const kind = ref.kind === 'Role' ? 'Role' : 'ClusterRole';
    const role = this.store.tryGet(
      this.type(kind),
      kind === 'Role' ? namespace : undefined,
      String(ref.name ?? ''),
    );
    return asArr(role?.rules).map(asObj);
  }

  allows(user: UserInfo, a: RequestAttributes): boolean {
    if (user.groups.includes('system:masters')) return true;
    for (const b of this.store.list(this.type('ClusterRoleBinding'), undefined)) {
      if (!asArr(b.subjects).some((s) => subjectMatches(asObj(s), user, undefined))) continue;
      if (this.rulesOf(asObj(b.roleRef), undefined).some((r) => ruleMatches(r, a))) return true;
    }
    if (a.namespace === undefined || !a.type.namespaced) return false;
    for (const b of this.store.list(this.type('RoleBinding'), a.namespace)) {
      if (!asArr(b.subjects).some((s) => subjectMatches(asObj(s), user, a.namespace))) continue;
      if (this.rulesOf(asObj(b.roleRef), a.namespace).some((r) => ruleMatches(r, a))) return true;
    }
    return false;
  }

  /** Throws the apiserver's 403 when RBAC does not allow the request. */
  authorize(user: UserInfo, a: RequestAttributes): void {
    if (this.allows(user, a)) return;
    const resource = a.subresource ? `${a.type.resource}/${a.subresource}` : a.type.resource;
    const scope =
      a.type.namespaced && a.namespace !== undefined
        ? `in the namespace "${a.namespace}"`
        : 'at the cluster scope';
    const why = `User "${user.name}" cannot ${a.verb} resource "${resource}" in API group "${a.type.group}" ${scope}`;
    if (a.name === undefined) {
      throw new StatusError(403, 'Forbidden', `${qualifiedResource(a.type)} is forbidden: ${why}`, {
        ...(a.type.group ? { group: a.type.group } : {}),
        kind: a.type.resource,
      });
    }
    throw forbidden(a.type, a.name, why);
  }
}

const IMPERSONATE_USERS: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'users',
  singular: 'user',
  kind: 'User',
  namespaced: false,
};
const IMPERSONATE_GROUPS: ResourceType = {
  group: '',
  version: 'v1',
  resource: 'groups',
  singular: 'group',
  kind: 'Group',
  namespaced: false,
};

/** Applies `Impersonate-User` / `Impersonate-Group`, which need the `impersonate` verb. */
export function impersonate(
  authorizer: Authorizer,
  user: UserInfo,
  headers: Record<string, string | string[] | undefined>,
): UserInfo {
  const asUser = headers['impersonate-user'];
  const groupHeader = headers['impersonate-group'];
  const asGroups = (Array.isArray(groupHeader) ? groupHeader : groupHeader ? groupHeader.split(',') : []).map(
    (g) => g.trim(),
  );
  if (asUser === undefined) {
    if (asGroups.length)
      throw new StatusError(500, 'InternalError', 'requested Impersonate-Group without Impersonate-User');
    return user;
  }
  const name = String(asUser);
  authorizer.authorize(user, {
    verb: 'impersonate',
    type: IMPERSONATE_USERS,
    namespace: undefined,
    name,
    subresource: undefined,
  });
  for (const g of asGroups)
    authorizer.authorize(user, {
      verb: 'impersonate',
      type: IMPERSONATE_GROUPS,
      namespace: undefined,
      name: g,
      subresource: undefined,
    });
  return { name, groups: [...asGroups, 'system:authenticated'] };
}
