// Pure planners for bundle installs (design.md §4): from a verified manifest and the targets chosen,
// what will be done where, the commands a host runs, the order Kubernetes objects go in, and the
// plan digest install checks. No I/O here; the appliers (host-packages.ts, k8s.ts) do the effects.
import { createHash } from 'node:crypto';
import { parseAllDocuments } from 'yaml';
import type { ObjectChange, PlanStep } from '../../../shared/api';
import type { OciPushPlan } from './oci';
import { shQuote } from './shell';

export interface ManifestFile {
  path: string;
  size: number;
  sha256: string;
  mode: number;
}

export interface ManifestLike {
  name: string;
  kind: string;
  version: string;
  files: ManifestFile[];
}

export interface InstallTargets {
  hosts?: string[] | undefined;
  cluster?: string | undefined;
  registry?: string | undefined;
  registryCaPem?: string | undefined;
  repository?: string | undefined;
}

/** Kinds this console installs itself; the others are wired in when their installers land. */
export const INSTALLABLE_KINDS = new Set([
  'files',
  'host-packages',
  'k8s-manifests',
  'oci-images',
  'console-upgrade',
]);

/**
 * Who may plan and install each kind, on top of the procedures' roles: the same people who may
 * change those targets directly (hosts.run/upload, tenants.apply, the workstation itself).
 */
export const KIND_ROLES: Record<string, readonly string[]> = {
  files: ['operator', 'tenant-admin', 'admin'],
  'host-packages': ['operator', 'admin'],
  'oci-images': ['operator', 'admin'],
  'k8s-manifests': ['tenant-admin', 'admin'],
  'console-upgrade': ['admin'],
};

/** Null when the roles may install this kind, else the operator-worded refusal. */
export function kindRefusal(kind: string, roles: readonly string[]): string | null {
  const allowed = KIND_ROLES[kind] ?? ['admin'];
  if (roles.some((r) => allowed.includes(r))) return null;
  return `your roles (${roles.join(', ')}) do not allow installing ${kind} bundles; that needs one of: ${allowed.join(', ')}`;
}

