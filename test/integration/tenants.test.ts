import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request, type RequestOptions } from 'node:https';
import { connect, createServer, type AddressInfo, type Socket } from 'node:net';
import { KubeConfig } from '@kubernetes/client-node';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleClient } from '../../shared/client';
import type { ConsoleError } from '../../shared/errors';
import { startKubeEmulator } from '../lab/k8s/server';
import { testCluster, type TestCluster } from '../support/cluster';
import { openTestCore, type TestCore } from '../support/core';

/**
 * Clusters and tenants through the dispatcher, against the lab's Kubernetes API-server emulator
 * (no kube-apiserver can run here), or a real cluster when ENCLAVE_TEST_KUBECONFIG names one: import with the safety checks, the cluster view, render, plan
 * (server-side-apply dry run), apply with read-back, drift after a change behind the console's
 * back, capacity refusal, decommission with namespace termination, and the ledger entries.
 */
const EXAMPLE = readFileSync(path.join(import.meta.dirname, '../../docs/examples/tenant.yaml'), 'utf8');
const dir = mkdtempSync(path.join(tmpdir(), 'enclave-tenants-'));
/** Checks that change the kubeconfig's credentials assume the emulator's token auth. */
const REAL = Boolean(process.env.ENCLAVE_TEST_KUBECONFIG);
let k: TestCluster;
let t: TestCore;
let admin: ConsoleClient;
let viewer: ConsoleClient;

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: ConsoleError) => e,
  );

/** A spec like the example, but with quotas this lab's GPUs can hold. */
function spec(name: string, extra: { mig?: Record<string, number>; gpus?: number } = {}): string {
  const mig = extra.mig ?? {};
  return EXAMPLE.replace(/^name: tenant-a$/m, `name: ${name}`).replace(
    / {2}gpus: 0\n {2}mig:\n(?: {4}.*\n)+/,
    () => {
      const lines = Object.entries(mig).map(([p, n]) => `    ${p}: ${n}\n`);
      return `  gpus: ${extra.gpus ?? 0}\n${lines.length ? `  mig:\n${lines.join('')}` : ''}`;
    },
  );
}

/** A raw call with the kubeconfig's credentials, as another tool (kubectl, a controller) would make behind the console. */
async function kube(method: string, p: string, body?: unknown, contentType = 'application/merge-patch+json') {
  const kc = new KubeConfig();
  kc.loadFromString(k.kubeconfig);
  const options: RequestOptions = { method, headers: body ? { 'Content-Type': contentType } : {} };
  await kc.applyToHTTPSOptions(options);
  const server = kc.getCurrentCluster()?.server ?? '';
  return new Promise<{ code: number; body: Record<string, unknown> }>((resolve, reject) => {
    const req = request(`${server}${p}`, options, (res) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString('utf8')));
      res.on('end', () => resolve({ code: res.statusCode ?? 0, body: JSON.parse(text || '{}') }));
    });
    req.once('error', reject);
    req.end(body ? JSON.stringify(body) : undefined);
  });
}

