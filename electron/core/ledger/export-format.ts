/**
 * The audit export folder (docs/audit-format.md §6). Shared by the writer and
 * the offline verifier so both agree on names.
 */
export const EXPORT_FORMAT = 'enclave-audit-export/v1';

/** A terminal recording travels with the entry that recorded its digest (terminals.open). */
export const recordingFile = (id: string) => `recording-${id}.cast.gz`;
export const RECORDING_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The recording an entry vouches for, if it is a successful terminals.open with one. */
export function recordingOf(entry: {
  procedure?: unknown;
  outcome?: unknown;
  result?: unknown;
}): { id: string; sha256: string } | undefined {
  // A session that ended normally (terminals.open), or one a crash cut short that a later start
  // finished (terminals.recovered).
  if (
    (entry.procedure !== 'terminals.open' && entry.procedure !== 'terminals.recovered') ||
    entry.outcome !== 'ok'
  )
    return undefined;
  const r = entry.result as { recording?: unknown; sha256?: unknown } | null | undefined;
  if (typeof r?.recording !== 'string' || typeof r.sha256 !== 'string' || !RECORDING_ID.test(r.recording))
    return undefined;
  return { id: r.recording, sha256: r.sha256 };
}
export const SSHSIG_NAMESPACE = 'enclave-audit';
export const PARTIAL_SUFFIX = '.partial';

export const FILES = {
  meta: 'export.json',
  entries: 'entries.jsonl',
  checkpoint: 'checkpoint',
  previous: 'previous-checkpoint',
  frontier: 'frontier',
  consistency: 'consistency-proof',
  key: 'ledger-key.pub',
  allowedSigners: 'allowed_signers',
  howTo: 'VERIFY.txt',
  manifest: 'MANIFEST',
  manifestSig: 'MANIFEST.sig',
} as const;

export interface ExportMeta {
  format: typeof EXPORT_FORMAT;
  workstation: string;
  origin: string;
  /** Index of the first entry in entries.jsonl; the previous export's tree size (0 for a full export). */
  from: number;
  /** Tree size after the last entry; the checkpoint's size. */
  to: number;
  created: string;
  consoleVersion: string;
}

export const b64lines = (hashes: readonly Uint8Array[]) =>
  hashes.map((h) => `${Buffer.from(h).toString('base64')}\n`).join('');

export function parseB64Lines(text: string, what: string): Uint8Array[] {
  if (text === '') return [];
  if (!text.endsWith('\n')) throw new Error(`${what} must end with a newline`);
  return text
    .slice(0, -1)
    .split('\n')
    .map((line, i) => {
      const raw = Buffer.from(line, 'base64');
      if (raw.length !== 32 || raw.toString('base64') !== line)
        throw new Error(`${what} line ${i + 1} is not a 32-byte base64 hash`);
      return new Uint8Array(raw);
    });
}
