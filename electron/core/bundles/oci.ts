/**
 * The `oci-images` installer: images carried in an OCI image layout (`oci-layout`, `index.json`,
 * `blobs/sha256/…`) pushed to the in-enclave registry over the OCI distribution API.
 *
 *   readOciLayout(dir)            reads and checks the layout: every manifest and index is read,
 *                                 hashed and parsed; every blob it names must be a regular file
 *                                 of the declared size (its digest is checked before it is sent)
 *   probeRegistry(client, layout) what the registry has already (HEAD blobs and manifests)
 *   planOciPush(layout, registry, existing)   pure: which blobs to push, mount or skip, which
 *                                 manifests to put (children before the index that names them,
 *                                 tags last)
 *   applyOciPlan(client, layout, plan)        pushes: HEAD → POST upload → PUT ?digest=
 *                                 (monolithic) or PATCH chunks then PUT; manifests PUT by digest
 *                                 or tag; then reads everything back (verifyOciPush)
 *   pushOciLayout(dir, options)   all of the above, the function bundles.install calls
 *
 * Transport: HTTPS, trusting the system CAs or only `caPem` when given; plain HTTP only to a
 * loopback address (tests, a registry on the same host). No redirects to other hosts are followed
 * and no upload Location on another origin is used: payload bytes go only to the registry named.
 * Electron-free (plain Node).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { lstat, open, readdir, readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import type { Readable } from 'node:stream';

export const OCI_MEDIA_TYPES = {
  imageManifest: 'application/vnd.oci.image.manifest.v1+json',
  imageIndex: 'application/vnd.oci.image.index.v1+json',
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
} as const;
const INDEX_TYPES = new Set<string>([OCI_MEDIA_TYPES.imageIndex, OCI_MEDIA_TYPES.dockerManifestList]);
const MANIFEST_TYPES = new Set<string>([OCI_MEDIA_TYPES.imageManifest, OCI_MEDIA_TYPES.dockerManifest]);
const ACCEPT_MANIFESTS = [...INDEX_TYPES, ...MANIFEST_TYPES].join(', ');
/** The annotation that names an image in index.json (OCI image-layout). */
export const REF_NAME = 'org.opencontainers.image.ref.name';

/** Manifests and indexes are small; anything larger in a layout is refused. */
const MAX_MANIFEST_BYTES = 4 << 20;
const DEFAULT_CHUNK_BYTES = 64 << 20;

const DIGEST = /^sha256:[a-f0-9]{64}$/;
// The distribution spec's grammar for repository names and tags.
const REPOSITORY = /^[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:\.|_|__|-+)[a-z0-9]+)*)*$/;
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/;

export class OciError extends Error {
  constructor(
    message: string,
    readonly code:
      | 'layout'
      | 'digest-mismatch'
      | 'refused-url'
      | 'registry'
      | 'aborted'
      | 'reference'
      | 'verify' = 'layout',
  ) {
    super(message);
    this.name = 'OciError';
  }
}

export interface OciDescriptor {
  mediaType: string;
  digest: string;
  size: number;
}

/** A manifest or index read from the layout: its exact bytes, checked against its digest. */
export interface LayoutManifest extends OciDescriptor {
  bytes: Buffer;
  /** Child manifests (of an index), by digest. */
  children: string[];
  /** Blobs (config and layers of an image manifest), by digest. */
  blobs: string[];
}

/** An image named in index.json and where it goes: repository and tag in the registry. */
export interface LayoutImage {
  repository: string;
  tag: string;
  digest: string;
  mediaType: string;
  refName: string;
}

export interface OciLayout {
  dir: string;
  images: LayoutImage[];
  manifests: Map<string, LayoutManifest>;
  blobs: Map<string, OciDescriptor>;
}

export interface ReadLayoutOptions {
  /** Repository for images whose ref name is only a tag (e.g. `v1.2`). */
  repository?: string;
  /** Prepended to the repository of images whose ref name has one (`nvidia/gpu-operator:v25`). */
  repositoryPrefix?: string;
}

/**
 * Where an index.json ref name sends the image. A bare tag goes to `repository`; `path:tag` to
 * that path (a leading registry host such as `nvcr.io/` is dropped), under `repositoryPrefix`.
 */
