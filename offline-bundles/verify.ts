/**
 * Single-pass streaming verification of a bundle (docs/bundle-format.md).
 *
 * node-tar's Parser splits the stream into entries; everything else is ours: the member
 * order, the signatures and thresholds, and every payload entry checked against the
 * already-verified manifest by path, type, mode, size and SHA-256 while it streams past.
 * With a staging directory, payload bytes go to a private temporary directory inside it
 * (regular files and directories only, O_EXCL|O_NOFOLLOW) that is renamed into place only
 * after the whole bundle verified, and removed on any refusal.
 */
import { createHash, type Hash } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  constants,
  createReadStream,
  fchmodSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  renameSync,
  rmSync,
  statSync,
  writeSync,
} from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { fingerprint } from './keys';
import {
  checksumsText,
  compareVersions,
  MANIFEST_MEMBER,
  MAX_MANIFEST_BYTES,
  MAX_SIGNATURE_BYTES,
  MAX_SIGNATURES,
  parseManifest,
  PAYLOAD_DIR,
  SIGNATURE_DIR,
  SIGNER_RE,
  SUMS_MEMBER,
} from './manifest';
import { opensshPublicKey, sshsigVerify } from './sshsig';
import { trustedKeys } from './trust';
import {
  BUNDLE_NAMESPACE,
  BundleRefusal,
  type BundleFile,
  type BundleManifest,
  type VerifiedBundle,
  type VerifyOptions,
} from './types';

const DEFAULT_MAX_FILES = 100_000;
const DEFAULT_MAX_BYTES = 256 * 2 ** 30;
const READ_CHUNK = 4 << 20;

type Source = string | NodeJS.ReadableStream;

interface ReaderConfig {
  mode: 'verify' | 'inspect' | 'scan';
  options: Partial<VerifyOptions>;
}

export interface SignatureInfo {
  signer: string;
  member: string;
  publicKey: string;
  fingerprint: string;
  /** The signature is well formed and verifies over this manifest with the key inside it (trust not considered). */
  valid: boolean;
  problem?: string;
}

interface ReadResult {
  manifest: BundleManifest;
  manifestBytes: Buffer;
  manifestSha256: string;
  signatures: SignatureInfo[];
  signers: { name: string; fingerprint: string }[];
  bytes: number;
  stagedAt?: string;
}

const rel = (p: string) => p.slice(PAYLOAD_DIR.length);

const ZEROS = Buffer.alloc(1 << 20);
function allZero(b: Buffer): boolean {
  for (let at = 0; at < b.length; at += ZEROS.length) {
    const part = b.subarray(at, at + ZEROS.length);
    if (!part.equals(ZEROS.subarray(0, part.length))) return false;
  }
  return true;
}

/**
 * The bytes node-tar kept after the end-of-archive marker (its private `buffer` field).
 * Fails closed: if a node-tar upgrade renames the field, every bundle is refused and the
 * tests say so, rather than data after the marker going unchecked.
 */
function leftover(parser: Parser): Buffer {
  const sym = Object.getOwnPropertySymbols(parser).find((x) => x.description === 'buffer');
  if (!sym)
    return Buffer.from('node-tar internals changed: cannot check for data after the end-of-archive marker');
  const b = (parser as unknown as Record<symbol, Buffer | undefined>)[sym];
  return b ?? Buffer.alloc(0);
}

const trailing = () =>
  new BundleRefusal(
    'trailing-data',
    'data follows the end-of-archive marker; a different tar reader could see hidden entries there',
  );

class BundleReader {
  private phase: 'manifest' | 'signatures' | 'sums' | 'payload' = 'manifest';
  private refusal: BundleRefusal | undefined;
  private manifestChunks: Buffer[] = [];
  private manifestBytes: Buffer | undefined;
  private manifest: BundleManifest | undefined;
  private manifestSha256 = '';
  private readonly sigText = new Map<string, string>();
  private readonly members = new Set<string>();
  private files = new Map<string, BundleFile>();
  private readonly seen = new Set<string>();
  private signatureInfo: SignatureInfo[] = [];
  private signers: { name: string; fingerprint: string }[] = [];
  private entries = 0;
  private eof = false;
  /** Tar bytes (after gunzip) fed to the parser, and the most allowed. */
  private tarBytes = 0;
  private budget: number;
  private rawBytes = 0;
  private tmpDir: string | undefined;
  /** Inspect mode stops once the signatures are read. */
  private stopped = false;
  private readonly maxFiles: number;
  private readonly maxBytes: number;

