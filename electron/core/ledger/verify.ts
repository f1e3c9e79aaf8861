import type { Db } from '../store';
import { emptyRoot, leafHash, nodeHash } from './merkle';
import { parseCheckpointText, verifyNote, type Verifier } from './note';
import type { CheckpointWitness } from './witness';
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

const MAX_PROBLEMS = 20;
const PAGE = 20_000;
const INDEX_FIELD = Buffer.from('"index":');

/**
 * The entry's own "index" member, read without parsing: members are sorted, so
 * the top-level "index" comes after "durationMs" (a number) and "error" (a
 * string, where a quote would be escaped), and is its first unescaped match.
 */
function claimedIndex(entry: Buffer): number | undefined {
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
const equal = (a: Uint8Array, b: Uint8Array) => Buffer.compare(a, b) === 0;

/**
 * Full verification: every leaf recomputed from its entry, the tree rebuilt,
 * every checkpoint's signature checked and its root compared with the rebuilt
 * tree at its size (which also makes each consistent with the one before),
 * and the checkpoint kept outside the database compared the same way.
 */
export function verifyLedger(db: Db, witness: CheckpointWitness | undefined): LedgerVerification {
  const started = performance.now();
  const problems: LedgerProblem[] = [];
  const problem = (index: number | null, reason: string) => {
    if (problems.length < MAX_PROBLEMS) problems.push({ index, reason });
  };
  const key = readLedgerPublicKey(db);
  const verifier: Verifier | undefined = key ? { name: key.origin, publicKey: key.publicKey } : undefined;

  // Checkpoints to meet along the way: size -> root and where it came from.
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
  const stored = db.prepare('SELECT size, note FROM ledger_checkpoints ORDER BY size').all() as {
    size: number;
    note: string;
  }[];
  let checked = 0;
  for (const c of stored) {
    const size = expect(c.note, `checkpoint at size ${c.size}`);
    if (size !== undefined && size !== c.size)
      problem(null, `checkpoint row ${c.size} holds a checkpoint of size ${size}`);
    checked++;
  }
  const head = db.prepare('SELECT size, note FROM ledger_head WHERE id = 1').get() as
    { size: number; note: string } | undefined;
  const headSize = head ? expect(head.note, 'newest checkpoint') : undefined;
  if (head) checked++;
  const external = witness?.read();
  const externalSize =
    external !== undefined ? expect(external, 'checkpoint kept outside the database') : undefined;

  const count = db.prepare('SELECT count(*) FROM ledger_entries').pluck().get() as number;
  if (count > 0 && !verifier)
    problem(null, 'the ledger has entries but no public key: the data directory is damaged');

  for (const w of expected.get(0) ?? []) {
    if (!equal(w.root, emptyRoot())) problem(null, `${w.from} (size 0) does not have the empty tree's root`);
  }
  expected.delete(0);

  // One pass over the entries, folding the tree as an appender would.
  const stack: { size: number; hash: Uint8Array }[] = [];
  let next = 0;
  // Pages of rows: .all() on a range is markedly faster than a row-by-row iterator.
  const page = db
    .prepare('SELECT idx, entry, leaf_hash FROM ledger_entries WHERE idx >= ? ORDER BY idx LIMIT ?')
    .raw();
  const rows = function* () {
    for (let from = 0; ;) {
      const batch = page.all(from, PAGE) as [number, Buffer, Buffer][];
      yield* batch;
      if (batch.length < PAGE) return;
      from = (batch.at(-1) as [number, Buffer, Buffer])[0] + 1;
    }
  };
  for (const [idx, entry, stored] of rows()) {
    if (idx !== next) {
      problem(next, idx > next ? `entries ${next}–${idx - 1} are missing` : `entry ${idx} appears twice`);
      next = idx;
    }
    const leaf = leafHash(entry);
    if (!equal(leaf, stored))
      problem(idx, `entry ${idx} was changed: its content no longer matches its hash`);
    const claimed = claimedIndex(entry);
    if (claimed !== idx)
      problem(idx, `entry ${idx} says it is entry ${claimed ?? '(none)'}: rows were reordered`);
    let node = { size: 1, hash: leaf };
    while (stack.length && (stack.at(-1) as { size: number }).size === node.size) {
      const left = stack.pop() as { size: number; hash: Uint8Array };
      node = { size: left.size * 2, hash: nodeHash(left.hash, node.hash) };
    }
    stack.push(node);
    next++;
    const want = expected.get(next);
    if (want) {
      let root = (stack.at(-1) as { hash: Uint8Array }).hash;
      for (let i = stack.length - 2; i >= 0; i--)
        root = nodeHash((stack[i] as { hash: Uint8Array }).hash, root);
      for (const w of want) {
        if (equal(root, w.root)) continue;
        // A changed entry already reported explains the mismatch; otherwise find where it is.
        if (problems.some((p) => p.index !== null && p.index < next)) continue;
        problem(
          locateChange(db, next),
          `${w.from} (size ${next}) does not match the entries: entries before ${next} were changed`,
        );
      }
      expected.delete(next);
    }
  }
  for (const [size, list] of expected) {
    for (const w of list) {
      problem(
        count,
        w.from === 'checkpoint kept outside the database'
          ? `the database has ${count} entries but the checkpoint kept outside it has ${size}: the database was rolled back or replaced`
          : `${w.from} covers ${size} entries but only ${count} exist: entries from ${count} were removed`,
      );
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

/**
 * When a root does not match but every leaf matched its stored hash, the
 * stored hashes were rewritten too: compare recomputed pairs with the stored
 * level-1 nodes to name the first pair that changed, if the nodes were left.
 */
function locateChange(db: Db, size: number): number | null {
  const leaves = db.prepare('SELECT entry FROM ledger_entries WHERE idx < ? ORDER BY idx').pluck().raw(false);
  const node = db.prepare('SELECT hash FROM ledger_nodes WHERE level = 1 AND idx = ?').pluck();
  let previous: Uint8Array | undefined;
  let i = 0;
  for (const entry of leaves.iterate(size) as Iterable<Buffer>) {
    const leaf = leafHash(entry);
    if (i % 2 === 1 && previous) {
      const storedNode = node.get((i - 1) / 2) as Buffer | undefined;
      if (storedNode && !equal(storedNode, nodeHash(previous, leaf))) return i - 1;
    }
    previous = leaf;
    i++;
  }
  return null;
}
