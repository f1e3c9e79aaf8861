import { createHash } from 'node:crypto';

/**
 * Host-key pinning: the first connection shows the key's fingerprint for
 * out-of-band confirmation (or takes one given ahead); afterwards a different
 * key is refused with both fingerprints. Pure, so every case is a table row.
 */

/** OpenSSH's fingerprint of a public key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprint(keyBlob: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

export const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

export type HostKeyDecision =
  | { verdict: 'trusted' }
  | { verdict: 'pin'; fingerprint: string }
  | { verdict: 'unconfirmed'; presented: string }
  | { verdict: 'mismatch'; expected: string; presented: string }
  | { verdict: 'changed'; pinned: string; presented: string };

export function decideHostKey(state: {
  pinned: string | null;
  /** A fingerprint the operator confirmed out of band (`--fingerprint`). */
  expected?: string | undefined;
  presented: string;
}): HostKeyDecision {
  const { pinned, expected, presented } = state;
  if (pinned)
    return pinned === presented ? { verdict: 'trusted' } : { verdict: 'changed', pinned, presented };
  if (!expected) return { verdict: 'unconfirmed', presented };
  return expected === presented
    ? { verdict: 'pin', fingerprint: presented }
    : { verdict: 'mismatch', expected, presented };
}
