import { z } from 'zod';
import { EVERY_ROLE, type Role } from '../roles';
import { Timestamp } from './common';
import { ClusterName } from './clusters';
import { procedure } from './define';
import { HostName } from './hosts';
import { ObjectChangeSchema } from './tenants';

// Offline bundles, the console side (design.md §2 bundles/, §4): the site trust store (signers and
// per-kind thresholds), bundles found on removable media, verification in place (streamed, every
// result a ledger entry), what installing would do (a plan), import to the staging area with
// re-verification, install per kind with a plan digest check, and the record of what is installed
// (which rollback protection reads). The bundle format itself is offline-bundles/.

export const BUNDLE_KIND_NAMES = [
  'files',
  'host-packages',
  'k8s-manifests',
  'oci-images',
  'console-upgrade',
] as const;
export const BundleKindSchema = z.enum(BUNDLE_KIND_NAMES);
export type BundleKindName = z.infer<typeof BundleKindSchema>;

/** Changes to the trust store: administrators only (two people once identity lands). */
const TRUST_ADMINS: readonly Role[] = ['admin'];
/** Import and install change the workstation, hosts or clusters. */
export const BUNDLE_INSTALLERS: readonly Role[] = ['operator', 'tenant-admin', 'admin'];

export const SignerName = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._@-]*$/, 'a signer name is letters, digits, ".", "_", "@" or "-"');

/** One line of an OpenSSH public key: `ssh-ed25519 AAAA… comment`. */
export const OpensshPublicKey = z
  .string()
  .min(20)
  .max(4096)
  .regex(
    /^ssh-ed25519 [A-Za-z0-9+/]+={0,2}( [^\n]*)?\s*$/,
    'give an OpenSSH Ed25519 public key (ssh-ed25519 AAAA…)',
  );

export const TrustedSigner = z.object({
  name: z.string(),
  publicKey: z.string(),
  /** `SHA256:…` as `ssh-keygen -lf` prints it. */
  fingerprint: z.string(),
  addedBy: z.string(),
  addedAt: Timestamp,
});
export type TrustedSigner = z.infer<typeof TrustedSigner>;

export const TrustView = z.object({
  signers: z.array(TrustedSigner),
  /** Every kind with its threshold (1 where none was set). */
  thresholds: z.array(
    z.object({ kind: BundleKindSchema, threshold: z.number().int(), explicit: z.boolean() }),
  ),
});
export type TrustView = z.infer<typeof TrustView>;

/** A path on this workstation (media, a folder, a bundle file). */
const LocalPath = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => p.startsWith('/'), 'give an absolute path');

export const ManifestView = z.object({
  formatVersion: z.number(),
  name: z.string(),
  kind: z.string(),
  version: z.string(),
  created: z.string(),
  expires: z.string(),
  targets: z.unknown().optional(),
  description: z.string().optional(),
  files: z.array(z.object({ path: z.string(), size: z.number(), sha256: z.string(), mode: z.number() })),
  sbom: z.array(z.string()).optional(),
});
export type ManifestView = z.infer<typeof ManifestView>;

export const SignerView = z.object({ name: z.string(), fingerprint: z.string() });

export const VerifyProgress = z.object({
  phase: z.enum(['verifying', 'copying', 'installing']),
  bytes: z.number(),
  totalBytes: z.number(),
  /** Bytes per second over the run so far. */
  rate: z.number(),
  /** Seconds left at that rate; null until there is a rate. */
  etaSeconds: z.number().nullable(),
});
export type VerifyProgress = z.infer<typeof VerifyProgress>;

export const VerifyResult = z.discriminatedUnion('verified', [
  z.object({
    verified: z.literal(true),
    path: z.string(),
    manifest: ManifestView,
    manifestSha256: z.string(),
    signers: z.array(SignerView),
    /** Valid signatures needed for this kind. */
    threshold: z.number().int(),
    bytes: z.number(),
    durationMs: z.number(),
    /** The version installed under that name before, if any. */
    installedVersion: z.string().nullable(),
  }),
  z.object({
    verified: z.literal(false),
    path: z.string(),
    /** Stable refusal code from the bundle verifier (e.g. `expired`, `rollback`, `threshold`). */
    reason: z.string(),
    message: z.string(),
    durationMs: z.number(),
  }),
]);
export type VerifyResult = z.infer<typeof VerifyResult>;

export const FoundBundle = z.object({
  path: z.string(),
  size: z.number(),
  /** The medium's mount point, or null for a plain folder. */
  medium: z.string().nullable(),
  modifiedAt: Timestamp,
});
export type FoundBundle = z.infer<typeof FoundBundle>;

export const StagedBundle = z.object({
  manifestSha256: z.string(),
  name: z.string(),
  kind: z.string(),
  version: z.string(),
  source: z.string(),
  stagedAt: Timestamp,
  stagedBy: z.string(),
  /** Folder holding the verified payload. */
  directory: z.string(),
  bytes: z.number(),
});
export type StagedBundle = z.infer<typeof StagedBundle>;

