/**
 * OpenSSH's SSHSIG detached signatures (PROTOCOL.sshsig) with Ed25519 keys,
 * so anything we sign can also be checked with `ssh-keygen -Y verify`.
 */
import { createHash, sign as edSign, verify as edVerify, type KeyObject } from 'node:crypto';

const MAGIC = Buffer.from('SSHSIG');
const VERSION = 1;
const HASH = 'sha512';

/** An SSH wire `string`: a 32-bit big-endian length, then the bytes. */
export function sshString(data: Buffer | string): Buffer {
  const body = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
  const len = Buffer.alloc(4);
  len.writeUInt32BE(body.length);
  return Buffer.concat([len, body]);
}

/** The SSH wire encoding of an Ed25519 public key. */
export function sshEd25519PublicBlob(publicKey: Uint8Array): Buffer {
  return Buffer.concat([sshString('ssh-ed25519'), sshString(Buffer.from(publicKey))]);
}

/** `ssh-ed25519 AAAA… comment` */
export function opensshPublicKey(publicKey: Uint8Array, comment = ''): string {
  return `ssh-ed25519 ${sshEd25519PublicBlob(publicKey).toString('base64')}${comment ? ` ${comment}` : ''}`;
}

/** A line for `ssh-keygen -Y verify -f allowed_signers`. */
export function allowedSignersLine(principal: string, namespace: string, publicKey: Uint8Array): string {
  return `${principal} namespaces="${namespace}" ${opensshPublicKey(publicKey)}`;
}

function signedData(namespace: string, message: Buffer | Uint8Array): Buffer {
  const digest = createHash(HASH).update(message).digest();
  return Buffer.concat([MAGIC, sshString(namespace), sshString(''), sshString(HASH), sshString(digest)]);
}

export function sshsigSign(
  message: Buffer | Uint8Array,
  namespace: string,
  privateKey: KeyObject,
  publicKey: Uint8Array,
): string {
  const signature = edSign(null, signedData(namespace, message), privateKey);
  const version = Buffer.alloc(4);
  version.writeUInt32BE(VERSION);
  const blob = Buffer.concat([
    MAGIC,
    version,
    sshString(sshEd25519PublicBlob(publicKey)),
    sshString(namespace),
    sshString(''),
    sshString(HASH),
    sshString(Buffer.concat([sshString('ssh-ed25519'), sshString(signature)])),
  ]);
  const lines = blob.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN SSH SIGNATURE-----\n${lines.join('\n')}\n-----END SSH SIGNATURE-----\n`;
}

/** Reads SSH wire-format fields; `what` names the thing read in the truncation error. */
export class SshWireReader {
  private at = 0;
  constructor(
    private readonly buf: Buffer,
    private readonly what = 'the SSH signature',
  ) {}
  bytes(n: number): Buffer {
    if (this.at + n > this.buf.length) throw new Error(`${this.what} is truncated`);
    const out = this.buf.subarray(this.at, this.at + n);
    this.at += n;
    return out;
  }
  u32(): number {
    return this.bytes(4).readUInt32BE(0);
  }
  string(): Buffer {
    return this.bytes(this.u32());
  }
  done(): boolean {
    return this.at === this.buf.length;
  }
}

/** Parses an armored SSHSIG; returns the signer's raw Ed25519 key and whether the signature verifies. */
export function sshsigVerify(
  armored: string,
  message: Buffer | Uint8Array,
  namespace: string,
): { publicKey: Uint8Array; valid: boolean } {
  const m = /^-----BEGIN SSH SIGNATURE-----\n([A-Za-z0-9+/=\n]+)\n-----END SSH SIGNATURE-----\n?$/.exec(
    armored,
  );
  if (!m) throw new Error('not an armored SSH signature');
  const body = (m[1] as string).replace(/\n/g, '');
  const raw = Buffer.from(body, 'base64');
  // Strict: the text must be exactly the canonical encoding of what it decodes to.
  if (raw.toString('base64') !== body) throw new Error('the SSH signature is not canonical base64');
  const r = new SshWireReader(raw);
  if (!r.bytes(6).equals(MAGIC) || r.u32() !== VERSION) throw new Error('not an SSHSIG version 1 signature');
  const keyBlob = new SshWireReader(r.string());
  if (keyBlob.string().toString() !== 'ssh-ed25519')
    throw new Error('only ssh-ed25519 signatures are accepted');
  const publicKey = new Uint8Array(keyBlob.string());
  const ns = r.string().toString();
  r.string(); // reserved
  const hash = r.string().toString();
  const sigBlob = new SshWireReader(r.string());
  if (!r.done()) throw new Error('trailing bytes after the SSH signature');
  if (sigBlob.string().toString() !== 'ssh-ed25519')
    throw new Error('only ssh-ed25519 signatures are accepted');
  const signature = sigBlob.string();
  if (ns !== namespace) return { publicKey, valid: false };
  if (hash !== 'sha512' && hash !== 'sha256') throw new Error(`unsupported SSHSIG hash ${hash}`);
  const digest = createHash(hash).update(message).digest();
  const data = Buffer.concat([MAGIC, sshString(ns), sshString(''), sshString(hash), sshString(digest)]);
  const spki = Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), publicKey]);
  const valid =
    publicKey.length === 32 &&
    signature.length === 64 &&
    edVerify(null, data, { key: spki, format: 'der', type: 'spki' }, signature);
  return { publicKey, valid };
}
