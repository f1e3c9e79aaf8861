// What kube-apiserver checks before storing an object (k8s-tenancy.md §3.3, §3.7, §3.12):
// decoding against the official OpenAPI schema (wrong JSON types are a 400 as Go's decoder makes
// them, unknown fields are dropped and reported per `fieldValidation`, quantities parsed and put in
// canonical form), the schema's `required` and `enum`, then the hand-written validation the schemas
// do not express: name formats, label syntax, CIDRs, RBAC roleRef, immutable fields, pod resources.
import { isIP } from 'node:net';
import {
  badRequest,
  fieldDuplicate,
  fieldForbidden,
  fieldInvalid,
  fieldNotSupported,
  fieldRequired,
  type FieldError,
} from './errors';
import { canonical, compare, parseQuantity, QUANTITY_PATTERN } from './quantity';
import type { ResourceType } from './registry';
import { resolve, type Located, type Schemas } from './schema';
import type { KubeObject } from './store';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface Decoded {
  object: KubeObject;
  /** Unknown field paths (`spec.foo`), already dropped from `object`. */
  unknown: string[];
  /** `required` and `enum` failures from the schema. */
  errors: FieldError[];
}

const typeOf = (v: unknown): string =>
  v === null
    ? 'null'
    : Array.isArray(v)
      ? 'array'
      : typeof v === 'number'
        ? Number.isInteger(v)
          ? 'integer'
          : 'number'
        : typeof v;

const GO_TYPE: Record<string, string> = {
  string: 'string',
  integer: 'int64',
  number: 'float64',
  boolean: 'bool',
  array: 'slice',
  object: 'struct',
};
const JSON_NAME: Record<string, string> = {
  string: 'string',
  integer: 'number',
  number: 'number',
  boolean: 'bool',
  array: 'array',
  object: 'object',
};

/**
 * Decodes a body as the apiserver's JSON decoder would into the kind's Go type: throws the 400 a
 * type mismatch gets; returns the object without unknown fields and the schema-level errors.
 */
export function decode(schemas: Schemas, t: ResourceType, body: KubeObject): Decoded {
  const top = schemas.forType(t);
  const unknown: string[] = [];
  const errors: FieldError[] = [];
  if (!top) return { object: body, unknown, errors };
  const fail = (at: string, actual: string, expected: string): never => {
    throw badRequest(
      `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: json: cannot unmarshal ${JSON_NAME[actual] ?? actual} into Go struct field ${t.kind}.${at} of type ${GO_TYPE[expected] ?? expected}`,
    );
  };
  const walk = (raw: Located, value: unknown, at: string): unknown => {
    const { schema, doc } = resolve(raw);
    const where = (key: string | number) =>
      typeof key === 'number' ? `${at}[${key}]` : at ? `${at}.${key}` : key;
    const actual = typeOf(value);
    if (schema['x-kubernetes-int-or-string'] || schema.format === 'int-or-string') {
      if (actual !== 'integer' && actual !== 'string') fail(at, actual, 'string');
      return value;
    }
    if (schema.oneOf) {
      const types = schema.oneOf.map((b) => b.type);
      if (types.includes('string') && types.includes('number')) {
        // resource.Quantity: parsed, and stored in canonical form.
        const c = canonical(value);
        if (c === undefined) {
          if (actual !== 'string' && actual !== 'integer' && actual !== 'number') fail(at, actual, 'string');
          throw badRequest(
            `${t.kind} in version "${t.version}" cannot be handled as a ${t.kind}: quantities must match the regular expression '${QUANTITY_PATTERN}'`,
          );
        }
        return c;
      }
      return value;
    }
    if (schema.enum && !schema.enum.includes(value) && value !== '') {
      errors.push(fieldNotSupported(at, value, schema.enum.map(String)));
    }
    switch (schema.type) {
      case 'integer':
        if (actual !== 'integer') fail(at, actual, 'integer');
        return value;
      case 'number':
        if (actual !== 'integer' && actual !== 'number') fail(at, actual, 'number');
        return value;
      case 'string':
        if (actual !== 'string') fail(at, actual, 'string');
        return value;
      case 'boolean':
        if (actual !== 'boolean') fail(at, actual, 'boolean');
        return value;
      case 'array': {
        if (actual !== 'array') fail(at, actual, 'array');
        const itemSchema = schema.items;
        return itemSchema
          ? (value as unknown[]).map((item, i) => walk({ doc, schema: itemSchema }, item, where(i)))
          : value;
      }
      case 'object':
        // An object schema without properties is raw JSON in Go (FieldsV1, RawExtension): anything.
        if (!schema.properties && !schema.additionalProperties) {
          if (actual !== 'object') fail(at, actual, 'object');
          return value;
        }
        break;
      default:
        if (!schema.properties && !schema.additionalProperties) return value;
    }
    if (actual !== 'object') fail(at, actual, 'object');
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const key of schema.required ?? []) {
      if (record[key] === undefined || record[key] === null) errors.push(fieldRequired(where(key)));
    }
    for (const [key, v] of Object.entries(record)) {
      if (v === null) continue; // null decodes to the zero value: as if absent
      const property = schema.properties?.[key];
      if (property) out[key] = walk({ doc, schema: property }, v, where(key));
      else if (typeof schema.additionalProperties === 'object')
        out[key] = walk({ doc, schema: schema.additionalProperties }, v, where(key));
      else if (schema.additionalProperties === true || schema['x-kubernetes-preserve-unknown-fields'])
        out[key] = v;
      else unknown.push(where(key));
    }
    return out;
  };
  const object = walk(top, body, '') as KubeObject;
  return { object, unknown, errors };
}

