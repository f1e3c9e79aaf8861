/**
 * Recipes (offline-bundles/recipes/README.md): how a connected build machine assembles a common
 * bundle's payload — fetch pinned downloads, copy local files, render a chart, pull images, write
 * scripts — so `enclave bundle build RECIPE.yaml` produces it the same way every time. Only the
 * build machine runs this; nothing in the enclave follows a URL from a recipe.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  createWriteStream,
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  rmSync,
  statSync,
} from 'node:fs';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { LineCounter, isMap, parseDocument } from 'yaml';
import { isBundleKind, NAME_RE, VERSION_RE } from './manifest';
import type { BundleKind } from './types';

export interface RecipeSource {
  id: string;
  url?: string;
  sha256?: string;
  key?: string;
  image?: string;
  path?: string;
}

export type RecipeStep =
  | { fetch: { source: string; to: string; apt?: { packages: string[] } } }
  | { copy: { source: string; to: string; mode?: string } }
  | { 'from-package-output': { source: string; to: string; mode?: string } }
  | { 'helm-template': { source: string; release: string; namespace: string; values?: unknown; to: string } }
  | { 'oci-pull': { source: string; to: string; as: string; platform?: string } }
  | { write: { to: string; text: string; mode?: string } };

export interface Recipe {
  kind: BundleKind;
  name: string;
  version: string;
  description?: string;
  /** ISO 8601 duration (`P90D`, `P12W`) from the build time. */
  expires?: string;
  targets?: Record<string, unknown>;
  sources: RecipeSource[];
  steps: RecipeStep[];
}

export class RecipeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RecipeError';
  }
}

const STEP_KINDS = ['fetch', 'copy', 'from-package-output', 'helm-template', 'oci-pull', 'write'] as const;
const SOURCE_ID = /^[a-z0-9][a-z0-9-]*$/;

/** `${name}` replaced in every string of a value. */
function substitute(value: unknown, vars: Record<string, string>, where: string): unknown {
  if (typeof value === 'string') {
    return value.replace(/\$\{([A-Za-z0-9_]+)\}/g, (_, name: string) => {
      const v = vars[name];
      if (v === undefined) throw new RecipeError(`${where}: \${${name}} is not a variable of this recipe`);
      return v;
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, vars, where));
  if (value && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, vars, where)]));
  }
  return value;
}

/** A payload path: relative, no `..`, no empty or dot components. */
function payloadPath(to: unknown, where: string): string {
  if (
    typeof to !== 'string' ||
    to === '' ||
    to.startsWith('/') ||
    to.split('/').some((c) => c === '' || c === '.' || c === '..')
  ) {
    throw new RecipeError(`${where}: "to" must be a relative path inside the payload (no leading /, no ..)`);
  }
  return to;
}

function fileMode(mode: unknown, where: string): number {
  if (mode === undefined) return 0o644;
  if (mode === '0644' || mode === '0755') return Number.parseInt(mode, 8);
  throw new RecipeError(`${where}: mode must be '0644' or '0755' (bundles carry no other modes)`);
}

/**
 * Parses and checks a recipe. Variables are substituted (`from package.json` takes the version
 * of the package.json in `cwd`). Throws RecipeError naming the field (and line) at fault.
 */