  constructor(private readonly cfg: ReaderConfig) {
    this.maxFiles = cfg.options.limits?.maxFiles ?? DEFAULT_MAX_FILES;
    this.maxBytes = cfg.options.limits?.maxBytes ?? DEFAULT_MAX_BYTES;
    // Before the manifest is known: the manifest member, its header and pax allowance.
    this.budget = Math.min(this.maxBytes, MAX_MANIFEST_BYTES + 64 * 1024);
  }

  private fail(r: BundleRefusal): void {
    this.refusal ??= r;
  }

  async run(source: Source): Promise<ReadResult> {
    const raw = typeof source === 'string' ? createReadStream(source, { highWaterMark: READ_CHUNK }) : source;
    let totalBytes: number | undefined;
    if (typeof source === 'string') {
      try {
        totalBytes = statSync(source).size;
      } catch {
        throw new BundleRefusal('not-a-bundle', `cannot read ${source}`);
      }
    }
    const parser = new Parser({ strict: true, maxMetaEntrySize: 64 * 1024 });
    parser.on('entry', (e: ReadEntry) => this.onEntry(e));
    parser.on('ignoredEntry', (e: ReadEntry) => {
      this.fail(
        new BundleRefusal(
          'unsupported-entry',
          `tar entry "${e.path}" (${e.type}) is not a regular file, or its extended header is too large`,
          e.path,
        ),
      );
      e.resume();
    });
    parser.on('eof', () => {
      this.eof = true;
    });
    parser.on('error', (err: Error & { tarCode?: string }) => {
      if (this.eof)
        this.fail(
          new BundleRefusal('trailing-data', `data follows the end-of-archive marker: ${err.message}`),
        );
      else if (/Truncated input/.test(err.message))
        this.fail(
          new BundleRefusal(
            'truncated',
            `the bundle is truncated (${err.message.replace(/^TAR_BAD_ARCHIVE: /, '')})`,
          ),
        );
      else
        this.fail(
          new BundleRefusal(
            'not-a-bundle',
            `the tar archive is damaged or not a tar archive (after ${this.entries} entries): ${err.message}`,
          ),
        );
    });
    const ended = new Promise<void>((resolve) => {
      parser.on('end', () => resolve());
      parser.on('close', () => resolve());
    });
    const signal = this.cfg.options.signal;
    let lastProgress = 0;
    const progress = (force = false) => {
      const cb = this.cfg.options.onProgress;
      if (!cb || (!force && this.rawBytes - lastProgress < 8 * 2 ** 20)) return;
      lastProgress = this.rawBytes;
      cb({ bytes: this.rawBytes, ...(totalBytes !== undefined ? { totalBytes } : {}) });
    };
    const counted = async function* (this: BundleReader): AsyncGenerator<Buffer> {
      for await (const c of raw as AsyncIterable<Buffer | string>) {
        const chunk = typeof c === 'string' ? Buffer.from(c) : c;
        this.rawBytes += chunk.length;
        progress();
        yield chunk;
      }
    }.call(this);
    let head: Buffer | undefined = Buffer.alloc(0);
    let input: AsyncIterable<Buffer> = counted;
    let gunzip: ReturnType<typeof createGunzip> | undefined;
    try {
      const first = await counted.next();
      if (!first.done) {
        const chunk = first.value;
        const rest = async function* (): AsyncGenerator<Buffer> {
          yield chunk;
          yield* counted;
        };
        if (chunk[0] === 0x1f && chunk[1] === 0x8b) {
          gunzip = createGunzip({ chunkSize: 256 * 1024 });
          Readable.from(rest()).pipe(gunzip);
          input = gunzip;
        } else input = rest();
      }
      for await (const chunk of input) {
        if (signal?.aborted) this.fail(new BundleRefusal('aborted', 'verification was cancelled'));
        this.tarBytes += chunk.length;
        if (this.tarBytes > this.budget)
          this.fail(
            this.tarBytes > this.maxBytes
              ? new BundleRefusal(
                  'too-large',
                  `the bundle unpacks to more than the ${this.maxBytes}-byte limit`,
                )
              : new BundleRefusal(
                  'too-large',
                  `the bundle unpacks to more than its manifest accounts for (${this.budget} bytes): a decompression bomb or hidden data`,
                ),
          );
        if (this.refusal || this.stopped) break;
        let data = chunk;
        if (head) {
          // The first block must be a ustar header: no nested compression, no other format.
          head = Buffer.concat([head, data]);
          if (head.length < 512) continue;
          const magic = head.subarray(257, 262).toString('latin1');
          if (magic !== 'ustar') {
            this.fail(
              new BundleRefusal('not-a-bundle', 'this is not a tar archive (no ustar header at the start)'),
            );
            break;
          }
          data = head;
          head = undefined;
        }
        if (this.eof) {
          // node-tar stops at the end-of-archive marker and ignores what follows; another
          // tar reader might not, so anything but zero padding after it is refused.
          if (!allZero(data)) this.fail(trailing());
          continue;
        }
        const more = parser.write(data);
        if (this.eof && !allZero(leftover(parser))) this.fail(trailing());
        if (!more && !this.refusal && !this.stopped && !this.eof)
          await new Promise<void>((resolve) => parser.once('drain', () => resolve()));
        if (this.refusal || this.stopped) break;
      }
      if (head && !this.refusal)
        this.fail(new BundleRefusal('not-a-bundle', 'the file is too short to be a bundle'));
      if (!this.refusal && !this.stopped) {
        parser.end();
        await ended;
      }
      progress(true);
      if (this.cfg.mode === 'inspect') {
        if (this.refusal) throw this.refusal;
        if (!this.manifest || !this.manifestBytes)
          throw new BundleRefusal('not-a-bundle', 'the bundle ends before its manifest');
        return this.result();
      }
      if (!this.refusal) this.finalChecks();
      if (this.refusal) throw this.refusal;
      const stagedAt = this.commitStaging();
      return { ...this.result(), ...(stagedAt ? { stagedAt } : {}) };
    } finally {
      if (typeof source === 'string') (raw as ReturnType<typeof createReadStream>).destroy();
      gunzip?.destroy();
      await counted.return(undefined);
      if (this.tmpDir) rmSync(this.tmpDir, { recursive: true, force: true });
    }
  }