// ---------------------------------------------------------------------------------------------
// Hand-written validation (pkg/apis/*/validation)

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const RFC1123_LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const RFC1123_SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";

export function dnsLabelErrors(field: string, value: string): FieldError[] {
  const errors: FieldError[] = [];
  if (value.length > 63) errors.push(fieldInvalid(field, value, 'must be no more than 63 characters'));
  if (!DNS_LABEL.test(value)) errors.push(fieldInvalid(field, value, RFC1123_LABEL_MSG));
  return errors;
}

function dnsSubdomainErrors(field: string, value: string): FieldError[] {
  const errors: FieldError[] = [];
  if (value.length > 253) errors.push(fieldInvalid(field, value, 'must be no more than 253 characters'));
  if (!DNS_SUBDOMAIN.test(value)) errors.push(fieldInvalid(field, value, RFC1123_SUBDOMAIN_MSG));
  return errors;
}

/** metadata.name by kind: namespaces and RBAC-free core kinds differ (§3.3). */
export function nameErrors(t: ResourceType, name: string): FieldError[] {
  if (t.kind === 'Namespace') return dnsLabelErrors('metadata.name', name);
  if (t.group === 'rbac.authorization.k8s.io') {
    // Path-segment names: anything but '.', '..' and names containing '/' or '%'.
    if (name === '.' || name === '..') return [fieldInvalid('metadata.name', name, `may not be '${name}'`)];
    const bad = ['/', '%'].find((c) => name.includes(c));
    return bad ? [fieldInvalid('metadata.name', name, `may not contain '${bad}'`)] : [];
  }
  return dnsSubdomainErrors('metadata.name', name);
}

/** A qualified name (label or annotation key): optional DNS-subdomain prefix, then a ≤63 name. */
function qualifiedNameErrors(field: string, key: string): FieldError[] {
  const parts = key.split('/');
  let name = key;
  const errors: FieldError[] = [];
  if (parts.length === 2) {
    const [prefix, rest] = parts as [string, string];
    name = rest;
    if (!prefix) errors.push(fieldInvalid(field, key, 'prefix part must be non-empty'));
    else if (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))
      errors.push(fieldInvalid(field, key, `prefix part ${RFC1123_SUBDOMAIN_MSG}`));
  } else if (parts.length > 2) {
    return [
      fieldInvalid(
        field,
        key,
        "a qualified name must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ),
    ];
  }
  if (!name) errors.push(fieldInvalid(field, key, 'name part must be non-empty'));
  else {
    if (name.length > 63)
      errors.push(fieldInvalid(field, key, 'name part must be no more than 63 characters'));
    if (!QUALIFIED_NAME.test(name))
      errors.push(
        fieldInvalid(
          field,
          key,
          "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
        ),
      );
  }
  return errors;
}

export function labelErrors(field: string, labels: Record<string, string> | undefined): FieldError[] {
  const errors: FieldError[] = [];
  for (const [k, v] of Object.entries(labels ?? {})) {
    errors.push(...qualifiedNameErrors(field, k));
    if (v.length > 63) errors.push(fieldInvalid(field, v, 'must be no more than 63 characters'));
    if (!LABEL_VALUE.test(v))
      errors.push(
        fieldInvalid(
          field,
          v,
          "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
        ),
      );
  }
  return errors;
}