export function targetOfRefName(
  refName: string,
  options: ReadLayoutOptions = {},
): { repository: string; tag: string } {
  let repository: string;
  let tag: string;
  if (TAG.test(refName)) {
    if (!options.repository) {
      throw new OciError(`image "${refName}" is only a tag: say which repository it goes to`, 'reference');
    }
    repository = options.repository;
    tag = refName;
  } else {
    if (refName.includes('@')) throw new OciError(`image "${refName}" has no tag to push it by`, 'reference');
    const colon = refName.lastIndexOf(':');
    if (colon <= 0 || refName.indexOf('/', colon) !== -1) {
      throw new OciError(`image "${refName}" has no tag to push it by`, 'reference');
    }
    tag = refName.slice(colon + 1);
    const parts = refName.slice(0, colon).split('/');
    const first = parts[0] ?? '';
    if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost'))
      parts.shift();
    repository = parts.join('/');
    if (options.repositoryPrefix)
      repository = `${options.repositoryPrefix.replace(/\/+$/, '')}/${repository}`;
  }
  if (!REPOSITORY.test(repository) || repository.length > 255) {
    throw new OciError(`"${repository}" is not a valid repository name`, 'reference');
  }
  if (!TAG.test(tag)) throw new OciError(`"${tag}" is not a valid tag`, 'reference');
  return { repository, tag };
}

function asDescriptor(value: unknown, where: string): OciDescriptor {
  const d = value as Partial<OciDescriptor> | null;
  if (!d || typeof d !== 'object') throw new OciError(`${where}: not a descriptor`);
  if (typeof d.digest !== 'string' || !DIGEST.test(d.digest)) {
    throw new OciError(`${where}: digest ${JSON.stringify(d.digest)} is not sha256:<64 hex>`);
  }
  if (typeof d.size !== 'number' || !Number.isSafeInteger(d.size) || d.size < 0) {
    throw new OciError(`${where}: size ${JSON.stringify(d.size)} is not a byte count`);
  }
  if (typeof d.mediaType !== 'string' || d.mediaType === '') throw new OciError(`${where}: no mediaType`);
  return { mediaType: d.mediaType, digest: d.digest, size: d.size };
}

function blobPath(dir: string, digest: string): string {
  // The digest is checked against DIGEST first, so it cannot name anything outside blobs/sha256.
  return path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length));
}