export function parseRecipe(text: string, options: { fileName?: string; cwd?: string } = {}): Recipe {
  const file = options.fileName ?? 'recipe';
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0];
    throw new RecipeError(
      `${file} line ${e ? lines.linePos(e.pos[0]).line : '?'}: not YAML: ${e?.message.split('\n')[0]}`,
    );
  }
  if (!isMap(doc.contents))
    throw new RecipeError(`${file}: a recipe is a YAML map (see offline-bundles/recipes/README.md)`);
  const raw = doc.toJS() as Record<string, unknown>;
  const at = (key: string) => {
    const node = doc.get(key, true) as { range?: [number] } | undefined;
    return node?.range ? ` (line ${lines.linePos(node.range[0]).line})` : '';
  };
  const fail = (key: string, message: string): never => {
    throw new RecipeError(`${file}: ${key}${at(key.split('.')[0] as string)}: ${message}`);
  };
  if (raw.recipe !== 1) fail('recipe', 'must be 1 (the recipe format version)');
  const vars: Record<string, string> = {};
  for (const [k, v] of Object.entries((raw.variables ?? {}) as Record<string, unknown>)) {
    if (v === 'from package.json') {
      const pkg = path.join(options.cwd ?? process.cwd(), 'package.json');
      if (!existsSync(pkg)) fail('variables', `${k} is "from package.json", and there is no ${pkg}`);
      vars[k] = String((JSON.parse(readFileSync(pkg, 'utf8')) as { version?: unknown }).version);
    } else vars[k] = String(v);
  }
  const r = substitute(raw, vars, file) as Record<string, unknown>;
  const kind = String(r.kind);
  if (!isBundleKind(kind)) fail('kind', `"${kind}" is not a bundle kind`);
  const name = String(r.name);
  if (!NAME_RE.test(name)) fail('name', `"${name}" is not a bundle name ([a-z0-9][a-z0-9._-]{0,63})`);
  const version = String(r.version);
  if (!VERSION_RE.test(version)) fail('version', `"${version}" is not dotted numbers such as 25.3.0`);
  if (r.expires !== undefined && !/^P\d+[DW]$/.test(String(r.expires)))
    fail('expires', 'use days or weeks as an ISO 8601 duration, e.g. P90D or P12W');
  if (!Array.isArray(r.sources)) fail('sources', 'must be a list');
  const sources = r.sources as RecipeSource[];
  const ids = new Set<string>();
  sources.forEach((s, i) => {
    const where = `sources[${i}]`;
    if (!SOURCE_ID.test(String(s.id))) fail('sources', `${where}.id must look like "driver-deb"`);
    if (ids.has(s.id)) fail('sources', `${where}: id ${s.id} is used twice`);
    ids.add(s.id);
    const how = ['url', 'image', 'path'].filter(
      (k) => (s as unknown as Record<string, unknown>)[k] !== undefined,
    );
    if (how.length !== 1) fail('sources', `${where} (${s.id}) needs exactly one of url, image, path`);
    if (s.url !== undefined && !/^https:\/\//.test(s.url))
      fail('sources', `${where} (${s.id}): url must be https://`);
    if (s.sha256 !== undefined && !/^[0-9a-f]{64}$/.test(s.sha256))
      fail('sources', `${where} (${s.id}): sha256 must be 64 lower-case hex digits`);
  });
  const payload = r.payload as { steps?: unknown } | undefined;
  if (!payload || !Array.isArray(payload.steps) || payload.steps.length === 0)
    fail('payload', 'payload.steps must list at least one step');
  const steps = (payload as { steps: Record<string, Record<string, unknown>>[] }).steps;
  steps.forEach((step, i) => {
    const keys = Object.keys(step);
    const where = `payload.steps[${i}]`;
    const kindOf = keys[0] as (typeof STEP_KINDS)[number];
    if (keys.length !== 1 || !STEP_KINDS.includes(kindOf))
      fail('payload', `${where}: a step is one of ${STEP_KINDS.join(', ')}`);
    const body = step[kindOf] as Record<string, unknown>;
    payloadPath(body.to, `${file}: ${where}`);
    if (kindOf !== 'write' && !ids.has(String(body.source)))
      fail('payload', `${where}: source ${String(body.source)} is not in sources`);
    if ('mode' in body) fileMode(body.mode, `${file}: ${where}`);
    if (kindOf === 'write' && typeof body.text !== 'string') fail('payload', `${where}: write needs text`);
  });
  return {
    kind: kind as BundleKind,
    name,
    version,
    ...(r.description === undefined ? {} : { description: String(r.description) }),
    ...(r.expires === undefined ? {} : { expires: String(r.expires) }),
    ...(r.targets === undefined ? {} : { targets: r.targets as Record<string, unknown> }),
    sources,
    steps: steps as RecipeStep[],
  };
}

/** When a recipe's bundle expires, built now. */
export function recipeExpiry(recipe: Recipe, now = new Date()): Date | undefined {
  const m = recipe.expires ? /^P(\d+)([DW])$/.exec(recipe.expires) : null;
  if (!m) return undefined;
  return new Date(now.getTime() + Number(m[1]) * (m[2] === 'W' ? 7 : 1) * 86_400_000);
}

function run(command: string, args: string[], cwd: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, stdio: ['ignore', 'inherit', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    child.once('error', (e: NodeJS.ErrnoException) =>
      reject(
        new RecipeError(
          e.code === 'ENOENT'
            ? `${command} is needed on the build machine for this recipe (not found)`
            : e.message,
        ),
      ),
    );
    child.once('close', (code) =>
      code === 0
        ? resolve()
        : reject(
            new RecipeError(`${command} ${args.join(' ')} failed (${code}): ${stderr.trim().slice(-500)}`),
          ),
    );
  });
}

/** Downloads a URL to a file, hashing it; refuses a digest other than the pinned one. */
async function download(source: RecipeSource, to: string): Promise<string> {
  const response = await fetch(source.url as string, { redirect: 'follow' }).catch((e: Error) => {
    throw new RecipeError(
      `source ${source.id}: ${source.url} cannot be fetched: ${(e.cause as Error | undefined)?.message ?? e.message}`,
    );
  });
  if (!response.ok || !response.body) {
    throw new RecipeError(`source ${source.id}: ${source.url} answered ${response.status}`);
  }
  const hash = createHash('sha256');
  const body = Readable.fromWeb(response.body as WebReadableStream<Uint8Array>);
  body.on('data', (chunk: Buffer) => hash.update(chunk));
  await pipeline(body, createWriteStream(to, { mode: 0o644 }));
  const digest = hash.digest('hex');
  if (source.sha256 && digest !== source.sha256) {
    rmSync(to, { force: true });
    throw new RecipeError(
      `source ${source.id}: ${source.url} has SHA-256 ${digest}, the recipe pins ${source.sha256}; nothing was built`,
    );
  }
  return digest;
}

