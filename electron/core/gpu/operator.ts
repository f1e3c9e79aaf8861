// MIG through the NVIDIA GPU Operator on Kubernetes (the other path besides SSH, design.md §4):
// the console sets the node's `nvidia.com/mig.config` label to a mig-parted config name, waits for
// the operator's MIG manager to report `nvidia.com/mig.config.state` success or failed, then
// verifies the node's allocatable MIG resources against what the layout should give. A failure is
// rolled back by labelling the previous config again and waiting for that too.
import { createHash } from 'node:crypto';
import { ConsoleError } from '../../../shared/errors';
import type { NamedLayout } from '../../../shared/mig/layout';
import {
  MIG_CONFIG_LABEL,
  MIG_CONFIG_STATE_LABEL,
  expectedNodeResources,
  modelForNodeProduct,
  nodeGpuResources,
  resourceChanges,
} from '../../../shared/mig/operator';
import type { KubeClient, KubeObject } from '../clusters/client';
import type { ClusterService } from '../clusters/service';

export interface OperatorMigPlan {
  cluster: string;
  node: string;
  product: string;
  model: string;
  gpus: number;
  currentConfig: string | null;
  currentState: string | null;
  layout: string;
  current: Record<string, number>;
  expected: Record<string, number>;
  changes: { resource: string; before: number; after: number }[];
  planDigest: string;
}

export type OperatorMigEvent = {
  phase: 'labelling' | 'waiting' | 'verifying' | 'rolling-back';
  message: string;
};

type NodeObject = KubeObject & {
  metadata: { name: string; labels?: Record<string, string> };
  status?: { allocatable?: Record<string, string> };
};

const labelsOf = (n: NodeObject) => n.metadata.labels ?? {};

export class OperatorMig {
  constructor(
    private readonly deps: {
      clusters: ClusterService;
      layout: (name: string) => NamedLayout;
      /** Poll interval while waiting for the MIG manager. */
      pollMs?: number;
    },
  ) {}

  private async node(client: KubeClient, cluster: string, name: string): Promise<NodeObject> {
    const node = (await client.read({ apiVersion: 'v1', kind: 'Node', metadata: { name } })) as
      NodeObject | undefined;
    if (!node) {
      throw new ConsoleError('NOT_FOUND', `cluster ${cluster} has no node ${name}`, {
        hint: `see enclave clusters show ${cluster}`,
      });
    }
    return node;
  }

  async plan(cluster: string, nodeName: string, layoutName: string): Promise<OperatorMigPlan> {
    const client = this.deps.clusters.client(cluster);
    return this.planFor(cluster, await this.node(client, cluster, nodeName), layoutName);
  }

  private planFor(cluster: string, node: NodeObject, layoutName: string): OperatorMigPlan {
    const labels = labelsOf(node);
    const product = labels['nvidia.com/gpu.product'];
    const where = `node ${node.metadata.name} of cluster ${cluster}`;
    if (!product || labels['nvidia.com/mig.capable'] !== 'true') {
      throw new ConsoleError('CONFLICT', `${where} has no MIG-capable GPUs the GPU Operator knows of`, {
        hint: 'check that the GPU Operator runs there (nvidia.com/gpu.product and nvidia.com/mig.capable labels)',
      });
    }
    if (labels['nvidia.com/mig.strategy'] !== 'mixed') {
      throw new ConsoleError(
        'CONFLICT',
        `${where} uses MIG strategy ${labels['nvidia.com/mig.strategy'] ?? '(none)'}`,
        {
          hint: "per-profile MIG resources need the mixed strategy (the GPU Operator's mig.strategy=mixed)",
        },
      );
    }
    const model = modelForNodeProduct(product);
    if (!model) {
      throw new ConsoleError('CONFLICT', `${where} has ${product}, which the MIG catalogue does not know`, {
        hint: 'apply over SSH instead: the console learns such a GPU from the host itself',
      });
    }
    const gpus = Number(labels['nvidia.com/gpu.count'] ?? '0');
    const expected = expectedNodeResources(model, gpus, this.deps.layout(layoutName));
    if (!expected.ok) throw new ConsoleError('CONFLICT', `${layoutName} on ${where}: ${expected.message}`);
    const current = nodeGpuResources(node.status?.allocatable);
    const changes = resourceChanges(current, expected.resources);
    const plan = {
      cluster,
      node: node.metadata.name,
      product,
      model: model.key,
      gpus,
      currentConfig: labels[MIG_CONFIG_LABEL] ?? null,
      currentState: labels[MIG_CONFIG_STATE_LABEL] ?? null,
      layout: layoutName,
      current,
      expected: expected.resources,
      changes,
    };
    const planDigest = createHash('sha256').update(JSON.stringify(plan)).digest('hex');
    return { ...plan, planDigest };
  }

