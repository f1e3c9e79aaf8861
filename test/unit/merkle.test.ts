import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  consistencyProof,
  emptyRoot,
  hasherFromLeaves,
  inclusionProof,
  leafHash,
  nodeHash,
  rootFromLeafHashes,
  verifyConsistency,
  verifyInclusion,
} from '../../electron/core/ledger/merkle';

/** The RFC 9162 definitions, written recursively and literally, as the reference. */
const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  parts.forEach((p) => h.update(p));
  return new Uint8Array(h.digest());
};
const k = (n: number) => 2 ** Math.ceil(Math.log2(n) - 1);
function mth(d: Uint8Array[]): Uint8Array {
  if (d.length === 0) return sha();
  if (d.length === 1) return d[0] as Uint8Array; // already leaf hashes
  const s = k(d.length);
  return sha(Uint8Array.of(1), mth(d.slice(0, s)), mth(d.slice(s)));
}
function path(m: number, d: Uint8Array[]): Uint8Array[] {
  if (d.length <= 1) return [];
  const s = k(d.length);
  return m < s
    ? [...path(m, d.slice(0, s)), mth(d.slice(s))]
    : [...path(m - s, d.slice(s)), mth(d.slice(0, s))];
}
function subproof(m: number, d: Uint8Array[], b: boolean): Uint8Array[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const s = k(d.length);
  return m <= s
    ? [...subproof(m, d.slice(0, s), b), mth(d.slice(s))]
    : [...subproof(m - s, d.slice(s), false), mth(d.slice(0, s))];
}

const leaves = Array.from({ length: 130 }, (_, i) => leafHash(new TextEncoder().encode(`entry ${i}`)));
const hex = (a: Uint8Array[]) => a.map((x) => Buffer.from(x).toString('hex'));
const flip = (h: Uint8Array, bit = 0) => {
  const c = new Uint8Array(h);
  c[bit >> 3] = (c[bit >> 3] as number) ^ (1 << (bit & 7));
  return c;
};

