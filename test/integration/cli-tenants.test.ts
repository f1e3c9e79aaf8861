import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeEmulator, type KubeEmulator } from '../lab/k8s/server';
import { enclave } from '../support/cli';

/**
 * `enclave clusters …` and `enclave tenants …` against the lab's Kubernetes API emulator: the
 * command shapes of design.md §8 (`tenants drift --json` has a `changes` array) and exit codes.
 */
if (process.env.ENCLAVE_TEST_KUBECONFIG) {
  console.log(
    'cli-tenants: runs against the lab emulator even with ENCLAVE_TEST_KUBECONFIG set: it relabels GPU nodes and needs their emulated MIG manager',
  );
}
const work = mkdtempSync(path.join(tmpdir(), 'enclave-cli-tenants-'));
const data = path.join(work, 'data');
const asAdmin = { ENCLAVE_OPERATOR: 'alice', ENCLAVE_PASSPHRASE: 'correct horse battery staple' };
const run = (args: string[]) => enclave([...args, '--data-dir', data], asAdmin);
const specFile = path.join(work, 'tenant.yaml');
let k: KubeEmulator;

beforeAll(async () => {
  k = await startKubeEmulator({
    stateDir: path.join(work, 'k8s'),
    nodes: [{ name: 'gpu-01', gpuProduct: 'NVIDIA-H100-80GB-HBM3', gpus: 8, migLayout: 'all-balanced' }],
  });
  writeFileSync(
    specFile,
    readFileSync(path.join(import.meta.dirname, '../../docs/examples/tenant.yaml'), 'utf8')
      .replace(/^name: tenant-a\n/m, 'name: tenant-a\ncluster: lab\n')
      .replace(/ {4}1g\.10gb: 4\n {4}3g\.40gb: 2\n/, '    1g.10gb: 4\n    3g.40gb: 1\n'),
  );
  await enclave(['init', '--admin', 'alice', '--data-dir', data], {
    ENCLAVE_PASSPHRASE: asAdmin.ENCLAVE_PASSPHRASE,
  });
});
afterAll(async () => {
  await k?.close();
  rmSync(work, { recursive: true, force: true });
});

