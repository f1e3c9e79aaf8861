import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:https';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeEmulator, type KubeEmulator } from '../lab/k8s/server';

/**
 * The lab's Kubernetes API-server emulator: TLS with its own CA, bearer tokens, discovery, and the
 * REST verbs with kube-apiserver's codes and Status bodies (k8s-tenancy.md §3). Also driven by a real
 * kubectl where one is installed.
 */
const execFileAsync = promisify(execFile);
const dir = mkdtempSync(path.join(tmpdir(), 'enclave-k8s-'));
let k: KubeEmulator;
beforeAll(async () => {
  k = await startKubeEmulator({ stateDir: dir });
});
afterAll(async () => {
  await k?.close();
  rmSync(dir, { recursive: true, force: true });
});

function call(
  method: string,
  p: string,
  body?: unknown,
  token: string | null = k.token,
  contentType = 'application/json',
): Promise<{ code: number; body: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${k.url}${p}`,
      {
        method,
        ca: k.caPem,
        headers: {
          ...(token ? { Authorization: `Bearer ${token}` } : {}),
          ...(body ? { 'Content-Type': contentType } : {}),
        },
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
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

describe('the Kubernetes API emulator', () => {
  it('refuses a request without the token, and one that does not trust its CA', async () => {
    expect(await call('GET', '/api/v1/namespaces', undefined, null)).toMatchObject({
      code: 401,
      body: { kind: 'Status', reason: 'Unauthorized', code: 401 },
    });
    await expect(
      new Promise((resolve, reject) => request(`${k.url}/version`, resolve).once('error', reject).end()),
    ).rejects.toThrow(/self.signed|unable to verify|certificate/i);
  });

  it('serves discovery as kube-apiserver does (no apiVersion on the core list)', async () => {
    const core = await call('GET', '/api/v1');
    expect(core.body).not.toHaveProperty('apiVersion');
    expect(core.body.resources).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'namespaces',
          namespaced: false,
          kind: 'Namespace',
          shortNames: ['ns'],
        }),
        expect.objectContaining({ name: 'resourcequotas', namespaced: true, kind: 'ResourceQuota' }),
      ]),
    );
    const groups = (await call('GET', '/apis')).body.groups as { name: string }[];
    expect(groups.map((g) => g.name)).toEqual(
      expect.arrayContaining(['networking.k8s.io', 'rbac.authorization.k8s.io', 'node.k8s.io']),
    );
    expect((await call('GET', '/apis/networking.k8s.io/v1')).body).toMatchObject({
      apiVersion: 'v1',
      groupVersion: 'networking.k8s.io/v1',
    });
    const openapi = await call('GET', '/openapi/v3');
    expect(Object.keys(openapi.body.paths as object)).toContain('api/v1');
    const doc = await call('GET', '/openapi/v3/apis/networking.k8s.io/v1');
    expect(doc.body).toHaveProperty('components.schemas');
  });

  it('creates, reads, lists by label, updates with optimistic concurrency and deletes, with Status errors', async () => {
    const ns = await call('POST', '/api/v1/namespaces', {
      metadata: { name: 'tenant-a', labels: { tenant: 'a' } },
    });
    expect(ns.code).toBe(201);
    expect(ns.body).toMatchObject({ kind: 'Namespace', apiVersion: 'v1', status: { phase: 'Active' } });
    const meta = ns.body.metadata as Record<string, string>;
    expect(meta.uid).toMatch(/^[0-9a-f-]{36}$/);
    expect(meta.creationTimestamp).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    expect(await call('POST', '/api/v1/namespaces', { metadata: { name: 'tenant-a' } })).toMatchObject({
      code: 409,
      body: {
        reason: 'AlreadyExists',
        message: 'namespaces "tenant-a" already exists',
        details: { kind: 'namespaces' },
      },
    });
    expect((await call('POST', '/api/v1/namespaces', { metadata: { name: 'Tenant_A' } })).body).toMatchObject(
      {
        code: 422,
        reason: 'Invalid',
        message: expect.stringMatching(
          /^Namespace "Tenant_A" is invalid: metadata\.name: Invalid value: "Tenant_A": a lowercase RFC 1123 label/,
        ),
      },
    );

    const np = {
      metadata: { name: 'deny', labels: { role: 'default' } },
      spec: { podSelector: {}, policyTypes: ['Ingress'] },
    };
    const created = await call('POST', '/apis/networking.k8s.io/v1/namespaces/tenant-a/networkpolicies', np);
    expect(created.code).toBe(201);
    expect(created.body).toMatchObject({
      kind: 'NetworkPolicy',
      metadata: { namespace: 'tenant-a', generation: 1 },
    });
    expect(
      (await call('POST', '/apis/networking.k8s.io/v1/namespaces/nowhere/networkpolicies', np)).body,
    ).toMatchObject({ code: 404, message: 'namespaces "nowhere" not found' });
    expect(
      (
        await call('POST', '/apis/networking.k8s.io/v1/namespaces/tenant-a/networkpolicies', {
          ...np,
          metadata: { name: 'x', namespace: 'other' },
        })
      ).code,
    ).toBe(400);

    const listed = await call(
      'GET',
      '/apis/networking.k8s.io/v1/networkpolicies?labelSelector=role%3Ddefault',
    );
    expect(listed.body).toMatchObject({ kind: 'NetworkPolicyList', items: [{ metadata: { name: 'deny' } }] });
    expect((listed.body.items as object[])[0]).not.toHaveProperty('kind');
    expect(
      (await call('GET', '/apis/networking.k8s.io/v1/networkpolicies?labelSelector=role%20notin%20(default)'))
        .body.items,
    ).toEqual([]);
    expect((await call('GET', '/api/v1/namespaces?labelSelector=%3D%3Dbad')).code).toBe(400);

    const rv = (created.body.metadata as { resourceVersion: string }).resourceVersion;
    const path1 = '/apis/networking.k8s.io/v1/namespaces/tenant-a/networkpolicies/deny';
    const updated = await call('PUT', path1, {
      ...np,
      metadata: { name: 'deny', resourceVersion: rv },
      spec: { podSelector: {}, policyTypes: ['Ingress', 'Egress'] },
    });
    expect(updated.code).toBe(200);
    expect(updated.body).toMatchObject({ metadata: { generation: 2 } });
    expect(
      await call('PUT', path1, { ...np, metadata: { name: 'deny', resourceVersion: rv } }),
    ).toMatchObject({
      code: 409,
      body: {
        reason: 'Conflict',
        message:
          'Operation cannot be fulfilled on networkpolicies.networking.k8s.io "deny": the object has been modified; please apply your changes to the latest version and try again',
      },
    });

    const patched = await call(
      'PATCH',
      path1,
      { metadata: { labels: { role: null, owner: 'x' } } },
      k.token,
      'application/merge-patch+json',
    );
    expect(patched.code).toBe(200);
    expect((patched.body.metadata as { labels: object }).labels).toEqual({ owner: 'x' });
    expect(
      (
        await call(
          'PATCH',
          path1,
          { metadata: { resourceVersion: rv } },
          k.token,
          'application/merge-patch+json',
        )
      ).code,
    ).toBe(409);
    const jsonPatched = await call(
      'PATCH',
      path1,
      [
        { op: 'test', path: '/metadata/labels/owner', value: 'x' },
        { op: 'add', path: '/metadata/labels/tier', value: 'db' },
      ],
      k.token,
      'application/json-patch+json',
    );
    expect(jsonPatched.code).toBe(200);
    expect((jsonPatched.body.metadata as { labels: object }).labels).toEqual({ owner: 'x', tier: 'db' });
    expect(
      (
        await call(
          'PATCH',
          path1,
          [{ op: 'test', path: '/metadata/labels/owner', value: 'y' }],
          k.token,
          'application/json-patch+json',
        )
      ).code,
    ).toBe(422);
    expect((await call('PATCH', path1, { a: 1 }, k.token, 'application/xml')).body).toMatchObject({
      code: 415,
      reason: 'UnsupportedMediaType',
    });
    expect((await call('DELETE', path1)).body).toMatchObject({ kind: 'Status', status: 'Success' });
    expect((await call('GET', path1)).body).toMatchObject({
      code: 404,
      message: 'networkpolicies.networking.k8s.io "deny" not found',
      details: { group: 'networking.k8s.io', kind: 'networkpolicies' },
    });
    expect((await call('DELETE', '/api/v1/namespaces/tenant-a')).body).toMatchObject({
      status: { phase: 'Terminating' },
    });
    expect((await call('GET', '/apis/rbac.authorization.k8s.io/v1/namespaces/x/clusterroles')).code).toBe(
      404,
    );
  });

  const kubectl = ['/usr/bin/kubectl', '/usr/local/bin/kubectl'].find((p) => existsSync(p));
  if (!kubectl)
    console.log(
      'k8s-emulator: kubectl steps skipped here: no kubectl installed (apt-get install kubernetes-client)',
    );
  it.skipIf(!kubectl)(
    `is usable from a real kubectl${kubectl ? '' : ' (skipped: no kubectl installed)'}`,
    async () => {
      // Asynchronous: the emulator answers from this same process.
      const run = async (...args: string[]) =>
        (
          await execFileAsync(kubectl as string, ['--kubeconfig', path.join(dir, 'kubeconfig'), ...args], {
            encoding: 'utf8',
            env: { ...process.env, KUBECACHEDIR: path.join(dir, 'kube-cache'), HOME: dir },
            timeout: 20_000,
          })
        ).stdout;
      // Made over the API directly; k8s-emulator-kubectl.test.ts has kubectl create and apply.
      const made = await call('POST', '/api/v1/namespaces', {
        metadata: { name: 'from-kubectl', labels: { made: 'by-test' } },
      });
      expect(made.code).toBe(201);
      expect(await run('get', 'namespaces', '-o', 'name')).toContain('namespace/from-kubectl');
      expect((await run('get', 'ns', '-l', 'made=by-test', '-o', 'name')).trim()).toBe(
        'namespace/from-kubectl',
      );
      expect(JSON.parse(await run('get', 'ns', 'from-kubectl', '-o', 'json'))).toMatchObject({
        metadata: { name: 'from-kubectl', labels: { made: 'by-test' } },
        status: { phase: 'Active' },
      });
      // kubectl label sends a strategic merge patch: what an operator does by hand to cause drift.
      expect(await run('label', 'ns', 'from-kubectl', 'changed=by-hand')).toContain(
        'namespace/from-kubectl labeled',
      );
      expect(JSON.parse(await run('get', 'ns', 'from-kubectl', '-o', 'json'))).toMatchObject({
        metadata: { labels: { made: 'by-test', changed: 'by-hand' } },
      });
      expect(await run('label', 'ns', 'from-kubectl', 'changed-')).toContain('unlabeled');
      expect(JSON.parse(await run('get', 'ns', 'from-kubectl', '-o', 'json')).metadata.labels).toEqual({
        made: 'by-test',
        'kubernetes.io/metadata.name': 'from-kubectl',
      });
      expect(await run('delete', 'namespace', 'from-kubectl')).toContain('namespace "from-kubectl" deleted');
      expect(await run('get', 'namespaces', '-o', 'name')).not.toContain('from-kubectl');
    },
    30_000,
  );
});
