import { b64lines, parseB64Lines } from './export-format';
import { leafHash, verifyInclusion } from './merkle';
import { parseCheckpointText, verifyNote, type Verifier } from './note';

/**
 * One entry with its inclusion proof, as a c2sp.org/tlog-proof@v1 file. The
 * `extra` line carries the entry's canonical JSON so the proof is checkable
 * with nothing else; the checkpoint follows verbatim.
 */
const HEADER = 'c2sp.org/tlog-proof@v1';

export function formatTlogProof(p: {
  entry: Uint8Array;
  index: number;
  proof: readonly Uint8Array[];
  checkpoint: string;
}): string {
  return `${HEADER}\nextra ${Buffer.from(p.entry).toString('base64')}\nindex ${p.index}\n${b64lines(p.proof)}\n${p.checkpoint}`;
}

export interface CheckedProof {
  index: number;
  treeSize: number;
  entry: unknown;
}

/** Verifies a tlog-proof file against the ledger key; throws with the reason. */
export function verifyTlogProof(text: string, verifier: Verifier): CheckedProof {
  const lines = text.split('\n');
  if (lines[0] !== HEADER) throw new Error(`not a ${HEADER} file`);
  const extra = /^extra ([A-Za-z0-9+/]+={0,2})$/.exec(lines[1] ?? '');
  if (!extra) throw new Error('the proof carries no entry (no extra line)');
  const entry = Buffer.from(extra[1] as string, 'base64');
  if (entry.toString('base64') !== extra[1]) throw new Error('the entry is not canonical base64');
  const index = /^index (0|[1-9][0-9]*)$/.exec(lines[2] ?? '');
  if (!index) throw new Error('malformed index line');
  const blank = lines.indexOf('', 3);
  if (blank < 0) throw new Error('no blank line before the checkpoint');
  const proof = parseB64Lines(
    lines
      .slice(3, blank)
      .map((l) => `${l}\n`)
      .join(''),
    'inclusion proof',
  );
  const checkpoint = parseCheckpointText(verifyNote(lines.slice(blank + 1).join('\n'), verifier).text);
  if (checkpoint.origin !== verifier.name)
    throw new Error(`the checkpoint is for another ledger (${checkpoint.origin})`);
  const i = Number(index[1]);
  if (!verifyInclusion(leafHash(entry), i, checkpoint.size, proof, checkpoint.root)) {
    throw new Error(`entry ${i} is not in the tree of size ${checkpoint.size} signed by ${verifier.name}`);
  }
  const parsed = JSON.parse(entry.toString('utf8')) as { index?: unknown };
  if (parsed.index !== i) throw new Error(`the entry says it is entry ${String(parsed.index)}, not ${i}`);
  return { index: i, treeSize: checkpoint.size, entry: parsed };
}
