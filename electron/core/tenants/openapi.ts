// Rendered objects checked against the official Kubernetes 1.35 OpenAPI v3 documents (byte copies
// of ../shared/reference/k8s-openapi in ./openapi, checked for drift by reference-copies.test.ts),
// the way kubectl's strict field validation does: unknown fields are errors, not silently dropped.
// Only the schema subset these documents use is implemented (k8s-tenancy.md §3.12); server-side
// rules the schemas do not express (name formats, quota semantics) are the spec's and renderer's.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** The documents kept in ./openapi: the API groups a tenant's objects belong to. */
export const OPENAPI_FILES = [
  'api__v1_openapi.json',
  'apis__networking.k8s.io__v1_openapi.json',
  'apis__node.k8s.io__v1_openapi.json',
  'apis__rbac.authorization.k8s.io__v1_openapi.json',
] as const;

/** The subset of an OpenAPI v3 schema object these documents use (also read by the lab's emulator). */
export interface Schema {
  $ref?: string;
  type?: string;
  format?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  enum?: unknown[];
  allOf?: Schema[];
  oneOf?: Schema[];
  default?: unknown;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-list-type'?: 'atomic' | 'set' | 'map';
  'x-kubernetes-list-map-keys'?: string[];
  'x-kubernetes-map-type'?: 'atomic' | 'granular';
  'x-kubernetes-patch-merge-key'?: string;
  'x-kubernetes-patch-strategy'?: string;
  'x-kubernetes-group-version-kind'?: { group: string; version: string; kind: string }[];
}

export interface OpenApiDocument {
  components: { schemas: Record<string, Schema> };
}

export interface SchemaIssue {
  /** `Kind namespace/name` of the object. */
  object: string;
  /** Field path in the object, e.g. `spec.egress[0].to[0].ipBlock.cidr`. */
  path: string;
  message: string;
}

const REF_PREFIX = '#/components/schemas/';
const INT32 = 2 ** 31;

/** Schemas of one or more OpenAPI documents, looked up by apiVersion + kind. */
export class KubernetesSchemas {
  private readonly byGvk = new Map<string, { doc: OpenApiDocument; name: string }>();

  constructor(documents: OpenApiDocument[]) {
    for (const doc of documents) {
      for (const [name, schema] of Object.entries(doc.components.schemas)) {
        for (const gvk of schema['x-kubernetes-group-version-kind'] ?? []) {
          const apiVersion = gvk.group === '' ? gvk.version : `${gvk.group}/${gvk.version}`;
          // The same type appears in several documents (shared meta types); the first one wins.
          const key = `${apiVersion} ${gvk.kind}`;
          if (!this.byGvk.has(key)) this.byGvk.set(key, { doc, name });
        }
      }
    }
  }

  /** The kinds these documents define, as `apiVersion kind`. */
  kinds(): string[] {
    return [...this.byGvk.keys()].sort();
  }

  /** Every problem with one object; empty when it would pass strict validation. */
  validate(object: unknown): SchemaIssue[] {
    const o = (object ?? {}) as {
      apiVersion?: unknown;
      kind?: unknown;
      metadata?: { name?: unknown; namespace?: unknown };
    };
    const label = `${String(o.kind)} ${typeof o.metadata?.namespace === 'string' ? `${o.metadata.namespace}/` : ''}${String(o.metadata?.name)}`;
    const found = this.byGvk.get(`${String(o.apiVersion)} ${String(o.kind)}`);
    if (!found) {
      return [
        {
          object: label,
          path: 'apiVersion',
          message: `no schema for apiVersion ${String(o.apiVersion)} kind ${String(o.kind)}`,
        },
      ];
    }
    const issues: SchemaIssue[] = [];
    new Walker(found.doc, (p, message) =>
      issues.push({ object: label, path: p === '' ? '(object)' : p, message }),
    ).check({ $ref: `${REF_PREFIX}${found.name}` }, object, '');
    return issues;
  }
}

function typeOf(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  if (typeof v === 'number') return Number.isInteger(v) ? 'integer' : 'number';
  return typeof v;
}

class Walker {
  constructor(
    private readonly doc: OpenApiDocument,
    private readonly report: (path: string, message: string) => void,
  ) {}

  private resolve(schema: Schema): Schema {
    let s = schema;
    // allOf with a single $ref is how the documents attach a description to a referenced type.
    for (let depth = 0; depth < 32; depth++) {
      if (s.allOf?.length === 1 && s.allOf[0]) {
        s = { ...s.allOf[0], ...(s.default === undefined ? {} : { default: s.default }) };
      } else if (s.$ref) {
        const name = s.$ref.startsWith(REF_PREFIX) ? s.$ref.slice(REF_PREFIX.length) : undefined;
        const target = name === undefined ? undefined : this.doc.components.schemas[name];
        if (!target) throw new Error(`OpenAPI document has no schema ${s.$ref}`);
        s = target;
      } else {
        return s;
      }
    }
    throw new Error('OpenAPI $ref chain too deep');
  }

