import { CoreV1Api, KubeConfig } from '@kubernetes/client-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testCluster, type TestCluster } from '../support/cluster';

/**
 * test/support/cluster.ts: the cluster other tests use, a real one from ENCLAVE_TEST_KUBECONFIG or
 * else the emulator. What is checked here holds on both (k8s-tenancy.md §3.9, §4).
 */
let cluster: TestCluster;
beforeAll(async () => {
  cluster = await testCluster();
});
afterAll(async () => {
  await cluster?.close();
});

describe(`testCluster() (${process.env.ENCLAVE_TEST_KUBECONFIG ? 'real cluster from ENCLAVE_TEST_KUBECONFIG' : 'the emulator'})`, () => {
  it('says which cluster it is and gives a working kubeconfig', async () => {
    expect(cluster.kind).toBe(process.env.ENCLAVE_TEST_KUBECONFIG ? 'real' : 'emulator');
    expect(cluster.describe).toMatch(
      cluster.kind === 'real' ? /^real cluster / : /^Kubernetes API emulator at https:\/\/127\.0\.0\.1:\d+/,
    );
    const kc = new KubeConfig();
    kc.loadFromString(cluster.kubeconfig);
    const core = kc.makeApiClient(CoreV1Api);
    const name = `enclave-test-${Date.now().toString(36)}`;
    const created = await core.createNamespace({
      body: { metadata: { name, labels: { 'enclave.test/temporary': 'true' } } },
    });
    expect(created.metadata?.uid).toMatch(/^[0-9a-f-]{36}$/);
    const listed = await core.listNamespace({ labelSelector: 'enclave.test/temporary=true' });
    expect(listed.items.map((n) => n.metadata?.name)).toContain(name);
    const deleting = await core.deleteNamespace({ name });
    expect(deleting).toBeDefined();
    // The namespace controller finishes the deletion on its own (a real one, or the emulator's timer).
    let gone = false;
    for (let i = 0; i < 100 && !gone; i++) {
      gone = await core.readNamespace({ name }).then(
        () => false,
        (e: { code?: number }) => e.code === 404,
      );
      if (!gone) await new Promise((r) => setTimeout(r, 100));
    }
    expect(gone).toBe(true);
    if (cluster.emulator) {
      const nodes = await core.listNode();
      expect(nodes.items.map((n) => n.metadata?.name)).toEqual(['gpu01', 'gpu02']);
    }
  }, 30_000);
});