/** Parses `a.b.c.d/n` or an IPv6 CIDR; undefined when invalid. */
export function parseCidr(
  text: string,
): { family: 4 | 6; bits: number; prefix: number; bytes: number[] } | undefined {
  const [addr, bitsText, extra] = text.split('/');
  if (!addr || bitsText === undefined || extra !== undefined || !/^\d{1,3}$/.test(bitsText)) return undefined;
  const family = isIP(addr);
  if (family === 0) return undefined;
  const prefix = Number(bitsText);
  if (prefix > (family === 4 ? 32 : 128)) return undefined;
  let bytes: number[];
  if (family === 4) bytes = addr.split('.').map(Number);
  else {
    const [head = '', tail = ''] = addr.includes('::') ? addr.split('::') : [addr, ''];
    const h = head ? head.split(':') : [];
    const tl = tail ? tail.split(':') : [];
    const groups = [...h, ...Array(8 - h.length - tl.length).fill('0'), ...tl] as string[];
    bytes = groups.flatMap((g) => {
      const n = parseInt(g, 16);
      return [n >> 8, n & 255];
    });
  }
  return { family: family as 4 | 6, bits: family === 4 ? 32 : 128, prefix, bytes };
}

function cidrContains(
  outer: NonNullable<ReturnType<typeof parseCidr>>,
  inner: NonNullable<ReturnType<typeof parseCidr>>,
): boolean {
  if (outer.family !== inner.family || inner.prefix <= outer.prefix) return false;
  for (let bit = 0; bit < outer.prefix; bit++) {
    const byte = Math.floor(bit / 8);
    const mask = 0x80 >> (bit % 8);
    if (((outer.bytes[byte] ?? 0) & mask) !== ((inner.bytes[byte] ?? 0) & mask)) return false;
  }
  return true;
}

type Obj = Record<string, unknown>;
const asObj = (v: unknown): Obj => (v && typeof v === 'object' && !Array.isArray(v) ? (v as Obj) : {});
const asArr = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

function networkPolicyErrors(spec: Obj): FieldError[] {
  const errors: FieldError[] = [];
  const peers = (rules: unknown, dir: 'ingress' | 'egress') =>
    asArr(rules).forEach((rule, i) => {
      asArr(asObj(rule)[dir === 'ingress' ? 'from' : 'to']).forEach((peer, j) => {
        const at = `spec.${dir}[${i}].${dir === 'ingress' ? 'from' : 'to'}[${j}]`;
        const p = asObj(peer);
        const set = ['podSelector', 'namespaceSelector', 'ipBlock'].filter((k) => p[k] !== undefined);
        if (set.length === 0) errors.push(fieldRequired(at, 'must specify a peer'));
        if (p.ipBlock !== undefined && set.length > 1)
          errors.push(fieldForbidden(at, 'may not specify both ipBlock and another peer'));
        if (p.ipBlock === undefined) return;
        const block = asObj(p.ipBlock);
        const cidrText = typeof block.cidr === 'string' ? block.cidr : '';
        const cidr = parseCidr(cidrText);
        if (!cidrText) errors.push(fieldRequired(`${at}.ipBlock.cidr`));
        else if (!cidr)
          errors.push(
            fieldInvalid(
              `${at}.ipBlock.cidr`,
              cidrText,
              'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
            ),
          );
        asArr(block.except).forEach((e, k) => {
          const ex = typeof e === 'string' ? parseCidr(e) : undefined;
          const f = `${at}.ipBlock.except[${k}]`;
          if (!ex)
            errors.push(
              fieldInvalid(f, e, 'must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)'),
            );
          else if (cidr && !cidrContains(cidr, ex))
            errors.push(fieldInvalid(f, e, 'must be a strict subset of `cidr`'));
        });
      });
      asArr(asObj(rule).ports).forEach((port, k) => {
        const p = asObj(port);
        const at = `spec.${dir}[${i}].ports[${k}]`;
        if (typeof p.port === 'number' && (p.port < 1 || p.port > 65535))
          errors.push(fieldInvalid(`${at}.port`, p.port, 'must be between 1 and 65535, inclusive'));
        if (typeof p.endPort === 'number' && p.port === undefined)
          errors.push(fieldRequired(`${at}.port`, 'must specify port when endPort is specified'));
      });
    });
  peers(spec.ingress, 'ingress');
  peers(spec.egress, 'egress');
  if (asArr(spec.policyTypes).length > 2)
    errors.push(
      fieldInvalid('spec.policyTypes', spec.policyTypes, 'may not specify more than two policyTypes'),
    );
  asArr(spec.policyTypes).forEach((pt, i) => {
    if (pt !== 'Ingress' && pt !== 'Egress')
      errors.push(fieldNotSupported(`spec.policyTypes[${i}]`, pt, ['Egress', 'Ingress']));
  });
  return errors;
}