  /** Labels the node, waits for the MIG manager, verifies; rolls back to the previous config on failure. */
  async apply(
    cluster: string,
    nodeName: string,
    layoutName: string,
    options: {
      planDigest?: string | undefined;
      timeoutSeconds: number;
      signal?: AbortSignal | undefined;
      onProgress?: (event: OperatorMigEvent) => void;
    },
  ): Promise<{
    plan: OperatorMigPlan;
    outcome: 'applied' | 'unchanged' | 'rolled-back' | 'failed';
    state: string | null;
    allocatable: Record<string, number>;
    verified: boolean;
    problems: string[];
  }> {
    const client = this.deps.clusters.client(cluster);
    const plan = this.planFor(cluster, await this.node(client, cluster, nodeName), layoutName);
    if (options.planDigest && options.planDigest !== plan.planDigest) {
      throw new ConsoleError(
        'CONFLICT',
        `the plan for node ${nodeName} changed since it was reviewed; nothing was changed`,
        {
          hint: 'plan again and review the new plan',
        },
      );
    }
    if (plan.currentConfig === layoutName && plan.currentState === 'success' && plan.changes.length === 0) {
      return {
        plan,
        outcome: 'unchanged',
        state: 'success',
        allocatable: plan.current,
        verified: true,
        problems: [],
      };
    }
    const attempt = await this.labelAndWait(client, cluster, nodeName, layoutName, options);
    const problems: string[] = [];
    if (attempt.state === 'success') {
      options.onProgress?.({
        phase: 'verifying',
        message: "comparing the node's MIG resources with the layout",
      });
      for (const c of resourceChanges(plan.expected, attempt.allocatable)) {
        problems.push(`${c.resource}: the layout gives ${c.before}, the node offers ${c.after}`);
      }
      return {
        plan,
        outcome: 'applied',
        state: attempt.state,
        allocatable: attempt.allocatable,
        verified: problems.length === 0,
        problems,
      };
    }
    problems.push(
      attempt.state === 'failed'
        ? `the GPU Operator's MIG manager reported failed for ${layoutName} on node ${nodeName}`
        : `the MIG manager did not finish ${layoutName} on node ${nodeName} within ${options.timeoutSeconds} s (state ${attempt.state ?? 'none'})`,
    );
    if (!plan.currentConfig || plan.currentConfig === layoutName) {
      return {
        plan,
        outcome: 'failed',
        state: attempt.state,
        allocatable: attempt.allocatable,
        verified: false,
        problems,
      };
    }
    options.onProgress?.({ phase: 'rolling-back', message: `labelling ${plan.currentConfig} again` });
    const back = await this.labelAndWait(client, cluster, nodeName, plan.currentConfig, options);
    const restored = back.state === 'success' && resourceChanges(plan.current, back.allocatable).length === 0;
    if (!restored) {
      problems.push(
        `rolling back to ${plan.currentConfig} ${back.state === 'success' ? 'finished but the node offers other resources than before' : `did not succeed (state ${back.state ?? 'none'})`}: check the node and the nvidia-mig-manager pod's log`,
      );
    }
    return {
      plan,
      outcome: restored ? 'rolled-back' : 'failed',
      state: back.state,
      allocatable: back.allocatable,
      verified: false,
      problems,
    };
  }

  private async labelAndWait(
    client: KubeClient,
    cluster: string,
    nodeName: string,
    config: string,
    options: {
      timeoutSeconds: number;
      signal?: AbortSignal | undefined;
      onProgress?: (event: OperatorMigEvent) => void;
    },
  ): Promise<{ state: string | null; allocatable: Record<string, number> }> {
    options.onProgress?.({
      phase: 'labelling',
      message: `${MIG_CONFIG_LABEL}=${config} on node ${nodeName}`,
    });
    await client.mergePatch(
      { apiVersion: 'v1', kind: 'Node', metadata: { name: nodeName } },
      // The state label is cleared so an old `success` cannot be mistaken for this change's.
      { metadata: { labels: { [MIG_CONFIG_LABEL]: config, [MIG_CONFIG_STATE_LABEL]: null } } },
    );
    const deadline = Date.now() + options.timeoutSeconds * 1000;
    let last: string | null = null;
    for (;;) {
      const node = await this.node(client, cluster, nodeName);
      const labels = labelsOf(node);
      const state = labels[MIG_CONFIG_STATE_LABEL] ?? null;
      if (state !== last) {
        options.onProgress?.({ phase: 'waiting', message: `MIG manager: ${state ?? 'not started'}` });
        last = state;
      }
      if (labels[MIG_CONFIG_LABEL] === config && (state === 'success' || state === 'failed')) {
        return { state, allocatable: nodeGpuResources(node.status?.allocatable) };
      }
      if (options.signal?.aborted || Date.now() >= deadline) {
        return { state, allocatable: nodeGpuResources(node.status?.allocatable) };
      }
      await new Promise((resolve) => setTimeout(resolve, this.deps.pollMs ?? 250));
    }
  }
}
