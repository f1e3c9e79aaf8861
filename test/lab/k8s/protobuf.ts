// Just enough of Kubernetes' protobuf encoding (`application/vnd.kubernetes.protobuf`) to read the
// bodies kubectl's typed clients send: `kubectl create namespace|configmap|quota|serviceaccount|
// role|rolebinding|clusterrole|clusterrolebinding` and `kubectl auth can-i` go through client-go's
// clientset, which encodes built-in kinds as protobuf (client-go falls back to JSON on a 415 only
// for CBOR, not protobuf), whereas `create -f`, `apply`, `label`, `delete` send JSON. The envelope is the magic `k8s\0` and
// a runtime.Unknown whose `raw` is the object; field numbers are those of the apimachinery and
// k8s.io/api generated.proto files. Kinds not described here stay 415.

type Field =
  | { name: string; type: 'string' | 'bytes' | 'bool' | 'int64' | 'time' | 'quantity'; repeated?: boolean }
  | { name: string; type: 'message'; message: Message; repeated?: boolean }
  | { name: string; type: 'map'; value: 'string' | 'bytes' | 'quantity' };
type Message = Record<number, Field>;

const labelSelectorRequirement: Message = {
  1: { name: 'key', type: 'string' },
  2: { name: 'operator', type: 'string' },
  3: { name: 'values', type: 'string', repeated: true },
};
const labelSelector: Message = {
  1: { name: 'matchLabels', type: 'map', value: 'string' },
  2: { name: 'matchExpressions', type: 'message', message: labelSelectorRequirement, repeated: true },
};
const ownerReference: Message = {
  1: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'uid', type: 'string' },
  5: { name: 'apiVersion', type: 'string' },
  6: { name: 'controller', type: 'bool' },
  7: { name: 'blockOwnerDeletion', type: 'bool' },
};
const objectMeta: Message = {
  1: { name: 'name', type: 'string' },
  2: { name: 'generateName', type: 'string' },
  3: { name: 'namespace', type: 'string' },
  5: { name: 'uid', type: 'string' },
  6: { name: 'resourceVersion', type: 'string' },
  7: { name: 'generation', type: 'int64' },
  8: { name: 'creationTimestamp', type: 'time' },
  11: { name: 'labels', type: 'map', value: 'string' },
  12: { name: 'annotations', type: 'map', value: 'string' },
  13: { name: 'ownerReferences', type: 'message', message: ownerReference, repeated: true },
  14: { name: 'finalizers', type: 'string', repeated: true },
};
const meta = { 1: { name: 'metadata', type: 'message', message: objectMeta } } as const;
const policyRule: Message = {
  1: { name: 'verbs', type: 'string', repeated: true },
  2: { name: 'apiGroups', type: 'string', repeated: true },
  3: { name: 'resources', type: 'string', repeated: true },
  4: { name: 'resourceNames', type: 'string', repeated: true },
  5: { name: 'nonResourceURLs', type: 'string', repeated: true },
};
const subject: Message = {
  1: { name: 'kind', type: 'string' },
  2: { name: 'apiGroup', type: 'string' },
  3: { name: 'name', type: 'string' },
  4: { name: 'namespace', type: 'string' },
};
const roleRef: Message = {
  1: { name: 'apiGroup', type: 'string' },
  2: { name: 'kind', type: 'string' },
  3: { name: 'name', type: 'string' },
};
const binding: Message = {
  ...meta,
  2: { name: 'subjects', type: 'message', message: subject, repeated: true },
  3: { name: 'roleRef', type: 'message', message: roleRef },
};
const scopedResourceSelectorRequirement: Message = {
  1: { name: 'scopeName', type: 'string' },
  2: { name: 'operator', type: 'string' },
  3: { name: 'values', type: 'string', repeated: true },
};

/** The kinds kubectl's imperative `create` subcommands send, by `apiVersion/kind`. */
const KINDS: Record<string, Message> = {
  'v1/Namespace': {
    ...meta,
    2: {
      name: 'spec',
      type: 'message',
      message: { 1: { name: 'finalizers', type: 'string', repeated: true } },
    },
  },
  'v1/ConfigMap': {
    ...meta,
    2: { name: 'data', type: 'map', value: 'string' },
    3: { name: 'binaryData', type: 'map', value: 'bytes' },
    4: { name: 'immutable', type: 'bool' },
  },
  'v1/ResourceQuota': {
    ...meta,
    2: {
      name: 'spec',
      type: 'message',
      message: {
        1: { name: 'hard', type: 'map', value: 'quantity' },
        2: { name: 'scopes', type: 'string', repeated: true },
        3: {
          name: 'scopeSelector',
          type: 'message',
          message: {
            1: {
              name: 'matchExpressions',
              type: 'message',
              message: scopedResourceSelectorRequirement,
              repeated: true,
            },
          },
        },
      },
    },
  },
  'v1/ServiceAccount': {
    ...meta,
    3: {
      name: 'imagePullSecrets',
      type: 'message',
      message: { 1: { name: 'name', type: 'string' } },
      repeated: true,
    },
    4: { name: 'automountServiceAccountToken', type: 'bool' },
  },
  'rbac.authorization.k8s.io/v1/Role': {
    ...meta,
    2: { name: 'rules', type: 'message', message: policyRule, repeated: true },
  },
  'rbac.authorization.k8s.io/v1/ClusterRole': {
    ...meta,
    2: { name: 'rules', type: 'message', message: policyRule, repeated: true },
    3: {
      name: 'aggregationRule',
      type: 'message',
      message: {
        1: { name: 'clusterRoleSelectors', type: 'message', message: labelSelector, repeated: true },
      },
    },
  },
  // `kubectl auth can-i`.
  'authorization.k8s.io/v1/SelfSubjectAccessReview': {
    ...meta,
    2: {
      name: 'spec',
      type: 'message',
      message: {
        1: {
          name: 'resourceAttributes',
          type: 'message',
          message: {
            1: { name: 'namespace', type: 'string' },
            2: { name: 'verb', type: 'string' },
            3: { name: 'group', type: 'string' },
            4: { name: 'version', type: 'string' },
            5: { name: 'resource', type: 'string' },
            6: { name: 'subresource', type: 'string' },
            7: { name: 'name', type: 'string' },
          },
        },
        2: {
          name: 'nonResourceAttributes',
          type: 'message',
          message: { 1: { name: 'path', type: 'string' }, 2: { name: 'verb', type: 'string' } },
        },
      },
    },
  },
  'rbac.authorization.k8s.io/v1/RoleBinding': binding,
  'rbac.authorization.k8s.io/v1/ClusterRoleBinding': binding,
};