  /** Whether `value` matches `schema`, without reporting (for oneOf branches). */
  private matches(schema: Schema, value: unknown): boolean {
    let ok = true;
    new Walker(this.doc, () => (ok = false)).check(schema, value, '');
    return ok;
  }

  check(raw: Schema, value: unknown, at: string): void {
    const schema = this.resolve(raw);
    const where = (key: string | number): string =>
      typeof key === 'number' ? `${at}[${key}]` : at === '' ? key : `${at}.${key}`;
    // IntOrString: the v3 documents say it with format + oneOf, CRD-style schemas with the extension.
    if (schema['x-kubernetes-int-or-string'] || schema.format === 'int-or-string') {
      if (typeOf(value) !== 'integer' && typeof value !== 'string')
        this.report(at, `must be an integer or a string, not ${typeOf(value)}`);
      return;
    }
    if (schema.oneOf) {
      if (!schema.oneOf.some((branch) => this.matches(branch, value))) {
        const types = schema.oneOf.map((b) => this.resolve(b).type ?? 'value').join(' or ');
        this.report(at, `must be ${types}, not ${typeOf(value)}`);
      }
      return;
    }
    if (schema.enum && !schema.enum.includes(value)) {
      this.report(
        at,
        `must be one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}, not ${JSON.stringify(value)}`,
      );
      return;
    }
    const actual = typeOf(value);
    switch (schema.type) {
      case undefined:
        if (!schema.properties && !schema.additionalProperties) return; // any value
        break;
      case 'integer':
        if (actual !== 'integer') return this.report(at, `must be an integer, not ${actual}`);
        if (schema.format === 'int32' && ((value as number) >= INT32 || (value as number) < -INT32)) {
          this.report(at, 'must fit in 32 bits');
        }
        if (schema.format === 'int64' && !Number.isSafeInteger(value))
          this.report(at, 'must be a safe 64-bit integer');
        return;
      case 'number':
        if (actual !== 'integer' && actual !== 'number') this.report(at, `must be a number, not ${actual}`);
        return;
      case 'string':
      case 'boolean':
        if (actual !== schema.type) this.report(at, `must be a ${schema.type}, not ${actual}`);
        return;
      case 'array':
        if (actual !== 'array') return this.report(at, `must be an array, not ${actual}`);
        if (schema.items)
          (value as unknown[]).forEach((item, i) => this.check(schema.items as Schema, item, where(i)));
        return;
      case 'object':
        break;
      default:
        return;
    }
    if (actual !== 'object') return this.report(at, `must be an object, not ${actual}`);
    const record = value as Record<string, unknown>;
    for (const key of schema.required ?? []) {
      if (!(key in record)) this.report(where(key), 'is required');
    }
    for (const [key, v] of Object.entries(record)) {
      const property = schema.properties?.[key];
      if (property) {
        this.check(property, v, where(key));
      } else if (typeof schema.additionalProperties === 'object') {
        this.check(schema.additionalProperties, v, where(key));
      } else if (schema.additionalProperties !== true && !schema['x-kubernetes-preserve-unknown-fields']) {
        this.report(where(key), 'is not a known field');
      }
    }
  }
}

/**
 * Where the documents are: in the packaged app's resources, beside this module in a checkout, or
 * `out/node/openapi` beside the bundles (build/build.mjs copies them there; other bundles such as
 * the benchmarks' look there too).
 */
function defaultSchemaDir(): string {
  // Packaged (electron-builder's extraResources, docs/packaging.md): next to app.asar. Electron
  // sets process.resourcesPath in every process; plain Node has none.
  const resources = (process as { resourcesPath?: string }).resourcesPath;
  const candidates = [
    ...(resources ? [path.join(resources, 'openapi')] : []),
    path.join(import.meta.dirname, 'openapi'),
    path.join(import.meta.dirname, '..', 'node', 'openapi'),
  ];
  return (
    candidates.find((dir) => existsSync(path.join(dir, OPENAPI_FILES[0]))) ?? (candidates.at(-2) as string)
  );
}

/** Reads the schema documents kept beside this module (`dir` to read them from elsewhere). */
export function loadKubernetesSchemas(dir = defaultSchemaDir()): KubernetesSchemas {
  return new KubernetesSchemas(
    OPENAPI_FILES.map((file) => JSON.parse(readFileSync(path.join(dir, file), 'utf8')) as OpenApiDocument),
  );
}

/** Problems across a list of objects (e.g. a rendered tenant); empty when all pass. */
export function validateObjects(schemas: KubernetesSchemas, objects: readonly unknown[]): SchemaIssue[] {
  return objects.flatMap((o) => schemas.validate(o));
}