async function regularFile(file: string, size: number | undefined, what: string): Promise<void> {
  let st;
  try {
    st = await lstat(file);
  } catch {
    throw new OciError(`${what} is missing from the layout`);
  }
  if (!st.isFile()) throw new OciError(`${what} is not a regular file`);
  if (size !== undefined && st.size !== size) {
    throw new OciError(`${what} is ${st.size} bytes, its descriptor says ${size}`, 'digest-mismatch');
  }
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

async function readSmall(file: string, max: number, what: string): Promise<Buffer> {
  await regularFile(file, undefined, what);
  const handle = await open(file, 'r');
  try {
    const st = await handle.stat();
    if (st.size > max) throw new OciError(`${what} is ${st.size} bytes, more than ${max}`);
    return await handle.readFile();
  } finally {
    await handle.close();
  }
}

/** Reads and checks an OCI image layout (see the module comment). Throws OciError. */
export async function readOciLayout(dir: string, options: ReadLayoutOptions = {}): Promise<OciLayout> {
  const layoutFile = JSON.parse(
    (await readSmall(path.join(dir, 'oci-layout'), 4096, 'oci-layout')).toString('utf8'),
  ) as { imageLayoutVersion?: unknown };
  if (
    typeof layoutFile.imageLayoutVersion !== 'string' ||
    !/^1\.\d+\.\d+$/.test(layoutFile.imageLayoutVersion)
  ) {
    throw new OciError(
      `oci-layout: imageLayoutVersion ${JSON.stringify(layoutFile.imageLayoutVersion)} is not 1.x`,
    );
  }
  let index: { schemaVersion?: unknown; manifests?: unknown };
  try {
    index = JSON.parse(
      (await readSmall(path.join(dir, 'index.json'), MAX_MANIFEST_BYTES, 'index.json')).toString(),
    );
  } catch (error) {
    if (error instanceof OciError) throw error;
    throw new OciError(`index.json is not JSON: ${(error as Error).message}`);
  }
  if (index.schemaVersion !== 2 || !Array.isArray(index.manifests)) {
    throw new OciError('index.json is not an OCI image index (schemaVersion 2 with manifests)');
  }

  const manifests = new Map<string, LayoutManifest>();
  const blobs = new Map<string, OciDescriptor>();

  const loadManifest = async (desc: OciDescriptor, where: string, depth: number): Promise<void> => {
    if (manifests.has(desc.digest)) return;
    if (depth > 4) throw new OciError(`${where}: indexes nested too deep`);
    const isIndex = INDEX_TYPES.has(desc.mediaType);
    if (!isIndex && !MANIFEST_TYPES.has(desc.mediaType)) {
      throw new OciError(`${where}: media type ${desc.mediaType} is not an image manifest or index`);
    }
    if (desc.size > MAX_MANIFEST_BYTES)
      throw new OciError(`${where}: manifest of ${desc.size} bytes is too large`);
    const file = blobPath(dir, desc.digest);
    await regularFile(file, desc.size, `manifest ${desc.digest}`);
    const bytes = await readFile(file);
    const actual = sha256(bytes);
    if (actual !== desc.digest) {
      throw new OciError(
        `manifest ${desc.digest} hashes to ${actual}: the layout is corrupt`,
        'digest-mismatch',
      );
    }
    let body: { mediaType?: unknown; manifests?: unknown; config?: unknown; layers?: unknown };
    try {
      body = JSON.parse(bytes.toString('utf8'));
    } catch {
      throw new OciError(`manifest ${desc.digest} is not JSON`);
    }
    if (body.mediaType !== undefined && body.mediaType !== desc.mediaType) {
      throw new OciError(
        `manifest ${desc.digest} says it is ${String(body.mediaType)}, its descriptor ${desc.mediaType}`,
      );
    }
    const entry: LayoutManifest = { ...desc, bytes, children: [], blobs: [] };
    manifests.set(desc.digest, entry);
    if (isIndex) {
      if (!Array.isArray(body.manifests)) throw new OciError(`index ${desc.digest} has no manifests`);
      for (const [i, child] of body.manifests.entries()) {
        const d = asDescriptor(child, `index ${desc.digest} manifests[${i}]`);
        entry.children.push(d.digest);
        await loadManifest(d, `index ${desc.digest} manifests[${i}]`, depth + 1);
      }
    } else {
      if (!Array.isArray(body.layers)) throw new OciError(`manifest ${desc.digest} has no layers`);
      const refs = [asDescriptor(body.config, `manifest ${desc.digest} config`)];
      for (const [i, layer] of body.layers.entries())
        refs.push(asDescriptor(layer, `manifest ${desc.digest} layers[${i}]`));
      for (const d of refs) {
        const known = blobs.get(d.digest);
        if (known && known.size !== d.size) {
          throw new OciError(
            `blob ${d.digest} is declared with sizes ${known.size} and ${d.size}`,
            'digest-mismatch',
          );
        }
        if (!known) {
          await regularFile(blobPath(dir, d.digest), d.size, `blob ${d.digest}`);
          blobs.set(d.digest, d);
        }
        if (!entry.blobs.includes(d.digest)) entry.blobs.push(d.digest);
      }
    }
  };

  const images: LayoutImage[] = [];
  const targets = new Set<string>();
  for (const [i, raw] of index.manifests.entries()) {
    const desc = asDescriptor(raw, `index.json manifests[${i}]`);
    const refName = (raw as { annotations?: Record<string, unknown> }).annotations?.[REF_NAME];
    if (typeof refName !== 'string' || refName === '') {
      throw new OciError(`index.json manifests[${i}] (${desc.digest}) has no ${REF_NAME} to push it by`);
    }
    const { repository, tag } = targetOfRefName(refName, options);
    if (targets.has(`${repository}:${tag}`))
      throw new OciError(`index.json names ${repository}:${tag} twice`);
    targets.add(`${repository}:${tag}`);
    await loadManifest(desc, `index.json manifests[${i}]`, 0);
    images.push({ repository, tag, digest: desc.digest, mediaType: desc.mediaType, refName });
  }
  if (images.length === 0) throw new OciError('index.json names no images');
  return { dir, images, manifests, blobs };
}

/** What the registry holds already, per repository. */
export interface RegistryState {
  /** Blob digests present, per repository. */
  blobs: Record<string, string[]>;
  /** Manifests present, per repository: reference (tag or digest) → digest. */
  manifests: Record<string, Record<string, string>>;
}

export type OciPlanStep =
  | {
      op: 'blob';
      action: 'push' | 'mount' | 'skip';
      repository: string;
      digest: string;
      size: number;
      mediaType: string;
      /** For `mount`: the repository in the same registry the blob is mounted from. */
      from?: string;
    }
  | {
      op: 'manifest';
      /** `push` a new reference, `retag` a tag that points elsewhere now, `skip` one that is right. */
      action: 'push' | 'retag' | 'skip';
      repository: string;
      /** A tag, or the digest for manifests an index names. */
      reference: string;
      digest: string;
      size: number;
      mediaType: string;
      previous?: string;
    };

export interface OciPushPlan {
  registry: string;
  steps: OciPlanStep[];
  summary: {
    blobsToPush: number;
    blobsToMount: number;
    blobsPresent: number;
    bytesToPush: number;
    manifestsToPut: number;
    manifestsPresent: number;
  };
}

/** The layout's content a planner needs: no file handles, no bytes. */
export type OciLayoutModel = Pick<OciLayout, 'images' | 'blobs'> & {
  manifests: Map<string, Pick<LayoutManifest, 'digest' | 'size' | 'mediaType' | 'children' | 'blobs'>>;
};

/**
 * Pure: which blobs and manifests to push to `registry`, given what it has (`existing`). Per
 * repository, every blob of every image once (mounted from another repository of the same
 * registry when that one has it or gets it earlier in the plan), then the manifests an index
 * names (by digest), then each image's manifest or index by its tag.
 */
export function planOciPush(layout: OciLayoutModel, registry: string, existing: RegistryState): OciPushPlan {
  const steps: OciPlanStep[] = [];
  const has = new Map<string, Set<string>>();
  for (const [repo, digests] of Object.entries(existing.blobs)) has.set(repo, new Set(digests));
  const holders = (digest: string): string | undefined => {
    for (const [repo, set] of has) if (set.has(digest)) return repo;
    return undefined;
  };
  const repos = [...new Set(layout.images.map((i) => i.repository))];
  for (const repository of repos) {
    const images = layout.images.filter((i) => i.repository === repository);
    const blobOrder: string[] = [];
    const manifestOrder: string[] = [];
    const visit = (digest: string): void => {
      const m = layout.manifests.get(digest);
      if (!m) throw new OciError(`manifest ${digest} is not in the layout`);
      for (const child of m.children) visit(child);
      for (const b of m.blobs) if (!blobOrder.includes(b)) blobOrder.push(b);
      if (!manifestOrder.includes(digest)) manifestOrder.push(digest);
    };
    for (const image of images) visit(image.digest);
    const present = has.get(repository) ?? new Set<string>();
    has.set(repository, present);
    for (const digest of blobOrder) {
      const d = layout.blobs.get(digest);
      if (!d) throw new OciError(`blob ${digest} is not in the layout`);
      const base = { op: 'blob' as const, repository, digest, size: d.size, mediaType: d.mediaType };
      if (present.has(digest)) {
        steps.push({ ...base, action: 'skip' });
        continue;
      }
      const from = holders(digest);
      steps.push(from ? { ...base, action: 'mount', from } : { ...base, action: 'push' });
      present.add(digest);
    }
    const manifestsThere = existing.manifests[repository] ?? {};
    const children = new Set(manifestOrder.flatMap((d) => layout.manifests.get(d)?.children ?? []));
    for (const digest of manifestOrder) {
      // The manifests an index names go in by digest, before it; the images' own by tag below.
      if (!children.has(digest)) continue;
      const m = layout.manifests.get(digest)!;
      const base = {
        op: 'manifest' as const,
        repository,
        reference: digest,
        digest,
        size: m.size,
        mediaType: m.mediaType,
      };
      steps.push({ ...base, action: manifestsThere[digest] === digest ? 'skip' : 'push' });
    }
    for (const image of images) {
      const m = layout.manifests.get(image.digest)!;
      const now = manifestsThere[image.tag];
      const base = {
        op: 'manifest' as const,
        repository,
        reference: image.tag,
        digest: image.digest,
        size: m.size,
        mediaType: m.mediaType,
      };
      if (now === image.digest) steps.push({ ...base, action: 'skip' });
      else if (now !== undefined) steps.push({ ...base, action: 'retag', previous: now });
      else steps.push({ ...base, action: 'push' });
    }
  }
  const blobSteps = steps.filter((s) => s.op === 'blob');
  const manifestSteps = steps.filter((s) => s.op === 'manifest');
  return {
    registry,
    steps,
    summary: {
      blobsToPush: blobSteps.filter((s) => s.action === 'push').length,
      blobsToMount: blobSteps.filter((s) => s.action === 'mount').length,
      blobsPresent: blobSteps.filter((s) => s.action === 'skip').length,
      bytesToPush: blobSteps.filter((s) => s.action === 'push').reduce((n, s) => n + s.size, 0),
      manifestsToPut: manifestSteps.filter((s) => s.action !== 'skip').length,
      manifestsPresent: manifestSteps.filter((s) => s.action === 'skip').length,
    },
  };
}

// ---------------------------------------------------------------------------------------------
// The registry client

export interface RegistryOptions {
  /** Base URL of the registry: https://host[:port], or http://127.0.0.1:port (loopback only). */
  registry: URL | string;
  /** PEM of the CA(s) to trust for the registry's certificate instead of the system's. */
  caPem?: string;
  /** Basic authentication (a registry with htpasswd auth). Sent only over HTTPS or to loopback. */
  auth?: { username: string; password: string };
  signal?: AbortSignal;
}

interface Response {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

const LOOPBACK_HOSTS = new Set(['127.0.0.1', '[::1]', '::1', 'localhost']);

/** The registry's base URL, or OciError: HTTPS anywhere, plain HTTP only to loopback. */
export function checkRegistryUrl(registry: URL | string): URL {
  let url: URL;
  try {
    url = new URL(registry);
  } catch {
    throw new OciError(`${String(registry)} is not a URL`, 'refused-url');
  }
  if (url.username || url.password)
    throw new OciError('put registry credentials in auth, not in the URL', 'refused-url');
  if (url.protocol === 'https:') return url;
  if (
    url.protocol === 'http:' &&
    (LOOPBACK_HOSTS.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname))
  ) {
    return url;
  }
  throw new OciError(
    `${url.origin}: the registry must be reached over HTTPS (plain HTTP only to a loopback address)`,
    'refused-url',
  );
}

/** A small OCI distribution API client over node:http/https. */
export class RegistryClient {
  readonly base: URL;
  private readonly agent: http.Agent;
  private readonly authorization: string | undefined;

  constructor(private readonly options: RegistryOptions) {
    this.base = checkRegistryUrl(options.registry);
    this.agent =
      this.base.protocol === 'https:'
        ? new https.Agent({ keepAlive: true, maxSockets: 4, ...(options.caPem ? { ca: options.caPem } : {}) })
        : new http.Agent({ keepAlive: true, maxSockets: 4 });
    this.authorization = options.auth
      ? `Basic ${Buffer.from(`${options.auth.username}:${options.auth.password}`).toString('base64')}`
      : undefined;
  }

  get origin(): string {
    return this.base.origin;
  }

  close(): void {
    this.agent.destroy();
  }

  /** Resolves a path or a Location header against the registry; refuses another origin. */
  resolve(target: string): URL {
    const url = new URL(target, this.base);
    if (url.origin !== this.base.origin) {
      throw new OciError(
        `the registry sent us to ${url.origin}; only ${this.base.origin} is used`,
        'refused-url',
      );
    }
    return url;
  }

  request(
    method: string,
    target: string | URL,
    init: {
      headers?: Record<string, string | number>;
      body?: Buffer | Readable;
      maxBody?: number;
      signal?: AbortSignal;
    } = {},
  ): Promise<Response> {
    const url = typeof target === 'string' ? this.resolve(target) : target;
    const signal = init.signal ?? this.options.signal;
    if (signal?.aborted) return Promise.reject(new OciError('the push was cancelled', 'aborted'));
    const maxBody = init.maxBody ?? 64 << 10;
    const headers: Record<string, string | number> = { 'user-agent': 'enclave-console', ...init.headers };
    if (this.authorization) headers.authorization = this.authorization;
    return new Promise<Response>((resolve, reject) => {
      const mod = url.protocol === 'https:' ? https : http;
      const req = mod.request(
        url,
        { method, headers, agent: this.agent, ...(signal ? { signal } : {}) },
        (res) => {
          const chunks: Buffer[] = [];
          let length = 0;
          res.on('data', (chunk: Buffer) => {
            length += chunk.length;
            if (length > maxBody) {
              res.destroy(
                new OciError(`${method} ${url.pathname}: response larger than ${maxBody} bytes`, 'registry'),
              );
              return;
            }
            chunks.push(chunk);
          });
          res.on('error', reject);
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }),
          );
        },
      );
      req.on('error', (error: Error & { code?: string }) => {
        if (error.name === 'AbortError' || signal?.aborted)
          reject(new OciError('the push was cancelled', 'aborted'));
        else reject(new OciError(`${method} ${url.origin}${url.pathname}: ${error.message}`, 'registry'));
      });
      if (init.body === undefined) req.end();
      else if (Buffer.isBuffer(init.body)) req.end(init.body);
      else {
        init.body.on('error', (error) => req.destroy(error));
        init.body.pipe(req);
      }
    });
  }
}