describe('enclave clusters and tenants on the command line', () => {
  it('imports the lab kubeconfig and lists and shows the cluster', async () => {
    const imported = await run(['clusters', 'import', k.kubeconfigPath, '--name', 'lab', '--json']);
    expect(imported.code, imported.stderr).toBe(0);
    expect(JSON.parse(imported.stdout).imported[0]).toMatchObject({ name: 'lab', server: k.url });
    const list = await run(['clusters', 'list']);
    expect(list.stdout).toMatch(/lab\s+enclave-lab\s+https:\/\/127\.0\.0\.1/);
    const show = await run(['clusters', 'show', 'lab']);
    expect(show.code, show.stderr).toBe(0);
    expect(show.stdout).toMatch(/GPU Operator:?\s+present/);
    expect(show.stdout).toMatch(/gpu-01\s+yes\s+8x NVIDIA-H100-80GB-HBM3\s+mixed\s+all-balanced \(success\)/);
  });

  it('plans and applies MIG through the GPU Operator on a node', async () => {
    const plan = await run([
      'gpu',
      'operator-plan',
      '--cluster',
      'lab',
      '--node',
      'gpu-01',
      '--layout',
      'all-1g.10gb',
    ]);
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stdout).toMatch(/all-balanced → all-1g\.10gb/);
    expect(plan.stdout).toMatch(/nvidia\.com\/mig-1g\.10gb: 16 → 56/);
    const applied = await run([
      'gpu',
      'operator-apply',
      '--cluster',
      'lab',
      '--node',
      'gpu-01',
      '--layout',
      'all-1g.10gb',
      '--yes',
    ]);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/gpu-01: applied, resources verified/);
    expect(applied.stderr).toMatch(/MIG manager: success/);
    // Back to balanced for the tenant below (it asks for 3g.40gb).
    expect(
      (
        await run([
          'gpu',
          'operator-apply',
          '--cluster',
          'lab',
          '--node',
          'gpu-01',
          '--layout',
          'all-balanced',
          '--yes',
        ])
      ).code,
    ).toBe(0);
  });

  it('refuses an exec-plugin kubeconfig with exit code 3 until the policy allows that exact command', async () => {
    // A credential plugin that prints the lab token as an ExecCredential, as kubelogin would.
    const plugin = path.join(work, 'lab-credential');
    writeFileSync(
      plugin,
      `#!/bin/sh\necho '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"${k.token}"}}'\n`,
      { mode: 0o755 },
    );
    const exec = path.join(work, 'exec.kubeconfig');
    writeFileSync(
      exec,
      k.kubeconfig.replace(
        /token: .*/,
        `exec: {apiVersion: client.authentication.k8s.io/v1, command: ${plugin}, args: [--lab]}`,
      ),
    );
    const refused = await run(['clusters', 'import', exec, '--name', 'execd']);
    expect(refused.code).toBe(3);
    expect(refused.stderr).toMatch(/allow-kubeconfig-exec/);
    // Another argument list is another command: still refused.
    expect((await run(['policy', 'set', '--allow-kubeconfig-exec', plugin])).code).toBe(0);
    expect((await run(['clusters', 'import', exec, '--name', 'execd'])).code).toBe(3);
    expect((await run(['policy', 'set', '--allow-kubeconfig-exec', `${plugin} --lab`])).code).toBe(0);
    const allowed = await run(['clusters', 'import', exec, '--name', 'execd']);
    expect(allowed.code, allowed.stderr).toBe(0);
    expect((await run(['clusters', 'show', 'execd'])).code).toBe(0);
    const policy = await run(['policy', 'show', '--json']);
    expect(JSON.parse(policy.stdout).kubeconfigExecAllowlist).toEqual([`${plugin} --lab`]);
  });

  it('renders, plans, applies with --yes, checks drift, decommissions', async () => {
    const rendered = await run(['tenants', 'render', specFile]);
    expect(rendered.code, rendered.stderr).toBe(0);
    expect(rendered.stdout).toMatch(/kind: ResourceQuota/);
    expect(rendered.stdout).toMatch(/requests\.nvidia\.com\/mig-3g\.40gb: "1"/);

    const plan = await run(['tenants', 'plan', specFile, '--json']);
    expect(plan.code, plan.stderr).toBe(0);
    const planned = JSON.parse(plan.stdout) as { objects: { action: string }[]; planDigest: string };
    expect(planned.objects.every((o) => o.action === 'create')).toBe(true);

    const notAsked = await run(['tenants', 'apply', specFile]);
    expect(notAsked.code).toBe(2); // no terminal to ask on: --yes is required
    const applied = await run(['tenants', 'apply', specFile, '--yes']);
    expect(applied.code, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/read back: every field holds/);

    const clean = await run(['tenants', 'drift', specFile, '--json']);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout).changes).toEqual([]);
    // A change behind the console's back: the namespace's Pod Security level relaxed.
    const kubectlLike = await fetchPatch('/api/v1/namespaces/tenant-a', {
      metadata: { labels: { 'pod-security.kubernetes.io/enforce': 'privileged' } },
    });
    expect(kubectlLike).toBe(200);
    const drift = await run(['tenants', 'drift', '--name', 'tenant-a', '--json']);
    expect(drift.code).toBe(1);
    expect(JSON.parse(drift.stdout).changes).toEqual([
      expect.objectContaining({
        action: 'changed',
        fields: [
          {
            path: 'metadata.labels["pod-security.kubernetes.io/enforce"]',
            before: 'restricted',
            after: 'privileged',
          },
        ],
      }),
    ]);

    const gone = await run(['tenants', 'decommission', 'tenant-a', '--yes']);
    expect(gone.code, gone.stderr).toBe(0);
    expect(gone.stdout).toMatch(/decommissioned from lab/);
    expect((await run(['tenants', 'list', '--json'])).stdout.trim()).toBe('[]');
  });
});

/** A merge patch sent straight to the emulator, as another tool would. */
async function fetchPatch(p: string, body: unknown): Promise<number> {
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(
      `${k.url}${p}`,
      {
        method: 'PATCH',
        ca: k.caPem,
        headers: { Authorization: `Bearer ${k.token}`, 'Content-Type': 'application/merge-patch+json' },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.once('error', reject);
    req.end(JSON.stringify(body));
  });
}
