/**
 * Splitting a bundle for media with a file-size limit (FAT32: 4 GiB - 1) and joining it back.
 *
 *   NAME.part-001 … NAME.part-NNN  consecutive byte ranges of the bundle
 *   NAME.parts.json                {format, bundle, bytes, sha256, manifestSha256, partBytes, parts:[{file, bytes, sha256}]}
 *   NAME.parts.sha256              the same per-part hashes in `sha256sum -c` format
 *
 * Each part can be checked on its own (its SHA-256 is in both index files). The index is
 * integrity, not authenticity: the joined bundle is verified like any other bundle, and
 * part 1 carries the signed manifest, so `enclave bundle inspect NAME.part-001` reads it.
 */
import { createHash } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { BundleRefusal } from './types';

export interface PartsIndex {
  format: 'enclave-bundle-parts';
  formatVersion: 1;
  bundle: string;
  bytes: number;
  sha256: string;
  partBytes: number;
  parts: { file: string; bytes: number; sha256: string }[];
}

const CHUNK = 4 * 2 ** 20;

function writeAll(fd: number, data: Buffer): void {
  let off = 0;
  while (off < data.length) off += writeSync(fd, data, off, data.length - off);
}

/** Splits `file` into parts of at most `partBytes`; returns the index (also written as NAME.parts.json). */
export function splitBundle(
  file: string,
  partBytes: number,
  outDir: string,
): PartsIndex & { indexPath: string } {
  if (!Number.isSafeInteger(partBytes) || partBytes < 1024 * 1024)
    throw new Error('parts must be at least 1 MiB each');
  mkdirSync(outDir, { recursive: true });
  const base = path.basename(file);
  const total = statSync(file).size;
  const whole = createHash('sha256');
  const parts: PartsIndex['parts'] = [];
  const buf = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(file, 'r');
  try {
    let at = 0;
    do {
      const name = `${base}.part-${String(parts.length + 1).padStart(3, '0')}`;
      const out = openSync(path.join(outDir, name), 'w', 0o644);
      const h = createHash('sha256');
      let n = 0;
      try {
        while (n < partBytes && at < total) {
          const got = readSync(fd, buf, 0, Math.min(CHUNK, partBytes - n, total - at), at);
          if (got === 0) throw new Error(`${file} shrank while being split`);
          const b = buf.subarray(0, got);
          h.update(b);
          whole.update(b);
          writeAll(out, b);
          n += got;
          at += got;
        }
      } finally {
        closeSync(out);
      }
      parts.push({ file: name, bytes: n, sha256: h.digest('hex') });
    } while (at < total);
  } finally {
    closeSync(fd);
  }
  const index: PartsIndex = {
    format: 'enclave-bundle-parts',
    formatVersion: 1,
    bundle: base,
    bytes: total,
    sha256: whole.digest('hex'),
    partBytes,
    parts,
  };
  const indexPath = path.join(outDir, `${base}.parts.json`);
  writeFileSync(indexPath, `${JSON.stringify(index, null, 2)}\n`);
  writeFileSync(
    path.join(outDir, `${base}.parts.sha256`),
    parts.map((p) => `${p.sha256}  ${p.file}\n`).join(''),
  );
  return { ...index, indexPath };
}

function readIndex(indexPath: string): PartsIndex {
  let index: PartsIndex;
  try {
    index = JSON.parse(readFileSync(indexPath, 'utf8')) as PartsIndex;
  } catch {
    throw new BundleRefusal('damaged-part', `the parts index ${indexPath} is unreadable`, indexPath);
  }
  if (index.format !== 'enclave-bundle-parts' || !Array.isArray(index.parts))
    throw new BundleRefusal('damaged-part', `${indexPath} is not a bundle parts index`, indexPath);
  for (const p of index.parts)
    if (typeof p.file !== 'string' || p.file !== path.basename(p.file) || !/^[0-9a-f]{64}$/.test(p.sha256))
      throw new BundleRefusal(
        'damaged-part',
        `${indexPath} names a part badly: ${JSON.stringify(p.file)}`,
        indexPath,
      );
  return index;
}