export const PROTOBUF = 'application/vnd.kubernetes.protobuf';

class Reader {
  private pos = 0;
  constructor(private readonly buf: Buffer) {}
  get done(): boolean {
    return this.pos >= this.buf.length;
  }
  varint(): bigint {
    let result = 0n;
    let shift = 0n;
    for (;;) {
      if (this.pos >= this.buf.length) throw new Error('truncated varint');
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
      shift += 7n;
    }
  }
  bytes(): Buffer {
    const n = Number(this.varint());
    if (this.pos + n > this.buf.length) throw new Error('truncated field');
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 1) this.pos += 8;
    else if (wire === 2) this.bytes();
    else if (wire === 5) this.pos += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
  /** Fields as [number, wire type, payload reader]. */
  *fields(): Generator<[number, number, Reader | bigint]> {
    while (!this.done) {
      const tag = Number(this.varint());
      const field = tag >> 3;
      const wire = tag & 7;
      if (wire === 0) yield [field, wire, this.varint()];
      else if (wire === 2) yield [field, wire, new Reader(this.bytes())];
      else this.skip(wire);
    }
  }
  text(): string {
    return this.buf.toString('utf8');
  }
  raw(): Buffer {
    return this.buf;
  }
}

function scalar(type: string, v: Reader | bigint): unknown {
  if (typeof v === 'bigint') return type === 'bool' ? v !== 0n : Number(v);
  if (type === 'bytes') return v.raw().toString('base64');
  if (type === 'quantity') return decodeMessage(v, { 1: { name: 'string', type: 'string' } }).string ?? '0';
  if (type === 'time') {
    const t = decodeMessage(v, { 1: { name: 'seconds', type: 'int64' } });
    return new Date(Number(t.seconds ?? 0) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
  return v.text();
}

function decodeMessage(r: Reader, message: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [n, , v] of r.fields()) {
    const f = message[n];
    if (!f) continue; // fields the emulator does not read (status, deprecated ones)
    if (f.type === 'map') {
      if (!(v instanceof Reader)) continue;
      const entry = decodeMessage(v, {
        1: { name: 'key', type: 'string' },
        2: { name: 'value', type: f.value },
      });
      const map = (out[f.name] ??= {}) as Record<string, unknown>;
      map[String(entry.key ?? '')] = entry.value ?? (f.value === 'quantity' ? '0' : '');
      continue;
    }
    const value =
      f.type === 'message' ? (v instanceof Reader ? decodeMessage(v, f.message) : {}) : scalar(f.type, v);
    // Go writes empty non-pointer strings on the wire; its JSON omits them (omitempty).
    if (value === '' && !f.repeated) continue;
    if (f.repeated) ((out[f.name] ??= []) as unknown[]).push(value);
    else out[f.name] = value;
  }
  return out;
}

/** Decodes a protobuf request body into the JSON form; undefined for a kind not described here. */
export function decodeProtobuf(body: Buffer): Record<string, unknown> | undefined {
  if (body.length < 4 || body.subarray(0, 4).toString('latin1') !== 'k8s\0')
    throw new Error('missing the k8s protobuf magic');
  const unknown = decodeMessage(new Reader(body.subarray(4)), {
    1: {
      name: 'typeMeta',
      type: 'message',
      message: { 1: { name: 'apiVersion', type: 'string' }, 2: { name: 'kind', type: 'string' } },
    },
    2: { name: 'raw', type: 'bytes' },
  });
  const typeMeta = (unknown.typeMeta ?? {}) as { apiVersion?: string; kind?: string };
  const message = KINDS[`${typeMeta.apiVersion ?? ''}/${typeMeta.kind ?? ''}`];
  if (!message) return undefined;
  const raw = Buffer.from(String(unknown.raw ?? ''), 'base64');
  return { apiVersion: typeMeta.apiVersion, kind: typeMeta.kind, ...decodeMessage(new Reader(raw), message) };
}