  private result(): ReadResult {
    return {
      manifest: this.manifest as BundleManifest,
      manifestBytes: this.manifestBytes as Buffer,
      manifestSha256: this.manifestSha256,
      signatures: this.signatureInfo,
      signers: this.signers,
      bytes: this.rawBytes,
    };
  }

  private finalChecks(): void {
    if (this.phase !== 'payload') {
      const what =
        this.phase === 'manifest' ? MANIFEST_MEMBER : this.phase === 'signatures' ? SUMS_MEMBER : SUMS_MEMBER;
      this.fail(
        this.entries === 0
          ? new BundleRefusal('not-a-bundle', 'the archive holds no entries')
          : new BundleRefusal('missing-file', `the bundle ends before its ${what}`, what),
      );
      return;
    }
    const missing = [...this.files.keys()].filter((p) => !this.seen.has(p));
    if (missing.length)
      return this.fail(
        new BundleRefusal(
          'missing-file',
          `payload file "${missing[0]}" listed in the manifest is not in the bundle${missing.length > 1 ? ` (and ${missing.length - 1} more)` : ''}`,
          missing[0],
        ),
      );
    if (!this.eof)
      this.fail(
        new BundleRefusal('truncated', 'the bundle is truncated: it ends without the end-of-archive marker'),
      );
  }

