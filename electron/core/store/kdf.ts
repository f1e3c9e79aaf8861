import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * scrypt, from Node's OpenSSL, for passphrase hashes and key-encryption keys.
 * Parameters are stored with every result (PHC string format) so they can be
 * raised later without breaking old records.
 */
export interface ScryptParams {
  /** log2 of the CPU/memory cost N */
  ln: number;
  r: number;
  p: number;
}

/** ~32 MiB and ~100 ms per derivation on the reference machine. */
export const DEFAULT_SCRYPT: ScryptParams = { ln: 15, r: 8, p: 1 };

export function deriveKey(secret: string, salt: Buffer, params: ScryptParams, length = 32): Promise<Buffer> {
  const N = 2 ** params.ln;
  const maxmem = 256 * N * params.r + 1024 * 1024;
  return new Promise((resolve, reject) => {
    scrypt(secret.normalize('NFC'), salt, length, { N, r: params.r, p: params.p, maxmem }, (err, key) =>
      err ? reject(err) : resolve(key),
    );
  });
}

const b64 = (b: Buffer) => b.toString('base64').replace(/=+$/, '');

/** `$scrypt$ln=15,r=8,p=1$<salt b64>$<hash b64>` */
export function formatPhc(params: ScryptParams, salt: Buffer, hash?: Buffer): string {
  const head = `$scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${b64(salt)}`;
  return hash ? `${head}$${b64(hash)}` : head;
}

export function parsePhc(phc: string): { params: ScryptParams; salt: Buffer; hash: Buffer | undefined } {
  const m = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)(?:\$([A-Za-z0-9+/]+))?$/.exec(
    phc,
  );
  if (!m) throw new Error('not a scrypt PHC string');
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) };
  if (params.ln < 10 || params.ln > 22) throw new Error('scrypt cost out of range');
  return {
    params,
    salt: Buffer.from(m[4] as string, 'base64'),
    hash: m[5] ? Buffer.from(m[5], 'base64') : undefined,
  };
}

export async function hashPassphrase(
  passphrase: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<string> {
  const salt = randomBytes(16);
  return formatPhc(params, salt, await deriveKey(passphrase, salt, params));
}

export async function verifyPassphrase(passphrase: string, phc: string): Promise<boolean> {
  const { params, salt, hash } = parsePhc(phc);
  if (!hash) return false;
  const candidate = await deriveKey(passphrase, salt, params, hash.length);
  return timingSafeEqual(candidate, hash);
}
