// GPU nodes as the NVIDIA GPU Operator leaves them (k8s-tenancy.md §1.6): GPU Feature Discovery's
// labels (`nvidia.com/gpu.product`, `.count`, `.memory`, `nvidia.com/mig.capable`,
// `nvidia.com/mig.strategy=mixed`, per-profile `nvidia.com/mig-<profile>.count`), the device
// plugin's extended resources (`nvidia.com/gpu` for GPUs with MIG off, `nvidia.com/mig-<profile>`
// per MIG device under the mixed strategy), and the MIG manager's `nvidia.com/mig.config` /
// `nvidia.com/mig.config.state` labels. Profile names and memory come from the console's MIG
// catalogue (shared/mig), so the emulated nodes match what the lab's simulated hosts report.
import type { GpuModel } from '../../../shared/mig/catalog';
import { builtinLayouts } from '../../../shared/mig/named-layouts';
import { expectedNodeResources, migResource, modelForNodeProduct } from '../../../shared/mig/operator';
import type { KubeObject } from './store';

export interface GpuNodeSpec {
  /** The node name; `lab up` uses the lab's SSH host names. */
  name: string;
  /** A catalogue key (`H100-80GB-SXM5`) or a product name nvidia-smi prints (`NVIDIA H100 80GB HBM3`). */
  gpuProduct: string;
  /** Physical GPUs on the node. */
  gpus: number;
  /** mig-parted config name the node starts in (default `all-disabled`). */
  migLayout?: string;
}

/** Labels the GPU Operator's Helm chart puts on its namespace: what the console may detect it by. */
export const GPU_OPERATOR_NAMESPACE = {
  name: 'gpu-operator',
  labels: {
    'app.kubernetes.io/managed-by': 'Helm',
    'app.kubernetes.io/name': 'gpu-operator',
    'app.kubernetes.io/part-of': 'gpu-operator',
    'pod-security.kubernetes.io/enforce': 'privileged',
  },
  annotations: {
    'meta.helm.sh/release-name': 'gpu-operator',
    'meta.helm.sh/release-namespace': 'gpu-operator',
  },
};

export const MIG_CONFIG_LABEL = 'nvidia.com/mig.config';
export const MIG_STATE_LABEL = 'nvidia.com/mig.config.state';

/** The catalogue model of a product label or name: the console's own mapping. */
export const modelOf = modelForNodeProduct;

/** Extended resources and GFD labels of a node whose GPUs are in the named mig-parted layout. */
export function gpuResources(
  model: GpuModel,
  gpus: number,
  layoutName: string,
):
  | { ok: true; resources: Record<string, string>; labels: Record<string, string> }
  | { ok: false; message: string } {
  const named = builtinLayouts().find((l) => l.name === layoutName);
  if (!named) return { ok: false, message: `unknown MIG config ${JSON.stringify(layoutName)}` };
  // What the device plugin advertises is what the console expects a layout to give (one source).
  const expected = expectedNodeResources(model, gpus, named);
  if (!expected.ok) return expected;
  const resources: Record<string, string> = {};
  const labels: Record<string, string> = {};
  const wholeGpus = expected.resources['nvidia.com/gpu'] ?? 0;
  const migProfiles = Object.entries(expected.instances);
  if (wholeGpus > 0 || migProfiles.length === 0) resources['nvidia.com/gpu'] = String(wholeGpus);
  for (const [profile, n] of migProfiles) {
    const base = migResource(profile);
    resources[base] = String(n);
    labels[`${base}.count`] = String(n);
    const p = model.giProfiles.find((g) => g.name === profile);
    if (p) {
      labels[`${base}.memory`] = String(p.memoryMiB);
      labels[`${base}.multiprocessors`] = String(p.multiprocessors);
      labels[`${base}.slices.gi`] = String(p.computeSlices);
      labels[`${base}.slices.ci`] = String(p.computeSlices);
    }
  }
  return { ok: true, resources, labels };
}

const isMigProfileLabel = (k: string) =>
  /^nvidia\.com\/mig-[^/]+\.(count|memory|multiprocessors|slices\.gi|slices\.ci)$/.test(k);