/** Where a bundle installs: hosts for host-packages, a cluster for k8s-manifests, a registry for oci-images. */
const InstallTargets = {
  hosts: z.array(HostName).min(1).max(512).optional(),
  cluster: ClusterName.optional(),
  /** The in-enclave registry: https://host[:port], or http://127.0.0.1:port (loopback only). */
  registry: z.string().url().max(2048).optional(),
  /** PEM of the CA to trust for the registry instead of the system's. */
  registryCaPem: z.string().max(65536).optional(),
  /** Repository for images whose index.json ref name is only a tag. */
  repository: z
    .string()
    .max(255)
    .regex(/^[a-z0-9]+([._/-][a-z0-9]+)*$/, 'a repository is lower-case path components')
    .optional(),
};

/** A bundle named by its staged manifest digest (after import), or by a file to verify now. */
const BundleRef = z.union([
  z.strictObject({ staged: z.string().regex(/^[0-9a-f]{64}$/), ...InstallTargets }),
  z.strictObject({ path: LocalPath, ...InstallTargets }),
]);

export const PlanStep = z.object({
  /** `workstation`, `host gpu-01`, `cluster lab`. */
  target: z.string(),
  /** What is done there, operator-worded: "install nvidia-driver_550.deb", "create Namespace demo". */
  action: z.string(),
  /** Dry-run evidence (apt's simulation, the script's --dry-run) or null. */
  detail: z.string().nullable(),
  /** The dry run refused this step: the plan cannot be installed. */
  blocked: z.boolean(),
});
export type PlanStep = z.infer<typeof PlanStep>;

export const BundlePlan = z.object({
  manifestSha256: z.string(),
  name: z.string(),
  kind: z.string(),
  version: z.string(),
  installedVersion: z.string().nullable(),
  steps: z.array(PlanStep),
  /** k8s-manifests: the server-side-apply dry run per object, as a field diff. */
  objects: z.array(ObjectChangeSchema),
  /** Operator-worded reasons this plan cannot be installed (blocked steps, unsupported kind). */
  problems: z.array(z.string()),
  /** SHA-256 over the manifest digest, the targets and the steps: install refuses a different plan. */
  planDigest: z.string(),
});
export type BundlePlan = z.infer<typeof BundlePlan>;

export const TargetResult = z.object({
  target: z.string(),
  ok: z.boolean(),
  /** What was done, or why it failed. */
  detail: z.string(),
});
export type TargetResult = z.infer<typeof TargetResult>;

const planRecord = (p: z.output<typeof BundlePlan>) => ({
  bundle: `${p.name} ${p.version}`,
  kind: p.kind,
  manifestSha256: p.manifestSha256,
  planDigest: p.planDigest,
  steps: p.steps.map((s) => `${s.target}: ${s.action}${s.blocked ? ' (blocked)' : ''}`),
  problems: p.problems,
});

const refTarget = (input: { staged?: string; path?: string }) =>
  input.path
    ? `bundle file ${input.path}`
    : input.staged
      ? `staged bundle ${input.staged.slice(0, 16)}`
      : undefined;

