/**
 * The connected side: build a bundle from a directory, and sign it (one signature member
 * per signer, inserted after the manifest; the file is rewritten to a temp file and renamed).
 */
import { createHash, type KeyObject } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  fsyncSync,
  lstatSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  rmSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import { fingerprint, rawPublicKey, readSigningKeyFile } from './keys';
import {
  canonicalJson,
  checksumsText,
  isBundleKind,
  MANIFEST_MEMBER,
  NAME_RE,
  SIGNATURE_DIR,
  SIGNER_RE,
  SUMS_MEMBER,
  PAYLOAD_DIR,
  validateManifest,
  VERSION_RE,
} from './manifest';
import { sshsigSign, sshsigVerify } from './sshsig';
import { BLOCK, END_OF_ARCHIVE, fileHeader, padding } from './tar-writer';
import {
  BUNDLE_NAMESPACE,
  FORMAT_VERSION,
  type BundleFile,
  type BundleKind,
  type BundleManifest,
} from './types';
import { scanBundle } from './verify';

const COPY_CHUNK = 4 * 2 ** 20;
const DAY = 86_400_000;

export interface BuildOptions {
  /** Directory whose regular files (recursively) become the payload. */
  source: string;
  name: string;
  kind: BundleKind;
  version: string;
  /** Default: 90 days after `created`. */
  expires?: Date;
  /** Default: now. */
  created?: Date;
  targets?: BundleManifest['targets'];
  description?: string;
  /** Payload paths (relative to source) that are SBOM documents. */
  sbom?: string[];
  out: string;
}

export interface BuiltBundle {
  path: string;
  manifest: BundleManifest;
  manifestSha256: string;
  bytes: number;
}

