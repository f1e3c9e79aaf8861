/**
 * The manifest: canonical JSON (the bytes that are signed), its validation, the
 * `SHA256SUMS` text derived from it, and version comparison.
 */
import { BUNDLE_KINDS, BundleRefusal, FORMAT_VERSION, type BundleKind, type BundleManifest } from './types';

/** Members of the tar that are not payload. */
export const MANIFEST_MEMBER = 'manifest.json';
export const SUMS_MEMBER = 'SHA256SUMS';
export const SIGNATURE_DIR = 'signatures/';
export const PAYLOAD_DIR = 'payload/';

export const MAX_MANIFEST_BYTES = 16 * 2 ** 20;
export const MAX_SIGNATURE_BYTES = 16 * 1024;
export const MAX_SIGNATURES = 64;

export const NAME_RE = /^[a-z0-9][a-z0-9._-]{0,63}$/;
export const SIGNER_RE = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const VERSION_RE = /^(0|[1-9][0-9]{0,8})(\.(0|[1-9][0-9]{0,8})){0,5}$/;
const SHA256_RE = /^[0-9a-f]{64}$/;

/**
 * Canonical JSON: object members sorted by name (UTF-16 code units), no white space,
 * strings and numbers as JSON.stringify writes them (RFC 8785 for the values a manifest holds).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError(`canonical JSON cannot hold ${value}`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  throw new TypeError(`canonical JSON cannot hold a ${typeof value}`);
}

/** Why a payload path is unacceptable, as a refusal; undefined when it is fine. */
export function pathProblem(p: string, where: string): BundleRefusal | undefined {
  if (p.startsWith('/') || /^[A-Za-z]:/.test(p))
    return new BundleRefusal('absolute-path', `${where} "${p}" is an absolute path`, p);
  const parts = p.split('/');
  if (parts.includes('..')) return new BundleRefusal('dot-dot', `${where} "${p}" climbs out with ".."`, p);
  if (p.length === 0 || p.length > 4096 || parts.some((c) => c === '' || c === '.' || c.length > 255))
    return new BundleRefusal('bad-manifest', `${where} "${p}" is not a normal relative path`, p);
  // Backslash, newline and other control characters would be escaped by sha256sum or
  // mean something else on another system.
  // eslint-disable-next-line no-control-regex
  if (/[\\\u0000-\u001f\u007f]/.test(p))
    return new BundleRefusal(
      'bad-manifest',
      `${where} "${JSON.stringify(p)}" holds a backslash or control character`,
      p,
    );
  return undefined;
}

const bad = (message: string, entry?: string) =>
  new BundleRefusal('bad-manifest', `manifest.json: ${message}`, entry);

const MANIFEST_KEYS = new Set([
  'formatVersion',
  'name',
  'kind',
  'version',
  'created',
  'expires',
  'targets',
  'description',
  'files',
  'sbom',
]);

