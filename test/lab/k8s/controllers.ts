// The controllers whose effects a client of a real cluster observes, run inside the emulator:
// - the namespace controller (k8s-tenancy.md §3.9): deletes a terminating namespace's content,
//   reports what remains in status.conditions, then finalizes the namespace;
// - the ResourceQuota controller (§3.10): status.hard mirrors spec.hard, status.used from live
//   objects, recomputed on every change in the namespace;
// - the GPU Operator's MIG manager (§1.6): emulates its observable behaviour only. When a node's
//   `nvidia.com/mig.config` label changes it sets `nvidia.com/mig.config.state=pending`, then, one
//   controller step later, `success` with the node's MIG resources and labels for that mig-parted
//   config, or `failed` for a name it does not know or that does not fit the node's GPUs.
// Quota status is kept in step synchronously (as admission charges usage synchronously); the other
// two run after `delayMs` (default 200 ms), or only on `tick()` while paused, so tests can observe
// Terminating namespaces, stuck finalizers and pending MIG reconfigurations.
import { recordUpdate } from './managed';
import { MIG_CONFIG_LABEL, MIG_STATE_LABEL, modelOf, withLayout } from './nodes';
import { quotaStatus } from './quota';
import { RESOURCE_TYPES, qualifiedResource, type ResourceType } from './registry';
import type { Schemas } from './schema';
import { canonicalJson, timestamp, type KubeObject, type ObjectStore, type StoreEvent } from './store';

export interface ControllerOptions {
  /** Delay before the namespace controller and MIG manager act on a change (ms; default 200). */
  delayMs?: number;
  /** Start paused: nothing happens until `tick()` (or `resume()`). */
  paused?: boolean;
}

/** Operand deploy labels the MIG manager pauses during a reconfiguration. */
const PAUSED_DEPLOY_LABELS = [
  'nvidia.com/gpu.deploy.device-plugin',
  'nvidia.com/gpu.deploy.gpu-feature-discovery',
  'nvidia.com/gpu.deploy.dcgm-exporter',
  'nvidia.com/gpu.deploy.dcgm',
];

const byKind = (kind: string) => RESOURCE_TYPES.find((t) => t.kind === kind) as ResourceType;

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});

export class Controllers {
  private timer: NodeJS.Timeout | undefined;
  private paused: boolean;
  private readonly delayMs: number;
  private readonly unsubscribe: () => void;
  /** The mig.config each node was last reconciled to (what the MIG manager has applied). */
  private readonly appliedMig = new Map<string, string>();
  private syncingQuota = false;

  constructor(
    private readonly store: ObjectStore,
    private readonly schemas: Schemas,
    options: ControllerOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 200;
    this.paused = options.paused ?? false;
    for (const node of store.list(byKind('Node'), undefined)) this.noteNode(node);
    this.unsubscribe = store.subscribe((e) => this.onEvent(e));
  }