function registryError(what: string, res: Response): OciError {
  let detail = res.body.toString('utf8').slice(0, 500).trim();
  try {
    const parsed = JSON.parse(detail) as { errors?: { code?: string; message?: string }[] };
    if (parsed.errors?.length) detail = parsed.errors.map((e) => `${e.code}: ${e.message}`).join('; ');
  } catch {
    // not JSON: keep the text
  }
  return new OciError(`${what}: HTTP ${res.status}${detail ? ` (${detail})` : ''}`, 'registry');
}

const enc = encodeURIComponent;
const repoPath = (repository: string): string => repository.split('/').map(enc).join('/');

/** HEAD of every blob and manifest (digest and tag) the layout would push: what is there. */
export async function probeRegistry(client: RegistryClient, layout: OciLayoutModel): Promise<RegistryState> {
  const state: RegistryState = { blobs: {}, manifests: {} };
  const plan = planOciPush(layout, client.origin, { blobs: {}, manifests: {} });
  for (const step of plan.steps) {
    const repo = repoPath(step.repository);
    if (step.op === 'blob') {
      const res = await client.request('HEAD', `/v2/${repo}/blobs/${step.digest}`);
      if (res.status === 200) (state.blobs[step.repository] ??= []).push(step.digest);
      else if (res.status !== 404) throw registryError(`HEAD blob ${step.digest} in ${step.repository}`, res);
    } else {
      const res = await client.request('HEAD', `/v2/${repo}/manifests/${enc(step.reference)}`, {
        headers: { accept: ACCEPT_MANIFESTS },
      });
      if (res.status === 200) {
        const digest = res.headers['docker-content-digest'];
        (state.manifests[step.repository] ??= {})[step.reference] =
          typeof digest === 'string' ? digest : 'sha256:unknown';
      } else if (res.status !== 404) {
        throw registryError(`HEAD manifest ${step.repository}:${step.reference}`, res);
      }
    }
  }
  return state;
}

