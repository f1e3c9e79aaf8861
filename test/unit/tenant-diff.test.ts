import { describe, expect, it } from 'vitest';
import { capacityPlan, gpuReservations } from '../../electron/core/tenants/capacity';
import { appliedFieldsDrift, desiredPart, fieldPath, objectDiff } from '../../electron/core/tenants/diff';

describe('fieldPath', () => {
  it.each([
    [['spec', 'hard', 'pods'], 'spec.hard.pods'],
    [['spec', 'hard', 'requests.cpu'], 'spec.hard["requests.cpu"]'],
    [['spec', 'egress', 0, 'to'], 'spec.egress[0].to'],
    [
      ['metadata', 'labels', 'pod-security.kubernetes.io/enforce'],
      'metadata.labels["pod-security.kubernetes.io/enforce"]',
    ],
  ] as const)('%j → %s', (parts, expected) => {
    expect(fieldPath(parts)).toBe(expected);
  });
});

describe('objectDiff (the plan: the object now vs what the dry run would store)', () => {
  it('finds changed, added and removed fields; equal quantities are equal', () => {
    const before = { spec: { hard: { pods: '200', 'requests.cpu': '1000m', 'requests.memory': '1Gi' } } };
    const after = { spec: { hard: { pods: '150', 'requests.cpu': '1', 'limits.cpu': '2' } } };
    expect(objectDiff(before, after)).toEqual([
      { path: 'spec.hard["limits.cpu"]', after: '2' },
      { path: 'spec.hard.pods', before: '200', after: '150' },
      { path: 'spec.hard["requests.memory"]', before: '1Gi' },
    ]);
  });

  it('compares lists element by element when their lengths agree, else whole', () => {
    expect(objectDiff({ a: [1, 2, 3] }, { a: [1, 5, 3] })).toEqual([{ path: 'a[1]', before: 2, after: 5 }]);
    expect(objectDiff({ a: [1, 2] }, { a: [1, 2, 3] })).toEqual([
      { path: 'a', before: [1, 2], after: [1, 2, 3] },
    ]);
    expect(objectDiff({ a: [{ x: 1 }] }, { a: [{ x: 1 }] })).toEqual([]);
  });

  it('ignores status and server-maintained metadata through desiredPart', () => {
    const live = {
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'a', uid: 'u', resourceVersion: '9', managedFields: [{}], labels: { x: '1' } },
      status: { phase: 'Active' },
    };
    expect(desiredPart(live)).toEqual({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: 'a', labels: { x: '1' } },
    });
    expect(
      objectDiff(
        desiredPart(live),
        desiredPart({ ...live, metadata: { ...live.metadata, resourceVersion: '10' } }),
      ),
    ).toEqual([]);
  });
});

describe('appliedFieldsDrift (drift: what was applied vs the object now)', () => {
  const applied = {
    apiVersion: 'networking.k8s.io/v1',
    kind: 'NetworkPolicy',
    metadata: { name: 'egress', namespace: 't', labels: { 'tenancy.enclave.io/tenant': 't' } },
    spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.40.0.0/16' } }] }] },
  };
  it('is empty when only others added fields, labels, defaults or status', () => {
    const live = {
      ...applied,
      metadata: { ...applied.metadata, uid: 'x', labels: { ...applied.metadata.labels, team: 'ops' } },
      spec: { ...applied.spec, policyTypes: ['Egress'] },
      status: {},
    };
    expect(appliedFieldsDrift(applied, live)).toEqual([]);
  });
  it('reports a changed value, a removed label, and a widened list', () => {
    const live = {
      ...applied,
      metadata: { name: 'egress', namespace: 't', labels: {} },
      spec: {
        podSelector: {},
        egress: [{ to: [{ ipBlock: { cidr: '10.40.0.0/16' } }, { ipBlock: { cidr: '0.0.0.0/0' } }] }],
      },
    };
    expect(appliedFieldsDrift(applied, live)).toEqual([
      { path: 'metadata.labels["tenancy.enclave.io/tenant"]', before: 't' },
      {
        path: 'spec.egress[0].to',
        before: [{ ipBlock: { cidr: '10.40.0.0/16' } }],
        after: [{ ipBlock: { cidr: '10.40.0.0/16' } }, { ipBlock: { cidr: '0.0.0.0/0' } }],
      },
    ]);
  });
});

describe('GPU capacity accounting', () => {
  it('reads reservations only from requests.nvidia.com/* quota keys', () => {
    expect(
      gpuReservations({
        'requests.nvidia.com/gpu': '2',
        'requests.nvidia.com/mig-1g.10gb': '4',
        'limits.nvidia.com/mig-1g.10gb': '9', // never enforced by the API: not a reservation
        'requests.cpu': '64',
      }),
    ).toEqual({ 'nvidia.com/gpu': 2, 'nvidia.com/mig-1g.10gb': 4 });
  });

  const base = {
    cluster: 'lab',
    tenant: 't',
    offered: { 'nvidia.com/gpu': 4, 'nvidia.com/mig-1g.10gb': 14 },
    inHostLayouts: null,
    current: {},
  };
  it('computes free = offered − others − requested per resource', () => {
    const plan = capacityPlan({
      ...base,
      others: [{ 'nvidia.com/mig-1g.10gb': 6 }, { 'nvidia.com/gpu': 1, 'nvidia.com/mig-1g.10gb': 2 }],
      requested: { 'nvidia.com/mig-1g.10gb': 6 },
    });
    expect(plan.overcommitted).toEqual([]);
    expect(plan.rows).toEqual([
      {
        resource: 'nvidia.com/gpu',
        offered: 4,
        inHostLayouts: null,
        reservedByOthers: 1,
        requested: 0,
        free: 3,
      },
      {
        resource: 'nvidia.com/mig-1g.10gb',
        offered: 14,
        inHostLayouts: null,
        reservedByOthers: 8,
        requested: 6,
        free: 0,
      },
    ]);
  });
  it('refuses over-commitment with the numbers, but never a tenant asking no more than it holds', () => {
    const over = capacityPlan({
      ...base,
      others: [{ 'nvidia.com/mig-1g.10gb': 10 }],
      requested: { 'nvidia.com/mig-1g.10gb': 5 },
    });
    expect(over.overcommitted).toEqual([
      'nvidia.com/mig-1g.10gb: tenant t asks for 5, other tenants hold 10, cluster lab offers 14 (1 too many)',
    ]);
    const shrunk = capacityPlan({
      ...base,
      offered: { 'nvidia.com/mig-1g.10gb': 7 },
      others: [{ 'nvidia.com/mig-1g.10gb': 6 }],
      requested: { 'nvidia.com/mig-1g.10gb': 5 },
      current: { 'nvidia.com/mig-1g.10gb': 5 },
    });
    expect(shrunk.overcommitted).toEqual([]);
    expect(shrunk.rows[0]?.free).toBe(-4);
  });
});
