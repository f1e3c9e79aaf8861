import { describe, expect, it } from 'vitest';
import { decideHostKey, fingerprint, FINGERPRINT } from '../../electron/core/hosts/host-key';
import { hostKeyRefusal } from '../../electron/core/hosts/ssh';

const A = 'SHA256:uNiVztksCsDhcc0u9e8BujQXVUpKZIDTMczCvj3tD2s';
const B = 'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8';

describe('host key pinning', () => {
  it('fingerprints a key blob the way ssh-keygen -lf does', () => {
    // ssh-ed25519 blob of the RFC 8032 test-1 public key.
    const blob = Buffer.concat([
      Buffer.from('0000000b', 'hex'),
      Buffer.from('ssh-ed25519'),
      Buffer.from('00000020', 'hex'),
      Buffer.from('d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a', 'hex'),
    ]);
    expect(fingerprint(blob)).toMatch(FINGERPRINT);
    expect(fingerprint(blob)).not.toContain('=');
  });

  it.each([
    [{ pinned: A, presented: A }, { verdict: 'trusted' }],
    [
      { pinned: A, presented: B },
      { verdict: 'changed', pinned: A, presented: B },
    ],
    [{ pinned: A, expected: B, presented: A }, { verdict: 'trusted' }],
    [
      { pinned: null, presented: A },
      { verdict: 'unconfirmed', presented: A },
    ],
    [
      { pinned: null, expected: A, presented: A },
      { verdict: 'pin', fingerprint: A },
    ],
    [
      { pinned: null, expected: A, presented: B },
      { verdict: 'mismatch', expected: A, presented: B },
    ],
  ] as const)('%j -> %j', (state, decision) => expect(decideHostKey(state)).toEqual(decision));

  it('explains refusals with both fingerprints and what to do', () => {
    const changed = hostKeyRefusal('gpu-07', { verdict: 'changed', pinned: A, presented: B });
    expect(changed?.message).toBe(`the host key of gpu-07 has CHANGED: pinned ${A}, now ${B}`);
    expect(changed?.hint).toMatch(/nothing was sent/);
    const unconfirmed = hostKeyRefusal('gpu-07', { verdict: 'unconfirmed', presented: A });
    expect(unconfirmed?.code).toBe('CONFLICT');
    expect(unconfirmed?.hint).toContain(`--fingerprint ${A}`);
    expect(hostKeyRefusal('gpu-07', { verdict: 'trusted' })).toBeUndefined();
  });
});
