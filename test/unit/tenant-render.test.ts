// renderTenant (electron/core/tenants/render.ts) against k8s-tenancy.md §1 and the official 1.35
// OpenAPI documents kept in electron/core/tenants/openapi.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadKubernetesSchemas, quotaHard, renderTenant, validateObjects } from '../../electron/core/tenants';
import type { KubernetesObject } from '../../electron/core/tenants';
import { TenantSpec, parseTenantSpec } from '../../shared/tenants';

const root = path.resolve(import.meta.dirname, '../..');
const spec = parseTenantSpec(readFileSync(path.join(root, 'docs/examples/tenant.yaml'), 'utf8'));
const cluster = { oidcGroupPrefix: 'oidc:' };
const objects = renderTenant(spec, cluster);
const schemas = loadKubernetesSchemas();

const byName = (kind: string, name: string): KubernetesObject => {
  const o = objects.find((x) => x.kind === kind && x.metadata.name === name);
  if (!o) throw new Error(`no ${kind} ${name}`);
  return o;
};

const minimal = (quotas: Record<string, unknown>): TenantSpec =>
  TenantSpec.parse({
    name: 'lab',
    organisation: 'Lab',
    contacts: [{ name: 'Ops', email: 'ops@lab.example' }],
    quotas,
  });

describe('renderTenant', () => {
  it('renders the example as exactly these objects, in provisioning order', () => {
    expect(objects.map((o) => `${o.kind}/${o.metadata.name}`)).toEqual([
      'Namespace/tenant-a',
      'ResourceQuota/tenant-quota',
      'LimitRange/tenant-defaults',
      'NetworkPolicy/default-deny-all',
      'NetworkPolicy/allow-dns',
      'NetworkPolicy/allow-same-tenant',
      'NetworkPolicy/egress-residency-allowlist',
      'Role/tenant-admin',
      'Role/tenant-developer',
      'RoleBinding/tenant-admins',
      'RoleBinding/tenant-developers',
      'RoleBinding/tenant-viewers',
    ]);
    for (const o of objects.slice(1)) expect(o.metadata.namespace).toBe('tenant-a');
  });

  it('labels the namespace restricted under Pod Security Admission, pinned, with the tenant policy', () => {
    const ns = byName('Namespace', 'tenant-a');
    for (const mode of ['enforce', 'audit', 'warn']) {
      expect(ns.metadata.labels?.[`pod-security.kubernetes.io/${mode}`]).toBe('restricted');
      expect(ns.metadata.labels?.[`pod-security.kubernetes.io/${mode}-version`]).toBe('v1.35');
    }
    expect(ns.metadata.labels?.['tenancy.enclave.io/tenant']).toBe('tenant-a');
    expect(ns.metadata.labels?.['tenancy.enclave.io/residency']).toBe('eu-fr');
    expect(ns.metadata.annotations).toMatchObject({
      'tenancy.enclave.io/allowed-registries':
        'registry.enclave.example,registry.enclave.example:5000/tenant-a',
      'tenancy.enclave.io/runtime-class': 'kata',
      'tenancy.enclave.io/allowed-gpu-products': 'NVIDIA-H100-80GB-HBM3',
      'tenancy.enclave.io/allowed-node-pools': 'tenant-a',
    });
  });

  it('quotas cpu/memory by requests and limits, and extended resources only by requests.', () => {
    expect((byName('ResourceQuota', 'tenant-quota').spec as { hard: unknown }).hard).toEqual({
      'limits.cpu': '96',
      'limits.memory': '768Gi',
      pods: '200',
      'requests.cpu': '64',
      'requests.memory': '512Gi',
      'requests.nvidia.com/gpu': '0',
      'requests.nvidia.com/mig-1g.10gb': '4',
      'requests.nvidia.com/mig-3g.40gb': '2',
      'requests.storage': '10Ti',
      'services.loadbalancers': '0',
      'services.nodeports': '0',
    });
  });

  it('never emits a bare or limits. key for an extended resource, whatever the quotas', () => {
    const quantity = fc.oneof(
      fc.nat({ max: 10_000 }).map(String),
      fc
        .tuple(fc.nat({ max: 4096 }), fc.constantFrom('m', 'Mi', 'Gi', 'Ti', 'k', ''))
        .map(([n, s]) => `${n}${s}`),
    );
    const profile = fc
      .tuple(fc.integer({ min: 1, max: 7 }), fc.integer({ min: 1, max: 192 }))
      .map(([g, gb]) => `${g}g.${gb}gb`);
    fc.assert(
      fc.property(
        quantity,
        quantity,
        quantity,
        fc.nat({ max: 1000 }),
        fc.nat({ max: 64 }),
        fc.dictionary(profile, fc.nat({ max: 56 })),
        (cpu, memory, storage, pods, gpus, mig) => {
          const hard = quotaHard(minimal({ cpu, memory, storage, pods, gpus, mig }));
          for (const key of Object.keys(hard)) {
            const bare = key.replace(/^(requests|limits)\./, '');
            const extended = bare.includes('/') && !bare.includes('kubernetes.io/');
            if (extended) expect(key.startsWith('requests.')).toBe(true);
          }
          for (const [p, n] of Object.entries(mig))
            expect(hard[`requests.nvidia.com/mig-${p}`]).toBe(String(n));
          expect(hard['requests.nvidia.com/gpu']).toBe(String(gpus));
        },
      ),
    );
  });

  it('keeps LimitRange defaults within the quota so defaulted pods are admitted', () => {
    const limits = (o: KubernetesObject) => (o.spec as { limits: Record<string, unknown>[] }).limits;
    expect(limits(byName('LimitRange', 'tenant-defaults'))).toEqual([
      {
        type: 'Container',
        defaultRequest: { cpu: '250m', memory: '512Mi' },
        default: { cpu: '1', memory: '2Gi' },
      },
    ]);
    const small = renderTenant(minimal({ cpu: '100m', memory: '1Gi', storage: '1Gi', pods: 1 }), cluster);
    expect(limits(small.find((o) => o.kind === 'LimitRange') as KubernetesObject)).toEqual([
      {
        type: 'Container',
        defaultRequest: { cpu: '100m', memory: '512Mi' },
        default: { cpu: '100m', memory: '1Gi' },
      },
    ]);
  });

  it('denies all traffic, then allows only DNS, the tenant itself and the residency CIDRs', () => {
    const policies = objects.filter((o) => o.kind === 'NetworkPolicy');
    expect(byName('NetworkPolicy', 'default-deny-all').spec).toEqual({
      podSelector: {},
      policyTypes: ['Ingress', 'Egress'],
    });
    expect(byName('NetworkPolicy', 'allow-dns').spec).toMatchObject({
      egress: [
        {
          to: [
            {
              namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
              podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
            },
          ],
          ports: [
            { protocol: 'UDP', port: 53 },
            { protocol: 'TCP', port: 53 },
          ],
        },
      ],
    });
    // Every egress peer, across all policies: DNS pods, the tenant's own namespaces, the CIDRs.
    type Peer = {
      ipBlock?: { cidr: string; except?: string[] };
      namespaceSelector?: unknown;
      podSelector?: unknown;
    };
    const peers = policies.flatMap((p) =>
      ((p.spec as { egress?: { to?: Peer[] }[] }).egress ?? []).flatMap((rule) => {
        expect(rule.to?.length).toBeGreaterThan(0); // an empty `to` would allow everywhere
        return rule.to ?? [];
      }),
    );
    const cidrs = peers.flatMap((p) => (p.ipBlock ? [p.ipBlock.cidr] : []));
    expect(cidrs).toEqual(['10.40.0.0/16', 'fd00:40::/32']);
    const selectors = peers.filter((p) => !p.ipBlock);
    expect(selectors).toEqual([
      {
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' } },
        podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
      },
      { namespaceSelector: { matchLabels: { 'tenancy.enclave.io/tenant': 'tenant-a' } } },
    ]);
  });

  it('takes the DNS namespace from the cluster when the spec does not name one, and renders no allowlist without CIDRs', () => {
    const out = renderTenant(minimal({ cpu: 1, memory: '1Gi', storage: '1Gi', pods: 1 }), {
      oidcGroupPrefix: 'oidc:',
      dnsNamespace: 'dns-system',
    });
    const dns = out.find((o) => o.metadata.name === 'allow-dns') as KubernetesObject;
    expect(JSON.stringify(dns.spec)).toContain('"kubernetes.io/metadata.name":"dns-system"');
    expect(out.map((o) => o.metadata.name)).not.toContain('egress-residency-allowlist');
    expect(out.some((o) => o.kind === 'Role' || o.kind === 'RoleBinding')).toBe(false);
  });

  it('binds the OIDC groups, with the cluster prefix, to the tenant roles', () => {
    const subjects = (name: string) => (byName('RoleBinding', name) as { subjects?: unknown }).subjects;
    expect(subjects('tenant-admins')).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'oidc:tenant-a/admins' },
    ]);
    expect(subjects('tenant-developers')).toEqual([
      { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'oidc:tenant-a/researchers' },
    ]);
    expect(byName('RoleBinding', 'tenant-viewers').roleRef).toEqual({
      apiGroup: 'rbac.authorization.k8s.io',
      kind: 'ClusterRole',
      name: 'view',
    });
    for (const o of objects.filter((x) => x.kind === 'RoleBinding')) {
      for (const s of o.subjects as { name: string }[]) expect(s.name.startsWith('oidc:')).toBe(true);
    }
    // Tenants may read but never write their NetworkPolicies (that would widen egress, §1.4).
    for (const role of objects.filter((x) => x.kind === 'Role')) {
      const rules = role.rules as { resources: string[]; verbs: string[] }[];
      for (const r of rules.filter((x) => x.resources.includes('networkpolicies'))) {
        expect(r.verbs).toEqual(['get', 'list', 'watch']);
      }
      expect(rules.some((r) => r.resources.includes('namespaces'))).toBe(false);
    }
  });

  it('is deterministic: same spec, same bytes, whatever the order of lists and maps in the spec', () => {
    const again = renderTenant(
      parseTenantSpec(readFileSync(path.join(root, 'docs/examples/tenant.yaml'), 'utf8')),
      cluster,
    );
    expect(JSON.stringify(again)).toBe(JSON.stringify(objects));
    const shuffled = TenantSpec.parse({
      ...spec,
      groups: [...spec.groups].reverse(),
      registries: [...spec.registries].reverse(),
      quotas: { ...spec.quotas, mig: Object.fromEntries(Object.entries(spec.quotas.mig).reverse()) },
      residency: { ...spec.residency, egressCidrs: [...spec.residency.egressCidrs].reverse() },
    });
    expect(JSON.stringify(renderTenant(shuffled, cluster))).toBe(JSON.stringify(objects));
  });
});