function rbacErrors(t: ResourceType, o: Obj, old: Obj | undefined): FieldError[] {
  const errors: FieldError[] = [];
  if (t.kind === 'Role' || t.kind === 'ClusterRole') {
    asArr(o.rules).forEach((rule, i) => {
      const r = asObj(rule);
      if (asArr(r.verbs).length === 0)
        errors.push(fieldRequired(`rules[${i}].verbs`, 'verbs must contain at least one value'));
      const hasUrls = asArr(r.nonResourceURLs).length > 0;
      if (t.kind === 'Role' && hasUrls)
        errors.push(
          fieldInvalid(
            `rules[${i}].nonResourceURLs`,
            r.nonResourceURLs,
            'namespaced rules cannot apply to non-resource URLs',
          ),
        );
      if (!hasUrls && asArr(r.resources).length === 0)
        errors.push(
          fieldRequired(`rules[${i}].resources`, 'resource rules must supply at least one resource'),
        );
      if (!hasUrls && r.apiGroups === undefined)
        errors.push(
          fieldRequired(`rules[${i}].apiGroups`, 'resource rules must supply at least one api group'),
        );
    });
  }
  if (t.kind === 'RoleBinding' || t.kind === 'ClusterRoleBinding') {
    const ref = asObj(o.roleRef);
    const kinds = t.kind === 'RoleBinding' ? ['Role', 'ClusterRole'] : ['ClusterRole'];
    if (ref.apiGroup !== 'rbac.authorization.k8s.io')
      errors.push(fieldNotSupported('roleRef.apiGroup', ref.apiGroup ?? '', ['rbac.authorization.k8s.io']));
    if (!kinds.includes(ref.kind as string))
      errors.push(fieldNotSupported('roleRef.kind', ref.kind ?? '', kinds));
    if (!ref.name) errors.push(fieldRequired('roleRef.name'));
    asArr(o.subjects).forEach((subject, i) => {
      const s = asObj(subject);
      const at = `subjects[${i}]`;
      if (!s.name) errors.push(fieldRequired(`${at}.name`));
      if (!['ServiceAccount', 'User', 'Group'].includes(s.kind as string))
        errors.push(fieldNotSupported(`${at}.kind`, s.kind ?? '', ['ServiceAccount', 'User', 'Group']));
      if (s.kind === 'ServiceAccount' && t.kind === 'ClusterRoleBinding' && !s.namespace)
        errors.push(fieldRequired(`${at}.namespace`));
    });
    if (old && JSON.stringify(old.roleRef) !== JSON.stringify(o.roleRef)) {
      const r = asObj(old.roleRef);
      errors.push(
        fieldInvalid(
          'roleRef',
          `rbac.RoleRef{APIGroup:"${String(r.apiGroup ?? '')}", Kind:"${String(r.kind ?? '')}", Name:"${String(r.name ?? '')}"}`,
          'cannot change roleRef',
        ),
      );
    }
  }
  return errors;
}

/** Native resources other than hugepages may be overcommitted; extended ones (nvidia.com/…) not. */
const OVERCOMMITTABLE = (name: string) =>
  (!name.includes('/') || name.includes('kubernetes.io/')) && !name.startsWith('hugepages-');

function containerErrors(list: unknown, at: string): FieldError[] {
  const errors: FieldError[] = [];
  const seen = new Set<string>();
  asArr(list).forEach((c, i) => {
    const container = asObj(c);
    const here = `${at}[${i}]`;
    const name = typeof container.name === 'string' ? container.name : '';
    if (name) {
      errors.push(...dnsLabelErrors(`${here}.name`, name));
      if (seen.has(name)) errors.push(fieldDuplicate(`${here}.name`, name));
      seen.add(name);
    }
    if (!container.image) errors.push(fieldRequired(`${here}.image`));
    const resources = asObj(container.resources);
    const limits = asObj(resources.limits);
    const requests = asObj(resources.requests);
    for (const [r, v] of Object.entries(requests)) {
      const limit = limits[r];
      const f = `${here}.resources.requests[${r}]`;
      if (!OVERCOMMITTABLE(r)) {
        // Extended resources (nvidia.com/gpu, MIG profiles) cannot be overcommitted.
        if (limit === undefined)
          errors.push(
            fieldRequired(
              `${here}.resources.limits[${r}]`,
              'Limit must be set for non overcommitable resources',
            ),
          );
        else if (parseQuantity(limit)?.milli !== parseQuantity(v)?.milli)
          errors.push(fieldInvalid(f, v, `must be equal to ${r} limit of ${String(limit)}`));
      } else if (limit !== undefined) {
        const a = parseQuantity(v);
        const b = parseQuantity(limit);
        if (a && b && compare(a, b) > 0)
          errors.push(fieldInvalid(f, v, `must be less than or equal to ${r} limit of ${String(limit)}`));
      }
    }
  });
  return errors;
}

