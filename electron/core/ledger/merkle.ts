/**
 * RFC 9162 (Certificate Transparency v2, §2.1) Merkle trees over SHA-256:
 *   leaf hash  = SHA-256(0x00 || entry)
 *   node hash  = SHA-256(0x01 || left || right)
 *   empty tree = SHA-256("")
 * The split point for n > 1 leaves is the largest power of two below n.
 * Pure functions on Uint8Array so an independent verifier can reuse them.
 */
import { hash } from 'node:crypto';

export const HASH_SIZE = 32;

// One-shot hashing of a concatenation assembled in a reused scratch buffer:
// about a third faster than createHash per call and with far less garbage,
// which matters when verification rehashes a million entries.
const sha256 = (data: Uint8Array): Uint8Array => hash('sha256', data, 'buffer');
let scratch = Buffer.allocUnsafe(4096);
const node = Buffer.allocUnsafe(65);

export function leafHash(entry: Uint8Array): Uint8Array {
  if (entry.length + 1 > scratch.length) scratch = Buffer.allocUnsafe(2 * (entry.length + 1));
  scratch[0] = 0x00;
  scratch.set(entry, 1);
  return sha256(scratch.subarray(0, entry.length + 1));
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Uint8Array {
  if (left.length !== 32 || right.length !== 32) throw new RangeError('node hashes take two 32-byte hashes');
  node[0] = 0x01;
  node.set(left, 1);
  node.set(right, 33);
  return sha256(node);
}

export function emptyRoot(): Uint8Array {
  return sha256(new Uint8Array());
}

/** Largest power of two strictly below n (n >= 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH over leaf hashes, iteratively: O(n) hashes, O(log n) memory beyond the input. */
export function rootFromLeafHashes(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return emptyRoot();
  // A stack of perfect subtrees, the way an append-only log folds them.
  const stack: { size: number; hash: Uint8Array }[] = [];
  for (const h of hashes) {
    let node = { size: 1, hash: h };
    while (stack.length && (stack.at(-1) as { size: number }).size === node.size) {
      const left = stack.pop() as { size: number; hash: Uint8Array };
      node = { size: left.size * 2, hash: nodeHash(left.hash, node.hash) };
    }
    stack.push(node);
  }
  let root = (stack.pop() as { hash: Uint8Array }).hash;
  while (stack.length) root = nodeHash((stack.pop() as { hash: Uint8Array }).hash, root);
  return root;
}

const validHashes = (proof: readonly Uint8Array[]) =>
  proof.every((p) => p instanceof Uint8Array && p.length === HASH_SIZE);

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

const isSafeSize = (n: number) => Number.isSafeInteger(n) && n >= 0;

/** RFC 9162 §2.1.3.2. */
export function verifyInclusion(
  leaf: Uint8Array,
  index: number,
  treeSize: number,
  proof: readonly Uint8Array[],
  root: Uint8Array,
): boolean {
  if (!isSafeSize(index) || !isSafeSize(treeSize) || index >= treeSize) return false;
  if (leaf.length !== HASH_SIZE || root.length !== HASH_SIZE || !validHashes(proof)) return false;
  let fn = index;
  let sn = treeSize - 1;
  let r = leaf;
  for (const p of proof) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      r = nodeHash(p, r);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      r = nodeHash(r, p);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(r, root);
}

/**
 * RFC 9162 §2.1.4.2. Equal sizes need an empty proof and equal roots; a proof
 * from size 0 is refused (there is nothing to be consistent with).
 */
export function verifyConsistency(
  size1: number,
  size2: number,
  proof: readonly Uint8Array[],
  root1: Uint8Array,
  root2: Uint8Array,
): boolean {
  if (!isSafeSize(size1) || !isSafeSize(size2) || size1 === 0 || size2 < size1) return false;
  if (root1.length !== HASH_SIZE || root2.length !== HASH_SIZE || !validHashes(proof)) return false;
  if (size1 === size2) return proof.length === 0 && equal(root1, root2);
  if (proof.length === 0) return false;
  const path = (size1 & (size1 - 1)) === 0 ? [root1, ...proof] : [...proof];
  let fn = size1 - 1;
  let sn = size2 - 1;
  while (fn % 2 === 1) {
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  let fr = path[0] as Uint8Array;
  let sr = path[0] as Uint8Array;
  for (const c of path.slice(1)) {
    if (sn === 0) return false;
    if (fn % 2 === 1 || fn === sn) {
      fr = nodeHash(c, fr);
      sr = nodeHash(c, sr);
      if (fn % 2 === 0) {
        while (fn % 2 === 0 && fn !== 0) {
          fn = Math.floor(fn / 2);
          sn = Math.floor(sn / 2);
        }
      }
    } else {
      sr = nodeHash(sr, c);
    }
    fn = Math.floor(fn / 2);
    sn = Math.floor(sn / 2);
  }
  return sn === 0 && equal(fr, root1) && equal(sr, root2);
}

/**
 * Where proofs get subtree hashes from: `range(start, end)` returns
 * MTH(D[start:end]). The ledger answers from stored nodes; tests from leaves.
 */
export type RangeHasher = (start: number, end: number) => Uint8Array;

export function hasherFromLeaves(leaves: readonly Uint8Array[]): RangeHasher {
  return (start, end) => rootFromLeafHashes(leaves.slice(start, end));
}

/** RFC 9162 §2.1.3.1: PATH(m, D[n]), leaf sibling first. */
export function inclusionProof(index: number, treeSize: number, range: RangeHasher): Uint8Array[] {
  if (!isSafeSize(index) || index >= treeSize)
    throw new RangeError(`index ${index} is not in a tree of ${treeSize}`);
  const path: Uint8Array[] = [];
  let start = 0;
  let end = treeSize;
  let m = index;
  const stack: Uint8Array[] = [];
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      stack.push(range(start + k, end));
      end = start + k;
    } else {
      stack.push(range(start, start + k));
      start += k;
      m -= k;
    }
  }
  while (stack.length) path.push(stack.pop() as Uint8Array);
  return path;
}

/** RFC 9162 §2.1.4.1: PROOF(m, D[n]). */
export function consistencyProof(size1: number, size2: number, range: RangeHasher): Uint8Array[] {
  if (!isSafeSize(size1) || size1 === 0 || size2 < size1) {
    throw new RangeError(`no consistency proof from ${size1} to ${size2}`);
  }
  const proof: Uint8Array[] = [];
  // SUBPROOF(m, D[start:end], b), unrolled; nodes are appended deepest-last and reversed at the end.
  let start = 0;
  let end = size2;
  let m = size1;
  let complete = true;
  const stack: Uint8Array[] = [];
  while (true) {
    const n = end - start;
    if (m === n) {
      if (!complete) stack.push(range(start, end));
      break;
    }
    const k = splitPoint(n);
    if (m <= k) {
      stack.push(range(start + k, end));
      end = start + k;
    } else {
      stack.push(range(start, start + k));
      start += k;
      m -= k;
      complete = false;
    }
  }
  while (stack.length) proof.push(stack.pop() as Uint8Array);
  return proof;
}
