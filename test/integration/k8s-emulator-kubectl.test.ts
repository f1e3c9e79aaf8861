import { execFile, execFileSync } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startKubeEmulator, type KubeEmulator } from '../lab/k8s/server';

/**
 * A real kubectl against the lab's Kubernetes API emulator: create -f, client-side apply (strategic
 * merge patches), server-side apply with its conflict and --force-conflicts, label, dry runs, get of
 * the GPU nodes, and delete of a namespace through its termination. Uses the kubectl on PATH (CI
 * installs Debian's kubernetes-client, 1.20, when there is none); skipped, saying so, without one.
 */
const execFileAsync = promisify(execFile);

function onPath(file: string): string | undefined {
  for (const d of (process.env.PATH ?? '').split(':').filter(Boolean)) {
    try {
      accessSync(path.join(d, file), constants.X_OK);
      return path.join(d, file);
    } catch {
      // not here
    }
  }
  return undefined;
}

const kubectl = onPath('kubectl');
let version = { gitVersion: 'none', minor: 0 };
if (kubectl) {
  try {
    const v = JSON.parse(
      execFileSync(kubectl, ['version', '--client', '-o', 'json'], { encoding: 'utf8' }),
    ) as {
      clientVersion: { gitVersion: string; minor: string };
    };
    version = { gitVersion: v.clientVersion.gitVersion, minor: parseInt(v.clientVersion.minor, 10) };
  } catch {
    // An unreadable version: treated as old.
  }
}
// kubectl before 1.27 validates against /openapi/v2, which the emulator does not serve (it has the
// v3 documents only): such a kubectl runs with --validate=false.
const oldKubectl = version.minor > 0 && version.minor < 27;
const label = kubectl
  ? `kubectl ${version.gitVersion} at ${kubectl}${oldKubectl ? ' (with --validate=false and no --dry-run=server: it needs /openapi/v2)' : ''}`
  : 'skipped: no kubectl on PATH (apt-get install kubernetes-client)';
console.log(`k8s-emulator-kubectl: ${label}`);

const dir = mkdtempSync(path.join(tmpdir(), 'enclave-k8s-kubectl-'));
let k: KubeEmulator;
beforeAll(async () => {
  k = await startKubeEmulator({
    stateDir: dir,
    controllers: { delayMs: 50 },
    nodes: [{ name: 'gpu01', gpuProduct: 'H100-80GB-SXM5', gpus: 8 }],
  });
});
afterAll(async () => {
  await k?.close();
  rmSync(dir, { recursive: true, force: true });
});