  private commitStaging(): string | undefined {
    const dir = this.cfg.options.stagingDir;
    if (!dir || !this.manifest) return undefined;
    if (!this.tmpDir) {
      // A bundle without payload files still stages (an empty directory).
      mkdirSync(dir, { recursive: true });
      this.tmpDir = mkdtempSync(path.join(dir, '.incoming-'));
    }
    // mkdtemp made it 0700 while private; the staged copy is readable like its files.
    chmodSync(this.tmpDir, 0o755);
    const final = path.join(dir, `${this.manifest.name}-${this.manifest.version}`);
    let old: string | undefined;
    try {
      statSync(final);
      old = path.join(dir, `.replaced-${process.pid}-${Date.now()}`);
      renameSync(final, old);
    } catch {
      // nothing staged under that name before
    }
    renameSync(this.tmpDir, final);
    this.tmpDir = undefined;
    if (old) rmSync(old, { recursive: true, force: true });
    return final;
  }

  private collect(e: ReadEntry, into: (data: Buffer) => void): void {
    const chunks: Buffer[] = [];
    e.on('data', (c: Buffer) => chunks.push(c));
    e.on('end', () => {
      if (!this.refusal) into(Buffer.concat(chunks));
    });
  }

  private onEntry(e: ReadEntry): void {
    if (this.refusal || this.stopped) {
      e.resume();
      return;
    }
    this.entries++;
    const p = e.path;
    const refuse = (r: BundleRefusal) => {
      this.fail(r);
      e.resume();
    };
    if (this.eof)
      return refuse(new BundleRefusal('trailing-data', `entry "${p}" follows the end-of-archive marker`, p));
    if (this.entries > this.maxFiles + MAX_SIGNATURES + 2)
      return refuse(
        new BundleRefusal('too-many-files', `the bundle holds more than ${this.maxFiles} entries`),
      );
    if (e.globalExtended && Object.keys(e.globalExtended).length)
      return refuse(
        new BundleRefusal(
          'unsupported-entry',
          `tar entry "${p}" is affected by a global pax header; bundles use none`,
          p,
        ),
      );
    const candidates = [p, e.header.path ?? p];
    for (const c of candidates) {
      if (c.startsWith('/') || /^[A-Za-z]:[\\/]/.test(c))
        return refuse(new BundleRefusal('absolute-path', `tar entry "${c}" has an absolute path`, c));
      if (c.split(/[\\/]/).includes('..'))
        return refuse(new BundleRefusal('dot-dot', `tar entry "${c}" climbs out of the bundle with ".."`, c));
    }
    switch (e.type) {
      case 'File':
      case 'OldFile':
        break;
      case 'SymbolicLink':
      case 'Link':
        return refuse(
          new BundleRefusal(
            'link',
            `tar entry "${p}" is a ${e.type === 'Link' ? 'hard link' : 'symbolic link'} to "${e.linkpath ?? ''}"; bundles hold regular files only`,
            p,
          ),
        );
      case 'CharacterDevice':
      case 'BlockDevice':
      case 'FIFO':
        return refuse(
          new BundleRefusal(
            'device',
            `tar entry "${p}" is a ${e.type === 'FIFO' ? 'FIFO' : 'device node'}; bundles hold regular files only`,
            p,
          ),
        );
      default:
        return refuse(
          new BundleRefusal(
            'unsupported-entry',
            `tar entry "${p}" is a ${e.type} entry; bundles hold regular files only`,
            p,
          ),
        );
    }
    if ((e.mode ?? 0) & 0o7000)
      return refuse(
        new BundleRefusal(
          'setuid',
          `tar entry "${p}" has mode ${(e.mode ?? 0).toString(8)} with setuid, setgid or sticky bits`,
          p,
        ),
      );
    if (this.members.has(p))
      return refuse(new BundleRefusal('duplicate-path', `tar entry "${p}" appears twice`, p));
    this.members.add(p);
    const size = e.size ?? 0;

    if (this.phase === 'manifest') {
      if (p !== MANIFEST_MEMBER)
        return refuse(
          new BundleRefusal(
            'manifest-not-first',
            `the first entry is "${p}"; a bundle starts with ${MANIFEST_MEMBER}`,
            p,
          ),
        );
      if (size > MAX_MANIFEST_BYTES)
        return refuse(
          new BundleRefusal(
            'too-large',
            `${MANIFEST_MEMBER} is ${size} bytes; the limit is ${MAX_MANIFEST_BYTES}`,
            p,
          ),
        );
      this.phase = 'signatures';
      return this.collect(e, (bytes) => this.onManifest(bytes));
    }
    if (this.phase === 'signatures') {
      if (p.startsWith(SIGNATURE_DIR)) {
        const signer = p.slice(SIGNATURE_DIR.length).replace(/\.sig$/, '');
        if (!p.endsWith('.sig') || !SIGNER_RE.test(signer))
          return refuse(
            new BundleRefusal('bad-signature', `"${p}" is not a signature member (signatures/SIGNER.sig)`, p),
          );
        if (this.sigText.size >= MAX_SIGNATURES || size > MAX_SIGNATURE_BYTES)
          return refuse(
            new BundleRefusal('bad-signature', `too many or too large signatures (at "${p}")`, p),
          );
        return this.collect(e, (bytes) => this.sigText.set(signer, bytes.toString('latin1')));
      }
      if (p !== SUMS_MEMBER)
        return refuse(
          p.startsWith(PAYLOAD_DIR)
            ? new BundleRefusal(
                'missing-file',
                `"${p}" comes before ${SUMS_MEMBER}, which must follow the signatures`,
                SUMS_MEMBER,
              )
            : new BundleRefusal('extra-file', `tar entry "${p}" is not part of the bundle format`, p),
        );
      this.checkSignatures();
      if (this.refusal) return;
      if (this.cfg.mode === 'inspect') {
        this.stopped = true;
        e.resume();
        return;
      }
      const expected = Buffer.from(checksumsText(this.manifest as BundleManifest));
      if (size !== expected.length)
        return refuse(
          new BundleRefusal(
            'bad-checksums',
            `${SUMS_MEMBER} is ${size} bytes; the manifest implies ${expected.length}`,
            SUMS_MEMBER,
          ),
        );
      this.phase = 'sums';
      return this.collect(e, (bytes) => {
        if (!bytes.equals(expected))
          return this.fail(
            new BundleRefusal(
              'bad-checksums',
              `${SUMS_MEMBER} does not match the signed manifest (changed after signing)`,
              SUMS_MEMBER,
            ),
          );
        this.phase = 'payload';
      });
    }
    if (this.phase === 'sums')
      return refuse(new BundleRefusal('not-a-bundle', `entry "${p}" arrived before ${SUMS_MEMBER} ended`, p));
    // payload
    if (!p.startsWith(PAYLOAD_DIR) || !this.files.has(rel(p)))
      return refuse(
        new BundleRefusal('extra-file', `tar entry "${p}" is not listed in the signed manifest`, p),
      );
    const file = this.files.get(rel(p)) as BundleFile;
    if (size !== file.size)
      return refuse(
        new BundleRefusal(
          'size-lie',
          `tar entry "${p}" claims ${size} bytes; the signed manifest says ${file.size}`,
          p,
        ),
      );
    this.streamPayload(e, file, p);
  }

