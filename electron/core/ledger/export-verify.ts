import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { sshsigVerify } from '../../../offline-bundles/sshsig';
import { canonicalJson } from './canonical-json';
import {
  EXPORT_FORMAT,
  FILES,
  parseB64Lines,
  PARTIAL_SUFFIX,
  recordingFile,
  recordingOf,
  SSHSIG_NAMESPACE,
  type ExportMeta,
} from './export-format';
import { leafHash, nodeHash, verifyConsistency } from './merkle';
import {
  parseCheckpointText,
  parseNote,
  parseVerifierKey,
  verifyCosignature,
  verifyNote,
  type Verifier,
} from './note';
import { foldFrontier } from './tree-store';

/**
 * Offline verification of an export folder, needing nothing but the folder
 * (and, ideally, a trusted key and the previous checkpoint). Stops at the
 * first problem and names it.
 */
export interface ExportVerification {
  ok: boolean;
  problem: { file: string; index: number | null; reason: string } | null;
  from: number | null;
  to: number | null;
  origin: string | null;
  /** When the workstation signed the checkpoint (its signed timestamp). */
  signedAt: string | null;
  /** 'given' when --key was passed, 'export' when the key came from the folder itself. */
  keySource: 'given' | 'export' | null;
  checks: string[];
}

class Refusal extends Error {
  constructor(
    readonly file: string,
    readonly index: number | null,
    reason: string,
  ) {
    super(reason);
  }
}

/** Where the verifier reads the folder from: the disk, or memory in the bit-flip tests. */
export interface ExportFolder {
  name: string;
  list(): string[];
  read(file: string): Buffer | undefined;
}

export function folderOnDisk(dir: string): ExportFolder {
  const folder = path.resolve(dir);
  const isDir = statSync(folder, { throwIfNoEntry: false })?.isDirectory() ?? false;
  return {
    name: folder,
    list: () => (isDir ? readdirSync(folder) : []),
    read(file) {
      try {
        return readFileSync(path.join(folder, file));
      } catch {
        return undefined;
      }
    },
  };
}

export function verifyExport(
  dir: string | ExportFolder,
  options: { key?: string; previous?: string } = {},
): ExportVerification {
  const result: ExportVerification = {
    ok: false,
    problem: null,
    from: null,
    to: null,
    origin: null,
    signedAt: null,
    keySource: null,
    checks: [],
  };
  try {
    check(typeof dir === 'string' ? folderOnDisk(dir) : dir, options, result);
    result.ok = true;
  } catch (error) {
    result.problem =
      error instanceof Refusal
        ? { file: error.file, index: error.index, reason: error.message }
        : { file: '', index: null, reason: (error as Error).message };
  }
  return result;
}

