import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleClient } from '../../shared/client';
import type { ConsoleError } from '../../shared/errors';
import { startKubeEmulator, type KubeEmulator } from '../lab/k8s/server';
import { openTestCore, type TestCore } from '../support/core';

/**
 * Credentials a cluster accepts but whose RBAC allows little: the console imports the cluster (it
 * answers /version) and then says plainly which request the cluster forbade and what to ask for.
 * The emulator checks RBAC for its token users as kube-apiserver does.
 */
const EXAMPLE = readFileSync(path.join(import.meta.dirname, '../../docs/examples/tenant.yaml'), 'utf8');
const dir = mkdtempSync(path.join(tmpdir(), 'enclave-rbac-'));
let k: KubeEmulator;
let t: TestCore;
let admin: ConsoleClient;

beforeAll(async () => {
  k = await startKubeEmulator({ stateDir: dir, users: [{ name: 'intern', groups: ['oidc:interns'] }] });
  t = await openTestCore();
  t.clock.ms = Date.now();
  admin = await t.connectAs(['admin']);
});
afterAll(async () => {
  t?.close();
  await k?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('a cluster user RBAC does not allow to provision', () => {
  it('is imported, and a plan fails with 403 naming the verb, resource and user', async () => {
    await admin.call('clusters.import', { kubeconfig: k.kubeconfigFor('intern'), name: 'lab' });
    const spec = EXAMPLE.replace(/ {2}mig:\n(?: {4}.*\n)+/, '');
    const e = await admin.call('tenants.plan', { spec, cluster: 'lab' }).then(
      () => {
        throw new Error('expected a refusal');
      },
      (error: ConsoleError) => error,
    );
    expect(e.code).toBe('FAILED');
    expect(e.message).toMatch(/refused the request \(403 Forbidden\)/);
    expect(e.message).toMatch(/User "intern" cannot/);
    expect(e.hint).toMatch(/RBAC does not allow this/);
    expect(await admin.call('tenants.list', {})).toEqual([]);
  });
});