const isGpuResource = (k: string) => k === 'nvidia.com/gpu' || k.startsWith('nvidia.com/mig-');

/** A node with the given layout's resources and labels in place of its old GPU ones. */
export function withLayout(
  node: KubeObject,
  model: GpuModel,
  gpus: number,
  layoutName: string,
): KubeObject | { error: string } {
  const r = gpuResources(model, gpus, layoutName);
  if (!r.ok) return { error: r.message };
  const next = structuredClone(node);
  const labels = Object.fromEntries(
    Object.entries(next.metadata?.labels ?? {}).filter(([k]) => !isMigProfileLabel(k)),
  );
  next.metadata = { ...next.metadata, labels: { ...labels, ...r.labels } };
  const status = (next.status ?? {}) as {
    capacity?: Record<string, string>;
    allocatable?: Record<string, string>;
  };
  for (const which of ['capacity', 'allocatable'] as const) {
    const kept = Object.fromEntries(Object.entries(status[which] ?? {}).filter(([k]) => !isGpuResource(k)));
    status[which] = { ...kept, ...r.resources };
  }
  next.status = status;
  return next;
}

/** A Ready node with the GPU Operator's labels and the device plugin's resources. */
export function gpuNode(spec: GpuNodeSpec): KubeObject {
  const model = modelOf(spec.gpuProduct);
  if (!model) throw new Error(`unknown GPU product ${spec.gpuProduct} (not in the MIG catalogue)`);
  const layout = spec.migLayout ?? 'all-disabled';
  const product = (model.productNames[0] ?? model.key).replace(/ /g, '-');
  const base: KubeObject = {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      name: spec.name,
      labels: {
        'kubernetes.io/hostname': spec.name,
        'kubernetes.io/os': 'linux',
        'kubernetes.io/arch': 'amd64',
        'beta.kubernetes.io/os': 'linux',
        'beta.kubernetes.io/arch': 'amd64',
        'nvidia.com/gpu.present': 'true',
        'nvidia.com/gpu.product': product,
        'nvidia.com/gpu.count': String(spec.gpus),
        'nvidia.com/gpu.memory': String(model.memoryTotalMiB),
        'nvidia.com/gpu.family': (model.architecture.split(/[\s(]/)[0] ?? '').toLowerCase(),
        'nvidia.com/mig.capable': String(model.giProfiles.length > 0),
        'nvidia.com/mig.strategy': 'mixed',
        [MIG_CONFIG_LABEL]: layout,
        [MIG_STATE_LABEL]: 'success',
        'nvidia.com/gpu.deploy.mig-manager': 'true',
        'nvidia.com/gpu.deploy.device-plugin': 'true',
        'nvidia.com/gpu.deploy.gpu-feature-discovery': 'true',
      },
      annotations: { 'node.alpha.kubernetes.io/ttl': '0' },
    },
    spec: {},
    status: {
      capacity: { cpu: '64', memory: '1056768Mi', pods: '110', 'ephemeral-storage': '1Ti' },
      allocatable: { cpu: '63', memory: '1040384Mi', pods: '110', 'ephemeral-storage': '1Ti' },
      conditions: [
        {
          type: 'Ready',
          status: 'True',
          reason: 'KubeletReady',
          message: 'kubelet is posting ready status',
          lastHeartbeatTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
          lastTransitionTime: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
        },
      ],
      addresses: [
        { type: 'InternalIP', address: '127.0.0.1' },
        { type: 'Hostname', address: spec.name },
      ],
      nodeInfo: {
        kubeletVersion: 'v1.35.0',
        kubeProxyVersion: 'v1.35.0',
        containerRuntimeVersion: 'containerd://2.1.0',
        operatingSystem: 'linux',
        architecture: 'amd64',
        osImage: 'Ubuntu 24.04 LTS',
        kernelVersion: '6.8.0-enclave-lab',
        machineID: '',
        systemUUID: '',
        bootID: '',
      },
    },
  };
  const result = withLayout(base, model, spec.gpus, layout);
  if ('error' in result) throw new Error(`node ${spec.name}: ${result.error}`);
  return result;
}