export interface OciProgress {
  phase: 'verify' | 'upload' | 'mount' | 'manifest' | 'read-back';
  step: number;
  steps: number;
  repository: string;
  digest: string;
  /** Bytes of blobs hashed and sent so far, out of twice the bytes to push or mount. */
  bytesDone: number;
  bytesTotal: number;
}

export interface ApplyOptions {
  onProgress?: (p: OciProgress) => void;
  signal?: AbortSignal;
  /** Blobs larger than this go up in PATCH chunks of this size; smaller in one PUT. */
  chunkBytes?: number;
}

/** Hashes a blob file and compares it with its digest before anything of it is sent. */
async function verifyBlobFile(
  file: string,
  d: OciDescriptor,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
) {
  const hash = createHash('sha256');
  let size = 0;
  const stream = createReadStream(file, { highWaterMark: 1 << 20, ...(signal ? { signal } : {}) });
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      hash.update(chunk);
      size += chunk.length;
      onBytes(chunk.length);
    }
  } catch (error) {
    if (signal?.aborted) throw new OciError('the push was cancelled', 'aborted');
    throw error;
  }
  const actual = `sha256:${hash.digest('hex')}`;
  if (size !== d.size || actual !== d.digest) {
    throw new OciError(
      `blob ${d.digest} in the layout is ${size} bytes hashing to ${actual}: refusing to send it`,
      'digest-mismatch',
    );
  }
}