/** The parts index next to a part file (NAME.part-NNN -> NAME.parts.json). */
export function indexForPart(partPath: string): string {
  return partPath.replace(/\.part-\d+$/, '.parts.json');
}

function hashPart(file: string, onData?: (b: Buffer) => void): { bytes: number; sha256: string } {
  const h = createHash('sha256');
  const buf = Buffer.allocUnsafe(CHUNK);
  const fd = openSync(file, 'r');
  let bytes = 0;
  try {
    for (;;) {
      const n = readSync(fd, buf, 0, CHUNK, null);
      if (n === 0) break;
      const b = buf.subarray(0, n);
      h.update(b);
      onData?.(b);
      bytes += n;
    }
  } finally {
    closeSync(fd);
  }
  return { bytes, sha256: h.digest('hex') };
}

/** Checks every part against the index; each result names its part. */
export function checkParts(indexPath: string): {
  ok: boolean;
  parts: { file: string; ok: boolean; problem?: string }[];
} {
  const index = readIndex(indexPath);
  const dir = path.dirname(indexPath);
  const parts = index.parts.map((p) => {
    const f = path.join(dir, p.file);
    if (!existsSync(f)) return { file: p.file, ok: false, problem: 'missing' };
    const got = hashPart(f);
    if (got.bytes !== p.bytes)
      return { file: p.file, ok: false, problem: `${got.bytes} bytes, expected ${p.bytes}` };
    if (got.sha256 !== p.sha256)
      return { file: p.file, ok: false, problem: `SHA-256 ${got.sha256}, expected ${p.sha256}` };
    return { file: p.file, ok: true };
  });
  return { ok: parts.every((p) => p.ok), parts };
}

/**
 * Joins parts into `out` (temp file, renamed when every part and the whole matched).
 * `parts` is the index file, or the part files (the index is found next to the first).
 */
export function joinParts(parts: string | string[], out: string): { bytes: number; sha256: string } {
  const indexPath = typeof parts === 'string' ? parts : indexForPart(parts[0] ?? '');
  const index = readIndex(indexPath);
  const dir = path.dirname(indexPath);
  if (Array.isArray(parts)) {
    const given = parts.map((p) => path.basename(p));
    const missing = index.parts.find((p) => !given.includes(p.file));
    if (missing) throw new BundleRefusal('damaged-part', `part ${missing.file} was not given`, missing.file);
  }
  const tmp = `${out}.joining-${process.pid}`;
  const fd = openSync(tmp, 'w', 0o644);
  let open = true;
  const whole = createHash('sha256');
  let bytes = 0;
  try {
    for (const p of index.parts) {
      const f = path.join(dir, p.file);
      if (!existsSync(f)) throw new BundleRefusal('damaged-part', `part ${p.file} is missing`, p.file);
      const got = hashPart(f, (b) => {
        whole.update(b);
        writeAll(fd, b);
      });
      bytes += got.bytes;
      if (got.bytes !== p.bytes || got.sha256 !== p.sha256)
        throw new BundleRefusal(
          'damaged-part',
          `part ${p.file} is damaged (${got.bytes} bytes, SHA-256 ${got.sha256}; the index says ${p.bytes} bytes, ${p.sha256}); copy it again`,
          p.file,
        );
    }
    const sha256 = whole.digest('hex');
    if (sha256 !== index.sha256 || bytes !== index.bytes)
      throw new BundleRefusal(
        'damaged-part',
        `the joined bundle does not match the index (${sha256})`,
        index.bundle,
      );
    closeSync(fd);
    open = false;
    renameSync(tmp, out);
    return { bytes, sha256 };
  } catch (error) {
    if (open) closeSync(fd);
    rmSync(tmp, { force: true });
    throw error;
  }
}
