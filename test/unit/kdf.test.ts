import { describe, expect, it } from 'vitest';
import { hashPassphrase, verifyPassphrase } from '../../electron/core/store';
import { lockedUntil, FREE_ATTEMPTS } from '../../electron/core/identity';

describe('passphrase hashes', () => {
  it('verify the right passphrase only, with salted PHC strings', async () => {
    const a = await hashPassphrase('correct horse battery');
    const b = await hashPassphrase('correct horse battery');
    expect(a).toMatch(/^\$scrypt\$ln=15,r=8,p=1\$[A-Za-z0-9+/]+\$[A-Za-z0-9+/]+$/);
    expect(a).not.toBe(b);
    expect(await verifyPassphrase('correct horse battery', a)).toBe(true);
    expect(await verifyPassphrase('correct horse batterY', a)).toBe(false);
  });
  it('refuses malformed or out-of-range hashes', async () => {
    await expect(verifyPassphrase('x', 'plain')).rejects.toThrow(/PHC/);
    await expect(verifyPassphrase('x', '$scrypt$ln=40,r=8,p=1$AAAA$AAAA')).rejects.toThrow(/range/);
  });
});

describe('sign-in throttle', () => {
  const t0 = Date.parse('2026-01-01T00:00:00Z');
  const cases: { name: string; failures: number[]; now: number; locked: number | undefined }[] = [
    { name: 'no failures', failures: [], now: t0, locked: undefined },
    {
      name: 'four failures',
      failures: [0, 1, 2, 3].map((s) => t0 + s * 1000),
      now: t0 + 4000,
      locked: undefined,
    },
    {
      name: 'five failures: 30 s',
      failures: [0, 1, 2, 3, 4].map((s) => t0 + s * 1000),
      now: t0 + 5000,
      locked: t0 + 4000 + 30_000,
    },
    {
      name: 'seven failures: 120 s',
      failures: [0, 1, 2, 3, 4, 5, 6].map((s) => t0 + s * 1000),
      now: t0 + 7000,
      locked: t0 + 6000 + 120_000,
    },
    {
      name: 'lock over once the delay passed',
      failures: [0, 1, 2, 3, 4].map((s) => t0 + s * 1000),
      now: t0 + 4000 + 30_001,
      locked: undefined,
    },
    {
      name: 'old failures fall out of the window',
      failures: [0, 1, 2, 3, 4].map((s) => t0 + s * 1000),
      now: t0 + 16 * 60_000,
      locked: undefined,
    },
    {
      name: 'capped at 15 minutes',
      failures: Array.from({ length: 30 }, (_, i) => t0 + i * 1000),
      now: t0 + 30_000,
      locked: t0 + 29_000 + 15 * 60_000,
    },
  ];
  for (const c of cases) {
    it(c.name, () => expect(lockedUntil(c.failures, c.now)).toBe(c.locked));
  }
  it('allows FREE_ATTEMPTS tries before delaying', () => expect(FREE_ATTEMPTS).toBe(5));
});