function withDigest(location: URL, digest: string): URL {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url;
}

async function uploadBlob(
  client: RegistryClient,
  file: string,
  step: Extract<OciPlanStep, { op: 'blob' }>,
  location: URL,
  chunkBytes: number,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const counted = (start: number, end: number): Readable => {
    const s = createReadStream(file, { start, end, highWaterMark: 1 << 20 });
    s.on('data', (chunk: string | Buffer) => onBytes(chunk.length));
    return s;
  };
  if (step.size <= chunkBytes) {
    const res = await client.request('PUT', withDigest(location, step.digest), {
      headers: { 'content-type': 'application/octet-stream', 'content-length': step.size },
      body: step.size === 0 ? Buffer.alloc(0) : counted(0, step.size - 1),
      ...(signal ? { signal } : {}),
    });
    if (res.status !== 201) throw registryError(`PUT blob ${step.digest} to ${step.repository}`, res);
    return;
  }
  let at = location;
  for (let start = 0; start < step.size; start += chunkBytes) {
    const end = Math.min(start + chunkBytes, step.size) - 1;
    const res = await client.request('PATCH', at, {
      headers: {
        'content-type': 'application/octet-stream',
        'content-length': end - start + 1,
        'content-range': `${start}-${end}`,
      },
      body: counted(start, end),
      ...(signal ? { signal } : {}),
    });
    if (res.status !== 202) throw registryError(`PATCH blob ${step.digest} bytes ${start}-${end}`, res);
    const next = res.headers.location;
    if (typeof next !== 'string')
      throw new OciError(`PATCH blob ${step.digest}: no Location in the answer`, 'registry');
    at = client.resolve(next);
  }
  const res = await client.request('PUT', withDigest(at, step.digest), {
    headers: { 'content-length': 0 },
    ...(signal ? { signal } : {}),
  });
  if (res.status !== 201) throw registryError(`PUT blob ${step.digest} (closing the upload)`, res);
}

