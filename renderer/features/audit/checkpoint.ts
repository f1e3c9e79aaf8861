/**
 * Reading a C2SP signed checkpoint note for display (docs/audit-format.md §4):
 * origin line, size line, base64 root line, a blank line, then signature lines
 * that start with "— ". Display only: the core verifies; nothing here is trusted.
 */
export interface CheckpointText {
  origin: string;
  size: number;
  root: string;
  /** The key names of the signature lines. */
  signers: string[];
}

export function parseCheckpoint(note: string): CheckpointText | undefined {
  const [origin, size, root, blank, ...rest] = note.split('\n');
  if (!origin || !size || !root || blank !== '' || !/^\d+$/.test(size)) return undefined;
  const signers = rest
    .filter((line) => line.startsWith('— '))
    .map((line) => line.slice(2).split(' ')[0] ?? '');
  return { origin, size: Number(size), root, signers };
}

/** The base64 root hash line of a checkpoint note. */
export function checkpointRoot(note: string): string | undefined {
  return parseCheckpoint(note)?.root;
}