export function unsupportedKind(kind: string): string | undefined {
  if (INSTALLABLE_KINDS.has(kind)) return undefined;
  return `${kind} bundles cannot be installed by this console yet (not supported yet): import keeps the verified copy in the staging area`;
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

// ---------------------------------------------------------------------------------------------
// files

export function planFiles(manifest: ManifestLike): PlanStep[] {
  const bytes = manifest.files.reduce((n, f) => n + f.size, 0);
  return [
    {
      target: 'workstation',
      // No folder in the plan: one made from the medium and one made from the staged copy are the
      // same plan (and digest).
      action: `keep ${manifest.files.length} file${manifest.files.length === 1 ? '' : 's'} (${formatBytes(bytes)}) in the staging area`,
      detail: manifest.files.map((f) => f.path).join('\n') || null,
      blocked: false,
    },
  ];
}

// ---------------------------------------------------------------------------------------------
// host-packages

/** The install script a host-packages bundle may carry at its top level. */
export const INSTALL_SCRIPT = 'install.sh';

export interface HostPackagesLayout {
  debs: string[];
  rpms: string[];
  script: string | undefined;
  /** Every payload file, each copied to the host. */
  files: ManifestFile[];
  problems: string[];
}

export function hostPackagesLayout(manifest: ManifestLike): HostPackagesLayout {
  const debs = manifest.files.filter((f) => f.path.endsWith('.deb')).map((f) => f.path);
  const rpms = manifest.files.filter((f) => f.path.endsWith('.rpm')).map((f) => f.path);
  const script = manifest.files.find((f) => f.path === INSTALL_SCRIPT)?.path;
  const problems: string[] = [];
  if (!script && debs.length === 0 && rpms.length === 0)
    problems.push(
      `host-packages bundle ${manifest.name} holds no .deb or .rpm package and no ${INSTALL_SCRIPT}: there is nothing to install`,
    );
  if (!script && debs.length > 0 && rpms.length > 0)
    problems.push(
      `host-packages bundle ${manifest.name} mixes .deb and .rpm packages without an ${INSTALL_SCRIPT} to say which host takes which`,
    );
  return { debs, rpms, script, files: manifest.files, problems };
}

/** Where a bundle's files go on a host while it is planned or installed (removed afterwards). */
export const remoteDirFor = (manifestSha256: string) => `/tmp/enclave-bundle-${manifestSha256.slice(0, 16)}`;

/** Root runs the package tool directly; anyone else through `sudo -n` (never prompting). */
const AS_ROOT = 'if [ "$(id -u)" -eq 0 ]; then SUDO=; else SUDO="sudo -n"; fi';

/** The shell commands a host runs: a dry run that changes nothing, then the install. Pure. */
export function hostCommands(
  layout: HostPackagesLayout,
  manifest: Pick<ManifestLike, 'name' | 'version'>,
  remoteDir: string,
): { dryRun: string; install: string } {
  const env = `ENCLAVE_BUNDLE=${shQuote(manifest.name)} ENCLAVE_BUNDLE_VERSION=${shQuote(manifest.version)} ENCLAVE_BUNDLE_DIR=${shQuote(remoteDir)}`;
  const cd = `cd ${shQuote(remoteDir)}`;
  if (layout.script) {
    const run = `${env} sh ./${INSTALL_SCRIPT}`;
    return { dryRun: `${cd} && ${run} --dry-run`, install: `${cd} && ${run}` };
  }
  if (layout.debs.length > 0) {
    const local = layout.debs.map((d) => shQuote(`./${d}`)).join(' ');
    return {
      dryRun: `${cd} && if command -v apt-get >/dev/null 2>&1; then apt-get install --simulate --no-download ${local}; else dpkg --dry-run -i ${local}; fi`,
      install: `${cd} && ${AS_ROOT} && if command -v apt-get >/dev/null 2>&1; then $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-download ${local}; else $SUDO dpkg -i ${local}; fi`,
    };
  }
  const local = layout.rpms.map((r) => shQuote(`./${r}`)).join(' ');
  return {
    dryRun: `${cd} && rpm -U --test ${local}`,
    install: `${cd} && ${AS_ROOT} && $SUDO rpm -U ${local}`,
  };
}

export function planHostPackages(
  manifest: ManifestLike,
  layout: HostPackagesLayout,
  hosts: readonly string[],
): PlanStep[] {
  const what = layout.script
    ? `run ${INSTALL_SCRIPT}${layout.debs.length + layout.rpms.length ? ` with ${[...layout.debs, ...layout.rpms].join(', ')}` : ''}`
    : `install ${[...layout.debs, ...layout.rpms].join(', ')}`;
  const bytes = layout.files.reduce((n, f) => n + f.size, 0);
  return hosts.map((host) => ({
    target: `host ${host}`,
    action: `copy ${layout.files.length} file${layout.files.length === 1 ? '' : 's'} (${formatBytes(bytes)}) by SFTP, then ${what} (${manifest.name} ${manifest.version})`,
    detail: null,
    blocked: false,
  }));
}

// ---------------------------------------------------------------------------------------------
// k8s-manifests

export interface ManifestObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; [k: string]: unknown };
  [k: string]: unknown;
}

const isManifestFile = (p: string) => /\.(ya?ml|json)$/i.test(p);

/** Kinds applied first, in this order: what other objects live in or are validated against. */
const FIRST = ['CustomResourceDefinition', 'Namespace', 'ServiceAccount', 'ClusterRole', 'Role'];

/**
 * The objects in the bundle's manifest files (multi-document YAML or JSON, `List` unwrapped), in
 * apply order: CRDs and namespaces first, then the rest in file and document order. Pure: the file
 * contents are given.
 */