describe('OpenAPI validation', () => {
  it('knows the kinds a tenant is made of', () => {
    for (const k of [
      'v1 Namespace',
      'v1 ResourceQuota',
      'v1 LimitRange',
      'networking.k8s.io/v1 NetworkPolicy',
    ]) {
      expect(schemas.kinds()).toContain(k);
    }
    expect(schemas.kinds()).toContain('rbac.authorization.k8s.io/v1 RoleBinding');
    expect(schemas.kinds()).toContain('node.k8s.io/v1 RuntimeClass');
  });

  it('accepts every rendered object', () => {
    expect(validateObjects(schemas, objects)).toEqual([]);
  });

  it('accepts objects from the reference (RuntimeClass with overhead and scheduling)', () => {
    expect(
      schemas.validate({
        apiVersion: 'node.k8s.io/v1',
        kind: 'RuntimeClass',
        metadata: { name: 'kata-gpu' },
        handler: 'kata-qemu-nvidia-gpu',
        overhead: { podFixed: { cpu: '250m', memory: '512Mi' } },
        scheduling: {
          nodeSelector: { 'tenancy.enclave.io/pool': 'vm-isolated-gpu' },
          tolerations: [
            {
              key: 'tenancy.enclave.io/pool',
              operator: 'Equal',
              value: 'vm-isolated-gpu',
              effect: 'NoSchedule',
            },
          ],
        },
      }),
    ).toEqual([]);
  });

  it('accepts what any valid spec renders to', () => {
    const octet = fc.integer({ min: 0, max: 255 });
    const cidr = fc
      .tuple(octet, octet, fc.integer({ min: 8, max: 16 }))
      .map(([a, b, n]) => `${a}.${n > 8 ? b : 0}.0.0/${n > 8 ? 16 : 8}`);
    const group = fc.tuple(
      fc.stringMatching(/^[a-z][a-z0-9/-]{0,20}$/),
      fc.constantFrom('tenant-admin', 'developer', 'viewer'),
    );
    fc.assert(
      fc.property(
        fc.uniqueArray(group, { selector: ([g]) => g, maxLength: 6 }),
        fc.uniqueArray(cidr, { maxLength: 4 }),
        fc.dictionary(fc.constantFrom('1g.10gb', '2g.20gb', '3g.40gb', '7g.80gb'), fc.nat({ max: 8 })),
        fc.option(fc.constantFrom('kata', 'gvisor'), { nil: undefined }),
        (groups, egressCidrs, mig, runtimeClass) => {
          const s = TenantSpec.parse({
            name: 'lab',
            organisation: 'Lab',
            contacts: [{ name: 'Ops', email: 'ops@lab.example' }],
            groups: groups.map(([g, role]) => ({ group: g, role })),
            quotas: { cpu: '8', memory: '32Gi', storage: '1Ti', pods: 10, mig },
            placement: runtimeClass ? { runtimeClass } : {},
            residency: { egressCidrs },
          });
          expect(validateObjects(schemas, renderTenant(s, { oidcGroupPrefix: 'corp:' }))).toEqual([]);
        },
      ),
      { numRuns: 50 },
    );
  });

  it('rejects an unknown field, a wrong type and a missing required field, naming object and path', () => {
    const np = structuredClone(byName('NetworkPolicy', 'egress-residency-allowlist')) as KubernetesObject & {
      spec: { egress: { to: { ipBlock: Record<string, unknown> }[] }[]; podSelektor?: unknown };
    };
    np.spec.podSelektor = {};
    const block = np.spec.egress[0]?.to[0]?.ipBlock as Record<string, unknown>;
    delete block['cidr'];
    block['except'] = '10.40.1.0/24';
    expect(schemas.validate(np)).toEqual([
      {
        object: 'NetworkPolicy tenant-a/egress-residency-allowlist',
        path: 'spec.egress[0].to[0].ipBlock.cidr',
        message: 'is required',
      },
      {
        object: 'NetworkPolicy tenant-a/egress-residency-allowlist',
        path: 'spec.egress[0].to[0].ipBlock.except',
        message: 'must be an array, not string',
      },
      {
        object: 'NetworkPolicy tenant-a/egress-residency-allowlist',
        path: 'spec.podSelektor',
        message: 'is not a known field',
      },
    ]);
  });

  it('checks quantities, int-or-string ports, int32 ranges, maps and metadata', () => {
    const quota = structuredClone(byName('ResourceQuota', 'tenant-quota'));
    (quota.spec as { hard: Record<string, unknown> }).hard['pods'] = true;
    (quota.metadata as Record<string, unknown>)['labelz'] = {};
    expect(schemas.validate(quota).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'metadata.labelz: is not a known field',
      'spec.hard.pods: must be string or number, not boolean',
    ]);
    const dns = structuredClone(byName('NetworkPolicy', 'allow-dns'));
    const ports = (dns.spec as { egress: { ports: Record<string, unknown>[] }[] }).egress[0]?.ports ?? [];
    ports.push({ protocol: 'TCP', port: 'dns-tcp', endPort: 2 ** 31 }, { port: 1.5 });
    expect(schemas.validate(dns).map((i) => `${i.path}: ${i.message}`)).toEqual([
      'spec.egress[0].ports[2].endPort: must fit in 32 bits',
      'spec.egress[0].ports[3].port: must be an integer or a string, not number',
    ]);
    const rb = structuredClone(byName('RoleBinding', 'tenant-admins'));
    delete (rb as Record<string, unknown>)['roleRef'];
    expect(schemas.validate(rb)).toEqual([
      { object: 'RoleBinding tenant-a/tenant-admins', path: 'roleRef', message: 'is required' },
    ]);
    expect(
      schemas.validate({ apiVersion: 'v2', kind: 'Namespace', metadata: { name: 'x' } })[0]?.message,
    ).toMatch(/no schema for apiVersion v2 kind Namespace/);
  });
});
