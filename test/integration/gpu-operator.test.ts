import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleClient } from '../../shared/client';
import type { ConsoleError } from '../../shared/errors';
import { startKubeEmulator, type KubeEmulator } from '../lab/k8s/server';
import { openTestCore, type TestCore } from '../support/core';

/**
 * GPU nodes on a cluster with the GPU Operator (emulated: the lab's API server with GPU Feature
 * Discovery's labels, the device plugin's resources and a MIG manager that acts on
 * nvidia.com/mig.config): the cluster view, MIG through the operator with verification and
 * rollback, and tenants' GPU capacity accounting against what the nodes offer.
 */
if (process.env.ENCLAVE_TEST_KUBECONFIG) {
  console.log(
    'gpu-operator: runs against the lab emulator even with ENCLAVE_TEST_KUBECONFIG set: it relabels GPU nodes and needs their emulated MIG manager',
  );
}
const EXAMPLE = readFileSync(path.join(import.meta.dirname, '../../docs/examples/tenant.yaml'), 'utf8');
const dir = mkdtempSync(path.join(tmpdir(), 'enclave-gpu-operator-'));
let k: KubeEmulator;
let t: TestCore;
let admin: ConsoleClient;
let operator: ConsoleClient;

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: ConsoleError) => e,
  );

function spec(name: string, mig: Record<string, number>): string {
  const lines = Object.entries(mig).map(([p, n]) => `    ${p}: ${n}\n`);
  return EXAMPLE.replace(/^name: tenant-a$/m, `name: ${name}`).replace(
    / {2}mig:\n(?: {4}.*\n)+/,
    lines.length ? `  mig:\n${lines.join('')}` : '',
  );
}

beforeAll(async () => {
  k = await startKubeEmulator({
    stateDir: path.join(dir, 'k8s'),
    nodes: [
      { name: 'gpu-01', gpuProduct: 'NVIDIA-H100-80GB-HBM3', gpus: 2, migLayout: 'all-1g.10gb' },
      { name: 'gpu-02', gpuProduct: 'NVIDIA-H100-80GB-HBM3', gpus: 2, migLayout: 'all-disabled' },
    ],
  });
  t = await openTestCore();
  t.clock.ms = Date.now();
  admin = await t.connectAs(['admin']);
  operator = await t.connectAs(['operator']);
  await admin.call('clusters.import', { kubeconfig: k.kubeconfig, name: 'lab' });
});
afterAll(async () => {
  t?.close();
  await k?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the cluster view', () => {
  it('shows the GPU Operator, each node with its product, MIG config and resources, and totals', async () => {
    const view = await operator.call('clusters.view', { cluster: 'lab' });
    expect(view.gpuOperator).toMatchObject({ present: true, namespace: 'gpu-operator' });
    const node = view.nodes.find((n) => n.name === 'gpu-01');
    expect(node).toMatchObject({
      ready: true,
      gpuProduct: 'NVIDIA-H100-80GB-HBM3',
      gpuCount: 2,
      migCapable: true,
      migStrategy: 'mixed',
      migConfig: 'all-1g.10gb',
      migConfigState: 'success',
    });
    expect(node?.allocatable['nvidia.com/mig-1g.10gb']).toBe('14');
    expect(view.totals).toMatchObject({ 'nvidia.com/mig-1g.10gb': 14, 'nvidia.com/gpu': 2 });
  });
});

