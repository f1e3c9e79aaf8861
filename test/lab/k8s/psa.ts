// Pod Security Admission (k8s-tenancy.md §1.1) as kube-apiserver's built-in plugin applies it to
// pods: the namespace's `pod-security.kubernetes.io/enforce` level (privileged, baseline,
// restricted) rejects a violating pod with its message; the `warn` level answers with a warning.
// The checks are the Pod Security Standards' baseline and restricted ones, worded as the plugin
// words them, in its order (by check ID).
import { forbidden } from './errors';
import type { ResourceType } from './registry';
import type { KubeObject } from './store';

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

type Level = 'privileged' | 'baseline' | 'restricted';
const LEVELS: Level[] = ['privileged', 'baseline', 'restricted'];

const BASELINE_CAPABILITIES = [
  'AUDIT_WRITE',
  'CHOWN',
  'DAC_OVERRIDE',
  'FOWNER',
  'FSETID',
  'KILL',
  'MKNOD',
  'NET_BIND_SERVICE',
  'SETFCAP',
  'SETGID',
  'SETPCAP',
  'SETUID',
  'SYS_CHROOT',
];
const RESTRICTED_VOLUMES = [
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'image',
  'persistentVolumeClaim',
  'projected',
  'secret',
];

const quoteList = (names: string[]) => names.map((n) => JSON.stringify(n)).join(', ');
const containersText = (names: string[]) =>
  `${names.length === 1 ? 'container' : 'containers'} ${quoteList(names)}`;

interface Container {
  name: string;
  sc: Obj;
  ports: Obj[];
}

