import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Db } from '../store';
import { emptyRoot, leafHash, nodeHash } from './merkle';
import { parseCheckpointText, verifyNote, type Verifier } from './note';
import { foldFrontier } from './tree-store';
import { hashRange, type RangeResult } from './verify-range';
import { WitnessSet, type CheckpointWitness } from './witness';
import { readLedgerPublicKey } from './workstation-key';

export interface LedgerProblem {
  /** The first entry index concerned, when one can be named. */
  index: number | null;
  reason: string;
}

export interface LedgerVerification {
  ok: boolean;
  entries: number;
  /** Size of the newest checkpoint that verified. */
  signedSize: number;
  /** Entries after the newest checkpoint, written while the key was locked (signed at the next sign-in). */
  unsignedTail: number;
  checkpointsChecked: number;
  externalCheckpointSize: number | null;
  problems: LedgerProblem[];
  durationMs: number;
}

export interface VerifyOptions {
  /**
   * The bundled worker (out/node/ledger-verify-worker.mjs). By default the file
   * beside this bundle; where it does not exist (tests on sources), one thread.
   */
  workerScript?: string | null;
  /** Ledgers smaller than this are verified on one thread. */
  parallelAbove?: number;
  /** Leaves per block (a power of two); ranges split on block boundaries. */
  blockSize?: number;
}

const MAX_PROBLEMS = 20;
const equal = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

function defaultWorker(): string | null {
  try {
    const file = fileURLToPath(new URL('./ledger-verify-worker.mjs', import.meta.url));
    return existsSync(file) ? file : null;
  } catch {
    return null;
  }
}

/**
 * Full verification: every leaf recomputed from its entry, the tree rebuilt,
 * every checkpoint's signature checked and its root compared with the rebuilt
 * tree at its size (which also makes each consistent with the one before),
 * and the checkpoint kept outside the database compared the same way. Large
 * ledgers are hashed on two threads, split on aligned subtrees.
 */