  private streamPayload(e: ReadEntry, file: BundleFile, member: string): void {
    const hash: Hash = createHash('sha256');
    let got = 0;
    let fd: number | undefined;
    const stagingDir = this.cfg.options.stagingDir;
    if (stagingDir) {
      if (!this.tmpDir) {
        mkdirSync(stagingDir, { recursive: true });
        this.tmpDir = mkdtempSync(path.join(stagingDir, '.incoming-'));
      }
      const target = path.join(this.tmpDir, ...file.path.split('/'));
      mkdirSync(path.dirname(target), { recursive: true, mode: 0o755 });
      fd = openSync(
        target,
        constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
        0o600,
      );
    }
    const close = () => {
      if (fd !== undefined) closeSync(fd);
      fd = undefined;
    };
    e.on('data', (c: Buffer) => {
      if (this.refusal) return close();
      hash.update(c);
      got += c.length;
      if (fd !== undefined) {
        let off = 0;
        while (off < c.length) off += writeSync(fd, c, off, c.length - off);
      }
    });
    e.on('end', () => {
      try {
        if (this.refusal) return;
        if (got !== file.size)
          return this.fail(
            got < file.size
              ? new BundleRefusal(
                  'truncated',
                  `payload file "${file.path}" is cut short (${got} of ${file.size} bytes)`,
                  member,
                )
              : new BundleRefusal(
                  'wrong-size',
                  `payload file "${file.path}" is ${got} bytes; the manifest says ${file.size}`,
                  member,
                ),
          );
        const digest = hash.digest('hex');
        if (digest !== file.sha256)
          return this.fail(
            new BundleRefusal(
              'wrong-hash',
              `payload file "${file.path}" has SHA-256 ${digest}; the signed manifest says ${file.sha256}`,
              member,
            ),
          );
        if (fd !== undefined) fchmodSync(fd, file.mode & 0o111 ? 0o755 : 0o644);
        this.seen.add(file.path);
      } finally {
        close();
      }
    });
  }

