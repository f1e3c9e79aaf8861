export {
  Ledger,
  entryView,
  RETAIN_EVERY,
  type AuditSink,
  type AuditRecord,
  type LedgerEntry,
  type LedgerOperator,
} from './ledger';
export { verifyLedger, type LedgerVerification, type LedgerProblem } from './verify';
export { FileWitness, KeyringWitness, WitnessSet, type CheckpointWitness } from './witness';
export { createLedgerKey, ledgerSignerSource, readLedgerPublicKey, ledgerOrigin } from './workstation-key';
export { exportLedger, lastExport, type ExportProgress, type ExportResult } from './export';
export { verifyExport, type ExportVerification } from './export-verify';
export { formatTlogProof, verifyTlogProof } from './tlog-proof';
export { parseVerifierKey, verifierKey } from './note';
export { LedgerSigner } from './signer';
