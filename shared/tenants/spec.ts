// The tenant spec: what an operator writes (docs/examples/tenant.yaml, later the tenant form) to
// describe one hard-multi-tenancy tenant. Validation here is everything that can be checked
// without a cluster, so a bad spec is refused with the field and line before anything is planned.
// Pure; shared with the renderer (no node: imports).
import { LineCounter, isNode, parseDocument } from 'yaml';
import { z } from 'zod';
import { isCanonicalCidr } from './cidr';
import { isQuantity, quantityValue } from './quantity';

export const TENANT_ROLES = ['tenant-admin', 'developer', 'viewer'] as const;
export type TenantRole = (typeof TENANT_ROLES)[number];

// RFC 1123 label, as Kubernetes requires of a namespace name.
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const dnsLabel = z
  .string()
  .max(63, 'must be at most 63 characters')
  .regex(
    DNS_LABEL,
    'must be a DNS label: lower-case letters, digits and -, starting and ending alphanumeric',
  );

// Label values and keys as the API server checks them (a NetworkPolicy selector uses both).
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
function isLabelKey(key: string): boolean {
  const slash = key.lastIndexOf('/');
  const prefix = slash < 0 ? undefined : key.slice(0, slash);
  const name = slash < 0 ? key : key.slice(slash + 1);
  if (prefix !== undefined && (prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) return false;
  return name.length <= 63 && LABEL_NAME.test(name);
}
const labelKey = z.string().refine(isLabelKey, 'must be a label key ([prefix/]name)');
const labelValue = z.string().max(63).regex(LABEL_VALUE, 'must be a label value');

/** CPU, memory, storage: a Kubernetes quantity (`64`, `500m`, `512Gi`, `1e3`), never negative. */
const quantity = z
  .union([z.string(), z.number()])
  .transform((v) => String(v))
  .refine(isQuantity, 'must be a Kubernetes quantity such as 64, 500m, 512Gi or 10Ti');

/** Pods, whole GPUs, MIG slices: whole numbers (extended resources cannot be fractional). */
const count = z.number().int('must be a whole number').nonnegative('must not be negative');

/** A MIG profile as the device plugin's `mixed` strategy names it: `nvidia.com/mig-<profile>`. */
export const MIG_PROFILE = /^[1-9][0-9]*g\.[1-9][0-9]*gb(\.[a-z]+)*$/;

const Contact = z.strictObject({
  name: z.string().min(1, 'must not be empty'),
  email: z.email('must be an email address'),
});

const GroupBinding = z.strictObject({
  /** The group claim value as the identity provider sends it, without the cluster's prefix. */
  group: z.string().min(1, 'must not be empty'),
  role: z.enum(TENANT_ROLES, { error: `must be one of ${TENANT_ROLES.join(', ')}` }),
});

const Quotas = z.strictObject({
  cpu: quantity,
  /** Limit across all containers; defaults to `cpu` (no overcommit). */
  cpuLimit: quantity.optional(),
  memory: quantity,
  memoryLimit: quantity.optional(),
  storage: quantity,
  pods: count,
  /** Whole GPUs (`nvidia.com/gpu`). */
  gpus: count.default(0),
  /** MIG slices per profile (`1g.10gb: 4` → `requests.nvidia.com/mig-1g.10gb: "4"`). */
  mig: z
    .record(z.string().regex(MIG_PROFILE, 'must be a MIG profile such as 1g.10gb or 3g.40gb'), count)
    .default({}),
});

const Dns = z.strictObject({
  /** Namespace of the cluster DNS service; defaults to the cluster's, else kube-system. */
  namespace: dnsLabel.optional(),
  /** Labels of the DNS pods; defaults to `k8s-app: kube-dns` (CoreDNS keeps it). */
  podLabels: z.record(labelKey, labelValue).optional(),
});

const Residency = z.strictObject({
  /** Residency zone recorded as a namespace label, e.g. `eu-fr`. */
  zone: labelValue.min(1).optional(),
  /** The only destinations outside the cluster the tenant's pods may reach. */
  egressCidrs: z
    .array(z.string().refine(isCanonicalCidr, 'must be an IPv4 or IPv6 CIDR with no host bits set'))
    .default([]),
  dns: Dns.default({}),
});

const Placement = z.strictObject({
  /** `nvidia.com/gpu.product` values the tenant may use, e.g. `NVIDIA-H100-80GB-HBM3`. */
  gpuProducts: z.array(labelValue.min(1)).default([]),
  nodePools: z.array(labelValue.min(1)).default([]),
  /** RuntimeClass every tenant pod must use, e.g. `kata`. */
  runtimeClass: dnsLabel.optional(),
});

export const TenantSpec = z
  .strictObject({
    name: dnsLabel,
    /** The console's name of the cluster to provision on; `--cluster` overrides it. */
    cluster: dnsLabel.optional(),
    organisation: z.string().min(1, 'must not be empty'),
    contacts: z.array(Contact).min(1, 'must list at least one contact'),
    groups: z.array(GroupBinding).default([]),
    quotas: Quotas,
    placement: Placement.default({ gpuProducts: [], nodePools: [] }),
    residency: Residency.default({ egressCidrs: [], dns: {} }),
    /** In-enclave registries images may come from (recorded as policy on the namespace). */
    registries: z
      .array(
        z
          .string()
          .regex(/^[a-z0-9.-]+(:[0-9]+)?(\/[a-z0-9._/-]+)?$/, 'must be a registry host[:port][/path]'),
      )
      .default([]),
  })
  .superRefine((spec, ctx) => {
    const { quotas } = spec;
    for (const [limit, request, field] of [
      [quotas.cpuLimit, quotas.cpu, 'cpuLimit'],
      [quotas.memoryLimit, quotas.memory, 'memoryLimit'],
    ] as const) {
      if (limit !== undefined && quantityValue(limit) < quantityValue(request)) {
        ctx.addIssue({ code: 'custom', path: ['quotas', field], message: `must not be below ${request}` });
      }
    }
    const seen = new Set<string>();
    spec.groups.forEach((g, i) => {
      if (seen.has(g.group)) {
        ctx.addIssue({ code: 'custom', path: ['groups', i, 'group'], message: `${g.group} is listed twice` });
      }
      seen.add(g.group);
    });
  });

export type TenantSpec = z.infer<typeof TenantSpec>;

export interface TenantSpecIssue {
  /** Dotted path of the field, e.g. `quotas.mig.1g.10gb` or `contacts[0].email`. */
  field: string;
  /** 1-based line in the YAML, where the field (or the nearest enclosing one) is. */
  line?: number;
  message: string;
}

export class TenantSpecError extends Error {
  constructor(readonly issues: TenantSpecIssue[]) {
    super(
      issues
        .map((i) => `${i.line === undefined ? '' : `line ${i.line}: `}${i.field}: ${i.message}`)
        .join('\n'),
    );
    this.name = 'TenantSpecError';
  }
}

function fieldName(path: readonly PropertyKey[]): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : `${out === '' ? '' : '.'}${String(p)}`;
  return out === '' ? '(spec)' : out;
}

/** Parses and validates a tenant spec; throws TenantSpecError naming each bad field and its line. */
export function parseTenantSpec(yamlText: string): TenantSpec {
  const lines = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter: lines, uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) {
    throw new TenantSpecError(
      doc.errors.map((e) => ({
        field: '(yaml)',
        line: lines.linePos(e.pos[0]).line,
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  const result = TenantSpec.safeParse(doc.toJS() ?? {});
  if (result.success) return result.data;
  throw new TenantSpecError(
    result.error.issues.map((issue) => {
      // The nearest node that exists: a missing field is reported where its parent is.
      let line: number | undefined;
      for (let n = issue.path.length; n >= 0 && line === undefined; n--) {
        const node: unknown = n === 0 ? doc.contents : doc.getIn(issue.path.slice(0, n), true);
        if (isNode(node) && node.range) line = lines.linePos(node.range[0]).line;
      }
      return {
        field: fieldName(issue.path),
        ...(line === undefined ? {} : { line }),
        message: issue.message,
      };
    }),
  );
}