export interface AssembleReport {
  /** Downloads without a pinned digest, with what they hashed to: pin them in the recipe. */
  unpinned: { source: string; sha256: string }[];
}

/**
 * Runs the recipe's steps into `payloadDir` (created, must not exist). Paths of `path` sources
 * are relative to `cwd`. On failure the payload directory is removed.
 */
export async function assembleRecipe(
  recipe: Recipe,
  payloadDir: string,
  options: { cwd?: string; onStep?: (description: string) => void } = {},
): Promise<AssembleReport> {
  const cwd = options.cwd ?? process.cwd();
  if (existsSync(payloadDir)) throw new RecipeError(`${payloadDir} exists already; give a new directory`);
  mkdirSync(payloadDir, { recursive: true, mode: 0o755 });
  const source = (id: string) => recipe.sources.find((s) => s.id === id) as RecipeSource;
  const target = (to: string) => {
    const file = path.join(payloadDir, to);
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
    return file;
  };
  const unpinned: AssembleReport['unpinned'] = [];
  try {
    for (const step of recipe.steps) {
      if ('fetch' in step) {
        const s = source(step.fetch.source);
        if (step.fetch.apt) {
          // The listed packages as Debian ships them (dependencies must be listed too).
          options.onStep?.(`apt-get download ${step.fetch.apt.packages.join(' ')}`);
          const dir = target(path.join(step.fetch.to, '.keep'));
          await run('apt-get', ['download', ...step.fetch.apt.packages], path.dirname(dir));
          continue;
        }
        if (!s.url) throw new RecipeError(`fetch: source ${s.id} has no url`);
        options.onStep?.(`fetch ${s.url}`);
        const digest = await download(s, target(step.fetch.to));
        if (!s.sha256) unpinned.push({ source: s.id, sha256: digest });
      } else if ('copy' in step || 'from-package-output' in step) {
        const body = 'copy' in step ? step.copy : step['from-package-output'];
        const s = source(body.source);
        if (!s.path) throw new RecipeError(`copy: source ${s.id} has no path`);
        const from = path.resolve(cwd, s.path);
        if (!existsSync(from) || !statSync(from).isFile()) {
          throw new RecipeError(
            `source ${s.id}: ${from} is not a file${'from-package-output' in step ? ' (run npm run package first, docs/packaging.md)' : ''}`,
          );
        }
        options.onStep?.(`copy ${s.path}`);
        const file = target(body.to);
        copyFileSync(from, file);
        chmodSync(file, fileMode(body.mode, 'copy'));
      } else if ('write' in step) {
        const file = target(step.write.to);
        options.onStep?.(`write ${step.write.to}`);
        await pipeline(Readable.from([step.write.text]), createWriteStream(file));
        chmodSync(file, fileMode(step.write.mode, 'write'));
      } else if ('helm-template' in step) {
        const h = step['helm-template'];
        const s = source(h.source);
        const chart = s.path ? path.resolve(cwd, s.path) : (s.url as string);
        const values = path.join(payloadDir, '..', `.values-${process.pid}.yaml`);
        await pipeline(Readable.from([JSON.stringify(h.values ?? {})]), createWriteStream(values));
        options.onStep?.(`helm template ${h.release} ${chart}`);
        const out = target(h.to);
        try {
          await run(
            'sh',
            [
              '-c',
              'helm template "$0" "$1" --namespace "$2" --values "$3" > "$4"',
              h.release,
              chart,
              h.namespace,
              values,
              out,
            ],
            cwd,
          );
        } finally {
          rmSync(values, { force: true });
        }
      } else {
        const o = step['oci-pull'];
        const s = source(o.source);
        if (!s.image) throw new RecipeError(`oci-pull: source ${s.id} has no image`);
        options.onStep?.(`skopeo copy ${s.image}`);
        const layout = target(path.join(o.to, 'oci-layout'));
        const platform = o.platform?.split('/') ?? [];
        await run(
          'skopeo',
          [
            'copy',
            ...(platform[0] ? ['--override-os', platform[0]] : []),
            ...(platform[1] ? ['--override-arch', platform[1]] : []),
            `docker://${s.image}`,
            `oci:${path.dirname(layout)}:${o.as}`,
          ],
          cwd,
        );
      }
    }
  } catch (error) {
    rmSync(payloadDir, { recursive: true, force: true });
    throw error;
  }
  return { unpinned };
}