function walk(root: string): { path: string; abs: string; size: number; mode: number }[] {
  const out: { path: string; abs: string; size: number; mode: number }[] = [];
  const visit = (dir: string, rel: string) => {
    for (const name of readdirSync(dir).sort()) {
      const abs = path.join(dir, name);
      const r = rel ? `${rel}/${name}` : name;
      const st = lstatSync(abs);
      if (st.isDirectory()) visit(abs, r);
      else if (st.isFile()) out.push({ path: r, abs, size: st.size, mode: st.mode & 0o111 ? 0o755 : 0o644 });
      else
        throw new Error(
          `${abs} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a regular file'}; bundles hold regular files only (copy the target in instead)`,
        );
    }
  };
  visit(root, '');
  return out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

function hashFile(file: string, buf: Buffer): string {
  const fd = openSync(file, 'r');
  try {
    const h = createHash('sha256');
    for (;;) {
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
    }
    return h.digest('hex');
  } finally {
    closeSync(fd);
  }
}

function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/** Builds an unsigned bundle at `out` (written to a temp file, then renamed). */
export async function buildBundle(o: BuildOptions): Promise<BuiltBundle> {
  if (!NAME_RE.test(o.name))
    throw new Error(`--name ${o.name}: use 1-64 of a-z 0-9 . _ - starting with a letter or digit`);
  if (!isBundleKind(o.kind)) throw new Error(`--kind ${o.kind}: not a bundle kind`);
  if (!VERSION_RE.test(o.version))
    throw new Error(`--version ${o.version}: use dotted numbers such as 2.4.0`);
  const created = o.created ?? new Date();
  const expires = o.expires ?? new Date(created.getTime() + 90 * DAY);
  if (expires.getTime() <= created.getTime()) throw new Error('the expiry must be after the creation time');
  const buf = Buffer.allocUnsafe(COPY_CHUNK);
  const found = walk(o.source);
  const files: BundleFile[] = found.map((f) => ({
    path: f.path,
    size: f.size,
    sha256: hashFile(f.abs, buf),
    mode: f.mode,
  }));
  const manifest = validateManifest({
    formatVersion: FORMAT_VERSION,
    name: o.name,
    kind: o.kind,
    version: o.version,
    created: created.toISOString(),
    expires: expires.toISOString(),
    ...(o.targets ? { targets: o.targets } : {}),
    ...(o.description ? { description: o.description } : {}),
    files,
    ...(o.sbom?.length ? { sbom: [...o.sbom].sort() } : {}),
  });
  const manifestBytes = Buffer.from(canonicalJson(manifest));
  const sums = Buffer.from(checksumsText(manifest));
  const mtime = Math.floor(created.getTime() / 1000);
  const tmp = `${o.out}.partial-${process.pid}`;
  const out = openSync(tmp, 'w', 0o644);
  let bytes = 0;
  const put = (b: Buffer) => {
    writeAll(out, b);
    bytes += b.length;
  };
  try {
    for (const [member, data] of [
      [MANIFEST_MEMBER, manifestBytes],
      [SUMS_MEMBER, sums],
    ] as const) {
      put(fileHeader(member, data.length, 0o644, mtime));
      put(data);
      put(padding(data.length));
    }
    for (const [i, f] of found.entries()) {
      const entry = files[i] as BundleFile;
      put(fileHeader(`${PAYLOAD_DIR}${f.path}`, entry.size, entry.mode, mtime));
      const fd = openSync(f.abs, 'r');
      const h = createHash('sha256');
      let copied = 0;
      try {
        for (;;) {
          const n = readSync(fd, buf, 0, Math.min(buf.length, entry.size - copied), null);
          if (n === 0) break;
          h.update(buf.subarray(0, n));
          put(buf.subarray(0, n));
          copied += n;
        }
      } finally {
        closeSync(fd);
      }
      if (copied !== entry.size || h.digest('hex') !== entry.sha256)
        throw new Error(`${f.abs} changed while the bundle was being built; build again`);
      put(padding(entry.size));
    }
    put(END_OF_ARCHIVE);
    fsyncSync(out);
    closeSync(out);
    renameSync(tmp, o.out);
  } catch (error) {
    try {
      closeSync(out);
    } catch {
      // already closed
    }
    rmSync(tmp, { force: true });
    throw error;
  }
  return {
    path: o.out,
    manifest,
    manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
    bytes,
  };
}

interface RawMember {
  name: string;
  /** Offset of its header, and of the byte after its padded data. */
  start: number;
  end: number;
  size: number;
}

/** Reads the plain-ustar members before the payload: manifest, signatures, SHA256SUMS. */
function readPrefix(file: string): RawMember[] {
  const fd = openSync(file, 'r');
  try {
    const members: RawMember[] = [];
    const h = Buffer.alloc(BLOCK);
    let at = 0;
    for (;;) {
      if (readSync(fd, h, 0, BLOCK, at) !== BLOCK) throw new Error(`${file} ends inside its header members`);
      const name = h.subarray(0, 100).toString('utf8').replace(/\0.*$/s, '');
      const type = String.fromCharCode(h[156] as number);
      const size = parseInt(h.subarray(124, 136).toString('ascii').replace(/\0.*$/s, '').trim() || '0', 8);
      if (
        (type !== '0' && type !== '\0') ||
        h.subarray(257, 262).toString('latin1') !== 'ustar' ||
        Number.isNaN(size)
      )
        throw new Error(
          `${file}: member "${name}" is not a plain file header; was it written by \`enclave bundle build\`?`,
        );
      const end = at + BLOCK + Math.ceil(size / BLOCK) * BLOCK;
      members.push({ name, start: at, end, size });
      at = end;
      if (members.length === 1 && name !== MANIFEST_MEMBER)
        throw new Error(`${file} does not start with ${MANIFEST_MEMBER}`);
      if (name === SUMS_MEMBER) return members;
      if (members.length > 1 && !name.startsWith(SIGNATURE_DIR))
        throw new Error(`${file}: unexpected member "${name}" before ${SUMS_MEMBER}`);
    }
  } finally {
    closeSync(fd);
  }
}

export interface SignOptions {
  signer: string;
  /** An OpenSSH (unencrypted) or PKCS#8 Ed25519 private key file. */
  privateKeyPath?: string;
  privateKey?: KeyObject;
  /** An armored SSHSIG made elsewhere (`ssh-keygen -Y sign -n enclave-bundle`, an agent, a token). */
  signature?: string;
}

/**
 * Adds (or replaces) `signatures/<signer>.sig`. The payload is first checked against the
 * manifest, so a signer never signs a bundle whose files do not match what it lists.
 */
export async function signBundle(
  file: string,
  o: SignOptions,
): Promise<{ signer: string; fingerprint: string; manifestSha256: string }> {
  if (!SIGNER_RE.test(o.signer)) throw new Error(`signer "${o.signer}": use 1-64 of A-Z a-z 0-9 . _ @ -`);
  const { manifestBytes } = await scanBundle(file);
  let armored: string;
  let pub: Uint8Array;
  if (o.signature) {
    let r: ReturnType<typeof sshsigVerify>;
    try {
      r = sshsigVerify(o.signature, manifestBytes, BUNDLE_NAMESPACE);
    } catch (error) {
      throw new Error(`the signature given is not usable: ${(error as Error).message}`, { cause: error });
    }
    if (!r.valid)
      throw new Error(
        `the signature given does not verify over this bundle's manifest in namespace ${BUNDLE_NAMESPACE}`,
      );
    armored = o.signature.endsWith('\n') ? o.signature : `${o.signature}\n`;
    pub = r.publicKey;
  } else {
    const key =
      o.privateKey ?? (o.privateKeyPath ? readSigningKeyFile(o.privateKeyPath).privateKey : undefined);
    if (!key) throw new Error('signBundle needs privateKeyPath, privateKey or signature');
    pub = rawPublicKey(key);
    armored = sshsigSign(manifestBytes, BUNDLE_NAMESPACE, key, pub);
  }
  const members = readPrefix(file);
  const manifest = members[0] as RawMember;
  const sums = members[members.length - 1] as RawMember;
  const own = `${SIGNATURE_DIR}${o.signer}.sig`;
  const keep = members.slice(1, -1).filter((m) => m.name !== own);
  const tmp = `${file}.signing-${process.pid}`;
  const text = Buffer.from(armored, 'latin1');
  const mtime = Math.floor(Date.now() / 1000);
  const fd = openSync(file, 'r');
  let out: number | undefined = openSync(tmp, 'w', 0o644);
  try {
    const copy = (start: number, end: number) => {
      const b = Buffer.allocUnsafe(end - start);
      readSync(fd, b, 0, b.length, start);
      writeAll(out as number, b);
    };
    copy(manifest.start, manifest.end);
    for (const m of keep) copy(m.start, m.end);
    writeAll(out, Buffer.concat([fileHeader(own, text.length, 0o644, mtime), text, padding(text.length)]));
    closeSync(out);
    out = undefined;
    await pipeline(
      createReadStream(file, { start: sums.start, highWaterMark: COPY_CHUNK }),
      createWriteStream(tmp, { flags: 'a' }),
    );
    const check = openSync(tmp, 'r+');
    fsyncSync(check);
    closeSync(check);
    renameSync(tmp, file);
  } catch (error) {
    rmSync(tmp, { force: true });
    throw error;
  } finally {
    closeSync(fd);
    if (out !== undefined) closeSync(out);
  }
  return {
    signer: o.signer,
    fingerprint: fingerprint(pub),
    manifestSha256: createHash('sha256').update(manifestBytes).digest('hex'),
  };
}

/** manifest.json's bytes from a bundle (for signing elsewhere: `ssh-keygen -Y sign`). */
export function readManifestBytes(file: string): Buffer {
  const m = readPrefix(file)[0] as RawMember;
  const b = Buffer.alloc(m.size);
  const fd = openSync(file, 'r');
  try {
    readSync(fd, b, 0, m.size, m.start + BLOCK);
  } finally {
    closeSync(fd);
  }
  return b;
}
