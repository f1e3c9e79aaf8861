// The official OpenAPI v3 documents as the emulator uses them (k8s-tenancy.md §3.12): looking up a
// kind's schema, following `$ref`/`allOf`, and reading the list and map semantics
// (`x-kubernetes-list-type`, `-list-map-keys`, `-map-type`, `-patch-merge-key`) that server-side
// apply and strategic merge patch are driven by. The documents are read from the byte copies the
// console keeps in electron/core/tenants/openapi (never edited here).
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { OpenApiDocument, Schema } from '../../../electron/core/tenants/openapi';
import type { ResourceType } from './registry';

// The schema shapes are the console's own (the same documents, read by its strict validator).
export type { Schema } from '../../../electron/core/tenants/openapi';

/** `/openapi/v3` path → file, as kube-apiserver lists its group versions. */
export const OPENAPI_PATHS: Record<string, string> = {
  'api/v1': 'api__v1_openapi.json',
  'apis/networking.k8s.io/v1': 'apis__networking.k8s.io__v1_openapi.json',
  'apis/rbac.authorization.k8s.io/v1': 'apis__rbac.authorization.k8s.io__v1_openapi.json',
  'apis/node.k8s.io/v1': 'apis__node.k8s.io__v1_openapi.json',
};

const RELATIVE = 'electron/core/tenants/openapi';

/**
 * Where the documents are: beside the sources when run from the repository (vitest), or found by
 * walking up from the bundle (out/lab/*.mjs) or the working directory; ENCLAVE_K8S_OPENAPI_DIR wins.
 */
export function openapiDir(): string {
  const fromEnv = process.env.ENCLAVE_K8S_OPENAPI_DIR;
  if (fromEnv) return fromEnv;
  for (const start of [import.meta.dirname, process.cwd()]) {
    let dir = start;
    for (let i = 0; i < 8; i++) {
      const candidate = path.join(dir, RELATIVE);
      if (existsSync(path.join(candidate, 'api__v1_openapi.json'))) return candidate;
      const up = path.dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  throw new Error(`the Kubernetes OpenAPI documents (${RELATIVE}) were not found`);
}

const REF_PREFIX = '#/components/schemas/';

/** A schema with its document, so `$ref`s resolve in the document they came from. */
export interface Located {
  doc: OpenApiDocument;
  schema: Schema;
}

export class Schemas {
  private readonly byGvk = new Map<string, Located>();
  readonly raw = new Map<string, Buffer>();

  constructor(dir = openapiDir()) {
    for (const [urlPath, file] of Object.entries(OPENAPI_PATHS)) {
      const bytes = readFileSync(path.join(dir, file));
      this.raw.set(urlPath, bytes);
      const doc = JSON.parse(bytes.toString('utf8')) as OpenApiDocument;
      for (const schema of Object.values(doc.components.schemas)) {
        for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) {
          const key = `${gvk.group}/${gvk.version}/${gvk.kind}`;
          if (!this.byGvk.has(key)) this.byGvk.set(key, { doc, schema });
        }
      }
    }
  }

  /** The top-level schema of a kind, or undefined for kinds the documents lack. */
  forType(t: Pick<ResourceType, 'group' | 'version' | 'kind'>): Located | undefined {
    return this.byGvk.get(`${t.group}/${t.version}/${t.kind}`);
  }
}

/** Follows `$ref` and single-element `allOf` (how the documents attach descriptions to a ref). */
export function resolve(at: Located): Located {
  let s = at.schema;
  for (let depth = 0; depth < 32; depth++) {
    if (s.allOf?.length === 1 && s.allOf[0]) {
      // The outer schema's list/map extensions and default stay with the resolved one.
      const { allOf: _a, description: _d, ...outer } = s as Schema & { description?: string };
      s = { ...s.allOf[0], ...outer };
    } else if (s.$ref) {
      const { $ref, ...outer } = s;
      const target = $ref.startsWith(REF_PREFIX)
        ? at.doc.components.schemas[$ref.slice(REF_PREFIX.length)]
        : undefined;
      if (!target) throw new Error(`OpenAPI document has no schema ${$ref}`);
      s = { ...target, ...outer };
    } else {
      return { doc: at.doc, schema: s };
    }
  }
  throw new Error('OpenAPI $ref chain too deep');
}

/** The schema of property `key` of an object schema (additionalProperties for maps). */
export function child(at: Located | undefined, key: string): Located | undefined {
  if (!at) return undefined;
  const s = resolve(at).schema;
  const p =
    s.properties?.[key] ?? (typeof s.additionalProperties === 'object' ? s.additionalProperties : undefined);
  return p ? resolve({ doc: at.doc, schema: p }) : undefined;
}

export function items(at: Located | undefined): Located | undefined {
  if (!at) return undefined;
  const s = resolve(at).schema;
  return s.items ? resolve({ doc: at.doc, schema: s.items }) : undefined;
}

export type ListKind = { type: 'atomic' } | { type: 'set' } | { type: 'map'; keys: string[] };

/**
 * How a list merges under server-side apply: the declared list type; lists without one are atomic
 * (structured-merge-diff's default for built-in types).
 */
export function listKind(at: Located | undefined): ListKind {
  const s = at ? resolve(at).schema : {};
  const t = s['x-kubernetes-list-type'];
  if (t === 'map') return { type: 'map', keys: s['x-kubernetes-list-map-keys'] ?? [] };
  if (t === 'set') return { type: 'set' };
  return { type: 'atomic' };
}

/** How a list merges under strategic merge patch: by its patch merge key, else replaced whole. */
export function patchMergeKey(at: Located | undefined): string | undefined {
  const s = at ? resolve(at).schema : {};
  if (!s['x-kubernetes-patch-strategy']?.split(',').includes('merge')) return undefined;
  return s['x-kubernetes-patch-merge-key'] ?? '';
}

export function isAtomicMap(at: Located | undefined): boolean {
  return at ? resolve(at).schema['x-kubernetes-map-type'] === 'atomic' : false;
}

/** The value of a map-list item's key field, with the schema default where the item omits it. */
export function keyValue(
  item: Record<string, unknown>,
  key: string,
  itemSchema: Located | undefined,
): unknown {
  if (item[key] !== undefined) return item[key];
  const d = child(itemSchema, key)?.schema.default;
  return d === undefined ? null : d;
}