/** The trust store, media scan and staging area: no bundle verifier needed. */
export const bundleTrustProcedures = [
  procedure({
    id: 'bundles.trust',
    summary:
      'The site trust store: signer keys and, per bundle kind, how many valid signatures a bundle needs.',
    input: z.strictObject({}),
    output: TrustView,
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'bundles.trustAddSigner',
    summary: 'Trust a signer key (OpenSSH Ed25519 public key) for bundles.',
    input: z.strictObject({ name: SignerName, publicKey: OpensshPublicKey }),
    output: TrustedSigner,
    roles: TRUST_ADMINS,
    audited: true,
    mutates: true,
    target: (input) => `signer ${input.name}`,
    auditResult: (output) => ({ name: output.name, fingerprint: output.fingerprint }),
    action: { title: 'Add a trusted bundle signer…', palette: true, page: 'bundles' },
  }),
  procedure({
    id: 'bundles.trustRemoveSigner',
    summary: 'Stop trusting a signer; refused when a threshold would then exceed the signers left.',
    input: z.strictObject({ name: SignerName }),
    output: z.object({ removed: TrustedSigner }),
    roles: TRUST_ADMINS,
    audited: true,
    mutates: true,
    target: (input) => `signer ${input.name}`,
    auditResult: (output) => ({ name: output.removed.name, fingerprint: output.removed.fingerprint }),
  }),
  procedure({
    id: 'bundles.trustSetThreshold',
    summary: 'How many trusted signers must sign a bundle of a kind (k of n); never more than the signers.',
    input: z.strictObject({ kind: BundleKindSchema, threshold: z.number().int().min(1).max(64) }),
    output: z.object({ kind: BundleKindSchema, threshold: z.number().int(), previous: z.number().int() }),
    roles: TRUST_ADMINS,
    audited: true,
    mutates: true,
    target: (input) => `bundle kind ${input.kind}`,
    auditResult: (output) => output,
  }),
  procedure({
    id: 'bundles.trustExport',
    summary:
      'Write the trust store as a trust folder (allowed_signers for ssh-keygen -Y verify, and thresholds.json).',
    input: z.strictObject({ to: LocalPath }),
    output: z.object({ files: z.array(z.string()) }),
    roles: EVERY_ROLE,
    audited: true,
    mutates: false,
    target: (input) => `folder ${input.to}`,
  }),
  procedure({
    id: 'bundles.trustImport',
    summary:
      'Add the signers and thresholds of a trust folder (allowed_signers, thresholds.json); a known name with another key is refused.',
    input: z.strictObject({ from: LocalPath }),
    output: z.object({
      added: z.array(TrustedSigner),
      thresholds: z.array(z.object({ kind: BundleKindSchema, threshold: z.number().int() })),
    }),
    roles: TRUST_ADMINS,
    audited: true,
    mutates: true,
    target: (input) => `folder ${input.from}`,
    auditResult: (output) => ({
      added: output.added.map((s) => ({ name: s.name, fingerprint: s.fingerprint })),
      thresholds: output.thresholds,
    }),
  }),
  procedure({
    id: 'bundles.scan',
    summary: 'Bundle files (.tar) on inserted removable media, or in one folder.',
    input: z.strictObject({ path: LocalPath.optional() }),
    output: z.object({
      media: z.array(z.object({ mountPoint: z.string(), device: z.string(), label: z.string().nullable() })),
      bundles: z.array(FoundBundle),
    }),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'bundles.staged',
    summary: 'Bundles imported into the staging area (verified copies), ready to plan and install.',
    input: z.strictObject({}),
    output: z.array(StagedBundle),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
] as const;

/** Verification, import, plan and install: the bundle verifier (offline-bundles/) behind them. */
export const bundleIntakeProcedures = [
  procedure({
    id: 'bundles.verify',
    summary:
      'Verify a bundle where it lies, in one streaming pass: signatures against the trust store, expiry, rollback, every file; pass or fail, the result is a ledger entry.',
    input: z.strictObject({ path: LocalPath }),
    output: VerifyResult,
    events: VerifyProgress,
    roles: EVERY_ROLE,
    audited: true,
    mutates: false,
    target: (input) => `bundle file ${input.path}`,
    auditResult: (output) =>
      output.verified
        ? {
            verified: true,
            name: output.manifest.name,
            kind: output.manifest.kind,
            version: output.manifest.version,
            manifestSha256: output.manifestSha256,
            signers: output.signers,
            threshold: output.threshold,
            bytes: output.bytes,
          }
        : { verified: false, reason: output.reason, message: output.message },
    action: { title: 'Verify a bundle…', palette: true, page: 'bundles' },
  }),
  procedure({
    id: 'bundles.import',
    summary:
      'Copy a bundle from media into the staging area, verifying it again in the same streaming pass; an interrupted or refused copy leaves nothing staged.',
    input: z.strictObject({ path: LocalPath }),
    output: StagedBundle.extend({ signers: z.array(SignerView) }),
    events: VerifyProgress,
    roles: BUNDLE_INSTALLERS,
    audited: true,
    mutates: true,
    target: (input) => `bundle file ${input.path}`,
    auditResult: (output) => ({
      name: output.name,
      kind: output.kind,
      version: output.version,
      manifestSha256: output.manifestSha256,
      signers: output.signers,
      bytes: output.bytes,
    }),
    action: { title: 'Import a bundle…', palette: true, page: 'bundles' },
  }),
  procedure({
    id: 'bundles.plan',
    summary:
      'What installing a bundle will do: per target, the packages or objects, with a dry run on each host or cluster; nothing changes.',
    input: BundleRef,
    output: BundlePlan,
    roles: BUNDLE_INSTALLERS,
    audited: true,
    mutates: false,
    target: refTarget,
    auditResult: planRecord,
  }),
  procedure({
    id: 'bundles.install',
    summary:
      'Install a staged bundle as planned (refused, changing nothing, when the plan made now differs), then record it; per-target results.',
    input: z.strictObject({
      staged: z.string().regex(/^[0-9a-f]{64}$/),
      ...InstallTargets,
      planDigest: z.string().regex(/^[0-9a-f]{64}$/),
    }),
    output: z.object({
      plan: BundlePlan,
      results: z.array(TargetResult),
      /** Every target succeeded, and the bundle is recorded as installed. */
      installed: z.boolean(),
      installedAt: Timestamp.nullable(),
    }),
    events: z.object({
      target: z.string(),
      phase: z.enum(['started', 'done', 'failed']),
      detail: z.string(),
    }),
    roles: BUNDLE_INSTALLERS,
    audited: true,
    mutates: true,
    target: (input) => `staged bundle ${input.staged.slice(0, 16)}`,
    auditResult: (output) => ({
      ...planRecord(output.plan),
      installed: output.installed,
      results: output.results,
    }),
    action: { title: 'Install a bundle…', palette: true, page: 'bundles' },
  }),
] as const;

export const bundleProcedures = [...bundleTrustProcedures, ...bundleIntakeProcedures] as const;