async function run(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const validate = oldKubectl && ['create', 'apply'].includes(args[0] ?? '') ? ['--validate=false'] : [];
  try {
    const { stdout, stderr } = await execFileAsync(
      kubectl as string,
      ['--kubeconfig', k.kubeconfigPath, ...args, ...validate],
      {
        encoding: 'utf8',
        env: { ...process.env, HOME: dir, KUBECACHEDIR: path.join(dir, 'cache') },
        timeout: 30_000,
      },
    );
    return { code: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return {
      code: typeof err.code === 'number' ? err.code : 1,
      stdout: err.stdout ?? '',
      stderr: err.stderr ?? '',
    };
  }
}

const manifest = (pods: string) => `apiVersion: v1
kind: Namespace
metadata:
  name: tenant-k
  labels:
    tenancy.example.org/tenant: k
---
apiVersion: v1
kind: ResourceQuota
metadata:
  name: gpu
  namespace: tenant-k
spec:
  hard:
    pods: "${pods}"
    requests.nvidia.com/mig-1g.10gb: "2"
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: default-deny
  namespace: tenant-k
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
  egress:
  - to:
    - ipBlock:
        cidr: 10.0.0.0/8
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: tenant-admins
  namespace: tenant-k
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: ClusterRole
  name: admin
subjects:
- kind: Group
  name: oidc:tenant-k-admins
  apiGroup: rbac.authorization.k8s.io
`;

describe(`the Kubernetes API emulator through a real kubectl (${label})`, () => {
  it.skipIf(!kubectl)(
    'creates, applies client- and server-side, labels, dry-runs and deletes',
    async () => {
      const file = path.join(dir, 'tenant.yaml');
      writeFileSync(file, manifest('10'));
      const created = await run('create', '-f', file);
      expect(created.stderr).toBe('');
      expect(created.stdout).toContain('namespace/tenant-k created');
      expect(created.stdout).toContain('rolebinding.rbac.authorization.k8s.io/tenant-admins created');

      // Client-side apply: a strategic merge patch with the last-applied annotation.
      writeFileSync(file, manifest('12'));
      const applied = await run('apply', '-f', file);
      expect(applied.code).toBe(0);
      expect(applied.stdout).toContain('resourcequota/gpu configured');
      const quota = JSON.parse((await run('get', 'quota', '-n', 'tenant-k', 'gpu', '-o', 'json')).stdout) as {
        spec: { hard: Record<string, string> };
        metadata: { annotations: Record<string, string> };
        status: { used: Record<string, string> };
      };
      expect(quota.spec.hard.pods).toBe('12');
      expect(quota.metadata.annotations['kubectl.kubernetes.io/last-applied-configuration']).toContain(
        '"12"',
      );
      expect(quota.status.used).toEqual({ pods: '0', 'requests.nvidia.com/mig-1g.10gb': '0' });

      // Server-side apply of a different value: the client-side applier owns it, a conflict.
      writeFileSync(file, manifest('14'));
      const conflict = await run('apply', '--server-side', '-f', file);
      expect(conflict.code).not.toBe(0);
      expect(conflict.stderr).toContain(
        'conflict with "kubectl-client-side-apply" using v1: .spec.hard.pods',
      );
      const forced = await run('apply', '--server-side', '--force-conflicts', '-f', file);
      expect(forced.code).toBe(0);
      expect(forced.stdout).toContain('resourcequota/gpu serverside-applied');
      // kubectl 1.21 started hiding managedFields unless asked; 1.20 prints them always.
      const showManagedFields = version.minor >= 21 ? ['--show-managed-fields'] : [];
      const owned = JSON.parse(
        (await run('get', 'quota', '-n', 'tenant-k', 'gpu', '-o', 'json', ...showManagedFields)).stdout,
      ) as {
        spec: { hard: Record<string, string> };
        metadata: { managedFields: { manager: string; operation: string }[] };
      };
      expect(owned.spec.hard.pods).toBe('14');
      expect(owned.metadata.managedFields).toEqual(
        expect.arrayContaining([expect.objectContaining({ manager: 'kubectl', operation: 'Apply' })]),
      );

      expect((await run('label', 'ns', 'tenant-k', 'drift=by-hand')).stdout).toContain(
        'namespace/tenant-k labeled',
      );
      expect((await run('get', 'ns', '-l', 'drift=by-hand', '-o', 'name')).stdout.trim()).toBe(
        'namespace/tenant-k',
      );

      if (oldKubectl) {
        // Old kubectl checks server dry-run support in /openapi/v2 (protobuf), not served here.
        console.log(
          `k8s-emulator-kubectl: --dry-run=server skipped with kubectl ${version.gitVersion}: it needs /openapi/v2`,
        );
      } else {
        const dry = await run(
          'create',
          'configmap',
          'dry',
          '-n',
          'tenant-k',
          '--from-literal=a=b',
          '--dry-run=server',
          '-o',
          'name',
        );
        expect(dry.stdout.trim()).toBe('configmap/dry');
        expect((await run('get', 'configmap', 'dry', '-n', 'tenant-k')).code).not.toBe(0);
      }

      // kubectl's imperative create subcommands send protobuf (client-go's typed clients).
      expect(
        (await run('create', 'quota', 'extra', '-n', 'tenant-k', '--hard=pods=3,requests.cpu=2')).stdout,
      ).toContain('resourcequota/extra created');
      expect(
        (await run('create', 'rolebinding', 'viewers', '-n', 'tenant-k', '--clusterrole=view', '--group=g'))
          .code,
      ).toBe(0);
      const rb = JSON.parse(
        (await run('get', 'rolebinding', 'viewers', '-n', 'tenant-k', '-o', 'json')).stdout,
      ) as object;
      expect(rb).toMatchObject({
        roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
        subjects: [{ kind: 'Group', name: 'g', apiGroup: 'rbac.authorization.k8s.io' }],
      });
      expect(rb).not.toHaveProperty('subjects.0.namespace');

      const nodes = JSON.parse((await run('get', 'nodes', '-o', 'json')).stdout) as {
        items: {
          metadata: { name: string; labels: Record<string, string> };
          status: { allocatable: Record<string, string> };
        }[];
      };
      expect(nodes.items.map((n) => n.metadata.name)).toEqual(['gpu01']);
      expect(nodes.items[0]?.metadata.labels['nvidia.com/gpu.product']).toBe('NVIDIA-H100-80GB-HBM3');
      expect(nodes.items[0]?.status.allocatable['nvidia.com/gpu']).toBe('8');

      // RBAC through impersonation: the tenant's admin group may write in its namespace only.
      const canI = (ns: string) =>
        run(
          'auth',
          'can-i',
          'create',
          'configmaps',
          '-n',
          ns,
          '--as',
          'alice',
          '--as-group',
          'oidc:tenant-k-admins',
        );
      expect((await canI('tenant-k')).stdout.trim()).toBe('yes');
      expect((await canI('default')).stdout.trim()).toBe('no');
      const denied = await run(
        'create',
        'configmap',
        'x',
        '-n',
        'default',
        '--as',
        'alice',
        '--as-group',
        'oidc:tenant-k-admins',
      );
      expect(denied.stderr).toContain(
        'User "alice" cannot create resource "configmaps" in API group "" in the namespace "default"',
      );

      // Server-side printing (Table): the columns kube-apiserver gives nodes and quotas.
      const table = (await run('get', 'nodes')).stdout.split('\n');
      expect(table[0]).toMatch(/^NAME\s+STATUS\s+ROLES\s+AGE\s+VERSION$/);
      expect(table[1]).toMatch(/^gpu01\s+Ready\s+<none>\s+\S+\s+v1\.35\.0$/);
      expect((await run('get', 'quota', '-n', 'tenant-k', 'extra')).stdout).toMatch(
        /pods: 0\/3, requests\.cpu: 0\/2/,
      );

      // kubectl waits for the namespace to go: the emulated namespace controller purges it.
      const deleted = await run('delete', 'namespace', 'tenant-k');
      expect(deleted.stdout).toContain('namespace "tenant-k" deleted');
      expect((await run('get', 'namespaces', '-o', 'name')).stdout).not.toContain('tenant-k');
    },
    90_000,
  );
});
