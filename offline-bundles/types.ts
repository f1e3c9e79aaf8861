/**
 * The offline bundle's types and its refusal codes (docs/bundle-format.md).
 * Everything here is plain data, so results and refusals serialise as JSON for the ledger.
 */

export const BUNDLE_KINDS = [
  'files',
  'host-packages',
  'k8s-manifests',
  'oci-images',
  'console-upgrade',
] as const;
export type BundleKind = (typeof BUNDLE_KINDS)[number];

/** The SSHSIG namespace every bundle signature is made in. */
export const BUNDLE_NAMESPACE = 'enclave-bundle';
export const FORMAT_VERSION = 1;

export interface BundleFile {
  /** Relative, '/'-separated, no '.', '..' or empty components; stored in the tar as `payload/<path>`. */
  path: string;
  size: number;
  /** Lower-case hex. */
  sha256: string;
  /** Permission bits, 0o644 or 0o755 in practice; setuid/setgid/sticky refused. */
  mode: number;
}

export interface BundleManifest {
  formatVersion: 1;
  name: string;
  kind: BundleKind;
  /** Dotted numeric (2.4.0), compared numerically, monotonic per name. */
  version: string;
  /** ISO 8601 UTC. */
  created: string;
  expires: string;
  targets?: { gpuModels?: string[]; os?: string[]; [k: string]: unknown };
  description?: string;
  /** Sorted by path (UTF-16 code-unit order), unique. */
  files: BundleFile[];
  /** Payload paths of SBOM documents (each also listed in files). */
  sbom?: string[];
}

export interface TrustedSigner {
  name: string;
  /** `ssh-ed25519 AAAA…` (a comment after the key is allowed and ignored). */
  publicKey: string;
}

export interface TrustStore {
  signers: TrustedSigner[];
  /** Signatures needed per kind; default 1. */
  thresholds: Partial<Record<BundleKind, number>>;
}

export interface VerifiedBundle {
  manifest: BundleManifest;
  /** SHA-256 (hex) of the manifest.json bytes that were signed. */
  manifestSha256: string;
  /** Trusted signers whose signatures verified (each key counted once). */
  signers: { name: string; fingerprint: string }[];
  /** Bytes of the bundle read (as stored, i.e. compressed when gzip). */
  bytes: number;
  /** Where the payload was staged: `<stagingDir>/<name>-<version>`. */
  stagedAt?: string;
}

/** Stable refusal codes; the ledger and the UI key on them. */
export const REFUSAL_REASONS = [
  'not-a-bundle',
  'bad-manifest',
  'manifest-not-first',
  'no-signatures',
  'too-few-signatures',
  'unknown-signer',
  'bad-signature',
  'expired',
  'not-newer',
  'missing-file',
  'extra-file',
  'wrong-size',
  'wrong-hash',
  'bad-checksums',
  'absolute-path',
  'dot-dot',
  'link',
  'device',
  'setuid',
  'unsupported-entry',
  'duplicate-path',
  'size-lie',
  'truncated',
  'trailing-data',
  'too-large',
  'too-many-files',
  'damaged-part',
  'aborted',
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export interface RefusalJson {
  refused: true;
  reason: RefusalReason;
  message: string;
  /** The tar member or manifest path the refusal is about, when there is one. */
  entry?: string;
}

/** Verification said no. `message` is worded for an operator and names the entry. */
export class BundleRefusal extends Error {
  override readonly name = 'BundleRefusal';
  constructor(
    readonly reason: RefusalReason,
    message: string,
    readonly entry?: string,
  ) {
    super(message);
  }
  toJSON(): RefusalJson {
    return {
      refused: true,
      reason: this.reason,
      message: this.message,
      ...(this.entry !== undefined ? { entry: this.entry } : {}),
    };
  }
}

export interface VerifyLimits {
  /** Payload files the manifest may list (default 100 000). */
  maxFiles?: number;
  /** Bytes of tar (after gunzip) that may be read (default 256 GiB). */
  maxBytes?: number;
}

export interface VerifyOptions {
  trust: TrustStore;
  installedVersion?: (name: string) => string | undefined;
  now?: Date;
  stagingDir?: string;
  onProgress?: (p: { bytes: number; totalBytes?: number }) => void;
  signal?: AbortSignal;
  limits?: VerifyLimits;
}
