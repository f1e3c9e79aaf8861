import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeEmulator, type KubeEmulator } from '../lab/k8s/server';

/**
 * The lab's Kubernetes API emulator beyond plain CRUD (k8s-tenancy.md §3.3-§3.10): server-side
 * apply with field ownership and conflicts, dryRun, schema and server-side validation with
 * fieldValidation, namespace termination, ResourceQuota, and client-certificate authentication.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'enclave-k8s-sem-'));
let k: KubeEmulator;
beforeAll(async () => {
  // Paused controllers: each test says when the namespace controller runs (tick()).
  k = await startKubeEmulator({ stateDir: dir, controllers: { paused: true } });
});
afterAll(async () => {
  await k?.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Reply {
  code: number;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

function call(
  method: string,
  p: string,
  body?: unknown,
  contentType = 'application/json',
  auth: { token?: string | null; cert?: boolean } = {},
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const token = auth.token === undefined ? k.token : auth.token;
    const req = request(
      `${k.url}${p}`,
      {
        method,
        ca: k.caPem,
        ...(auth.cert ? { cert: k.clientCertPem, key: k.clientKeyPem } : {}),
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(body !== undefined ? { 'Content-Type': contentType } : {}),
          'User-Agent': 'emulator-test/1.0',
        },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString('utf8')));
        res.on('end', () =>
          resolve({
            code: res.statusCode ?? 0,
            body: JSON.parse(text) as Record<string, unknown>,
            headers: res.headers,
          }),
        );
      },
    );
    req.once('error', reject);
    req.end(body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body));
  });
}

const apply = (p: string, body: unknown, query: string) =>
  call('PATCH', `${p}?${query}`, body, 'application/apply-patch+yaml');

const meta = (r: Reply) =>
  r.body.metadata as Record<string, unknown> & { managedFields?: Record<string, unknown>[] };

async function namespace(name: string): Promise<void> {
  expect((await call('POST', '/api/v1/namespaces', { metadata: { name } })).code).toBe(201);
}

describe('server-side apply', () => {
  const quotaPath = '/api/v1/namespaces/ssa/resourcequotas/compute';
  const quota = (hard: Record<string, string>) => ({
    apiVersion: 'v1',
    kind: 'ResourceQuota',
    metadata: { name: 'compute', namespace: 'ssa' },
    spec: { hard },
  });

  it('needs a fieldManager, creates when missing (201), and records Apply ownership', async () => {
    await namespace('ssa');
    expect((await apply(quotaPath, quota({ pods: '10' }), '')).body).toMatchObject({
      code: 422,
      reason: 'Invalid',
      message:
        'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch',
    });
    // YAML body, as kubectl sends it.
    const created = await apply(
      quotaPath,
      'apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: compute\nspec:\n  hard:\n    pods: "10"\n    requests.cpu: 4000m\n',
      'fieldManager=tenant-a',
    );
    expect(created.code).toBe(201);
    expect(created.body).toMatchObject({ spec: { hard: { pods: '10', 'requests.cpu': '4' } } });
    const entry = meta(created).managedFields?.find((e) => e.manager === 'tenant-a');
    expect(entry).toMatchObject({
      operation: 'Apply',
      apiVersion: 'v1',
      fieldsType: 'FieldsV1',
      fieldsV1: { 'f:spec': { 'f:hard': { 'f:pods': {}, 'f:requests.cpu': {} } } },
    });
    const before = meta(await call('GET', quotaPath)).resourceVersion;
    const again = await apply(quotaPath, quota({ pods: '10', 'requests.cpu': '4' }), 'fieldManager=tenant-a');
    expect(again.code).toBe(200);
    expect(meta(again).resourceVersion, JSON.stringify(again.body)).toBe(before);
  });

  it('conflicts with another manager on a different value, shares on the same one, force takes over', async () => {
    // A client-side (Update) change of pods by hand, as kubectl edit would make.
    const edited = await call(
      'PATCH',
      `${quotaPath}?fieldManager=kubectl-edit`,
      { spec: { hard: { pods: '20' } } },
      'application/merge-patch+json',
    );
    expect(edited.code).toBe(200);
    const conflict = await apply(
      quotaPath,
      quota({ pods: '10', 'requests.cpu': '4' }),
      'fieldManager=tenant-a',
    );
    expect(conflict.body).toMatchObject({
      code: 409,
      reason: 'Conflict',
      message: 'Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .spec.hard.pods',
      details: {
        causes: [
          {
            reason: 'FieldManagerConflict',
            message: 'conflict with "kubectl-edit" using v1',
            field: '.spec.hard.pods',
          },
        ],
      },
    });
    // Another applier agreeing on the value shares ownership.
    const shared = await apply(quotaPath, quota({ 'requests.cpu': '4' }), 'fieldManager=auditor');
    expect(shared.code).toBe(200);
    const owners = (meta(shared).managedFields ?? []).filter(
      (e) => !e.subresource && JSON.stringify(e.fieldsV1).includes('f:requests.cpu'),
    );
    expect(owners.map((e) => e.manager).sort()).toEqual(['auditor', 'tenant-a']);
    const two = await apply(quotaPath, quota({ pods: '10', 'requests.cpu': '8' }), 'fieldManager=tenant-a');
    expect(two.body.code).toBe(409);
    expect(two.body.message).toBe(
      'Apply failed with 2 conflicts: conflicts with "auditor":\n- .spec.hard.requests.cpu\nconflicts with "kubectl-edit" using v1:\n- .spec.hard.pods',
    );
    const forced = await apply(
      quotaPath,
      quota({ pods: '10', 'requests.cpu': '4' }),
      'fieldManager=tenant-a&force=true',
    );
    expect(forced.code).toBe(200);
    expect(forced.body).toMatchObject({ spec: { hard: { pods: '10' } } });
    expect((meta(forced).managedFields ?? []).map((e) => e.manager)).not.toContain('kubectl-edit');
  });

  it('removes fields the manager stopped applying unless someone else owns them', async () => {
    const dropped = await apply(quotaPath, quota({ 'requests.cpu': '4' }), 'fieldManager=tenant-a');
    // pods was tenant-a's alone: gone; requests.cpu stays (also the auditor's).
    expect((dropped.body.spec as { hard: object }).hard).toEqual({ 'requests.cpu': '4' });
    const auditorGone = await apply(quotaPath, quota({}), 'fieldManager=auditor');
    expect((auditorGone.body.spec as { hard: object }).hard).toEqual({ 'requests.cpu': '4' });
    const stale = await apply(
      quotaPath,
      { ...quota({ 'requests.cpu': '4' }), metadata: { name: 'compute', resourceVersion: '1' } },
      'fieldManager=tenant-a',
    );
    expect(stale.body).toMatchObject({ code: 409, reason: 'Conflict' });
    expect(stale.body.message).toContain('the object has been modified');
  });

  it('merges lists by their schema: containers by name, NetworkPolicy rules atomically', async () => {
    const pod = (containers: object[]) => ({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'p' },
      spec: { containers },
    });
    await namespace('ssa-lists');
    const podPath = '/api/v1/namespaces/ssa-lists/pods/p';
    const made = await apply(podPath, pod([{ name: 'a', image: 'img:1' }]), 'fieldManager=one');
    expect(made.body, JSON.stringify(made.body)).toMatchObject({ kind: 'Pod', metadata: { name: 'p' } });
    expect(made.code).toBe(201);
    const labelled = await apply(
      podPath,
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', labels: { x: 'y' } } },
      'fieldManager=two',
    );
    expect(labelled.body).toMatchObject({
      metadata: { labels: { x: 'y' } },
      spec: { containers: [{ name: 'a' }] },
    });
    const fields = JSON.stringify(meta(labelled).managedFields?.find((e) => e.manager === 'one')?.fieldsV1);
    expect(fields).toContain('"k:{\\"name\\":\\"a\\"}":{".":{}');

    const np = (ingress: object[]) => ({
      apiVersion: 'networking.k8s.io/v1',
      kind: 'NetworkPolicy',
      metadata: { name: 'allow' },
      spec: { podSelector: {}, ingress },
    });
    const npPath = '/apis/networking.k8s.io/v1/namespaces/ssa-lists/networkpolicies/allow';
    await apply(npPath, np([{ from: [{ podSelector: {} }] }]), 'fieldManager=one');
    const replaced = await apply(
      npPath,
      np([{ from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] }]),
      'fieldManager=one',
    );
    expect((replaced.body.spec as { ingress: object[] }).ingress).toEqual([
      { from: [{ ipBlock: { cidr: '10.0.0.0/8' } }] },
    ]);
    expect(JSON.stringify(meta(replaced).managedFields)).toContain('"f:ingress":{}');
  });

  it('labels namespaces with their name, and refuses pods whose service account is missing', async () => {
    const ns = await call('POST', '/api/v1/namespaces', { metadata: { name: 'labelled' } });
    expect(ns.body).toMatchObject({ metadata: { labels: { 'kubernetes.io/metadata.name': 'labelled' } } });
    const pod = await call('POST', '/api/v1/namespaces/labelled/pods', {
      metadata: { name: 'p' },
      spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'i:1' }] },
    });
    expect(pod.body).toMatchObject({
      code: 403,
      message:
        'pods "p" is forbidden: error looking up service account labelled/robot: serviceaccount "robot" not found',
    });
  });

  it('removes list items (map lists by key, sets by value) the manager stopped applying', async () => {
    const cm = (refs: string[], finalizers: string[]) => ({
      apiVersion: 'v1',
      kind: 'ConfigMap',
      metadata: {
        name: 'owned',
        finalizers,
        ownerReferences: refs.map((uid) => ({ apiVersion: 'v1', kind: 'ConfigMap', name: `o-${uid}`, uid })),
      },
    });
    const p = '/api/v1/namespaces/ssa-lists/configmaps/owned';
    await apply(p, cm(['u1', 'u2'], ['a.example/x', 'a.example/y']), 'fieldManager=one');
    const after = await apply(p, cm(['u1'], ['a.example/y']), 'fieldManager=one');
    expect(after.body).toMatchObject({
      metadata: {
        finalizers: ['a.example/y'],
        ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'o-u1', uid: 'u1' }],
      },
    });
    expect((after.body.metadata as { ownerReferences: object[] }).ownerReferences).toHaveLength(1);
    await apply(p, cm([], []), 'fieldManager=one');
  });

  it('records Update managers for create/update, defaulting to the User-Agent', async () => {
    const created = await call('POST', '/api/v1/namespaces/ssa/configmaps', {
      metadata: { name: 'cm' },
      data: { a: '1' },
    });
    expect(meta(created).managedFields, JSON.stringify(meta(created).managedFields)).toEqual([
      expect.objectContaining({
        manager: 'emulator-test',
        operation: 'Update',
        fieldsV1: { 'f:data': { '.': {}, 'f:a': {} } },
      }),
    ]);
  });
});

describe('dryRun and validation', () => {
  it('dryRun=All validates and answers without storing; other values are refused', async () => {
    await namespace('dry');
    const dry = await call('POST', '/api/v1/namespaces/dry/configmaps?dryRun=All', {
      metadata: { name: 'cm' },
      data: { a: '1' },
    });
    expect(dry.code).toBe(201);
    expect(dry.body).toMatchObject({ metadata: { name: 'cm', namespace: 'dry' } });
    expect((await call('GET', '/api/v1/namespaces/dry/configmaps/cm')).code).toBe(404);
    const bad = await call('POST', '/api/v1/namespaces/dry/configmaps?dryRun=Yes', {
      metadata: { name: 'cm' },
    });
    expect(bad.body).toMatchObject({
      code: 422,
      message:
        'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: "Yes": supported values: "All"',
    });
    const invalidDry = await call('POST', '/api/v1/namespaces/dry/configmaps?dryRun=All', {
      metadata: { name: 'Bad_Name' },
    });
    expect(invalidDry.body).toMatchObject({ code: 422, reason: 'Invalid' });
    await call('POST', '/api/v1/namespaces/dry/configmaps', { metadata: { name: 'keep' } });
    const rv = k.store.resourceVersion;
    expect((await call('DELETE', '/api/v1/namespaces/dry/configmaps/keep?dryRun=All')).code).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/dry/configmaps/keep')).code).toBe(200);
    const ssa = await apply(
      '/api/v1/namespaces/dry/configmaps/keep',
      { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'keep' }, data: { b: '2' } },
      'fieldManager=x&dryRun=All',
    );
    expect(ssa.body).toMatchObject({ data: { b: '2' } });
    expect(k.store.resourceVersion).toBe(rv);
  });

  it('rejects unknown fields per fieldValidation (Strict 400, Warn header, Ignore) and drops them', async () => {
    const body = { metadata: { name: 'u1' }, data: { a: '1' }, spec: { foo: 1 } };
    const strict = await call('POST', '/api/v1/namespaces/dry/configmaps?fieldValidation=Strict', body);
    expect(strict.body).toMatchObject({
      code: 400,
      reason: 'BadRequest',
      message: 'strict decoding error: unknown field "spec"',
    });
    const warned = await call('POST', '/api/v1/namespaces/dry/configmaps', body);
    expect(warned.code).toBe(201);
    expect(String(warned.headers.warning)).toBe('299 - "unknown field \\"spec\\""');
    expect(warned.body).not.toHaveProperty('spec');
    const ignored = await call('POST', '/api/v1/namespaces/dry/configmaps?fieldValidation=Ignore', {
      ...body,
      metadata: { name: 'u2' },
    });
    expect(ignored.code).toBe(201);
    expect(ignored.headers.warning).toBeUndefined();
  });

  it('checks types, names, labels, CIDRs, RBAC roleRef and extended resources as the apiserver does', async () => {
    expect(
      (await call('POST', '/api/v1/namespaces/dry/configmaps', { metadata: { name: 'x' }, data: { a: 1 } }))
        .body,
    ).toMatchObject({
      code: 400,
      message: expect.stringContaining('cannot unmarshal number into Go struct field'),
    });
    const label = await call('POST', '/api/v1/namespaces/dry/configmaps', {
      metadata: { name: 'l', labels: { 'bad key!': 'v' } },
    });
    expect(label.body).toMatchObject({ code: 422, details: { causes: [{ field: 'metadata.labels' }] } });
    const cidr = await call('POST', '/apis/networking.k8s.io/v1/namespaces/dry/networkpolicies', {
      metadata: { name: 'n' },
      spec: { podSelector: {}, egress: [{ to: [{ ipBlock: { cidr: '10.0.0.0/33' } }] }] },
    });
    expect(cidr.body).toMatchObject({
      code: 422,
      message:
        'NetworkPolicy.networking.k8s.io "n" is invalid: spec.egress[0].to[0].ipBlock.cidr: Invalid value: "10.0.0.0/33": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
    });
    const rb = {
      metadata: { name: 'rb' },
      roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
      subjects: [{ kind: 'Group', name: 'tenant-a', apiGroup: 'rbac.authorization.k8s.io' }],
    };
    const rbPath = '/apis/rbac.authorization.k8s.io/v1/namespaces/dry/rolebindings';
    expect((await call('POST', rbPath, rb)).code).toBe(201);
    const changed = await call('PUT', `${rbPath}/rb`, { ...rb, roleRef: { ...rb.roleRef, name: 'edit' } });
    expect(changed.body).toMatchObject({ code: 422 });
    expect(changed.body.message).toContain('roleRef: Invalid value:');
    expect(changed.body.message).toContain('cannot change roleRef');
    const missing = await call('POST', rbPath, { metadata: { name: 'rb2' } });
    expect(missing.body).toMatchObject({
      code: 422,
      details: { causes: expect.arrayContaining([expect.objectContaining({ field: 'roleRef' })]) },
    });
    const gpu = await call('POST', '/api/v1/namespaces/dry/pods', {
      metadata: { name: 'g' },
      spec: {
        containers: [
          {
            name: 'c',
            image: 'i:1',
            resources: { requests: { 'nvidia.com/gpu': '1' }, limits: { 'nvidia.com/gpu': '2' } },
          },
        ],
      },
    });
    expect(gpu.body.message).toBe(
      'Pod "g" is invalid: spec.containers[0].resources.requests[nvidia.com/gpu]: Invalid value: "1": must be equal to nvidia.com/gpu limit of 2',
    );
  });
});

describe('namespace termination', () => {
  it('goes Terminating, refuses new content, is purged by the controller, and waits for finalizers', async () => {
    await namespace('doomed');
    expect(
      (
        await call('POST', '/api/v1/namespaces/doomed/configmaps', {
          metadata: { name: 'held', finalizers: ['example.com/hold'] },
        })
      ).code,
    ).toBe(201);
    const deleted = await call('DELETE', '/api/v1/namespaces/doomed');
    expect(deleted.code).toBe(200);
    expect(deleted.body).toMatchObject({
      kind: 'Namespace',
      status: { phase: 'Terminating' },
      spec: { finalizers: ['kubernetes'] },
      metadata: { deletionTimestamp: expect.any(String) },
    });
    const refused = await call('POST', '/api/v1/namespaces/doomed/configmaps', { metadata: { name: 'new' } });
    expect(refused.body).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message:
        'configmaps "new" is forbidden: unable to create new content in namespace doomed because it is being terminated',
      details: { causes: [{ reason: 'NamespaceTerminating' }] },
    });
    expect((await call('DELETE', '/api/v1/namespaces/doomed')).body).toMatchObject({
      code: 409,
      message:
        'Operation cannot be fulfilled on namespaces "doomed": The system is ensuring all content is removed from this namespace.  Upon completion, this namespace will automatically be purged by the system.',
    });
    k.tick();
    const stuck = await call('GET', '/api/v1/namespaces/doomed');
    expect(stuck.body).toMatchObject({ status: { phase: 'Terminating' } });
    expect((stuck.body.status as { conditions: object[] }).conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          type: 'NamespaceFinalizersRemaining',
          status: 'True',
          message:
            'Some content in the namespace has finalizers remaining: example.com/hold in 1 resource instances',
        }),
      ]),
    );
    const held = await call('GET', '/api/v1/namespaces/doomed/configmaps/held');
    expect(held.body).toMatchObject({ metadata: { deletionTimestamp: expect.any(String) } });
    expect(
      (
        await call(
          'PATCH',
          '/api/v1/namespaces/doomed/configmaps/held',
          { metadata: { finalizers: null } },
          'application/merge-patch+json',
        )
      ).code,
    ).toBe(200);
    expect((await call('GET', '/api/v1/namespaces/doomed/configmaps/held')).code).toBe(404);
    k.tick();
    expect((await call('GET', '/api/v1/namespaces/doomed')).code).toBe(404);
  });

  it('runs on its own timer when not paused', async () => {
    await namespace('timed');
    k.resume();
    try {
      await call('DELETE', '/api/v1/namespaces/timed');
      let code = 200;
      for (let i = 0; i < 50 && code === 200; i++) {
        await new Promise((r) => setTimeout(r, 50));
        code = (await call('GET', '/api/v1/namespaces/timed')).code;
      }
      expect(code).toBe(404);
    } finally {
      k.pause();
    }
  });
});

describe('ResourceQuota', () => {
  const pod = (name: string, resources: object) => ({
    metadata: { name },
    spec: { containers: [{ name: 'cuda', image: 'cuda:12', resources }] },
  });

  it('mirrors hard, computes used, refuses what exceeds it with the apiserver message, and frees on delete', async () => {
    await namespace('q');
    const created = await call('POST', '/api/v1/namespaces/q/resourcequotas', {
      metadata: { name: 'gpu' },
      spec: {
        hard: {
          pods: '2',
          'requests.cpu': '2',
          'requests.memory': '8Gi',
          'requests.nvidia.com/mig-1g.10gb': '1',
        },
      },
    });
    expect(created.code).toBe(201);
    const quotaPath = '/api/v1/namespaces/q/resourcequotas/gpu';
    expect((await call('GET', quotaPath)).body).toMatchObject({
      status: {
        hard: {
          pods: '2',
          'requests.cpu': '2',
          'requests.memory': '8Gi',
          'requests.nvidia.com/mig-1g.10gb': '1',
        },
        used: {
          pods: '0',
          'requests.cpu': '0',
          'requests.memory': '0',
          'requests.nvidia.com/mig-1g.10gb': '0',
        },
      },
    });
    expect((await call('POST', '/api/v1/namespaces/q/pods', pod('bare', {}))).body).toMatchObject({
      code: 403,
      message:
        'pods "bare" is forbidden: failed quota: gpu: must specify requests.cpu for: cuda; requests.memory for: cuda',
    });
    const mig = { limits: { cpu: '1', memory: '4Gi', 'nvidia.com/mig-1g.10gb': '1' } };
    const dry = await call('POST', '/api/v1/namespaces/q/pods?dryRun=All', pod('a', mig));
    expect(dry.code).toBe(201);
    expect((await call('GET', quotaPath)).body).toMatchObject({ status: { used: { pods: '0' } } });
    expect((await call('POST', '/api/v1/namespaces/q/pods', pod('a', mig))).code).toBe(201);
    expect((await call('GET', quotaPath)).body).toMatchObject({
      status: {
        used: {
          pods: '1',
          'requests.cpu': '1',
          'requests.memory': '4Gi',
          'requests.nvidia.com/mig-1g.10gb': '1',
        },
      },
    });
    const over = await call('POST', '/api/v1/namespaces/q/pods', pod('b', mig));
    expect(over.body).toMatchObject({
      code: 403,
      reason: 'Forbidden',
      message:
        'pods "b" is forbidden: exceeded quota: gpu, requested: requests.nvidia.com/mig-1g.10gb=1, used: requests.nvidia.com/mig-1g.10gb=1, limited: requests.nvidia.com/mig-1g.10gb=1',
    });
    expect((await call('DELETE', '/api/v1/namespaces/q/pods/a')).code).toBe(200);
    expect((await call('GET', quotaPath)).body).toMatchObject({
      status: { used: { pods: '0', 'requests.nvidia.com/mig-1g.10gb': '0' } },
    });
    expect((await call('POST', '/api/v1/namespaces/q/pods', pod('b', mig))).code).toBe(201);
  });
});

describe('admission: LimitRange, RuntimeClass, object counts', () => {
  it('defaults container resources from a LimitRange, charges RuntimeClass overhead, and counts objects', async () => {
    await namespace('lr');
    expect(
      (
        await call('POST', '/api/v1/namespaces/lr/limitranges', {
          metadata: { name: 'defaults' },
          spec: {
            limits: [
              {
                type: 'Container',
                default: { cpu: '500m', memory: '1Gi' },
                defaultRequest: { cpu: '250m' },
                max: { cpu: '2' },
              },
            ],
          },
        })
      ).code,
    ).toBe(201);
    expect(
      (
        await call('POST', '/apis/node.k8s.io/v1/runtimeclasses', {
          metadata: { name: 'kata-gpu' },
          handler: 'kata-qemu-nvidia-gpu',
          overhead: { podFixed: { cpu: '250m', memory: '512Mi' } },
        })
      ).code,
    ).toBe(201);
    await call('POST', '/api/v1/namespaces/lr/resourcequotas', {
      metadata: { name: 'q' },
      spec: {
        hard: {
          'requests.cpu': '10',
          'requests.memory': '10Gi',
          'limits.cpu': '10',
          'count/configmaps': '2',
        },
      },
    });
    const pod = (cpu: string) => ({
      metadata: { name: 'p' },
      spec: {
        runtimeClassName: 'kata-gpu',
        initContainers: [{ name: 'init', image: 'i:1', resources: { requests: { cpu }, limits: { cpu } } }],
        containers: [{ name: 'app', image: 'i:1' }],
      },
    });
    expect((await call('POST', '/api/v1/namespaces/lr/pods', pod('3'))).body).toMatchObject({
      code: 403,
      message: 'pods "p" is forbidden: maximum cpu usage per Container is 2, but limit is 3',
    });
    const created = await call('POST', '/api/v1/namespaces/lr/pods', pod('1500m'));
    expect(created.code).toBe(201);
    expect(created.body).toMatchObject({
      metadata: {
        annotations: { 'kubernetes.io/limit-ranger': expect.stringContaining('request for container app') },
      },
      spec: {
        overhead: { cpu: '250m', memory: '512Mi' },
        containers: [
          { resources: { requests: { cpu: '250m', memory: '1Gi' }, limits: { cpu: '500m', memory: '1Gi' } } },
        ],
      },
      status: { phase: 'Pending', qosClass: 'Burstable' },
    });
    // Init containers count as the max against the app containers' sum; overhead is added.
    expect((await call('GET', '/api/v1/namespaces/lr/resourcequotas/q')).body).toMatchObject({
      status: {
        used: {
          'requests.cpu': '1750m',
          'requests.memory': '1536Mi',
          'limits.cpu': '1750m',
          'count/configmaps': '1',
        },
      },
    });
    // kube-root-ca.crt is the first ConfigMap, as on a real cluster.
    expect((await call('POST', '/api/v1/namespaces/lr/configmaps', { metadata: { name: 'a' } })).code).toBe(
      201,
    );
    expect(
      (await call('POST', '/api/v1/namespaces/lr/configmaps', { metadata: { name: 'b' } })).body,
    ).toMatchObject({
      code: 403,
      message:
        'configmaps "b" is forbidden: exceeded quota: q, requested: count/configmaps=1, used: count/configmaps=2, limited: count/configmaps=2',
    });
    expect(
      (
        await call('POST', '/api/v1/namespaces/lr/pods', {
          ...pod('1'),
          spec: { ...pod('1').spec, runtimeClassName: 'nope' },
        })
      ).body,
    ).toMatchObject({
      code: 403,
      message: 'pods "p" is forbidden: pod rejected: RuntimeClass "nope" not found',
    });
  });
});

describe('Pod Security Admission', () => {
  it('enforces the namespace level with the plugin message, and warns at the warn level', async () => {
    expect(
      (
        await call('POST', '/api/v1/namespaces', {
          metadata: {
            name: 'psa',
            labels: {
              'pod-security.kubernetes.io/enforce': 'restricted',
              'pod-security.kubernetes.io/enforce-version': 'v1.35',
            },
          },
        })
      ).code,
    ).toBe(201);
    const bad = await call('POST', '/api/v1/namespaces/psa/pods', {
      metadata: { name: 'bad' },
      spec: { containers: [{ name: 'c', image: 'i:1' }] },
    });
    expect(bad.body).toMatchObject({
      code: 403,
      message:
        'pods "bad" is forbidden: violates PodSecurity "restricted:v1.35": allowPrivilegeEscalation != false (container "c" must set securityContext.allowPrivilegeEscalation=false), unrestricted capabilities (container "c" must set securityContext.capabilities.drop=["ALL"]), runAsNonRoot != true (pod or container "c" must set securityContext.runAsNonRoot=true), seccompProfile (pod or container "c" must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")',
    });
    const good = await call('POST', '/api/v1/namespaces/psa/pods', {
      metadata: { name: 'good' },
      spec: {
        securityContext: { runAsNonRoot: true, runAsUser: 10001, seccompProfile: { type: 'RuntimeDefault' } },
        containers: [
          {
            name: 'c',
            image: 'i:1',
            securityContext: { allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } },
          },
        ],
      },
    });
    expect(good.code).toBe(201);
    await call('POST', '/api/v1/namespaces', {
      metadata: { name: 'psa-warn', labels: { 'pod-security.kubernetes.io/warn': 'baseline' } },
    });
    const warned = await call('POST', '/api/v1/namespaces/psa-warn/pods', {
      metadata: { name: 'p' },
      spec: {
        hostNetwork: true,
        containers: [{ name: 'c', image: 'i:1', securityContext: { privileged: true } }],
      },
    });
    expect(warned.code).toBe(201);
    expect(String(warned.headers.warning)).toBe(
      '299 - "would violate PodSecurity \\"baseline:latest\\": host namespaces (hostNetwork=true), privileged (container \\"c\\" must not set securityContext.privileged=true)"',
    );
  });
});

describe('lists', () => {
  it('pages with limit and continue over one snapshot, and refuses deletecollection of namespaces', async () => {
    const first = await call('GET', '/api/v1/namespaces?limit=2');
    const meta1 = first.body.metadata as {
      continue: string;
      remainingItemCount: number;
      resourceVersion: string;
    };
    expect((first.body.items as object[]).length).toBe(2);
    expect(meta1.continue).toBeTruthy();
    await call('POST', '/api/v1/namespaces', { metadata: { name: 'zz-late' } });
    const names: string[] = [];
    let token: string | undefined = meta1.continue;
    while (token) {
      const page = await call('GET', `/api/v1/namespaces?limit=2&continue=${encodeURIComponent(token)}`);
      expect((page.body.metadata as { resourceVersion: string }).resourceVersion).toBe(meta1.resourceVersion);
      names.push(...(page.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name));
      token = (page.body.metadata as { continue?: string }).continue;
    }
    // A consistent snapshot: the namespace made meanwhile is not in it.
    expect(names.length).toBe(meta1.remainingItemCount);
    expect(names).not.toContain('zz-late');
    expect((await call('GET', '/api/v1/namespaces')).body.items).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ metadata: expect.objectContaining({ name: 'zz-late' }) }),
      ]),
    );
    const exact = await call(
      'GET',
      `/api/v1/namespaces?resourceVersion=${meta1.resourceVersion}&resourceVersionMatch=Exact`,
    );
    expect((exact.body.items as { metadata: { name: string } }[]).map((i) => i.metadata.name)).not.toContain(
      'zz-late',
    );
    expect((await call('DELETE', '/api/v1/namespaces')).code).toBe(405);
  });
});

describe('authentication', () => {
  it('accepts a client certificate from the lab CA, and answers 401 without credentials', async () => {
    const withCert = await call('GET', '/api/v1/namespaces/default', undefined, 'application/json', {
      token: null,
      cert: true,
    });
    expect(withCert.code).toBe(200);
    expect(k.clientCertPem).toContain('BEGIN CERTIFICATE');
    expect(
      await call('GET', '/api/v1/namespaces', undefined, 'application/json', { token: 'wrong' }),
    ).toMatchObject({
      code: 401,
      body: { kind: 'Status', reason: 'Unauthorized', message: 'Unauthorized' },
    });
  });
});

describe('RBAC', () => {
  it('authorizes users by their bindings, with the apiserver messages, impersonation and can-i', async () => {
    const dir2 = mkdtempSync(path.join(tmpdir(), 'enclave-k8s-rbac-'));
    const e = await startKubeEmulator({
      stateDir: dir2,
      users: [{ name: 'alice', groups: ['oidc:tenant-a-admins'] }],
    });
    try {
      const as = (
        token: string,
        method: string,
        p: string,
        body?: unknown,
        headers: Record<string, string> = {},
      ) =>
        new Promise<{ code: number; body: Record<string, unknown> }>((resolve, reject) => {
          const req = request(
            `${e.url}${p}`,
            {
              method,
              ca: e.caPem,
              headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', ...headers },
            },
            (res) => {
              let text = '';
              res.on('data', (d: Buffer) => (text += d.toString('utf8')));
              res.on('end', () =>
                resolve({ code: res.statusCode ?? 0, body: JSON.parse(text) as Record<string, unknown> }),
              );
            },
          );
          req.once('error', reject);
          req.end(body === undefined ? undefined : JSON.stringify(body));
        });
      const admin = e.token;
      const alice = e.users[0]!.token;
      for (const ns of ['tenant-a', 'tenant-b'])
        await as(admin, 'POST', '/api/v1/namespaces', { metadata: { name: ns } });
      expect(
        (
          await as(admin, 'POST', '/apis/rbac.authorization.k8s.io/v1/namespaces/tenant-a/rolebindings', {
            metadata: { name: 'admins' },
            roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'admin' },
            subjects: [
              { apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'oidc:tenant-a-admins' },
            ],
          })
        ).code,
      ).toBe(201);
      expect(
        (await as(alice, 'POST', '/api/v1/namespaces/tenant-a/configmaps', { metadata: { name: 'mine' } }))
          .code,
      ).toBe(201);
      expect(
        (await as(alice, 'POST', '/api/v1/namespaces/tenant-b/configmaps', { metadata: { name: 'theirs' } }))
          .body,
      ).toMatchObject({
        code: 403,
        reason: 'Forbidden',
        message:
          'configmaps is forbidden: User "alice" cannot create resource "configmaps" in API group "" in the namespace "tenant-b"',
      });
      expect((await as(alice, 'GET', '/api/v1/namespaces/tenant-a/resourcequotas')).code).toBe(200);
      expect((await as(alice, 'DELETE', '/api/v1/namespaces/tenant-a')).body).toMatchObject({
        code: 403,
        message:
          'namespaces "tenant-a" is forbidden: User "alice" cannot delete resource "namespaces" in API group "" at the cluster scope',
      });
      // The admin impersonating the group gets the group's rights; alice may not impersonate.
      const impersonated = await as(admin, 'GET', '/api/v1/namespaces/tenant-b/configmaps', undefined, {
        'Impersonate-User': 'bob',
        'Impersonate-Group': 'oidc:tenant-a-admins',
      });
      expect(impersonated.body).toMatchObject({
        code: 403,
        message: expect.stringContaining('User "bob" cannot list resource "configmaps"'),
      });
      expect(
        (
          await as(alice, 'GET', '/api/v1/namespaces/tenant-a/configmaps', undefined, {
            'Impersonate-User': 'root',
          })
        ).body,
      ).toMatchObject({
        code: 403,
        message:
          'users "root" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope',
      });
      const review = (ns: string) => ({
        apiVersion: 'authorization.k8s.io/v1',
        kind: 'SelfSubjectAccessReview',
        spec: {
          resourceAttributes: {
            namespace: ns,
            verb: 'create',
            resource: 'networkpolicies',
            group: 'networking.k8s.io',
          },
        },
      });
      expect(
        (
          await as(
            alice,
            'POST',
            '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
            review('tenant-a'),
          )
        ).body,
      ).toMatchObject({
        status: { allowed: true },
      });
      expect(
        (
          await as(
            alice,
            'POST',
            '/apis/authorization.k8s.io/v1/selfsubjectaccessreviews',
            review('tenant-b'),
          )
        ).body,
      ).toMatchObject({
        status: { allowed: false },
      });
      expect(e.kubeconfigFor('alice')).toContain(`token: ${alice}`);
    } finally {
      await e.close();
      rmSync(dir2, { recursive: true, force: true });
    }
  });
});
