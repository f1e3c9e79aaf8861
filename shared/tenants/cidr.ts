// CIDR syntax as NetworkPolicy ipBlock takes it. Canonical form only (no host bits set, no
// leading zeros): the API server's strict CIDR validation refuses the rest for new objects, and
// one spelling per network keeps drift comparison exact. No node:net (shared with the renderer).

function ipv4Bits(s: string): bigint | undefined {
  const parts = s.split('.');
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > 255) return undefined;
    v = (v << 8n) | BigInt(p);
  }
  return v;
}

function ipv6Bits(s: string): bigint | undefined {
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const groups = (h: string | undefined): string[] => (h ? h.split(':') : []);
  const head = groups(halves[0]);
  const tail = groups(halves[1]);
  const words: bigint[] = [];
  const pushAll = (list: string[], allowV4: boolean): boolean => {
    for (const [i, g] of list.entries()) {
      if (allowV4 && i === list.length - 1 && g.includes('.')) {
        const v4 = ipv4Bits(g);
        if (v4 === undefined) return false;
        words.push(v4 >> 16n, v4 & 0xffffn);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
        words.push(BigInt(`0x${g}`));
      } else {
        return false;
      }
    }
    return true;
  };
  if (!pushAll(head, halves.length === 1)) return undefined;
  const headCount = words.length;
  if (halves.length === 2) {
    if (!pushAll(tail, true)) return undefined;
    const missing = 8 - words.length;
    if (missing < 1) return undefined;
    words.splice(headCount, 0, ...Array<bigint>(missing).fill(0n));
  }
  if (words.length !== 8) return undefined;
  return words.reduce((acc, w) => (acc << 16n) | w, 0n);
}

/** Parses `a.b.c.d/n` or an IPv6 `x::/n`; undefined when it is not a CIDR. */
export function parseCidr(cidr: string): { family: 4 | 6; bits: bigint; prefix: number } | undefined {
  const m = /^([^/]+)\/(0|[1-9]\d{0,2})$/.exec(cidr);
  if (!m?.[1] || !m[2]) return undefined;
  const prefix = Number(m[2]);
  const v4 = ipv4Bits(m[1]);
  if (v4 !== undefined) return prefix <= 32 ? { family: 4, bits: v4, prefix } : undefined;
  const v6 = m[1].includes(':') ? ipv6Bits(m[1]) : undefined;
  if (v6 !== undefined) return prefix <= 128 ? { family: 6, bits: v6, prefix } : undefined;
  return undefined;
}

/** True for a CIDR whose address has no bits set beyond the prefix (`10.40.0.0/16`, `fd00::/8`). */
export function isCanonicalCidr(cidr: string): boolean {
  const c = parseCidr(cidr);
  if (!c) return false;
  const width = c.family === 4 ? 32 : 128;
  const hostMask = (1n << BigInt(width - c.prefix)) - 1n;
  return (c.bits & hostMask) === 0n;
}