/** A TCP link to the API server that a test can cut (every connection reset) and restore. */
async function cuttableLink(port: string) {
  const sockets = new Set<Socket>();
  let cut = false;
  const server = createServer((client) => {
    if (cut) return client.destroy();
    const upstream = connect(Number(port), '127.0.0.1');
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut() {
      cut = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      cut = false;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

beforeAll(async () => {
  k = await testCluster();
  t = await openTestCore();
  t.clock.ms = Date.now(); // the emulator's certificates are issued now
  admin = await t.connectAs(['admin']);
  viewer = await t.connectAs(['viewer']);
});
afterAll(async () => {
  t?.close();
  await k?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('clusters', () => {
  it.skipIf(REAL)(
    'refuses an insecure or exec-plugin kubeconfig before connecting, storing nothing',
    async () => {
      const insecure = k.kubeconfig.replace(
        /certificate-authority-data: .*/,
        'insecure-skip-tls-verify: true',
      );
      const e = await failure(admin.call('clusters.import', { kubeconfig: insecure }));
      expect(e.message).toMatch(/insecure-skip-tls-verify/);
      expect(e.code).toBe('FORBIDDEN');
      expect(e.hint).not.toMatch(/exec/); // the hint is about what was refused
      const exec = k.kubeconfig.replace(
        /token: .*/,
        'exec: {apiVersion: client.authentication.k8s.io/v1, command: /usr/bin/true}',
      );
      const refused = await failure(admin.call('clusters.import', { kubeconfig: exec }));
      expect(refused.code).toBe('FORBIDDEN');
      expect(refused.hint).toMatch(/allow-kubeconfig-exec/);
      expect(await admin.call('clusters.list', {})).toEqual([]);
    },
  );

  it.skipIf(REAL)(
    'refuses a cluster whose certificate another CA issued, or whose token it does not accept',
    async () => {
      const other = await startKubeEmulator({ stateDir: path.join(dir, 'other') });
      try {
        const wrongCa = other.kubeconfig.replace(
          /certificate-authority-data: .*/,
          /certificate-authority-data: .*/.exec(k.kubeconfig)?.[0] ?? '',
        );
        const e = await failure(admin.call('clusters.import', { kubeconfig: wrongCa }));
        expect(e.message).toMatch(/certificate authority did not issue/);
        const badToken = k.kubeconfig.replace(/token: .*/, 'token: not-the-token');
        const e401 = await failure(admin.call('clusters.import', { kubeconfig: badToken }));
        expect(e401.message).toMatch(/401/);
        expect(await admin.call('clusters.list', {})).toEqual([]);
      } finally {
        await other.close();
      }
    },
  );

  it('lists contexts, imports one (admin only), and shows the cluster', async () => {
    const kc = new KubeConfig();
    kc.loadFromString(k.kubeconfig);
    const context = kc.getCurrentContext();
    const server = kc.getCurrentCluster()?.server;
    const { contexts } = await admin.call('clusters.contexts', { kubeconfig: k.kubeconfig });
    expect(contexts).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: context, current: true })]),
    );
    expect(
      (await failure(viewer.call('clusters.import', { kubeconfig: k.kubeconfig, name: 'lab' }))).code,
    ).toBe('FORBIDDEN');
    const imported = await admin.call('clusters.import', { kubeconfig: k.kubeconfig, name: 'lab' });
    expect(imported.imported).toEqual([
      expect.objectContaining({
        name: 'lab',
        context,
        server,
        version: expect.stringMatching(/^v1\./),
      }),
    ]);
    expect(await admin.call('clusters.list', {})).toEqual([
      expect.objectContaining({ name: 'lab', server, oidcGroupPrefix: 'oidc:' }),
    ]);
    // The credentials are stored encrypted, never in the clear in the database file.
    const credential = kc.getCurrentUser()?.token ?? kc.getCurrentUser()?.keyData ?? '';
    expect(credential).not.toBe('');
    expect(readFileSync(path.join(t.dir, 'console.db')).includes(Buffer.from(credential))).toBe(false);
    const again = await failure(admin.call('clusters.import', { kubeconfig: k.kubeconfig, name: 'lab' }));
    expect(again.code).toBe('CONFLICT');
    const view = await viewer.call('clusters.view', { cluster: 'lab' });
    expect(view.version).toMatch(/^v1\./);
    expect(view.name).toBe('lab');
  });
});

describe('tenants', () => {
  it('renders the example spec into schema-valid objects, naming bad fields with their lines', async () => {
    const out = await viewer.call('tenants.render', { spec: spec('tenant-a'), cluster: 'lab' });
    expect(out.objects.map((o) => o.kind)).toEqual([
      'Namespace',
      'ResourceQuota',
      'LimitRange',
      'NetworkPolicy',
      'NetworkPolicy',
      'NetworkPolicy',
      'NetworkPolicy',
      'Role',
      'Role',
      'RoleBinding',
      'RoleBinding',
      'RoleBinding',
    ]);
    expect(out.manifest).toContain('oidc:tenant-a/admins');
    const bad = await failure(viewer.call('tenants.render', { spec: spec('Tenant_A') }));
    expect(bad.code).toBe('BAD_REQUEST');
    expect(bad.message).toMatch(/line 3: name: must be a DNS label/);
  });

  it('plans a new tenant as creates, applies it with read-back, and re-plans as unchanged', async () => {
    const plan = await admin.call('tenants.plan', { spec: spec('tenant-a'), cluster: 'lab' });
    expect(plan.objects.every((o) => o.action === 'create')).toBe(true);
    expect(plan.planDigest).toMatch(/^[0-9a-f]{64}$/);
    expect((await kube('GET', '/api/v1/namespaces/tenant-a')).code).toBe(404); // a plan changes nothing

    const events: { phase: string }[] = [];
    const applied = await admin.call(
      'tenants.apply',
      { spec: spec('tenant-a'), cluster: 'lab', planDigest: plan.planDigest },
      { onEvent: (e) => events.push(e) },
    );
    expect(applied.verified).toBe(true);
    expect(applied.problems).toEqual([]);
    expect(events.filter((e) => e.phase === 'applied')).toHaveLength(plan.objects.length);
    const ns = await kube('GET', '/api/v1/namespaces/tenant-a');
    expect(ns.code).toBe(200);
    const quota = await kube('GET', '/api/v1/namespaces/tenant-a/resourcequotas/tenant-quota');
    expect((quota.body.metadata as { managedFields: { manager: string }[] }).managedFields).toEqual(
      expect.arrayContaining([expect.objectContaining({ manager: 'enclave-console', operation: 'Apply' })]),
    );

    const replan = await admin.call('tenants.plan', { spec: spec('tenant-a'), cluster: 'lab' });
    expect(replan.objects.map((o) => o.action)).toEqual(replan.objects.map(() => 'unchanged'));
    const [row] = await viewer.call('tenants.list', {});
    expect(row).toMatchObject({ name: 'tenant-a', cluster: 'lab', health: 'healthy', driftedObjects: 0 });
  });

  it('refuses to apply a plan other than the one reviewed, changing nothing', async () => {
    const plan = await admin.call('tenants.plan', { spec: spec('tenant-a'), cluster: 'lab' });
    const changed = spec('tenant-a').replace('pods: 200', 'pods: 150');
    const e = await failure(
      admin.call('tenants.apply', { spec: changed, cluster: 'lab', planDigest: plan.planDigest }),
    );
    expect(e.code).toBe('CONFLICT');
    const quota = await kube('GET', '/api/v1/namespaces/tenant-a/resourcequotas/tenant-quota');
    expect((quota.body.spec as { hard: Record<string, string> }).hard.pods).toBe('200');
    const update = await admin.call('tenants.plan', { spec: changed, cluster: 'lab' });
    const q = update.objects.find((o) => o.object.kind === 'ResourceQuota');
    expect(q).toMatchObject({
      action: 'update',
      fields: [{ path: 'spec.hard.pods', before: '200', after: '150' }],
    });
  });

  it('finds drift made behind its back: a changed quota, a deleted policy, an extra one', async () => {
    await kube('PATCH', '/api/v1/namespaces/tenant-a/resourcequotas/tenant-quota', {
      spec: { hard: { pods: '9999' } },
    });
    await kube(
      'DELETE',
      '/apis/networking.k8s.io/v1/namespaces/tenant-a/networkpolicies/egress-residency-allowlist',
    );
    await kube(
      'POST',
      '/apis/networking.k8s.io/v1/namespaces/tenant-a/networkpolicies',
      {
        apiVersion: 'networking.k8s.io/v1',
        kind: 'NetworkPolicy',
        metadata: { name: 'allow-everything', namespace: 'tenant-a' },
        spec: { podSelector: {}, policyTypes: ['Egress'], egress: [{}] },
      },
      'application/json',
    );
    const drift = await viewer.call('tenants.drift', { name: 'tenant-a' });
    const by = Object.fromEntries(drift.changes.map((c) => [`${c.object.kind}/${c.object.name}`, c]));
    expect(by['ResourceQuota/tenant-quota']).toMatchObject({
      action: 'changed',
      fields: [{ path: 'spec.hard.pods', before: '200', after: '9999' }],
    });
    expect(by['NetworkPolicy/egress-residency-allowlist']).toMatchObject({ action: 'missing' });
    expect(by['NetworkPolicy/allow-everything']).toMatchObject({ action: 'extra' });
    expect(drift.changes).toHaveLength(3);
    expect((await viewer.call('tenants.list', {}))[0]).toMatchObject({
      health: 'drifted',
      driftedObjects: 3,
    });

    // Applying again restores what the console owns (the extra policy is the operator's to judge).
    await admin.call('tenants.apply', { spec: spec('tenant-a'), cluster: 'lab' });
    const after = await viewer.call('tenants.drift', { spec: spec('tenant-a'), cluster: 'lab' });
    expect(after.changes.map((c) => c.action)).toEqual(['extra']);
    expect(after.specDiffers).toBe(false);
  });

  it('plans nothing when the cluster refuses an object, naming it', async () => {
    // A binding already there with another roleRef: roleRef is immutable, so its dry run is refused.
    await kube(
      'POST',
      '/api/v1/namespaces',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-c' } },
      'application/json',
    );
    const binding = '/apis/rbac.authorization.k8s.io/v1/namespaces/tenant-c/rolebindings';
    await kube(
      'POST',
      binding,
      {
        apiVersion: 'rbac.authorization.k8s.io/v1',
        kind: 'RoleBinding',
        metadata: { name: 'tenant-admins', namespace: 'tenant-c' },
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'Group', name: 'someone' }],
      },
      'application/json',
    );
    const e = await failure(admin.call('tenants.apply', { spec: spec('tenant-c'), cluster: 'lab' }));
    expect(e.message).toMatch(
      /the cluster refuses RoleBinding tenant-c\/tenant-admins of tenant tenant-c: .*roleRef/,
    );
    expect((await kube('GET', '/api/v1/namespaces/tenant-c/resourcequotas/tenant-quota')).code).toBe(404);
    await kube('DELETE', `${binding}/tenant-admins`);
    await kube('DELETE', '/api/v1/namespaces/tenant-c');
  });

  it.skipIf(REAL)(
    'says exactly what was applied when the link drops part-way, and applying again finishes it',
    async () => {
      const link = await cuttableLink(new URL(k.emulator?.url ?? '').port);
      try {
        const viaLink = k.kubeconfig.replace(
          /server: https:\/\/127\.0\.0\.1:\d+/,
          `server: https://127.0.0.1:${link.port}`,
        );
        await admin.call('clusters.import', { kubeconfig: viaLink, name: 'linked' });
        const events: { phase: string; done: number; object: { name: string } }[] = [];
        const e = await failure(
          admin.call(
            'tenants.apply',
            { spec: spec('tenant-d'), cluster: 'linked' },
            {
              onEvent: (ev) => {
                events.push(ev);
                if (ev.phase === 'applied' && ev.done === 5) link.cut();
              },
            },
          ),
        );
        expect(e.code).toBe('FAILED');
        expect(e.message).toMatch(
          /tenant tenant-d is half applied on cluster linked: 5 of 12 objects applied/,
        );
        expect(e.message).toMatch(/\(Namespace tenant-d, .*, NetworkPolicy tenant-d\/allow-dns\)/);
        expect(e.message).toMatch(
          /stopped at NetworkPolicy tenant-d\/allow-same-tenant: .*cannot be reached/,
        );
        expect(e.hint).toMatch(/apply again/);
        expect(events.at(-1)).toMatchObject({ phase: 'failed', object: { name: 'allow-same-tenant' } });
        expect((await viewer.call('tenants.list', {})).find((r) => r.name === 'tenant-d')?.health).toBe(
          'failed',
        );

        link.restore();
        const again = await admin.call('tenants.apply', { spec: spec('tenant-d'), cluster: 'linked' });
        expect(again.verified).toBe(true);
        expect(again.objects.map((o) => o.action)).toEqual([
          ...Array(5).fill('unchanged'),
          ...Array(7).fill('create'),
        ]);
        await admin.call('tenants.decommission', { name: 'tenant-d', cluster: 'linked', timeoutSeconds: 30 });
      } finally {
        await link.close();
      }
    },
  );

  it('puts every plan, apply, drift and decommission in the ledger', async () => {
    const entries = await admin.call('audit.list', { limit: 200 });
    const procedures = new Set(entries.entries.map((e) => e.procedure));
    for (const p of ['clusters.import', 'tenants.plan', 'tenants.apply', 'tenants.drift']) {
      expect(procedures).toContain(p);
    }
    const drifts = entries.entries.filter((e) => e.procedure === 'tenants.drift' && e.outcome === 'ok');
    expect(drifts).toHaveLength(2);
    // Oldest first: the findings (with the fields that changed), then the clean check after re-applying.
    expect(JSON.stringify(drifts[1])).toContain(
      '{"action":"missing","fields":[],"object":"NetworkPolicy/egress-residency-allowlist"}',
    );
    expect(JSON.stringify(drifts[1])).toMatch(/spec\.hard\.pods/);
    expect(JSON.stringify(drifts[0])).not.toMatch(/egress-residency-allowlist/);
  });

  it('decommissions: deletes the namespace and waits until the cluster has terminated it', async () => {
    expect((await failure(viewer.call('tenants.decommission', { name: 'tenant-a' }))).code).toBe('FORBIDDEN');
    const events: { phase: string }[] = [];
    const out = await admin.call(
      'tenants.decommission',
      { name: 'tenant-a', timeoutSeconds: 30 },
      { onEvent: (e) => events.push(e) },
    );
    expect(out.outcome).toBe('gone');
    expect(events.map((e) => e.phase)).toContain('deleting');
    expect((await kube('GET', '/api/v1/namespaces/tenant-a')).code).toBe(404);
    expect(await viewer.call('tenants.list', {})).toEqual([]);
  });

  it('refuses to decommission a namespace it did not provision', async () => {
    await kube(
      'POST',
      '/api/v1/namespaces',
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'tenant-b' } },
      'application/json',
    );
    const path2 = path.join(dir, 'b.yaml');
    writeFileSync(path2, spec('tenant-b'));
    // Applying adopts it (labels added), so only an unrecorded namespace tests the guard:
    const e = await failure(admin.call('tenants.decommission', { name: 'tenant-b' }));
    expect(e.code).toBe('NOT_FOUND');
    expect((await kube('GET', '/api/v1/namespaces/tenant-b')).code).toBe(200);
  });
});