describe('MIG through the GPU Operator', () => {
  it('plans a layout as the resources the node offers now and afterwards', async () => {
    const plan = await operator.call('gpu.operatorPlan', {
      cluster: 'lab',
      node: 'gpu-02',
      layout: 'all-3g.40gb',
    });
    expect(plan).toMatchObject({ model: 'H100-80GB-SXM5', gpus: 2, currentConfig: 'all-disabled' });
    expect(plan.changes).toEqual([
      { resource: 'nvidia.com/gpu', before: 2, after: 0 },
      { resource: 'nvidia.com/mig-3g.40gb', before: 0, after: 4 },
    ]);
    const e = await failure(
      operator.call('gpu.operatorPlan', { cluster: 'lab', node: 'gpu-02', layout: 'all-9g' }),
    );
    expect(e.code).toBe('NOT_FOUND');
  });

  it('labels the node, waits for the MIG manager, and verifies the resources it then offers', async () => {
    const plan = await operator.call('gpu.operatorPlan', {
      cluster: 'lab',
      node: 'gpu-02',
      layout: 'all-3g.40gb',
    });
    const events: { phase: string; message: string }[] = [];
    const out = await operator.call(
      'gpu.operatorApply',
      {
        cluster: 'lab',
        node: 'gpu-02',
        layout: 'all-3g.40gb',
        planDigest: plan.planDigest,
        timeoutSeconds: 30,
      },
      { onEvent: (e) => events.push(e) },
    );
    expect(out).toMatchObject({ outcome: 'applied', state: 'success', verified: true, problems: [] });
    expect(out.allocatable['nvidia.com/mig-3g.40gb']).toBe(4);
    expect(events.map((e) => e.phase)).toEqual(expect.arrayContaining(['labelling', 'waiting', 'verifying']));
    expect(events.some((e) => /pending/.test(e.message))).toBe(true);
    const again = await operator.call('gpu.operatorApply', {
      cluster: 'lab',
      node: 'gpu-02',
      layout: 'all-3g.40gb',
    });
    expect(again.outcome).toBe('unchanged');
    const [entry] = t.core.ledger.list({ procedure: 'gpu.operatorApply', limit: 1 }).entries;
    expect(entry?.result).toMatchObject({ layout: 'all-3g.40gb', outcome: 'unchanged' });
  });

  it('refuses a reviewed plan that no longer holds, changing nothing', async () => {
    const plan = await operator.call('gpu.operatorPlan', {
      cluster: 'lab',
      node: 'gpu-02',
      layout: 'all-1g.10gb',
    });
    await operator.call('gpu.operatorApply', { cluster: 'lab', node: 'gpu-02', layout: 'all-2g.20gb' });
    const e = await failure(
      operator.call('gpu.operatorApply', {
        cluster: 'lab',
        node: 'gpu-02',
        layout: 'all-1g.10gb',
        planDigest: plan.planDigest,
      }),
    );
    expect(e.code).toBe('CONFLICT');
    const view = await operator.call('clusters.view', { cluster: 'lab' });
    expect(view.nodes.find((n) => n.name === 'gpu-02')?.migConfig).toBe('all-2g.20gb');
  });

  it('rolls back to the previous config when the MIG manager reports failed', async () => {
    // A layout the console knows (imported from a site mig-parted file) that the cluster's MIG
    // manager does not have in its config map: it reports failed, as the real one does.
    await admin.call('gpu.importMigParted', {
      yaml: 'version: v1\nmig-configs:\n  site-sevens:\n    - devices: all\n      mig-enabled: true\n      mig-devices:\n        "1g.10gb": 7\n',
    });
    const out = await operator.call('gpu.operatorApply', {
      cluster: 'lab',
      node: 'gpu-02',
      layout: 'site-sevens',
      timeoutSeconds: 30,
    });
    expect(out.outcome).toBe('rolled-back');
    expect(out.problems[0]).toMatch(/reported failed/);
    const view = await operator.call('clusters.view', { cluster: 'lab' });
    expect(view.nodes.find((n) => n.name === 'gpu-02')).toMatchObject({
      migConfig: 'all-2g.20gb',
      migConfigState: 'success',
    });
  });
});

describe('tenant GPU capacity', () => {
  it('counts what tenants reserve against what the nodes offer, and refuses over-commitment with the numbers', async () => {
    await admin.call('tenants.apply', { spec: spec('tenant-a', { '1g.10gb': 10 }), cluster: 'lab' });
    const capacity = await operator.call('tenants.capacity', { cluster: 'lab' });
    expect(capacity.rows.find((r) => r.resource === 'nvidia.com/mig-1g.10gb')).toMatchObject({
      offered: 14,
      reservedByOthers: 10,
    });
    // The plan shows it with the numbers; applying it is refused, changing nothing.
    const over = await admin.call('tenants.plan', {
      spec: spec('tenant-b', { '1g.10gb': 5 }),
      cluster: 'lab',
    });
    expect(over.capacity.overcommitted).toEqual([
      'nvidia.com/mig-1g.10gb: tenant tenant-b asks for 5, other tenants hold 10, cluster lab offers 14 (1 too many)',
    ]);
    expect(over.capacity.rows.find((r) => r.resource === 'nvidia.com/mig-1g.10gb')?.free).toBe(-1);
    const e = await failure(
      admin.call('tenants.apply', {
        spec: spec('tenant-b', { '1g.10gb': 5 }),
        cluster: 'lab',
        planDigest: over.planDigest,
      }),
    );
    expect(e.code).toBe('CONFLICT');
    expect(e.message).toContain('nothing was applied');
    expect(e.message).toContain('(1 too many)');
    expect((await operator.call('tenants.list', {})).map((r) => r.name)).toEqual(['tenant-a']);
    // Four fit; and tenant-a's own re-apply is never refused by its own reservation.
    const ok = await admin.call('tenants.plan', { spec: spec('tenant-b', { '1g.10gb': 4 }), cluster: 'lab' });
    expect(ok.capacity.rows.find((r) => r.resource === 'nvidia.com/mig-1g.10gb')?.free).toBe(0);
    await admin.call('tenants.plan', { spec: spec('tenant-a', { '1g.10gb': 10 }), cluster: 'lab' });
  });
});