export function parseManifestObjects(files: { path: string; text: string }[]): {
  objects: ManifestObject[];
  problems: string[];
} {
  const objects: ManifestObject[] = [];
  const problems: string[] = [];
  for (const f of files.filter((x) => isManifestFile(x.path)).sort((a, b) => (a.path < b.path ? -1 : 1))) {
    const docs = parseAllDocuments(f.text);
    const list = Array.isArray(docs) ? docs : [docs];
    list.forEach((doc, i) => {
      if (doc.errors.length > 0) {
        problems.push(`${f.path} document ${i + 1} is not valid YAML: ${doc.errors[0]?.message ?? ''}`);
        return;
      }
      const value = doc.toJS() as unknown;
      if (value === null || value === undefined) return;
      const items =
        typeof value === 'object' && (value as { kind?: unknown }).kind === 'List'
          ? ((value as { items?: unknown[] }).items ?? [])
          : [value];
      for (const item of items) {
        const o = item as Partial<ManifestObject>;
        if (
          typeof o !== 'object' ||
          typeof o.apiVersion !== 'string' ||
          typeof o.kind !== 'string' ||
          typeof o.metadata?.name !== 'string'
        ) {
          problems.push(
            `${f.path} document ${i + 1} is not a Kubernetes object (apiVersion, kind and metadata.name)`,
          );
          continue;
        }
        objects.push(o as ManifestObject);
      }
    });
  }
  const seen = new Set<string>();
  for (const o of objects) {
    const key = objectLabel(o);
    if (seen.has(key)) problems.push(`${key} appears twice in the bundle`);
    seen.add(key);
  }
  const rank = (o: ManifestObject) => {
    const i = FIRST.indexOf(o.kind);
    return i === -1 ? FIRST.length : i;
  };
  const ordered = objects.map((o, i) => ({ o, i })).sort((a, b) => rank(a.o) - rank(b.o) || a.i - b.i);
  return { objects: ordered.map((x) => x.o), problems };
}

export function objectLabel(o: Pick<ManifestObject, 'kind' | 'metadata'>): string {
  return `${o.kind} ${o.metadata.namespace ? `${o.metadata.namespace}/` : ''}${o.metadata.name}`;
}

export function planK8sSteps(
  cluster: string,
  changes: readonly ObjectChange[],
  refused: ReadonlyMap<number, string>,
): PlanStep[] {
  return changes.map((c, i) => ({
    target: `cluster ${cluster}`,
    action: `${c.action} ${c.object.kind} ${c.object.namespace ? `${c.object.namespace}/` : ''}${c.object.name}`,
    detail: refused.get(i) ?? (c.fields.length ? c.fields.map((f) => f.path).join(', ') : null),
    blocked: refused.has(i),
  }));
}

// ---------------------------------------------------------------------------------------------
// oci-images (the push plan itself is oci.ts's planOciPush)

export function planOciSteps(plan: OciPushPlan): PlanStep[] {
  return plan.steps.map((step) => ({
    target: `registry ${plan.registry}`,
    action:
      step.op === 'blob'
        ? `${step.action} blob ${step.repository}@${step.digest.slice(0, 19)} (${formatBytes(step.size)})${step.from ? ` from ${step.from}` : ''}`
        : `${step.action} manifest ${step.repository}:${step.reference.startsWith('sha256:') ? step.reference.slice(0, 19) : step.reference}`,
    detail: step.op === 'manifest' && step.previous ? `was ${step.previous}` : null,
    blocked: false,
  }));
}

// ---------------------------------------------------------------------------------------------

/** SHA-256 over what the plan does (not the dry runs' wording): install refuses another plan. */
export function bundlePlanDigest(input: {
  manifestSha256: string;
  kind: string;
  targets: InstallTargets;
  steps: readonly PlanStep[];
}): string {
  const canonical = JSON.stringify({
    manifestSha256: input.manifestSha256,
    kind: input.kind,
    hosts: input.targets.hosts ?? null,
    cluster: input.targets.cluster ?? null,
    registry: input.targets.registry ?? null,
    steps: input.steps.map((s) => [s.target, s.action, s.blocked]),
  });
  return createHash('sha256').update(canonical).digest('hex');
}