  pause(): void {
    this.paused = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  resume(): void {
    this.paused = false;
    this.schedule();
  }

  get isPaused(): boolean {
    return this.paused;
  }

  close(): void {
    this.unsubscribe();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /** Records a node's current mig.config as applied (seeded nodes start reconciled). */
  noteNode(node: KubeObject): void {
    const labels = node.metadata?.labels ?? {};
    if (labels[MIG_STATE_LABEL] !== 'pending' && labels[MIG_CONFIG_LABEL])
      this.appliedMig.set(String(node.metadata?.name), labels[MIG_CONFIG_LABEL]);
  }

  private onEvent(e: StoreEvent): void {
    if (e.resource.kind === 'Namespace' && e.type === 'ADDED')
      this.populateNamespace(String(e.object.metadata?.name));
    const ns = e.object.metadata?.namespace;
    if (ns && !this.syncingQuota) this.syncQuotas(ns);
    if (e.resource.kind === 'Node' && e.type !== 'DELETED') this.migNoticed(e.object);
    if (e.resource.kind === 'Node' && e.type === 'DELETED')
      this.appliedMig.delete(String(e.object.metadata?.name));
    if (this.hasWork()) this.schedule();
  }

  private schedule(): void {
    if (this.paused || this.timer || !this.hasWork()) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, this.delayMs);
    this.timer.unref();
  }

  private hasWork(): boolean {
    const terminating = this.store
      .list(byKind('Namespace'), undefined)
      .some((n) => n.metadata?.deletionTimestamp);
    const pendingMig = this.store
      .list(byKind('Node'), undefined)
      .some((n) => n.metadata?.labels?.[MIG_STATE_LABEL] === 'pending');
    return terminating || pendingMig;
  }

  /** One pass of every controller; what it could not finish (finalizers) stays for the next. */
  tick(): void {
    for (const ns of this.store.list(byKind('Namespace'), undefined)) {
      if (ns.metadata?.deletionTimestamp) this.finalizeNamespace(ns);
    }
    for (const node of this.store.list(byKind('Node'), undefined)) {
      if (node.metadata?.labels?.[MIG_STATE_LABEL] === 'pending') this.reconfigureMig(node);
    }
    this.schedule();
  }

  // -------------------------------------------------------------------------------------------
  // Controller writes are recorded as kube-controller-manager's (or the operator's) Update entries.

  private write(
    t: ResourceType,
    before: KubeObject,
    after: KubeObject,
    manager: string,
    subresource?: string,
  ): KubeObject {
    after.metadata = {
      ...after.metadata,
      managedFields: recordUpdate(before, after, {
        manager,
        apiVersion: t.group ? `${t.group}/${t.version}` : t.version,
        subresource,
        hasStatus: (t.subresources ?? []).includes('status'),
        schema: this.schemas.forType(t),
        now: timestamp(this.store.now()),
      }),
    };
    return this.store.put(t, after);
  }

  /**
   * What kube-controller-manager puts in every new namespace: the `default` ServiceAccount and the
   * `kube-root-ca.crt` ConfigMap (they count against quota, as on a real cluster).
   */
  private populateNamespace(namespace: string): void {
    const sa = byKind('ServiceAccount');
    const cm = byKind('ConfigMap');
    const stamp = timestamp(this.store.now());
    const entry = (manager: string, fieldsV1: object) => [
      { manager, operation: 'Update', apiVersion: 'v1', time: stamp, fieldsType: 'FieldsV1', fieldsV1 },
    ];
    try {
      if (!this.store.tryGet(sa, namespace, 'default'))
        this.store.create(sa, namespace, { metadata: { name: 'default' } });
      if (!this.store.tryGet(cm, namespace, 'kube-root-ca.crt'))
        this.store.create(cm, namespace, {
          metadata: {
            name: 'kube-root-ca.crt',
            annotations: {
              'kubernetes.io/description':
                'Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes.default.svc. No other usage is guaranteed across distributions of Kubernetes clusters.',
            },
            managedFields: entry('kube-root-ca-cert-publisher', {
              'f:data': { '.': {}, 'f:ca.crt': {} },
              'f:metadata': { 'f:annotations': { '.': {}, 'f:kubernetes.io/description': {} } },
            }),
          },
          data: { 'ca.crt': this.caPem },
        });
    } catch {
      // The namespace went away (or is terminating) meanwhile.
    }
  }

  /** The CA bundle published into every namespace. */
  caPem = '';

  private syncQuotas(namespace: string): void {
    const t = byKind('ResourceQuota');
    this.syncingQuota = true;
    try {
      for (const quota of this.store.list(t, namespace)) {
        const status = quotaStatus(this.store, RESOURCE_TYPES, quota);
        if (canonicalJson(status) === canonicalJson(quota.status)) continue;
        this.write(t, quota, { ...quota, status }, 'kube-controller-manager', 'status');
      }
    } finally {
      this.syncingQuota = false;
    }
  }

  private finalizeNamespace(ns: KubeObject): void {
    const name = String(ns.metadata?.name);
    const nsType = byKind('Namespace');
    for (const { type, object } of this.store.contentsOf(name)) {
      if (object.metadata?.deletionTimestamp) continue;
      try {
        this.store.delete(type, name, String(object.metadata?.name));
      } catch {
        // Already gone: nothing to do.
      }
    }
    const remaining = this.store.contentsOf(name);
    const current = this.store.tryGet(nsType, undefined, name);
    if (!current) return;
    const conditions = namespaceConditions(remaining);
    if (remaining.length > 0) {
      const status = { ...asObj(current.status), phase: 'Terminating', conditions };
      if (canonicalJson(status) !== canonicalJson(current.status))
        this.write(nsType, current, { ...current, status }, 'kube-controller-manager', 'status');
      return;
    }
    // Empty: the controller removes its `kubernetes` finalizer (PUT .../finalize); the namespace
    // goes once metadata.finalizers is empty too.
    const spec = { ...asObj(current.spec) };
    const finalizers = ((spec.finalizers as string[] | undefined) ?? []).filter((f) => f !== 'kubernetes');
    if (finalizers.length) spec.finalizers = finalizers;
    else delete spec.finalizers;
    this.store.put(nsType, {
      ...current,
      spec,
      status: { ...asObj(current.status), phase: 'Terminating', conditions },
    });
  }

  // -------------------------------------------------------------------------------------------
  // MIG manager

  private migNoticed(node: KubeObject): void {
    const labels = node.metadata?.labels ?? {};
    const wanted = labels[MIG_CONFIG_LABEL];
    const name = String(node.metadata?.name);
    if (!wanted || labels[MIG_STATE_LABEL] === 'pending') return;
    if (this.appliedMig.get(name) === wanted) return;
    // A new config: the MIG manager marks the node pending before it starts work.
    const t = byKind('Node');
    const next = structuredClone(node);
    // While it works, the MIG manager stops the GPU clients it manages (their deploy labels).
    const paused = Object.fromEntries(
      Object.entries(labels)
        .filter(([k, v]) => PAUSED_DEPLOY_LABELS.includes(k) && v === 'true')
        .map(([k]) => [k, 'paused-for-mig-change']),
    );
    next.metadata = { ...next.metadata, labels: { ...labels, ...paused, [MIG_STATE_LABEL]: 'pending' } };
    this.appliedMig.set(name, wanted);
    this.write(t, node, next, 'nvidia-mig-manager');
  }

  private reconfigureMig(node: KubeObject): void {
    const t = byKind('Node');
    const labels = node.metadata?.labels ?? {};
    const wanted = labels[MIG_CONFIG_LABEL] ?? '';
    const model = modelOf(labels['nvidia.com/gpu.product'] ?? '');
    const gpus = Number(labels['nvidia.com/gpu.count'] ?? '0');
    const result = model ? withLayout(node, model, gpus, wanted) : { error: 'unknown GPU product' };
    let next: KubeObject;
    const resumed = Object.fromEntries(
      Object.entries(labels)
        .filter(([k, v]) => PAUSED_DEPLOY_LABELS.includes(k) && v === 'paused-for-mig-change')
        .map(([k]) => [k, 'true']),
    );
    if ('error' in result && typeof result.error === 'string') {
      next = structuredClone(node);
      next.metadata = { ...next.metadata, labels: { ...labels, ...resumed, [MIG_STATE_LABEL]: 'failed' } };
    } else {
      next = result as KubeObject;
      next.metadata = {
        ...next.metadata,
        labels: { ...(next.metadata?.labels ?? {}), ...resumed, [MIG_STATE_LABEL]: 'success' },
      };
    }
    this.appliedMig.set(String(node.metadata?.name), wanted);
    this.write(t, node, next, 'nvidia-mig-manager');
  }
}

/** status.conditions of a terminating namespace, as the namespace controller words them. */
function namespaceConditions(remaining: { type: ResourceType; object: KubeObject }[]): Obj[] {
  const now = new Date().toISOString().replace(/\.\d{3}Z$/, 'Z');
  const counts = new Map<string, number>();
  const finalizers = new Map<string, number>();
  for (const { type, object } of remaining) {
    const key = `${qualifiedResource(type).replace(/^([^.]+)$/, '$1.')}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    for (const f of object.metadata?.finalizers ?? []) finalizers.set(f, (finalizers.get(f) ?? 0) + 1);
  }
  const cond = (type: string, status: string, reason: string, message: string) => ({
    type,
    status,
    lastTransitionTime: now,
    reason,
    message,
  });
  return [
    cond(
      'NamespaceDeletionDiscoveryFailure',
      'False',
      'ResourcesDiscovered',
      'All resources successfully discovered',
    ),
    cond(
      'NamespaceDeletionGroupVersionParsingFailure',
      'False',
      'ParsedGroupVersions',
      'All legacy kube types successfully parsed',
    ),
    cond(
      'NamespaceDeletionContentFailure',
      'False',
      'ContentDeleted',
      'All content successfully deleted, may be waiting on finalization',
    ),
    remaining.length
      ? cond(
          'NamespaceContentRemaining',
          'True',
          'SomeResourcesRemain',
          `Some resources are remaining: ${[...counts]
            .sort()
            .map(([r, n]) => `${r} has ${n} resource instances`)
            .join(', ')}`,
        )
      : cond('NamespaceContentRemaining', 'False', 'ContentRemoved', 'All content successfully removed'),
    finalizers.size
      ? cond(
          'NamespaceFinalizersRemaining',
          'True',
          'SomeFinalizersRemain',
          `Some content in the namespace has finalizers remaining: ${[...finalizers]
            .sort()
            .map(([f, n]) => `${f} in ${n} resource instances`)
            .join(', ')}`,
        )
      : cond(
          'NamespaceFinalizersRemaining',
          'False',
          'ContentHasNoFinalizers',
          'All content-preserving finalizers finished',
        ),
  ];
}