/** The violations of a level, in the plugin's order; empty when the pod meets it. */
export function podSecurityViolations(pod: KubeObject, level: Level): string[] {
  if (level === 'privileged') return [];
  const spec = asObj(pod.spec);
  const podSc = asObj(spec.securityContext);
  const containers: Container[] = [
    ...asArr(spec.initContainers),
    ...asArr(spec.containers),
    ...asArr(spec.ephemeralContainers),
  ].map((c) => ({
    name: String(asObj(c).name ?? ''),
    sc: asObj(asObj(c).securityContext),
    ports: asArr(asObj(c).ports).map(asObj),
  }));
  const volumes = asArr(spec.volumes).map(asObj);
  const restricted = level === 'restricted';
  const out: string[] = [];
  const where = (pred: (c: Container) => boolean) => containers.filter(pred).map((c) => c.name);

  if (restricted) {
    const bad = where((c) => c.sc.allowPrivilegeEscalation !== false);
    if (bad.length)
      out.push(
        `allowPrivilegeEscalation != false (${containersText(bad)} must set securityContext.allowPrivilegeEscalation=false)`,
      );
  }
  // capabilities_baseline
  const added = new Map<string, string[]>();
  for (const c of containers)
    for (const cap of asArr(asObj(c.sc.capabilities).add).map(String))
      if (!BASELINE_CAPABILITIES.includes(cap)) added.set(c.name, [...(added.get(c.name) ?? []), cap]);
  if (added.size)
    out.push(
      `non-default capabilities (${containersText([...added.keys()])} must not include ${quoteList([...new Set([...added.values()].flat())])} in securityContext.capabilities.add)`,
    );
  if (restricted) {
    const noDrop = where((c) => !asArr(asObj(c.sc.capabilities).drop).map(String).includes('ALL'));
    const extra = containers.flatMap((c) =>
      asArr(asObj(c.sc.capabilities).add)
        .map(String)
        .filter((cap) => cap !== 'NET_BIND_SERVICE' && BASELINE_CAPABILITIES.includes(cap))
        .map((cap) => ({ c: c.name, cap })),
    );
    const parts: string[] = [];
    if (noDrop.length)
      parts.push(`${containersText(noDrop)} must set securityContext.capabilities.drop=["ALL"]`);
    if (extra.length)
      parts.push(
        `${containersText([...new Set(extra.map((e) => e.c))])} must not include ${quoteList([...new Set(extra.map((e) => e.cap))])} in securityContext.capabilities.add`,
      );
    if (parts.length) out.push(`unrestricted capabilities (${parts.join('; ')})`);
  }
  const hostNs = ['hostNetwork', 'hostPID', 'hostIPC'].filter((k) => spec[k] === true);
  if (hostNs.length) out.push(`host namespaces (${hostNs.map((k) => `${k}=true`).join(', ')})`);
  const hostPaths = volumes.filter((v) => v.hostPath !== undefined).map((v) => String(v.name));
  if (hostPaths.length)
    out.push(`hostPath volumes (${hostPaths.length === 1 ? 'volume' : 'volumes'} ${quoteList(hostPaths)})`);
  const hostPorts = containers.flatMap((c) =>
    c.ports
      .filter((p) => typeof p.hostPort === 'number' && p.hostPort !== 0)
      .map((p) => ({ c: c.name, port: p.hostPort as number })),
  );
  if (hostPorts.length)
    out.push(
      `hostPort (${containersText([...new Set(hostPorts.map((h) => h.c))])} ${hostPorts.length === 1 ? 'uses hostPort' : 'use hostPorts'} ${hostPorts.map((h) => h.port).join(', ')})`,
    );
  const privileged = where((c) => c.sc.privileged === true);
  if (privileged.length)
    out.push(`privileged (${containersText(privileged)} must not set securityContext.privileged=true)`);
  if (restricted) {
    const badVolumes = volumes
      .map((v) => ({ name: String(v.name), type: Object.keys(v).find((k) => k !== 'name') ?? '' }))
      .filter((v) => v.type && !RESTRICTED_VOLUMES.includes(v.type));
    if (badVolumes.length)
      out.push(
        `restricted volume types (${badVolumes.length === 1 ? 'volume' : 'volumes'} ${quoteList(badVolumes.map((v) => v.name))} ${badVolumes.length === 1 ? 'uses' : 'use'} restricted volume type${badVolumes.length === 1 ? '' : 's'} ${quoteList([...new Set(badVolumes.map((v) => v.type))])})`,
      );
    // runAsNonRoot: set on the pod (and not unset per container), or on every container.
    const podNonRoot = podSc.runAsNonRoot === true;
    const notNonRoot = where((c) => (podNonRoot ? c.sc.runAsNonRoot === false : c.sc.runAsNonRoot !== true));
    if (podSc.runAsNonRoot === false)
      out.push('runAsNonRoot != true (pod must not set securityContext.runAsNonRoot=false)');
    else if (notNonRoot.length)
      out.push(
        podNonRoot
          ? `runAsNonRoot != true (${containersText(notNonRoot)} must not set securityContext.runAsNonRoot=false)`
          : `runAsNonRoot != true (pod or ${containersText(notNonRoot)} must set securityContext.runAsNonRoot=true)`,
      );
    const rootUsers = where((c) => c.sc.runAsUser === 0);
    if (podSc.runAsUser === 0 || rootUsers.length)
      out.push(
        `runAsUser=0 (${[...(podSc.runAsUser === 0 ? ['pod'] : []), ...(rootUsers.length ? [containersText(rootUsers)] : [])].join(' and ')} must not set runAsUser=0)`,
      );
  }
  const seccompType = (sc: Obj) => asObj(sc.seccompProfile).type as string | undefined;
  const unconfined = [
    ...(seccompType(podSc) === 'Unconfined' ? ['pod'] : []),
    ...where((c) => seccompType(c.sc) === 'Unconfined').map((n) => `container ${JSON.stringify(n)}`),
  ];
  if (unconfined.length)
    out.push(
      `seccompProfile (${unconfined.join(' and ')} must not set securityContext.seccompProfile.type to "Unconfined")`,
    );
  else if (restricted) {
    const podOk = ['RuntimeDefault', 'Localhost'].includes(seccompType(podSc) ?? '');
    const missing = where((c) => {
      const t = seccompType(c.sc);
      return t === undefined ? !podOk : !['RuntimeDefault', 'Localhost'].includes(t);
    });
    if (missing.length)
      out.push(
        `seccompProfile (pod or ${containersText(missing)} must set securityContext.seccompProfile.type to "RuntimeDefault" or "Localhost")`,
      );
  }
  return out;
}

/**
 * Admission of a pod under its namespace's labels: throws the enforce level's 403; returns the
 * warn level's warning (or nothing).
 */
export function admitPodSecurity(
  podType: ResourceType,
  pod: KubeObject,
  namespace: KubeObject | undefined,
): string[] {
  const labels = namespace?.metadata?.labels ?? {};
  const levelOf = (mode: string): Level | undefined => {
    const v = labels[`pod-security.kubernetes.io/${mode}`];
    return LEVELS.includes(v as Level) ? (v as Level) : undefined;
  };
  const versionOf = (mode: string) => labels[`pod-security.kubernetes.io/${mode}-version`] ?? 'latest';
  const enforce = levelOf('enforce');
  if (enforce) {
    const violations = podSecurityViolations(pod, enforce);
    if (violations.length)
      throw forbidden(
        podType,
        String(pod.metadata?.name ?? ''),
        `violates PodSecurity "${enforce}:${versionOf('enforce')}": ${violations.join(', ')}`,
      );
  }
  const warn = levelOf('warn');
  if (warn) {
    const violations = podSecurityViolations(pod, warn);
    if (violations.length)
      return [`would violate PodSecurity "${warn}:${versionOf('warn')}": ${violations.join(', ')}`];
  }
  return [];
}
