// Where a bundle's bytes come from: one file, or the parts of a split bundle (NAME.parts.json and
// NAME.part-NNN beside it, offline-bundles/parts.ts) streamed in order as one bundle, each part
// checked against the index as it passes. Either way the verifier reads one stream once.
import { createHash } from 'node:crypto';
import { createReadStream, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { ConsoleError } from '../../../shared/errors';
import { BundleRefusal, type PartsIndex } from '../../../offline-bundles';

export const isPartsIndex = (file: string) => file.endsWith('.parts.json');

export interface BundleSource {
  /** Bytes the verifier will read. */
  total: number;
  /** For a split bundle, the part files in order. */
  parts: string[] | null;
  open(): Readable;
}

function readPartsIndex(file: string): PartsIndex {
  let index: PartsIndex;
  try {
    index = JSON.parse(readFileSync(file, 'utf8')) as PartsIndex;
  } catch {
    throw new BundleRefusal('damaged-part', `the parts index ${file} is unreadable`, file);
  }
  if (
    index.format !== 'enclave-bundle-parts' ||
    !Array.isArray(index.parts) ||
    index.parts.some(
      (p) => typeof p.file !== 'string' || p.file !== path.basename(p.file) || p.file.startsWith('.'),
    )
  )
    throw new BundleRefusal('damaged-part', `${file} is not a bundle parts index`, file);
  return index;
}

/** Streams the parts in order; a part of the wrong size or hash stops the stream with a refusal naming it. */
async function* partBytes(dir: string, index: PartsIndex): AsyncGenerator<Buffer> {
  const whole = createHash('sha256');
  for (const p of index.parts) {
    const file = path.join(dir, p.file);
    const h = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) {
      const b = chunk as Buffer;
      bytes += b.length;
      if (bytes > p.bytes)
        throw new BundleRefusal('damaged-part', `part ${p.file} is longer than its index says`, p.file);
      h.update(b);
      whole.update(b);
      yield b;
    }
    if (bytes !== p.bytes || h.digest('hex') !== p.sha256)
      throw new BundleRefusal(
        'damaged-part',
        `part ${p.file} does not match its SHA-256 in the parts index`,
        p.file,
      );
  }
  if (whole.digest('hex') !== index.sha256)
    throw new BundleRefusal(
      'damaged-part',
      'the joined parts do not match the whole bundle SHA-256 in the index',
    );
}

export function bundleSource(file: string): BundleSource {
  const missing = () =>
    new ConsoleError('NOT_FOUND', `there is no bundle file ${file}`, {
      hint: 'scan the medium again; it may have been removed',
    });
  const s = statSync(file, { throwIfNoEntry: false });
  if (!s?.isFile()) throw missing();
  if (!isPartsIndex(file)) return { total: s.size, parts: null, open: () => createReadStream(file) };
  const index = readPartsIndex(file);
  const dir = path.dirname(file);
  const parts = index.parts.map((p) => path.join(dir, p.file));
  for (const p of parts) {
    if (!statSync(p, { throwIfNoEntry: false })?.isFile())
      throw new ConsoleError(
        'NOT_FOUND',
        `part ${path.basename(p)} of ${index.bundle} is not beside its index`,
        {
          hint: 'copy every part onto the medium (or into one folder) with the .parts.json index',
        },
      );
  }
  return { total: index.bytes, parts, open: () => Readable.from(partBytes(dir, index)) };
}