/** Checks a parsed manifest's shape and every rule of the format; throws a BundleRefusal. */
export function validateManifest(m: unknown, maxFiles = 100_000): BundleManifest {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) throw bad('not a JSON object');
  const o = m as Record<string, unknown>;
  for (const k of Object.keys(o)) if (!MANIFEST_KEYS.has(k)) throw bad(`unknown field "${k}"`);
  if (o.formatVersion !== FORMAT_VERSION)
    throw bad(
      `formatVersion ${JSON.stringify(o.formatVersion)} is not ${FORMAT_VERSION}; this console reads format 1`,
    );
  if (typeof o.name !== 'string' || !NAME_RE.test(o.name))
    throw bad('name must be 1-64 of a-z 0-9 . _ - starting with a letter or digit');
  if (typeof o.kind !== 'string' || !(BUNDLE_KINDS as readonly string[]).includes(o.kind))
    throw bad(`kind must be one of ${BUNDLE_KINDS.join(', ')}`);
  if (typeof o.version !== 'string' || !VERSION_RE.test(o.version))
    throw bad('version must be dotted numbers such as 2.4.0');
  for (const k of ['created', 'expires'] as const) {
    const v = o[k];
    if (typeof v !== 'string' || Number.isNaN(Date.parse(v)) || !/^\d{4}-\d\d-\d\dT/.test(v))
      throw bad(`${k} must be an ISO 8601 time`);
  }
  if (o.description !== undefined && typeof o.description !== 'string') throw bad('description must be text');
  if (o.targets !== undefined) {
    if (typeof o.targets !== 'object' || o.targets === null || Array.isArray(o.targets))
      throw bad('targets must be an object');
    const t = o.targets as Record<string, unknown>;
    for (const k of ['gpuModels', 'os'] as const)
      if (
        t[k] !== undefined &&
        (!Array.isArray(t[k]) || !(t[k] as unknown[]).every((x) => typeof x === 'string'))
      )
        throw bad(`targets.${k} must be a list of strings`);
  }
  if (!Array.isArray(o.files)) throw bad('files must be a list');
  if (o.files.length > maxFiles)
    throw new BundleRefusal(
      'too-many-files',
      `manifest.json lists ${o.files.length} files; the limit is ${maxFiles}`,
    );
  let previous: string | undefined;
  const paths = new Set<string>();
  for (const f of o.files as unknown[]) {
    if (typeof f !== 'object' || f === null) throw bad('every files entry must be an object');
    const e = f as Record<string, unknown>;
    const keys = Object.keys(e).sort().join(',');
    if (keys !== 'mode,path,sha256,size')
      throw bad(`files entries have exactly path, size, sha256, mode (got ${keys})`);
    if (typeof e.path !== 'string') throw bad('files[].path must be text');
    const problem = pathProblem(e.path, 'manifest.json lists');
    if (problem) throw problem;
    if (paths.has(e.path))
      throw new BundleRefusal('duplicate-path', `manifest.json lists "${e.path}" twice`, e.path);
    if (previous !== undefined && !(previous < e.path))
      throw bad(`files must be sorted by path ("${e.path}" after "${previous}")`, e.path);
    previous = e.path;
    paths.add(e.path);
    if (typeof e.size !== 'number' || !Number.isSafeInteger(e.size) || e.size < 0)
      throw bad(`"${e.path}": size must be a whole number of bytes`, e.path);
    if (typeof e.sha256 !== 'string' || !SHA256_RE.test(e.sha256))
      throw bad(`"${e.path}": sha256 must be 64 lower-case hex digits`, e.path);
    if (typeof e.mode !== 'number' || !Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o7777)
      throw bad(`"${e.path}": mode must be permission bits`, e.path);
    if (e.mode & 0o7000)
      throw new BundleRefusal(
        'setuid',
        `manifest.json gives "${e.path}" mode ${e.mode.toString(8)} with setuid, setgid or sticky bits`,
        e.path,
      );
  }
  // A file may not also be a directory of another ("a" and "a/b").
  for (const p of paths) {
    const parts = p.split('/');
    for (let i = 1; i < parts.length; i++) {
      const dir = parts.slice(0, i).join('/');
      if (paths.has(dir)) throw bad(`"${dir}" is both a file and the directory of "${p}"`, p);
    }
  }
  if (o.sbom !== undefined) {
    if (!Array.isArray(o.sbom) || !o.sbom.every((s) => typeof s === 'string' && paths.has(s)))
      throw bad('sbom must list payload paths that are in files');
  }
  return o as unknown as BundleManifest;
}

/** Parses manifest.json bytes: canonical JSON or refused. */
export function parseManifest(bytes: Buffer, maxFiles?: number): BundleManifest {
  let parsed: unknown;
  try {
    parsed = JSON.parse(bytes.toString('utf8'));
  } catch {
    throw bad('is not JSON');
  }
  if (canonicalJson(parsed) !== bytes.toString('utf8') || !bytes.equals(Buffer.from(canonicalJson(parsed))))
    throw bad('is not in canonical form (sorted keys, no white space, no duplicate keys)');
  return validateManifest(parsed, maxFiles);
}

/** The exact `SHA256SUMS` text a manifest implies (`sha256sum -c` format, paths as in the tar). */
export function checksumsText(manifest: BundleManifest): string {
  return manifest.files.map((f) => `${f.sha256}  ${PAYLOAD_DIR}${f.path}\n`).join('');
}

/** Numeric comparison of dotted versions; missing components are 0 (2.4 == 2.4.0). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split('.').map(Number);
  const pb = b.split('.').map(Number);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return 0;
}

export function isBundleKind(k: string): k is BundleKind {
  return (BUNDLE_KINDS as readonly string[]).includes(k);
}