describe('RFC 9162 Merkle tree', () => {
  it('hashes leaves and nodes with the domain-separation prefixes', () => {
    expect(Buffer.from(emptyRoot()).toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    // RFC 6962 test vector: the leaf hash of the empty entry.
    expect(Buffer.from(leafHash(new Uint8Array())).toString('hex')).toBe(
      '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
    );
    expect(hex([nodeHash(leaves[0] as Uint8Array, leaves[1] as Uint8Array)])).toEqual(
      hex([sha(Uint8Array.of(1), leaves[0] as Uint8Array, leaves[1] as Uint8Array)]),
    );
  });

  it('computes the same root as the recursive definition for every size to 130', () => {
    for (let n = 0; n <= 130; n++)
      expect(hex([rootFromLeafHashes(leaves.slice(0, n))])).toEqual(hex([mth(leaves.slice(0, n))]));
  });

  it('matches the reference inclusion proofs for every index of every size to 64, and they verify', () => {
    for (let n = 1; n <= 64; n++) {
      const d = leaves.slice(0, n);
      const root = mth(d);
      const range = hasherFromLeaves(d);
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(m, n, range);
        expect(hex(proof)).toEqual(hex(path(m, d)));
        expect(verifyInclusion(d[m] as Uint8Array, m, n, proof, root)).toBe(true);
        // Wrong index, wrong leaf, each hash altered: all refused. (A wrong tree size can still
        // verify against the same root; the signed checkpoint is what binds size and root.)
        if (n > 1) expect(verifyInclusion(d[m] as Uint8Array, (m + 1) % n, n, proof, root)).toBe(false);
        expect(verifyInclusion(flip(d[m] as Uint8Array), m, n, proof, root)).toBe(false);
        proof.forEach((_, i) => {
          const bad = proof.map((p, j) => (j === i ? flip(p, 77) : p));
          expect(verifyInclusion(d[m] as Uint8Array, m, n, bad, root)).toBe(false);
        });
      }
    }
  });

  it('matches the reference consistency proofs for every pair of sizes to 64, and they verify', () => {
    for (let n = 1; n <= 64; n++) {
      const d = leaves.slice(0, n);
      const range = hasherFromLeaves(d);
      for (let m = 1; m <= n; m++) {
        const proof = consistencyProof(m, n, range);
        expect(hex(proof)).toEqual(hex(subproof(m, d, true)));
        const r1 = mth(d.slice(0, m));
        const r2 = mth(d);
        expect(verifyConsistency(m, n, proof, r1, r2)).toBe(true);
        expect(verifyConsistency(m, n, proof, flip(r1), r2)).toBe(false);
        expect(verifyConsistency(m, n, proof, r1, flip(r2))).toBe(false);
        if (proof.length) {
          expect(verifyConsistency(m, n, proof.slice(1), r1, r2)).toBe(false);
          expect(verifyConsistency(m, n, [...proof, r1], r1, r2)).toBe(false);
          proof.forEach((_, i) => {
            const bad = proof.map((p, j) => (j === i ? flip(p, 200) : p));
            expect(verifyConsistency(m, n, bad, r1, r2)).toBe(false);
          });
        }
      }
    }
  });

  it('holds for random larger sizes', () => {
    const many = Array.from({ length: 5000 }, () => leafHash(randomBytes(40)));
    const range = hasherFromLeaves(many);
    for (let i = 0; i < 40; i++) {
      const n = 65 + Math.floor(Math.random() * (many.length - 65));
      const m = 1 + Math.floor(Math.random() * n);
      const idx = Math.floor(Math.random() * n);
      const root = rootFromLeafHashes(many.slice(0, n));
      expect(verifyInclusion(many[idx] as Uint8Array, idx, n, inclusionProof(idx, n, range), root)).toBe(
        true,
      );
      const proof = consistencyProof(m, n, range);
      expect(hex(proof)).toEqual(hex(subproof(m, many.slice(0, n), true)));
      expect(verifyConsistency(m, n, proof, rootFromLeafHashes(many.slice(0, m)), root)).toBe(true);
    }
  });

  it('rejects malformed proofs', () => {
    const d = leaves.slice(0, 10);
    const root = mth(d);
    const proof = inclusionProof(3, 10, hasherFromLeaves(d));
    const short = proof.map((p, i) => (i === 1 ? p.slice(0, 31) : p));
    const long = proof.map((p, i) => (i === 1 ? Uint8Array.of(...p, 0) : p));
    expect(verifyInclusion(d[3] as Uint8Array, 3, 10, short, root)).toBe(false);
    expect(verifyInclusion(d[3] as Uint8Array, 3, 10, long, root)).toBe(false);
    expect(verifyInclusion(d[3] as Uint8Array, 3, 10, [...proof, proof[0] as Uint8Array], root)).toBe(false);
    expect(verifyInclusion(d[3] as Uint8Array, 3, 10, proof.slice(0, -1), root)).toBe(false);
    expect(verifyInclusion(d[3] as Uint8Array, -1, 10, proof, root)).toBe(false);
    expect(verifyInclusion(d[3] as Uint8Array, 10, 10, proof, root)).toBe(false);
    expect(verifyInclusion(d[3] as Uint8Array, 3, 10, proof, root.slice(1))).toBe(false);
    expect(verifyInclusion((d[3] as Uint8Array).slice(1), 3, 10, proof, root)).toBe(false);
    // Consistency: from size 0, backwards, equal sizes with a non-empty proof.
    const r5 = mth(d.slice(0, 5));
    const c = consistencyProof(5, 10, hasherFromLeaves(d));
    expect(verifyConsistency(0, 10, c, emptyRoot(), root)).toBe(false);
    expect(verifyConsistency(0, 10, [], emptyRoot(), root)).toBe(false);
    expect(verifyConsistency(10, 5, c, root, r5)).toBe(false);
    expect(verifyConsistency(10, 10, [], root, root)).toBe(true);
    expect(verifyConsistency(10, 10, [root], root, root)).toBe(false);
    expect(verifyConsistency(5, 10, [], r5, root)).toBe(false);
    expect(
      verifyConsistency(
        5,
        10,
        c.map((p) => p.slice(0, 16)),
        r5,
        root,
      ),
    ).toBe(false);
    expect(verifyConsistency(1.5, 10, c, r5, root)).toBe(false);
  });
});