export async function verifyLedger(
  db: Db,
  witness: CheckpointWitness | undefined,
  options: VerifyOptions = {},
): Promise<LedgerVerification> {
  const started = performance.now();
  const problems: LedgerProblem[] = [];
  const problem = (index: number | null, reason: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ index, reason });
  };
  const key = readLedgerPublicKey(db);
  const verifier: Verifier | undefined = key ? { name: key.origin, publicKey: key.publicKey } : undefined;

  // Checkpoints to meet: size -> expected roots and where each came from.
  const expected = new Map<number, { root: Uint8Array; from: string }[]>();
  const expect = (note: string, from: string): number | undefined => {
    if (!verifier) return undefined;
    try {
      const c = parseCheckpointText(verifyNote(note, verifier).text);
      if (c.origin !== verifier.name) throw new Error(`its origin is ${c.origin}, not ${verifier.name}`);
      expected.set(c.size, [...(expected.get(c.size) ?? []), { root: c.root, from }]);
      return c.size;
    } catch (error) {
      problem(null, `${from}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const kept = db.prepare('SELECT size, note FROM ledger_checkpoints ORDER BY size').all() as {
    size: number;
    note: string;
  }[];
  let checked = 0;
  for (const c of kept) {
    const size = expect(c.note, `checkpoint at size ${c.size}`);
    if (size !== undefined && size !== c.size)
      problem(null, `checkpoint row ${c.size} holds a checkpoint of size ${size}`);
    checked++;
  }
  const head = db.prepare('SELECT size, note FROM ledger_head WHERE id = 1').get() as
    { size: number; note: string } | undefined;
  const headSize = head ? expect(head.note, 'newest checkpoint') : undefined;
  if (head) checked++;
  // Every copy kept outside the database (a file; the OS keyring in Electron).
  const copies = witness instanceof WitnessSet ? witness.members : witness ? [witness] : [];
  const outside = new Set(copies.map((c) => c.label));
  let externalSize: number | undefined;
  for (const copy of copies) {
    const note = copy.read();
    const size = note !== undefined ? expect(note, copy.label) : undefined;
    if (size !== undefined) externalSize = Math.max(externalSize ?? 0, size);
  }

  const count = db.prepare('SELECT count(*) FROM ledger_entries').pluck().get() as number;
  const span = db.prepare('SELECT coalesce(max(idx) + 1, 0) FROM ledger_entries').pluck().get() as number;
  if (count > 0 && !verifier)
    problem(null, 'the ledger has entries but no public key: the data directory is damaged');

  // Hash every leaf, on two threads when it pays.
  const blockSize = options.blockSize ?? 8192;
  const sizes = [...expected.keys()].filter((s) => s > 0 && s <= span);
  const workerScript = options.workerScript === undefined ? defaultWorker() : options.workerScript;
  const blocks = Math.ceil(span / blockSize);
  let results: RangeResult[];
  if (workerScript && span >= (options.parallelAbove ?? 200_000) && blocks >= 2) {
    const split = Math.ceil(blocks / 2) * blockSize;
    const worker = runWorker(workerScript, { dbPath: db.name, start: split, end: span, blockSize, sizes });
    worker.catch(() => undefined); // awaited below; avoid an unhandled rejection while this thread works
    const mine = hashRange(db, 0, split, blockSize, sizes);
    results = [mine, await worker];
  } else {
    results = [hashRange(db, 0, span, blockSize, sizes)];
  }
  for (const r of results) for (const p of r.problems) problem(p.index, p.reason);

  // Join: block roots form the upper tree; inner stacks complete each checkpoint's frontier.
  const blockRoots: Uint8Array[] = [];
  const snapshots = new Map<number, Uint8Array[]>();
  for (const r of results) {
    for (const [b, h] of r.blockRoots) blockRoots[b] = h;
    for (const [s, stack] of r.snapshots) snapshots.set(s, stack);
  }
  const perfect = (first: number, count: number): Uint8Array =>
    count === 1
      ? (blockRoots[first] as Uint8Array)
      : nodeHash(perfect(first, count / 2), perfect(first + count / 2, count / 2));
  const rootAt = (size: number): Uint8Array => {
    const whole = Math.floor(size / blockSize);
    const frontier: Uint8Array[] = [];
    let at = 0;
    for (let bit = 30; bit >= 0; bit--) {
      const width = 2 ** bit;
      if (whole - at >= width) {
        frontier.push(perfect(at, width));
        at += width;
      }
    }
    if (size % blockSize) frontier.push(...(snapshots.get(size) ?? []));
    return foldFrontier(frontier);
  };

  for (const w of expected.get(0) ?? []) {
    if (!equal(w.root, emptyRoot())) problem(null, `${w.from} (size 0) does not have the empty tree's root`);
  }
  for (const size of [...expected.keys()].sort((a, b) => a - b)) {
    if (size === 0) continue;
    for (const w of expected.get(size) ?? []) {
      if (size > span) {
        problem(
          count,
          outside.has(w.from)
            ? `the database has ${count} entries but the ${w.from} has ${size}: the database was rolled back or replaced`
            : `${w.from} covers ${size} entries but only ${count} exist: entries from ${count} were removed`,
        );
        continue;
      }
      if (equal(rootAt(size), w.root)) continue;
      // A changed entry already reported explains the mismatch; otherwise find where it is.
      if (problems.some((p) => p.index !== null && p.index < size)) continue;
      const found = locateChange(db, size);
      if (found?.reason) problem(found.index, found.reason);
      else {
        problem(
          found?.index ?? null,
          `${w.from} (size ${size}) does not match the entries: entries before ${size} were changed`,
        );
      }
    }
  }
  problems.sort((a, b) => (a.index ?? Infinity) - (b.index ?? Infinity));
  const signedSize = headSize ?? 0;
  return {
    ok: problems.length === 0,
    entries: count,
    signedSize,
    unsignedTail: Math.max(0, count - signedSize),
    checkpointsChecked: checked,
    externalCheckpointSize: externalSize ?? null,
    problems,
    durationMs: Math.round(performance.now() - started),
  };
}

function runWorker(script: string, workerData: object): Promise<RangeResult> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(script, { workerData });
    worker.once('message', (result: RangeResult) => resolve(result));
    worker.once('error', reject);
    worker.once('exit', (code) => {
      if (code !== 0) reject(new Error(`the verification worker exited with ${code}`));
    });
  });
}

/**
 * A root did not match: find where. First the entry whose content no longer
 * matches its stored leaf hash; failing that (the stored hashes were
 * rewritten too), the first pair whose stored level-1 node differs.
 */
function locateChange(db: Db, size: number): { index: number; reason: string } | undefined {
  const rows = db
    .prepare('SELECT idx, entry, leaf_hash FROM ledger_entries WHERE idx < ? ORDER BY idx')
    .raw();
  const node = db.prepare('SELECT hash FROM ledger_nodes WHERE level = 1 AND idx = ?').pluck();
  let pair: number | undefined;
  let previous: Uint8Array | undefined;
  for (const [idx, entry, stored] of rows.iterate(size) as Iterable<[number, Buffer, Buffer]>) {
    const leaf = leafHash(entry);
    if (!equal(leaf, stored)) {
      return { index: idx, reason: `entry ${idx} was changed: its content no longer matches its hash` };
    }
    if (pair === undefined && idx % 2 === 1 && previous) {
      const storedNode = node.get((idx - 1) / 2) as Buffer | undefined;
      if (storedNode && !equal(storedNode, nodeHash(previous, leaf))) pair = idx - 1;
    }
    previous = leaf;
  }
  return pair === undefined ? undefined : { index: pair, reason: '' };
}