export interface OciPushResult {
  registry: string;
  pushed: OciPlanStep[];
  mounted: OciPlanStep[];
  skipped: OciPlanStep[];
  bytesSent: number;
  /** True when every manifest read back by tag and digest hashes right and every blob is there. */
  verified: boolean;
  problems: string[];
}

/** Pushes a plan's steps in order, then reads everything back (verifyOciPush). */
export async function applyOciPlan(
  client: RegistryClient,
  layout: OciLayout,
  plan: OciPushPlan,
  options: ApplyOptions = {},
): Promise<OciPushResult> {
  const { onProgress, signal } = options;
  const chunkBytes = options.chunkBytes ?? DEFAULT_CHUNK_BYTES;
  // Each byte to push is read twice (hashed, then sent); a mounted blob counts as done at once.
  const bytesTotal =
    2 * plan.steps.reduce((n, s) => (s.op === 'blob' && s.action !== 'skip' ? n + s.size : n), 0);
  let bytesDone = 0;
  let bytesSent = 0;
  const result: OciPushResult = {
    registry: plan.registry,
    pushed: [],
    mounted: [],
    skipped: [],
    bytesSent: 0,
    verified: false,
    problems: [],
  };
  const steps = plan.steps.length;
  for (const [i, step] of plan.steps.entries()) {
    if (signal?.aborted) throw new OciError('the push was cancelled', 'aborted');
    const report = (phase: OciProgress['phase']) =>
      onProgress?.({
        phase,
        step: i + 1,
        steps,
        repository: step.repository,
        digest: step.digest,
        bytesDone,
        bytesTotal,
      });
    if (step.action === 'skip') {
      result.skipped.push(step);
      continue;
    }
    const repo = repoPath(step.repository);
    if (step.op === 'blob') {
      const file = blobPath(layout.dir, step.digest);
      let location: URL | undefined;
      if (step.action === 'mount' && step.from) {
        report('mount');
        const res = await client.request(
          'POST',
          `/v2/${repo}/blobs/uploads/?mount=${enc(step.digest)}&from=${enc(step.from)}`,
          { headers: { 'content-length': 0 }, ...(signal ? { signal } : {}) },
        );
        if (res.status === 201) {
          bytesDone += 2 * step.size;
          result.mounted.push(step);
          continue;
        }
        if (res.status !== 202) throw registryError(`mount blob ${step.digest} from ${step.from}`, res);
        // The registry would not mount it: upload it after all, into the session it opened.
        if (typeof res.headers.location === 'string') location = client.resolve(res.headers.location);
      }
      report('verify');
      await verifyBlobFile(
        file,
        step,
        (n) => {
          bytesDone += n;
        },
        signal,
      );
      if (!location) {
        const res = await client.request('POST', `/v2/${repo}/blobs/uploads/`, {
          headers: { 'content-length': 0 },
          ...(signal ? { signal } : {}),
        });
        if (res.status !== 202 || typeof res.headers.location !== 'string') {
          throw registryError(`start upload of ${step.digest} to ${step.repository}`, res);
        }
        location = client.resolve(res.headers.location);
      }
      report('upload');
      await uploadBlob(
        client,
        file,
        step,
        location,
        chunkBytes,
        (n) => {
          bytesDone += n;
          bytesSent += n;
        },
        signal,
      );
      result.pushed.push(step);
      report('upload');
    } else {
      report('manifest');
      const m = layout.manifests.get(step.digest);
      if (!m) throw new OciError(`manifest ${step.digest} is not in the layout`);
      // Read and checked by readOciLayout; checked again against what is about to be sent.
      if (sha256(m.bytes) !== step.digest)
        throw new OciError(`manifest ${step.digest} changed`, 'digest-mismatch');
      const res = await client.request('PUT', `/v2/${repo}/manifests/${enc(step.reference)}`, {
        headers: { 'content-type': m.mediaType, 'content-length': m.bytes.length },
        body: m.bytes,
        ...(signal ? { signal } : {}),
      });
      if (res.status !== 201) throw registryError(`PUT manifest ${step.repository}:${step.reference}`, res);
      const echoed = res.headers['docker-content-digest'];
      if (typeof echoed === 'string' && echoed !== step.digest) {
        throw new OciError(
          `the registry stored ${step.repository}:${step.reference} as ${echoed}, not ${step.digest}`,
          'verify',
        );
      }
      result.pushed.push(step);
    }
  }
  result.bytesSent = bytesSent;
  onProgress?.({ phase: 'read-back', step: steps, steps, repository: '', digest: '', bytesDone, bytesTotal });
  result.problems = await verifyOciPush(client, layout, options.signal);
  result.verified = result.problems.length === 0;
  return result;
}

