/**
 * Ed25519 signing keys in OpenSSH's own formats: the `openssh-key-v1` private key
 * (what `ssh-keygen -t ed25519 -N ''` writes) and the `ssh-ed25519 AAAA…` public line,
 * so keys made here work with `ssh-keygen -Y sign` and keys made by ssh-keygen work here.
 */
import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { opensshPublicKey, sshEd25519PublicBlob, sshString, SshWireReader } from './sshsig';

const PKCS8_ED25519 = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519 = Buffer.from('302a300506032b6570032100', 'hex');
const AUTH_MAGIC = Buffer.from('openssh-key-v1\0');

function u32(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

/** The raw 32-byte public key of an Ed25519 KeyObject (private or public). */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const pub = key.type === 'private' ? createPublicKey(key) : key;
  const der = pub.export({ format: 'der', type: 'spki' });
  return new Uint8Array(der.subarray(der.length - 32));
}

export function privateKeyFromSeed(seed: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, seed]), format: 'der', type: 'pkcs8' });
}

export function publicKeyObject(raw: Uint8Array): KeyObject {
  return createPublicKey({ key: Buffer.concat([SPKI_ED25519, raw]), format: 'der', type: 'spki' });
}

/** `SHA256:…` as `ssh-keygen -l` prints it. */
export function fingerprint(raw: Uint8Array): string {
  return `SHA256:${createHash('sha256').update(sshEd25519PublicBlob(raw)).digest('base64').replace(/=+$/, '')}`;
}

/** Parses `ssh-ed25519 AAAA… [comment]` to the raw key; throws on anything else. */
export function parsePublicKeyLine(line: string): Uint8Array {
  const [type, b64] = line.trim().split(/\s+/);
  if (type !== 'ssh-ed25519' || !b64) throw new Error('only ssh-ed25519 public keys are accepted');
  const blob = Buffer.from(b64, 'base64');
  const r = new SshWireReader(blob, 'the key file');
  if (r.string().toString() !== 'ssh-ed25519') throw new Error('the key blob is not ssh-ed25519');
  const raw = r.string();
  if (raw.length !== 32 || !r.done()) throw new Error('the ssh-ed25519 key blob is malformed');
  return new Uint8Array(raw);
}

/** An unencrypted `openssh-key-v1` private key file for an Ed25519 key. */
export function opensshPrivateKey(seed: Uint8Array, publicKey: Uint8Array, comment: string): string {
  const check = randomBytes(4);
  const pubBlob = sshEd25519PublicBlob(publicKey);
  let priv = Buffer.concat([
    check,
    check,
    sshString('ssh-ed25519'),
    sshString(Buffer.from(publicKey)),
    sshString(Buffer.concat([seed, publicKey])),
    sshString(comment),
  ]);
  const pad = (8 - (priv.length % 8)) % 8;
  priv = Buffer.concat([priv, Buffer.from(Array.from({ length: pad }, (_, i) => i + 1))]);
  const body = Buffer.concat([
    AUTH_MAGIC,
    sshString('none'),
    sshString('none'),
    sshString(''),
    u32(1),
    sshString(pubBlob),
    sshString(priv),
  ]);
  const lines = body.toString('base64').match(/.{1,70}/g) ?? [];
  return `-----BEGIN OPENSSH PRIVATE KEY-----\n${lines.join('\n')}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

export interface SigningKey {
  privateKey: KeyObject;
  publicKey: Uint8Array;
  comment: string;
}

/** Reads an OpenSSH (unencrypted) or PKCS#8 PEM Ed25519 private key. */
export function readSigningKey(text: string): SigningKey {
  const m = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]+?)-----END OPENSSH PRIVATE KEY-----/.exec(text);
  if (!m) {
    try {
      const privateKey = createPrivateKey(text);
      if (privateKey.asymmetricKeyType !== 'ed25519') throw new Error('not ed25519');
      return { privateKey, publicKey: rawPublicKey(privateKey), comment: '' };
    } catch {
      throw new Error('not an Ed25519 private key in OpenSSH or PKCS#8 PEM format');
    }
  }
  const r = new SshWireReader(Buffer.from((m[1] as string).replace(/\s+/g, ''), 'base64'), 'the key file');
  if (!r.bytes(AUTH_MAGIC.length).equals(AUTH_MAGIC)) throw new Error('not an openssh-key-v1 private key');
  const cipher = r.string().toString();
  r.string(); // kdf name
  r.string(); // kdf options
  if (cipher !== 'none')
    throw new Error(
      'the private key is passphrase-protected; sign with `ssh-keygen -Y sign` (or an agent) and add the signature with --signature, or remove the passphrase with `ssh-keygen -p`',
    );
  if (r.u32() !== 1) throw new Error('the key file must hold exactly one key');
  r.string(); // public blob
  const p = new SshWireReader(r.string(), 'the key file');
  if (p.u32() !== p.u32()) throw new Error('the private key is corrupt (check bytes differ)');
  if (p.string().toString() !== 'ssh-ed25519') throw new Error('only ssh-ed25519 keys can sign bundles');
  const publicKey = new Uint8Array(p.string());
  const secret = p.string();
  const comment = p.string().toString();
  if (publicKey.length !== 32 || secret.length !== 64)
    throw new Error('the ssh-ed25519 private key is malformed');
  const privateKey = privateKeyFromSeed(secret.subarray(0, 32));
  if (!Buffer.from(rawPublicKey(privateKey)).equals(Buffer.from(publicKey)))
    throw new Error('the private key does not match its public half');
  return { privateKey, publicKey, comment };
}

/**
 * Writes `DIR/NAME` (OpenSSH private key, mode 0600) and `DIR/NAME.pub`; returns their paths,
 * the public line and its fingerprint.
 */
export function generateSigningKey(
  dir: string,
  name: string,
): { privateKeyPath: string; publicKeyPath: string; publicKey: string; fingerprint: string } {
  if (!/^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/.test(name))
    throw new Error(`key name "${name}": use 1-64 of A-Z a-z 0-9 . _ @ -`);
  mkdirSync(dir, { recursive: true });
  const { privateKey } = generateKeyPairSync('ed25519');
  const jwk = privateKey.export({ format: 'jwk' });
  const seed = Buffer.from(jwk.d as string, 'base64url');
  const pub = Buffer.from(jwk.x as string, 'base64url');
  const privateKeyPath = path.join(dir, name);
  const publicKeyPath = `${privateKeyPath}.pub`;
  writeFileSync(privateKeyPath, opensshPrivateKey(seed, pub, name), { mode: 0o600, flag: 'wx' });
  const publicKey = opensshPublicKey(pub, name);
  writeFileSync(publicKeyPath, `${publicKey}\n`, { mode: 0o644, flag: 'wx' });
  return { privateKeyPath, publicKeyPath, publicKey, fingerprint: fingerprint(pub) };
}

export function readSigningKeyFile(file: string): SigningKey {
  return readSigningKey(readFileSync(file, 'utf8'));
}
