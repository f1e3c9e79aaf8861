/**
 * C2SP signed notes (c2sp.org/signed-note), tlog checkpoints
 * (c2sp.org/tlog-checkpoint) and timestamped Ed25519 cosignatures
 * (c2sp.org/tlog-cosignature), byte for byte, so Go's
 * golang.org/x/mod/sumdb/note or any conforming verifier accepts them.
 */
import { createHash, createPublicKey, verify as edVerify, type KeyObject } from 'node:crypto';

export const SIG_ED25519 = 0x01;
export const SIG_COSIGNATURE_V1 = 0x04;
const EM_DASH = '\u2014';
const MAX_SIGNATURES = 16;

export interface NoteSignature {
  name: string;
  keyId: Uint8Array;
  signature: Uint8Array;
}

/** SHA-256(key name || 0x0A || type || public key)[:4] */
export function keyId(name: string, type: number, publicKey: Uint8Array): Uint8Array {
  const h = createHash('sha256');
  h.update(name, 'utf8');
  h.update(Uint8Array.of(0x0a, type));
  h.update(publicKey);
  return new Uint8Array(h.digest().subarray(0, 4));
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const b64 = (b: Uint8Array) => Buffer.from(b).toString('base64');

export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

/** The verifier key string: `<name>+<key id hex>+<base64(0x01 || public key)>`. */
export function verifierKey(name: string, publicKey: Uint8Array): string {
  return `${name}+${hex(keyId(name, SIG_ED25519, publicKey))}+${b64(Uint8Array.of(SIG_ED25519, ...publicKey))}`;
}

export interface Verifier {
  name: string;
  publicKey: Uint8Array;
}

export function parseVerifierKey(text: string): Verifier {
  // NAME+KEYID+BASE64: names have no '+', the base64 may.
  const m = /^([^+]+)\+([0-9a-f]{8})\+([A-Za-z0-9+/]+={0,2})$/.exec(text.trim());
  if (!m) throw new Error('a verifier key has the form NAME+KEYID+BASE64');
  const [, name, id, key] = m as unknown as [string, string, string, string];
  if (!isValidKeyName(name)) throw new Error('the verifier key name is empty or has spaces');
  const raw = Buffer.from(key, 'base64');
  if (raw.toString('base64') !== key) throw new Error('the verifier key is not canonical base64');
  if (raw.length !== 33 || raw[0] !== SIG_ED25519) throw new Error('the verifier key is not an Ed25519 key');
  const publicKey = new Uint8Array(raw.subarray(1));
  if (!/^[0-9a-f]{8}$/.test(id) || id !== hex(keyId(name, SIG_ED25519, publicKey))) {
    throw new Error('the verifier key id does not match its name and key');
  }
  return { name, publicKey };
}

export function ed25519PublicKeyObject(publicKey: Uint8Array): KeyObject {
  // SPKI DER for Ed25519: the fixed 12-byte prefix and the 32-byte key.
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]);
  return createPublicKey({ key: spki, format: 'der', type: 'spki' });
}

/** The 32-byte public key of an Ed25519 key (private or public). */
export function rawEd25519PublicKey(key: KeyObject): Uint8Array {
  return new Uint8Array(createPublicKey(key).export({ format: 'der', type: 'spki' }).subarray(12));
}

export function signatureLine(name: string, id: Uint8Array, signature: Uint8Array): string {
  return `${EM_DASH} ${name} ${b64(Uint8Array.of(...id, ...signature))}\n`;
}

/** Splits a signed note into its text (ending in newline) and signature lines. Throws on malformed notes. */
export function parseNote(note: string): { text: string; signatures: NoteSignature[] } {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0009\u000b-\u001f]/.test(note)) throw new Error('the note contains control characters');
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) throw new Error('the note has no blank line before its signatures');
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length === 0 || lines.length > MAX_SIGNATURES)
    throw new Error('the note has no or too many signatures');
  const signatures = lines.map((line) => {
    const m = /^\u2014 (\S+) ([A-Za-z0-9+/]+={0,2})$/u.exec(line);
    if (!m) throw new Error(`malformed signature line: ${JSON.stringify(line.slice(0, 80))}`);
    const raw = Buffer.from(m[2] as string, 'base64');
    if (raw.length < 5 || b64(raw) !== m[2]) throw new Error('malformed signature encoding');
    return {
      name: m[1] as string,
      keyId: new Uint8Array(raw.subarray(0, 4)),
      signature: new Uint8Array(raw.subarray(4)),
    };
  });
  return { text, signatures };
}

