import type { Db } from '../store';
import { nodeHash, rootFromLeafHashes, emptyRoot, type RangeHasher } from './merkle';

/**
 * The ledger's Merkle tree as stored in SQLite: leaf hashes in ledger_entries,
 * and every complete perfect subtree above the leaves in ledger_nodes
 * (level L >= 1, index i covers leaves [i·2^L, (i+1)·2^L)). With those, a root
 * or any proof needs O(log n) reads, never a rehash of the log.
 */
export class TreeStore {
  private readonly leafStmt;
  private readonly nodeStmt;
  private readonly insertNode;

  constructor(db: Db) {
    this.leafStmt = db.prepare('SELECT leaf_hash FROM ledger_entries WHERE idx = ?').pluck();
    this.nodeStmt = db.prepare('SELECT hash FROM ledger_nodes WHERE level = ? AND idx = ?').pluck();
    this.insertNode = db.prepare('INSERT INTO ledger_nodes (level, idx, hash) VALUES (?, ?, ?)');
  }

  /** Hash of the perfect subtree at (level, index); level 0 is a leaf. */
  perfect(level: number, index: number): Uint8Array {
    const hash = (level === 0 ? this.leafStmt.get(index) : this.nodeStmt.get(level, index)) as
      Buffer | undefined;
    if (!hash) throw new Error(`the ledger tree is missing node ${level}/${index}`);
    return new Uint8Array(hash);
  }

  /** The right edge of a tree of `size` leaves: its perfect subtrees, largest first. */
  frontier(size: number): { level: number; hash: Uint8Array }[] {
    const out: { level: number; hash: Uint8Array }[] = [];
    let start = 0;
    for (let level = 52; level >= 0; level--) {
      const width = 2 ** level;
      if (size - start >= width) {
        out.push({ level, hash: this.perfect(level, start / width) });
        start += width;
      }
    }
    return out;
  }

  /** MTH(D[start:end]) from stored nodes: a range splits into O(log n) aligned perfect subtrees. */
  readonly range: RangeHasher = (start, end) => {
    if (end <= start) return emptyRoot();
    if (end - start === 1) return this.perfect(0, start);
    let k = 1;
    while (k * 2 < end - start) k *= 2;
    const width = k * 2;
    // A perfect, aligned range is one stored node.
    if (end - start === width && start % width === 0) return this.perfect(Math.log2(width), start / width);
    return nodeHash(this.range(start, start + k), this.range(start + k, end));
  };

  root(size: number): Uint8Array {
    return foldFrontier(this.frontier(size).map((f) => f.hash));
  }

  /**
   * Appends leaves after `size` existing ones, storing every subtree they
   * complete; returns the new root. Runs inside the caller's transaction.
   */
  append(size: number, leaves: readonly Uint8Array[]): Uint8Array {
    const stack = this.frontier(size);
    let index = size;
    for (const leaf of leaves) {
      let node = { level: 0, hash: leaf };
      let position = index;
      while (stack.length && (stack.at(-1) as { level: number }).level === node.level) {
        const left = stack.pop() as { level: number; hash: Uint8Array };
        node = { level: node.level + 1, hash: nodeHash(left.hash, node.hash) };
        position = Math.floor(position / 2);
        this.insertNode.run(node.level, position, node.hash);
      }
      stack.push(node);
      index++;
    }
    return foldFrontier(stack.map((f) => f.hash));
  }
}

/** The root from a frontier: fold the perfect subtrees right to left. */
export function foldFrontier(hashes: readonly Uint8Array[]): Uint8Array {
  if (hashes.length === 0) return emptyRoot();
  let root = hashes.at(-1) as Uint8Array;
  for (let i = hashes.length - 2; i >= 0; i--) root = nodeHash(hashes[i] as Uint8Array, root);
  return root;
}

export { rootFromLeafHashes };