const POD_UPDATE_FORBIDDEN =
  'pod updates may not change fields other than `spec.containers[*].image`,`spec.initContainers[*].image`,`spec.activeDeadlineSeconds`,`spec.tolerations` (only additions to existing tolerations),`spec.terminationGracePeriodSeconds` (allow it to be set to 1 if it was previously negative)';

/** Everything beyond the schema, for create (`old` undefined) or update. */
export function validateRules(t: ResourceType, o: KubeObject, old?: KubeObject): FieldError[] {
  const errors: FieldError[] = [];
  const meta = asObj(o.metadata);
  errors.push(...labelErrors('metadata.labels', meta.labels as Record<string, string> | undefined));
  for (const k of Object.keys(asObj(meta.annotations))) {
    errors.push(...qualifiedNameErrors('metadata.annotations', k));
  }
  const annotationBytes = Object.entries(asObj(meta.annotations)).reduce(
    (n, [k, v]) => n + k.length + String(v).length,
    0,
  );
  if (annotationBytes > 256 * 1024)
    errors.push({
      reason: 'FieldValueTooLong',
      field: 'metadata.annotations',
      body: 'Too long: must have at most 262144 bytes',
    });
  if (old) {
    const before = asObj(old.metadata);
    if (meta.uid !== undefined && meta.uid !== before.uid)
      errors.push(fieldInvalid('metadata.uid', meta.uid, 'field is immutable'));
  }
  const spec = asObj(o.spec);
  switch (t.kind) {
    case 'NetworkPolicy':
      errors.push(...networkPolicyErrors(spec));
      break;
    case 'Role':
    case 'ClusterRole':
    case 'RoleBinding':
    case 'ClusterRoleBinding':
      errors.push(...rbacErrors(t, o, old));
      break;
    case 'Pod': {
      if (asArr(spec.containers).length === 0) errors.push(fieldRequired('spec.containers'));
      errors.push(...containerErrors(spec.containers, 'spec.containers'));
      errors.push(...containerErrors(spec.initContainers, 'spec.initContainers'));
      if (old) {
        // Only images (and a few scheduling fields) of a pod may change after create.
        const strip = (s: unknown) => {
          const copy = structuredClone(asObj(s));
          for (const list of ['containers', 'initContainers'])
            for (const c of asArr(copy[list])) delete asObj(c).image;
          delete copy.activeDeadlineSeconds;
          delete copy.tolerations;
          delete copy.terminationGracePeriodSeconds;
          return JSON.stringify(copy);
        };
        if (strip(old.spec) !== strip(o.spec)) errors.push(fieldForbidden('spec', POD_UPDATE_FORBIDDEN));
      }
      break;
    }
    case 'ResourceQuota':
      for (const [r] of Object.entries(asObj(spec.hard))) {
        if (r.startsWith('limits.') && r.includes('/'))
          errors.push(fieldInvalid(`spec.hard[${r}]`, r, 'must be a standard resource for quota'));
      }
      break;
    case 'LimitRange':
      asArr(spec.limits).forEach((item, i) => {
        const type = asObj(item).type;
        if (!['Pod', 'Container', 'PersistentVolumeClaim'].includes(type as string))
          errors.push(
            fieldNotSupported(`spec.limits[${i}].type`, type ?? '', [
              'Container',
              'PersistentVolumeClaim',
              'Pod',
            ]),
          );
      });
      break;
    case 'RuntimeClass': {
      const handler = typeof o.handler === 'string' ? o.handler : '';
      if (!handler) errors.push(fieldRequired('handler'));
      else errors.push(...dnsLabelErrors('handler', handler));
      if (old && old.handler !== o.handler)
        errors.push(fieldInvalid('handler', o.handler, 'field is immutable'));
      break;
    }
    case 'ConfigMap':
      for (const k of [...Object.keys(asObj(o.data)), ...Object.keys(asObj(o.binaryData))]) {
        if (!/^[-._a-zA-Z0-9]+$/.test(k) || k.length > 253)
          errors.push(
            fieldInvalid(
              'data',
              k,
              "a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')",
            ),
          );
      }
      break;
  }
  return errors;
}