/**
 * Reads back what the layout put in the registry: every manifest by tag and by digest (GET, the
 * bytes hashed), every blob (HEAD: present, with the right size and digest). The problems found.
 */
export async function verifyOciPush(
  client: RegistryClient,
  layout: OciLayoutModel,
  signal?: AbortSignal,
): Promise<string[]> {
  const problems: string[] = [];
  const plan = planOciPush(layout, client.origin, { blobs: {}, manifests: {} });
  for (const step of plan.steps) {
    const repo = repoPath(step.repository);
    const s = signal ? { signal } : {};
    if (step.op === 'manifest') {
      const res = await client.request('GET', `/v2/${repo}/manifests/${enc(step.reference)}`, {
        headers: { accept: ACCEPT_MANIFESTS },
        maxBody: MAX_MANIFEST_BYTES,
        ...s,
      });
      if (res.status !== 200) {
        problems.push(`${step.repository}:${step.reference}: HTTP ${res.status}`);
        continue;
      }
      const got = sha256(res.body);
      if (got !== step.digest)
        problems.push(`${step.repository}:${step.reference} is ${got}, expected ${step.digest}`);
    } else {
      const res = await client.request('HEAD', `/v2/${repo}/blobs/${step.digest}`, s);
      const length = Number(res.headers['content-length']);
      const echoed = res.headers['docker-content-digest'];
      if (res.status !== 200) problems.push(`blob ${step.digest} in ${step.repository}: HTTP ${res.status}`);
      else if (length !== step.size)
        problems.push(`blob ${step.digest} in ${step.repository} is ${length} bytes`);
      else if (typeof echoed === 'string' && echoed !== step.digest) {
        problems.push(`blob ${step.digest} in ${step.repository} is served as ${echoed}`);
      }
    }
  }
  return problems;
}

/**
 * Where the OCI image layout is in a staged oci-images payload: the payload directory itself when
 * it holds `oci-layout`, else its one subdirectory that does (recipes put it in `oci/`).
 */
export async function findOciLayout(payloadDir: string): Promise<string> {
  const has = async (d: string) =>
    (await lstat(path.join(d, 'oci-layout')).catch(() => null))?.isFile() === true;
  if (await has(payloadDir)) return payloadDir;
  const found: string[] = [];
  for (const entry of await readdir(payloadDir, { withFileTypes: true })) {
    if (entry.isDirectory() && (await has(path.join(payloadDir, entry.name))))
      found.push(path.join(payloadDir, entry.name));
  }
  if (found.length !== 1) {
    throw new OciError(
      found.length === 0
        ? `no OCI image layout (oci-layout, index.json, blobs/) in ${payloadDir} or a directory in it`
        : `more than one OCI image layout in ${payloadDir}: ${found.map((f) => path.basename(f)).join(', ')}`,
    );
  }
  return found[0]!;
}

export interface PushOciLayoutOptions extends RegistryOptions, ReadLayoutOptions, ApplyOptions {}

/** Reads the layout and the registry's state and plans, without pushing: for the install plan. */
export async function planOciLayoutPush(
  dir: string,
  options: RegistryOptions & ReadLayoutOptions,
): Promise<{ layout: OciLayout; plan: OciPushPlan }> {
  const layout = await readOciLayout(dir, options);
  const client = new RegistryClient(options);
  try {
    const existing = await probeRegistry(client, layout);
    return { layout, plan: planOciPush(layout, client.origin, existing) };
  } finally {
    client.close();
  }
}

/**
 * The oci-images installer: reads and checks the layout in `dir` (a verified bundle's payload),
 * asks the registry what it has, pushes the rest (each blob's digest checked before it is sent),
 * and reads it all back. Throws OciError (code says what kind) on anything it cannot do.
 */
export async function pushOciLayout(
  dir: string,
  options: PushOciLayoutOptions,
): Promise<OciPushResult & { plan: OciPushPlan }> {
  const layout = await readOciLayout(dir, options);
  const client = new RegistryClient(options);
  try {
    const existing = await probeRegistry(client, layout);
    const plan = planOciPush(layout, client.origin, existing);
    const result = await applyOciPlan(client, layout, plan, options);
    return { ...result, plan };
  } finally {
    client.close();
  }
}