  private onManifest(bytes: Buffer): void {
    try {
      this.manifest = parseManifest(bytes, this.maxFiles);
    } catch (error) {
      return this.fail(
        error instanceof BundleRefusal
          ? error
          : new BundleRefusal('bad-manifest', `manifest.json: ${(error as Error).message}`, MANIFEST_MEMBER),
      );
    }
    this.manifestBytes = bytes;
    this.manifestSha256 = createHash('sha256').update(bytes).digest('hex');
    this.files = new Map(this.manifest.files.map((f) => [f.path, f]));
    const payload = this.manifest.files.reduce((n, f) => n + f.size, 0);
    if (payload > this.maxBytes)
      return this.fail(
        new BundleRefusal(
          'too-large',
          `the manifest lists ${payload} bytes of payload; the limit is ${this.maxBytes}`,
        ),
      );
    // Everything the manifest accounts for: members, headers (with pax allowance), padding,
    // and the end-of-archive record padding (tar pads to 10 KiB records; 1 MiB slack).
    const accounted =
      this.manifest.files.reduce((n, f) => n + Math.ceil(f.size / 512) * 512 + 2048 + f.path.length, 0) +
      2 * MAX_MANIFEST_BYTES +
      MAX_SIGNATURES * (MAX_SIGNATURE_BYTES + 2048) +
      2 ** 20;
    this.budget = Math.min(this.maxBytes + 2 ** 20, accounted);
  }