function check(
  folder: ExportFolder,
  options: { key?: string; previous?: string },
  r: ExportVerification,
): void {
  if (folder.name.endsWith(PARTIAL_SUFFIX)) {
    throw new Refusal('', null, 'this is an interrupted export (its name ends in .partial)');
  }
  if (folder.list().length === 0)
    throw new Refusal('', null, `${folder.name} is not an export folder (it is empty or missing)`);
  const read = (file: string): Buffer => {
    const bytes = folder.read(file);
    if (!bytes) throw new Refusal(file, null, `${file} is missing: the export is incomplete`);
    return bytes;
  };
  const text = (file: string) => {
    const bytes = read(file);
    const s = bytes.toString('utf8');
    if (!Buffer.from(s, 'utf8').equals(bytes)) throw new Refusal(file, null, `${file} is not valid UTF-8`);
    return s;
  };

  // 1. The key: given by the auditor, or (weaker) the one in the folder.
  const inFolder = text(FILES.key).trim();
  let verifier: Verifier;
  try {
    verifier = parseVerifierKey(inFolder);
    if (options.key !== undefined) {
      const given = parseVerifierKey(options.key);
      if (given.name !== verifier.name || Buffer.compare(given.publicKey, verifier.publicKey) !== 0) {
        throw new Error('the export was signed by another key than the one you trust');
      }
      r.keySource = 'given';
    } else r.keySource = 'export';
  } catch (error) {
    throw new Refusal(FILES.key, null, (error as Error).message);
  }
  r.origin = verifier.name;

  // 2. The manifest: signed, and every file as listed, nothing more.
  const manifest = read(FILES.manifest);
  let sig;
  try {
    sig = sshsigVerify(text(FILES.manifestSig), manifest, SSHSIG_NAMESPACE);
  } catch (error) {
    throw new Refusal(FILES.manifestSig, null, (error as Error).message);
  }
  if (!sig.valid || Buffer.compare(sig.publicKey, verifier.publicKey) !== 0) {
    throw new Refusal(FILES.manifestSig, null, 'the manifest signature does not verify with the ledger key');
  }
  const listed = new Map<string, string>();
  for (const line of manifest.toString('utf8').split('\n').filter(Boolean)) {
    const m = /^([0-9a-f]{64}) {2}([A-Za-z0-9._-]+)$/.exec(line);
    if (!m)
      throw new Refusal(
        FILES.manifest,
        null,
        `malformed manifest line: ${JSON.stringify(line.slice(0, 80))}`,
      );
    listed.set(m[2] as string, m[1] as string);
  }
  const present = folder.list().filter((f) => f !== FILES.manifest && f !== FILES.manifestSig);
  for (const f of present)
    if (!listed.has(f)) throw new Refusal(f, null, `${f} is not in the signed manifest`);
  for (const [file, sha] of listed) {
    if (createHash('sha256').update(read(file)).digest('hex') !== sha) {
      throw new Refusal(
        file,
        null,
        `${file} was changed after it was signed (its SHA-256 differs from the manifest)`,
      );
    }
  }
  for (const required of [FILES.meta, FILES.entries, FILES.checkpoint, FILES.key]) {
    if (!listed.has(required)) throw new Refusal(required, null, `${required} is missing from the manifest`);
  }
  r.checks.push(`manifest signature (SSHSIG, ${SSHSIG_NAMESPACE}) and ${listed.size} file hashes`);

  // 3. The checkpoint and its signed time.
  const checkpointNote = text(FILES.checkpoint);
  let checkpoint;
  try {
    checkpoint = parseCheckpointText(verifyNote(checkpointNote, verifier).text);
    r.signedAt = new Date(verifyCosignature(checkpointNote, verifier) * 1000).toISOString();
  } catch (error) {
    throw new Refusal(FILES.checkpoint, null, (error as Error).message);
  }
  if (checkpoint.origin !== verifier.name)
    throw new Refusal(FILES.checkpoint, null, `the checkpoint is for another ledger (${checkpoint.origin})`);
  r.checks.push(`checkpoint signature and signed time (${r.signedAt})`);

  let meta: ExportMeta;
  try {
    meta = JSON.parse(text(FILES.meta)) as ExportMeta;
  } catch {
    throw new Refusal(FILES.meta, null, `${FILES.meta} is not JSON`);
  }
  if (meta.format !== EXPORT_FORMAT)
    throw new Refusal(FILES.meta, null, `unknown export format ${String(meta.format)}`);
  if (
    !Number.isSafeInteger(meta.from) ||
    meta.from < 0 ||
    meta.to !== checkpoint.size ||
    meta.from > meta.to
  ) {
    throw new Refusal(
      FILES.meta,
      null,
      `the export claims entries ${meta.from}–${meta.to} but the checkpoint has size ${checkpoint.size}`,
    );
  }
  r.from = meta.from;
  r.to = meta.to;

  // 4. Where the tree started: nothing, or the previous export's checkpoint.
  let frontierCheckAt = -1; // a full export checked against --previous: the size to compare at
  let frontier: Uint8Array[] = [];
  let previousRoot: Uint8Array | undefined;
  if (meta.from > 0) {
    const previousNote = text(FILES.previous);
    let previous;
    try {
      previous = parseCheckpointText(verifyNote(previousNote, verifier).text);
    } catch (error) {
      throw new Refusal(FILES.previous, null, (error as Error).message);
    }
    if (previous.size !== meta.from)
      throw new Refusal(
        FILES.previous,
        null,
        `the previous checkpoint has size ${previous.size}, not ${meta.from}`,
      );
    if (options.previous !== undefined) {
      const trusted = parseCheckpointText(parseNote(options.previous).text);
      if (
        trusted.size !== previous.size ||
        Buffer.compare(trusted.root, previous.root) !== 0 ||
        trusted.origin !== previous.origin
      ) {
        throw new Refusal(
          FILES.previous,
          null,
          `this export does not continue the checkpoint you gave (size ${trusted.size}): it starts from another tree`,
        );
      }
    }
    try {
      frontier = parseB64Lines(text(FILES.frontier), FILES.frontier);
    } catch (error) {
      throw new Refusal(FILES.frontier, null, (error as Error).message);
    }
    if (
      frontier.length !== popcount(meta.from) ||
      Buffer.compare(foldFrontier(frontier), previous.root) !== 0
    ) {
      throw new Refusal(FILES.frontier, null, 'the tree edge does not match the previous checkpoint');
    }
    let proof;
    try {
      proof = parseB64Lines(text(FILES.consistency), FILES.consistency);
    } catch (error) {
      throw new Refusal(FILES.consistency, null, (error as Error).message);
    }
    if (!verifyConsistency(previous.size, checkpoint.size, proof, previous.root, checkpoint.root)) {
      throw new Refusal(
        FILES.consistency,
        null,
        `the consistency proof from size ${previous.size} to ${checkpoint.size} does not verify`,
      );
    }
    previousRoot = previous.root;
    r.checks.push(
      `continues the previous checkpoint (size ${previous.size}) with a verified consistency proof`,
    );
  } else if (options.previous !== undefined) {
    const trusted = parseCheckpointText(parseNote(options.previous).text);
    r.checks.push(
      `full export: the previous checkpoint (size ${trusted.size}) is checked against the rebuilt tree`,
    );
    previousRoot = trusted.root;
    if (trusted.size > checkpoint.size)
      throw new Refusal(
        FILES.entries,
        null,
        `the export ends at ${checkpoint.size}, before the previous checkpoint (${trusted.size})`,
      );
    frontierCheckAt = trusted.size;
  }

  // 5. The entries: canonical, numbered, and rebuilding the signed root.
  const entries = read(FILES.entries);
  const stack = frontier.map((hash, i) => ({ size: 2 ** highBits(meta.from)[i]!, hash }));
  let index = meta.from;
  let start = 0;
  while (start < entries.length) {
    const end = entries.indexOf(0x0a, start);
    if (end < 0) throw new Refusal(FILES.entries, index, `entry ${index} is cut off (no final newline)`);
    const line = entries.subarray(start, end);
    let parsed: { index?: unknown };
    try {
      parsed = JSON.parse(line.toString('utf8')) as { index?: unknown };
    } catch {
      throw new Refusal(FILES.entries, index, `entry ${index} is not JSON`);
    }
    if (canonicalJson(parsed) !== line.toString('utf8'))
      throw new Refusal(FILES.entries, index, `entry ${index} is not in canonical form`);
    const rec = recordingOf(parsed as object);
    if (rec && listed.get(recordingFile(rec.id)) !== rec.sha256) {
      throw new Refusal(
        recordingFile(rec.id),
        index,
        listed.has(recordingFile(rec.id))
          ? `entry ${index}'s terminal recording is not the one the ledger vouches for (its SHA-256 differs)`
          : `entry ${index}'s terminal recording ${rec.id} is missing from the export`,
      );
    }
    if (parsed.index !== index)
      throw new Refusal(
        FILES.entries,
        index,
        `line for entry ${index} says it is entry ${String(parsed.index)}: entries were removed, added or reordered`,
      );
    let node = { size: 1, hash: leafHash(line) };
    while (stack.length && stack.at(-1)!.size === node.size) {
      const left = stack.pop()!;
      node = { size: left.size * 2, hash: nodeHash(left.hash, node.hash) };
    }
    stack.push(node);
    index++;
    if (
      index === frontierCheckAt &&
      previousRoot &&
      Buffer.compare(foldFrontier(stack.map((s) => s.hash)), previousRoot) !== 0
    ) {
      throw new Refusal(
        FILES.entries,
        null,
        `the entries do not contain the previous checkpoint's tree (size ${frontierCheckAt})`,
      );
    }
    start = end + 1;
  }
  if (index !== meta.to)
    throw new Refusal(
      FILES.entries,
      index,
      `the export should hold entries up to ${meta.to - 1} but ends at ${index - 1}`,
    );
  if (Buffer.compare(foldFrontier(stack.map((s) => s.hash)), checkpoint.root) !== 0) {
    throw new Refusal(
      FILES.entries,
      null,
      'the entries do not produce the signed root hash: an entry was changed',
    );
  }
  r.checks.push(`${meta.to - meta.from} entries canonical, in order, and hashing to the signed root`);
}

function popcount(n: number): number {
  return highBits(n).length;
}

/** The set bits of n, largest first (the levels of a frontier). */
function highBits(n: number): number[] {
  const out: number[] = [];
  for (let level = 52; level >= 0; level--) if (Math.floor(n / 2 ** level) % 2 === 1) out.push(level);
  return out;
}
