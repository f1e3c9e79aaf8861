import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderTenant } from '../../electron/core/tenants';
import { parseTenantSpec } from '../../shared/tenants';
import { testCluster, type TestCluster } from '../support/cluster';

/**
 * What the console renders for a tenant (docs/examples/tenant.yaml) goes through the emulator's
 * validation and admission as a real apiserver takes it: server-side applied, dry run first, then
 * for real, then re-applied without change (no new resourceVersion).
 */
const root = path.resolve(import.meta.dirname, '../..');
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster();
});
afterAll(async () => {
  await cluster?.close();
});

async function apply(
  object: { apiVersion: string; kind: string; metadata: { name: string; namespace?: string } },
  dryRun: boolean,
) {
  const { api } = cluster.emulator!;
  const [group, version] = object.apiVersion.includes('/')
    ? object.apiVersion.split('/')
    : ['', object.apiVersion];
  const type = api.types.find((t) => t.group === group && t.version === version && t.kind === object.kind);
  if (!type) throw new Error(`no type for ${object.apiVersion} ${object.kind}`);
  return api.apply(type, object.metadata.namespace, object.metadata.name, JSON.stringify(object), {
    dryRun,
    fieldManager: 'enclave-console',
    fieldValidation: 'Strict',
    force: true,
  });
}

describe.skipIf(!!process.env.ENCLAVE_TEST_KUBECONFIG)('a rendered tenant applied to the emulator', () => {
  it('is accepted (dry run, then for real), and a second apply changes nothing', async () => {
    const spec = parseTenantSpec(readFileSync(path.join(root, 'docs/examples/tenant.yaml'), 'utf8'));
    const objects = renderTenant(spec, { oidcGroupPrefix: 'oidc:' });
    expect(objects.length).toBeGreaterThan(3);
    const [ns, ...rest] = objects;
    expect((await apply(ns!, true)).code).toBe(201);
    for (const o of [ns!, ...rest]) {
      const dry = o === ns ? undefined : await apply(o, true);
      if (dry) expect(dry.code, `${o.kind} ${o.metadata.name}`).toBe(201);
      const result = await apply(o, false);
      expect(result.code, `${o.kind} ${o.metadata.name}`).toBe(201);
      expect(result.warnings).toEqual([]);
    }
    const rv = cluster.emulator!.store.resourceVersion;
    for (const o of objects) expect((await apply(o, false)).code).toBe(200);
    expect(cluster.emulator!.store.resourceVersion).toBe(rv);
  });
});
