// The offline bundle format: build, sign, verify, inspect, split (docs/bundle-format.md).
export {
  BUNDLE_KINDS,
  BUNDLE_NAMESPACE,
  BundleRefusal,
  FORMAT_VERSION,
  REFUSAL_REASONS,
  type BundleFile,
  type BundleKind,
  type BundleManifest,
  type RefusalJson,
  type RefusalReason,
  type TrustedSigner,
  type TrustStore,
  type VerifiedBundle,
  type VerifyLimits,
  type VerifyOptions,
} from './types';
export {
  canonicalJson,
  checksumsText,
  compareVersions,
  isBundleKind,
  parseManifest,
  validateManifest,
  MANIFEST_MEMBER,
  PAYLOAD_DIR,
  SIGNATURE_DIR,
  SUMS_MEMBER,
} from './manifest';
export { verifyBundle, inspectBundle, scanBundle, type InspectedBundle, type SignatureInfo } from './verify';
export {
  buildBundle,
  signBundle,
  readManifestBytes,
  type BuildOptions,
  type BuiltBundle,
  type SignOptions,
} from './build';
export {
  generateSigningKey,
  fingerprint,
  parsePublicKeyLine,
  readSigningKey,
  readSigningKeyFile,
  rawPublicKey,
  type SigningKey,
} from './keys';
export {
  loadTrustDir,
  writeTrustDir,
  allowedSignersText,
  parseAllowedSigners,
  parseThresholds,
  trustedKeys,
  ALLOWED_SIGNERS_FILE,
  THRESHOLDS_FILE,
} from './trust';
export { splitBundle, joinParts, checkParts, indexForPart, type PartsIndex } from './parts';
export { sshsigSign, sshsigVerify, opensshPublicKey, allowedSignersLine } from './sshsig';