  private checkSignatures(): void {
    const manifest = this.manifest;
    const bytes = this.manifestBytes;
    if (!manifest || !bytes) return this.fail(new BundleRefusal('not-a-bundle', 'the manifest is missing'));
    const infos: SignatureInfo[] = [];
    for (const [signer, text] of this.sigText) {
      const member = `${SIGNATURE_DIR}${signer}.sig`;
      try {
        const r = sshsigVerify(text, bytes, BUNDLE_NAMESPACE);
        infos.push({
          signer,
          member,
          publicKey: opensshPublicKey(r.publicKey),
          fingerprint: fingerprint(r.publicKey),
          valid: r.valid,
          ...(r.valid ? {} : { problem: 'does not verify over this manifest' }),
        });
      } catch (error) {
        infos.push({
          signer,
          member,
          publicKey: '',
          fingerprint: '',
          valid: false,
          problem: (error as Error).message,
        });
      }
    }
    this.signatureInfo = infos;
    if (this.cfg.mode !== 'verify') return;
    const trust = this.cfg.options.trust;
    if (!trust) throw new Error('verifyBundle needs a trust store');
    if (infos.length === 0)
      return this.fail(
        new BundleRefusal('no-signatures', `bundle ${manifest.name} ${manifest.version} is not signed`),
      );
    const bad = infos.find((i) => !i.valid);
    if (bad)
      return this.fail(
        new BundleRefusal(
          'bad-signature',
          `the signature of ${bad.signer} (${bad.member}${bad.fingerprint ? `, key ${bad.fingerprint}` : ''}) ${bad.problem ?? 'is invalid'}: the manifest or the signature was changed`,
          bad.member,
        ),
      );
    let trusted: ReturnType<typeof trustedKeys>;
    try {
      trusted = trustedKeys(trust);
    } catch (error) {
      return this.fail(new BundleRefusal('unknown-signer', (error as Error).message));
    }
    const valid = new Map<string, { name: string; fingerprint: string }>();
    const unknown: string[] = [];
    for (const i of infos) {
      const t = trusted.find((s) => s.name === i.signer);
      if (!t) unknown.push(`${i.signer} (key ${i.fingerprint}) is not in the trust store`);
      else if (t.fingerprint !== i.fingerprint)
        unknown.push(
          `${i.signer} signed with key ${i.fingerprint}, but the trust store holds ${t.fingerprint} for ${i.signer}`,
        );
      else valid.set(i.fingerprint, { name: i.signer, fingerprint: i.fingerprint });
    }
    const need = trust.thresholds[manifest.kind] ?? 1;
    if (valid.size < need) {
      const have = `${valid.size} trusted signature${valid.size === 1 ? '' : 's'} of the ${need} a ${manifest.kind} bundle needs`;
      return this.fail(
        unknown.length
          ? new BundleRefusal('unknown-signer', `${unknown.join('; ')}: ${have}`)
          : new BundleRefusal(
              'too-few-signatures',
              `bundle ${manifest.name} ${manifest.version} has ${have}`,
            ),
      );
    }
    this.signers = [...valid.values()];
    const now = this.cfg.options.now ?? new Date();
    if (Date.parse(manifest.expires) <= now.getTime())
      return this.fail(
        new BundleRefusal(
          'expired',
          `bundle ${manifest.name} ${manifest.version} expired on ${manifest.expires}; ask its signers for a fresh one`,
        ),
      );
    const installed = this.cfg.options.installedVersion?.(manifest.name);
    if (installed !== undefined && compareVersions(manifest.version, installed) <= 0)
      return this.fail(
        new BundleRefusal(
          'not-newer',
          `bundle ${manifest.name} ${manifest.version} is not newer than the installed ${installed}; rollbacks and reinstalls are refused`,
        ),
      );
  }
}

/**
 * Verifies a bundle in one streaming pass; with stagingDir, stages its payload atomically
 * under `<stagingDir>/<name>-<version>`. Throws a BundleRefusal naming the reason.
 */
export async function verifyBundle(source: Source, options: VerifyOptions): Promise<VerifiedBundle> {
  const r = await new BundleReader({ mode: 'verify', options }).run(source);
  return {
    manifest: r.manifest,
    manifestSha256: r.manifestSha256,
    signers: r.signers,
    bytes: r.bytes,
    ...(r.stagedAt ? { stagedAt: r.stagedAt } : {}),
  };
}

export interface InspectedBundle {
  verified: false;
  note: string;
  manifest: BundleManifest;
  manifestSha256: string;
  signatures: SignatureInfo[];
}

/** Reads the manifest and signatures only; checks nothing against a trust store. */
export async function inspectBundle(source: Source): Promise<InspectedBundle> {
  const r = await new BundleReader({ mode: 'inspect', options: {} }).run(source);
  return {
    verified: false,
    note: 'UNVERIFIED: read without a trust store and without checking the payload; run `enclave bundle verify` before trusting anything here',
    manifest: r.manifest,
    manifestSha256: r.manifestSha256,
    signatures: r.signatures,
  };
}

/** Checks structure and every payload hash against the manifest, ignoring signatures (used before signing). */
export async function scanBundle(
  source: Source,
  limits?: VerifyOptions['limits'],
): Promise<{ manifest: BundleManifest; manifestBytes: Buffer; signatures: SignatureInfo[] }> {
  const r = await new BundleReader({ mode: 'scan', options: limits ? { limits } : {} }).run(source);
  return { manifest: r.manifest, manifestBytes: r.manifestBytes, signatures: r.signatures };
}