const sameId = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * Verifies a note's Ed25519 signature from `verifier` (type 0x01). Unknown
 * signatures are ignored, as the spec requires; a known one that fails rejects.
 */
export function verifyNote(note: string, verifier: Verifier): { text: string; signatures: NoteSignature[] } {
  const parsed = parseNote(note);
  const id = keyId(verifier.name, SIG_ED25519, verifier.publicKey);
  const known = parsed.signatures.filter((s) => s.name === verifier.name && sameId(s.keyId, id));
  if (known.length === 0) throw new Error(`the note is not signed by ${verifier.name}`);
  const key = ed25519PublicKeyObject(verifier.publicKey);
  for (const s of known) {
    if (!edVerify(null, Buffer.from(parsed.text, 'utf8'), key, s.signature)) {
      throw new Error(`the signature by ${verifier.name} does not verify`);
    }
  }
  return parsed;
}

// --- checkpoints -----------------------------------------------------------

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  extensions: string[];
}

export function checkpointText(c: Checkpoint): string {
  return [c.origin, String(c.size), b64(c.root), ...c.extensions].join('\n') + '\n';
}

export function parseCheckpointText(text: string): Checkpoint {
  const lines = text.split('\n');
  if (lines.at(-1) !== '') throw new Error('checkpoint text must end with a newline');
  lines.pop();
  if (lines.length < 3) throw new Error('a checkpoint has at least three lines');
  const [origin, size, root, ...extensions] = lines as [string, string, string, ...string[]];
  if (!origin) throw new Error('the checkpoint origin is empty');
  if (!/^(0|[1-9][0-9]*)$/.test(size) || !Number.isSafeInteger(Number(size))) {
    throw new Error('the checkpoint tree size is not a decimal number without leading zeros');
  }
  const rootBytes = Buffer.from(root, 'base64');
  if (rootBytes.length !== 32 || b64(rootBytes) !== root)
    throw new Error('the checkpoint root hash is not 32 bytes of base64');
  if (extensions.some((e) => e === '')) throw new Error('checkpoint extension lines must not be empty');
  return { origin, size: Number(size), root: new Uint8Array(rootBytes), extensions };
}

// --- timestamped cosignatures (type 0x04) ------------------------------------

/** The message a v1 cosignature signs. */
export function cosignedMessage(checkpoint: string, timestamp: number): string {
  return `cosignature/v1\ntime ${timestamp}\n${checkpoint}`;
}

/** Reads and verifies a timestamped cosignature by `verifier` on the note; returns its POSIX time. */
export function verifyCosignature(note: string, verifier: Verifier): number {
  const parsed = parseNote(note);
  const id = keyId(verifier.name, SIG_COSIGNATURE_V1, verifier.publicKey);
  const sig = parsed.signatures.find((s) => s.name === verifier.name && sameId(s.keyId, id));
  if (!sig) throw new Error('the checkpoint carries no signed timestamp');
  if (sig.signature.length !== 72) throw new Error('the timestamp signature has the wrong length');
  const timestamp = Buffer.from(sig.signature).readBigUInt64BE(0);
  if (timestamp > BigInt(Number.MAX_SAFE_INTEGER)) throw new Error('the signed timestamp is out of range');
  const message = cosignedMessage(parsed.text, Number(timestamp));
  if (
    !edVerify(
      null,
      Buffer.from(message, 'utf8'),
      ed25519PublicKeyObject(verifier.publicKey),
      sig.signature.subarray(8),
    )
  ) {
    throw new Error('the signed timestamp does not verify');
  }
  return Number(timestamp);
}
