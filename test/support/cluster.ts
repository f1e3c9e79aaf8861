// The Kubernetes cluster a test talks to: a real one when ENCLAVE_TEST_KUBECONFIG names a kubeconfig
// file, else the lab's API emulator (test/lab/k8s) started for the test. Says once per process which
// it is, so a run's log shows what the cluster tests were checked against.
import { KubeConfig } from '@kubernetes/client-node';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ControllerOptions } from '../lab/k8s/controllers';
import type { GpuNodeSpec } from '../lab/k8s/nodes';
import { startKubeEmulator, type KubeEmulator } from '../lab/k8s/server';

export interface TestCluster {
  /** The kubeconfig text (YAML). */
  kubeconfig: string;
  /** A file holding it (the emulator's, or ENCLAVE_TEST_KUBECONFIG itself). */
  kubeconfigPath: string;
  kind: 'emulator' | 'real';
  /** `Kubernetes API emulator at https://127.0.0.1:PORT` or `real cluster https://… (context x)`. */
  describe: string;
  /** The emulator, for its controls (tick, pause, store); undefined on a real cluster. */
  emulator?: KubeEmulator;
  close(): Promise<void>;
}

/** GPU nodes the emulator gets unless a test names its own: one MIG-partitioned H100, one whole-GPU A100. */
export const DEFAULT_TEST_NODES: GpuNodeSpec[] = [
  { name: 'gpu01', gpuProduct: 'H100-80GB-SXM5', gpus: 8, migLayout: 'all-balanced' },
  { name: 'gpu02', gpuProduct: 'A100-80GB', gpus: 4, migLayout: 'all-disabled' },
];

let announced = false;
function announce(text: string): void {
  if (announced) return;
  announced = true;
  console.log(`cluster tests run against: ${text}`);
}

export async function testCluster(
  options: {
    nodes?: GpuNodeSpec[];
    controllers?: ControllerOptions;
    /** Emulator only: RBAC-checked token users (see KubeEmulator.kubeconfigFor). */
    users?: { name: string; groups?: string[] }[];
  } = {},
): Promise<TestCluster> {
  const real = process.env.ENCLAVE_TEST_KUBECONFIG;
  if (real) {
    const kubeconfig = readFileSync(real, 'utf8');
    const kc = new KubeConfig();
    kc.loadFromString(kubeconfig);
    const describe = `real cluster ${kc.getCurrentCluster()?.server ?? '(no server)'} (context ${kc.getCurrentContext()}) from ENCLAVE_TEST_KUBECONFIG`;
    announce(describe);
    return { kubeconfig, kubeconfigPath: real, kind: 'real', describe, close: () => Promise.resolve() };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'enclave-test-cluster-'));
  const emulator = await startKubeEmulator({
    stateDir: dir,
    nodes: options.nodes ?? DEFAULT_TEST_NODES,
    ...(options.controllers ? { controllers: options.controllers } : {}),
    ...(options.users ? { users: options.users } : {}),
  });
  const describe = `Kubernetes API emulator at ${emulator.url} (set ENCLAVE_TEST_KUBECONFIG for a real cluster)`;
  announce(describe);
  return {
    kubeconfig: emulator.kubeconfig,
    kubeconfigPath: emulator.kubeconfigPath,
    kind: 'emulator',
    describe,
    emulator,
    close: async () => {
      await emulator.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
