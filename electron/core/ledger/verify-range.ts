import type { Db } from '../store';
import { leafHash, nodeHash } from './merkle';

/**
 * The leaf-by-leaf part of verification over one range of the ledger, cut
 * into aligned blocks of `blockSize` leaves (a power of two) so ranges can be
 * hashed on separate threads and joined exactly: every complete block is a
 * perfect subtree of the RFC 9162 tree.
 */
export interface RangeProblem {
  index: number | null;
  reason: string;
}

export interface RangeResult {
  problems: RangeProblem[];
  /** Roots of the complete blocks in the range, by block number. */
  blockRoots: [number, Uint8Array][];
  /** For each requested tree size inside the range: the block's inner stack at that size, largest first. */
  snapshots: [number, Uint8Array[]][];
  /** Rows seen (gaps make it smaller than the range). The stored leaf hashes are not read here:
   * a mismatch is found through the roots, and only then located (see verify.ts). */
  rows: number;
}

export const PAGE = 4096;
const INDEX_FIELD = Buffer.from('"index":');

/**
 * The entry's own "index" member, read without parsing: members are sorted, so
 * the top-level "index" comes after "durationMs" (a number) and "error" (a
 * string, where a quote would be escaped), and is its first unescaped match.
 */
export function claimedIndex(entry: Buffer): number | undefined {
  let at = entry.indexOf(INDEX_FIELD);
  while (at > 0 && entry[at - 1] === 0x5c) at = entry.indexOf(INDEX_FIELD, at + 1);
  if (at < 0) return undefined;
  let n = 0;
  let i = at + INDEX_FIELD.length;
  const start = i;
  for (; i < entry.length && (entry[i] as number) >= 0x30 && (entry[i] as number) <= 0x39; i++) {
    n = n * 10 + (entry[i] as number) - 0x30;
  }
  return i > start ? n : undefined;
}

/** Hashes leaves [start, end); `start` is a multiple of `blockSize`. */
export function hashRange(
  db: Db,
  start: number,
  end: number,
  blockSize: number,
  sizes: readonly number[],
  maxProblems = 20,
): RangeResult {
  const problems: RangeProblem[] = [];
  const problem = (index: number | null, reason: string) => {
    if (problems.length < maxProblems) problems.push({ index, reason });
  };
  const wanted = new Set(sizes.filter((s) => s > start && s <= end));
  const result: RangeResult = { problems, blockRoots: [], snapshots: [], rows: 0 };
  // Fast path: only the entries of a window, in order; each names its own index, so a window
  // whose entries name exactly from, from+1, … has no gap and no reordering. Any window that
  // does not is read again with the row numbers, to say precisely what is wrong.
  const window = db
    .prepare('SELECT entry FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx')
    .pluck();
  const windowWithIndex = db
    .prepare('SELECT idx, entry FROM ledger_entries WHERE idx >= ? AND idx < ? ORDER BY idx')
    .raw();
  // Stack of perfect subtrees inside the current block: sizes and hashes kept apart (fewer objects).
  const sizesStack: number[] = [];
  const hashStack: Uint8Array[] = [];
  let next = start;
  const push = (leaf: Uint8Array) => {
    let size = 1;
    let hash = leaf;
    while (sizesStack.length && sizesStack[sizesStack.length - 1] === size) {
      sizesStack.pop();
      hash = nodeHash(hashStack.pop() as Uint8Array, hash);
      size *= 2;
    }
    sizesStack.push(size);
    hashStack.push(hash);
    next++;
    if (wanted.has(next)) result.snapshots.push([next, [...hashStack]]);
    if (next % blockSize === 0) {
      result.blockRoots.push([next / blockSize - 1, hashStack[0] as Uint8Array]);
      sizesStack.length = 0;
      hashStack.length = 0;
    }
  };
  for (let from = start; from < end; from += PAGE) {
    const to = Math.min(end, from + PAGE);
    const entries = window.all(from, to) as Buffer[];
    let clean = entries.length === to - from;
    for (let k = 0; clean && k < entries.length; k++) clean = claimedIndex(entries[k] as Buffer) === from + k;
    if (clean) {
      for (const entry of entries) push(leafHash(entry));
      result.rows += entries.length;
      continue;
    }
    for (const [idx, entry] of windowWithIndex.all(from, to) as [number, Buffer][]) {
      if (idx !== next) {
        problem(next, `entries ${next}–${idx - 1} are missing`);
        // Keep the tree shape: a missing entry cannot be hashed, so its slot stays wrong on purpose.
        while (next < idx) push(new Uint8Array(32));
      }
      const claimed = claimedIndex(entry);
      if (claimed !== idx)
        problem(idx, `entry ${idx} says it is entry ${claimed ?? '(none)'}: rows were reordered`);
      push(leafHash(entry));
      result.rows++;
    }
    if (next < to) {
      problem(next, `entries ${next}–${to - 1} are missing`);
      while (next < to) push(new Uint8Array(32));
    }
  }
  return result;
}
