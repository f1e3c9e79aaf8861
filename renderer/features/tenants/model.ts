// The tenant wizard's draft and the spec YAML it stands for (docs/tenant-spec.md). The draft holds
// text as typed; the YAML is what is planned and applied, and `parseTenantSpec` (the same parser
// the core uses) says what is wrong with it, field by field.
import { parse, stringify } from 'yaml';
import {
  isCanonicalCidr,
  parseCidr,
  parseTenantSpec,
  TENANT_ROLES,
  TenantSpecError,
  type TenantRole,
  type TenantSpecIssue,
} from '../../../shared/tenants';

let lastId = 0;
/** Keys for rows the operator adds and removes. */
export const rowId = (): number => ++lastId;

export interface Item {
  id: number;
  value: string;
}
export interface Pair {
  id: number;
  key: string;
  value: string;
}
export interface ContactRow {
  id: number;
  name: string;
  email: string;
}
export interface GroupRow {
  id: number;
  group: string;
  role: TenantRole;
}
export interface MigRow {
  id: number;
  profile: string;
  count: string;
}

export interface TenantDraft {
  name: string;
  organisation: string;
  contacts: ContactRow[];
  groups: GroupRow[];
  quotas: {
    cpu: string;
    cpuLimit: string;
    memory: string;
    memoryLimit: string;
    storage: string;
    pods: string;
    gpus: string;
    mig: MigRow[];
  };
  placement: { gpuProducts: Item[]; nodePools: Item[]; runtimeClass: string };
  residency: { zone: string; egressCidrs: Item[]; dnsNamespace: string; dnsPodLabels: Pair[] };
  registries: Item[];
}

export const item = (value = ''): Item => ({ id: rowId(), value });

export function emptyDraft(): TenantDraft {
  return {
    name: '',
    organisation: '',
    contacts: [{ id: rowId(), name: '', email: '' }],
    groups: [{ id: rowId(), group: '', role: 'tenant-admin' }],
    quotas: { cpu: '', cpuLimit: '', memory: '', memoryLimit: '', storage: '', pods: '', gpus: '0', mig: [] },
    placement: { gpuProducts: [], nodePools: [], runtimeClass: '' },
    residency: { zone: '', egressCidrs: [], dnsNamespace: '', dnsPodLabels: [] },
    registries: [],
  };
}

/** A whole number typed as text becomes a number; anything else stays text for the parser to refuse. */
function count(text: string): number | string | undefined {
  const t = text.trim();
  if (t === '') return undefined;
  return /^\d+$/.test(t) ? Number(t) : t;
}

const values = (items: readonly Item[]) => items.map((i) => i.value.trim()).filter(Boolean);

/** The spec as a plain object: empty rows and empty optional fields left out. */
export function draftToSpec(d: TenantDraft, cluster = ''): Record<string, unknown> {
  const spec: Record<string, unknown> = {};
  const put = (target: Record<string, unknown>, key: string, value: unknown) => {
    if (value === undefined || value === '') return;
    if (Array.isArray(value) && value.length === 0) return;
    if (value && typeof value === 'object' && !Array.isArray(value) && Object.keys(value).length === 0)
      return;
    target[key] = value;
  };
  put(spec, 'name', d.name.trim());
  put(spec, 'cluster', cluster);
  put(spec, 'organisation', d.organisation.trim());
  spec.contacts = d.contacts
    .filter((c) => c.name.trim() || c.email.trim())
    .map((c) => ({ name: c.name.trim(), email: c.email.trim() }));
  put(
    spec,
    'groups',
    d.groups.filter((g) => g.group.trim()).map((g) => ({ group: g.group.trim(), role: g.role })),
  );
  const q = d.quotas;
  const quotas: Record<string, unknown> = {};
  put(quotas, 'cpu', q.cpu.trim());
  put(quotas, 'cpuLimit', q.cpuLimit.trim());
  put(quotas, 'memory', q.memory.trim());
  put(quotas, 'memoryLimit', q.memoryLimit.trim());
  put(quotas, 'storage', q.storage.trim());
  put(quotas, 'pods', count(q.pods));
  put(quotas, 'gpus', count(q.gpus));
  const mig: Record<string, unknown> = {};
  for (const row of q.mig) {
    if (!row.profile.trim() && !row.count.trim()) continue;
    mig[row.profile.trim()] = count(row.count) ?? '';
  }
  put(quotas, 'mig', mig);
  spec.quotas = quotas;
  const placement: Record<string, unknown> = {};
  put(placement, 'gpuProducts', values(d.placement.gpuProducts));
  put(placement, 'nodePools', values(d.placement.nodePools));
  put(placement, 'runtimeClass', d.placement.runtimeClass.trim());
  put(spec, 'placement', placement);
  const residency: Record<string, unknown> = {};
  put(residency, 'zone', d.residency.zone.trim());
  put(residency, 'egressCidrs', values(d.residency.egressCidrs));
  const dns: Record<string, unknown> = {};
  put(dns, 'namespace', d.residency.dnsNamespace.trim());
  put(
    dns,
    'podLabels',
    Object.fromEntries(
      d.residency.dnsPodLabels.filter((p) => p.key.trim()).map((p) => [p.key.trim(), p.value.trim()]),
    ),
  );
  put(residency, 'dns', dns);
  put(spec, 'residency', residency);
  put(spec, 'registries', values(d.registries));
  return spec;
}

export function draftToYaml(d: TenantDraft, cluster = ''): string {
  return stringify(draftToSpec(d, cluster), { lineWidth: 0 });
}

/** The `cluster` a spec names, if any (and if it is YAML at all). */
export function yamlCluster(yamlText: string): string {
  try {
    return text(record(parse(yamlText) as unknown).cluster);
  } catch {
    return '';
  }
}

const text = (v: unknown): string => (v === undefined || v === null ? '' : String(v));
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);
const record = (v: unknown): Record<string, unknown> =>
  v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};

/**
 * A draft from spec YAML (an applied spec, or what was typed in the YAML tab). Throws when the text
 * is not YAML at all; fields the form has no place for are lost, so the caller compares.
 */
export function yamlToDraft(yamlText: string): TenantDraft {
  const s = record(parse(yamlText) as unknown);
  const q = record(s.quotas);
  const p = record(s.placement);
  const r = record(s.residency);
  const dns = record(r.dns);
  const role = (v: unknown): TenantRole =>
    (TENANT_ROLES as readonly string[]).includes(text(v)) ? (text(v) as TenantRole) : 'viewer';
  const contacts = list(s.contacts).map((c) => ({
    id: rowId(),
    name: text(record(c).name),
    email: text(record(c).email),
  }));
  return {
    name: text(s.name),
    organisation: text(s.organisation),
    contacts: contacts.length > 0 ? contacts : [{ id: rowId(), name: '', email: '' }],
    groups: list(s.groups).map((g) => ({
      id: rowId(),
      group: text(record(g).group),
      role: role(record(g).role),
    })),
    quotas: {
      cpu: text(q.cpu),
      cpuLimit: text(q.cpuLimit),
      memory: text(q.memory),
      memoryLimit: text(q.memoryLimit),
      storage: text(q.storage),
      pods: text(q.pods),
      gpus: q.gpus === undefined ? '0' : text(q.gpus),
      mig: Object.entries(record(q.mig)).map(([profile, n]) => ({ id: rowId(), profile, count: text(n) })),
    },
    placement: {
      gpuProducts: list(p.gpuProducts).map((v) => item(text(v))),
      nodePools: list(p.nodePools).map((v) => item(text(v))),
      runtimeClass: text(p.runtimeClass),
    },
    residency: {
      zone: text(r.zone),
      egressCidrs: list(r.egressCidrs).map((v) => item(text(v))),
      dnsNamespace: text(dns.namespace),
      dnsPodLabels: Object.entries(record(dns.podLabels)).map(([key, value]) => ({
        id: rowId(),
        key,
        value: text(value),
      })),
    },
    registries: list(s.registries).map((v) => item(text(v))),
  };
}

/** True when the form can hold everything the YAML says (no field would be dropped or changed). */
export function formHolds(yamlText: string): boolean {
  try {
    const original = parse(yamlText) as unknown;
    const again = parse(draftToYaml(yamlToDraft(yamlText), yamlCluster(yamlText))) as unknown;
    return JSON.stringify(canonical(original)) === JSON.stringify(canonical(again));
  } catch {
    return false;
  }
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v && typeof v === 'object') {
    const entries = Object.entries(v as Record<string, unknown>)
      .filter(([, x]) => !(Array.isArray(x) && x.length === 0) && x !== null && x !== '')
      .map(([k, x]) => [k, canonical(x)] as const)
      .filter(([, x]) => !(x && typeof x === 'object' && !Array.isArray(x) && Object.keys(x).length === 0))
      .sort(([a], [b]) => a.localeCompare(b));
    return Object.fromEntries(entries);
  }
  // `cpu: 64` and `cpu: '64'` are the same quantity.
  return typeof v === 'number' ? String(v) : v;
}

const QUANTITY_FIELDS = new Set([
  'quotas.cpu',
  'quotas.cpuLimit',
  'quotas.memory',
  'quotas.memoryLimit',
  'quotas.storage',
]);

/** zod's type messages, in the words the rest of the form uses. */
function reworded(issue: TenantSpecIssue, spec: Record<string, unknown>): TenantSpecIssue {
  const m = issue.message;
  const present = () => {
    let at: unknown = spec;
    for (const key of issue.field.split('.')) at = record(at)[key];
    return at !== undefined;
  };
  if (/expected .*, received undefined/.test(m)) return { ...issue, message: 'required' };
  if (/^Invalid input: expected number/.test(m)) return { ...issue, message: 'must be a whole number' };
  if (m === 'Invalid input' && QUANTITY_FIELDS.has(issue.field)) {
    return {
      ...issue,
      message: present() ? 'must be a Kubernetes quantity such as 64, 500m, 512Gi or 10Ti' : 'required',
    };
  }
  if (m === 'Invalid key in record' && issue.field.startsWith('quotas.mig.')) {
    return { ...issue, message: 'must be a MIG profile such as 1g.10gb or 3g.40gb' };
  }
  if (/^Unrecognized key/.test(m))
    return { ...issue, message: m.replace(/^Unrecognized key/, 'unknown field') };
  return issue;
}

/** What the shared parser finds wrong with a spec; empty when it is valid. */
export function specIssues(yamlText: string): TenantSpecIssue[] {
  try {
    parseTenantSpec(yamlText);
    return [];
  } catch (error) {
    if (!(error instanceof TenantSpecError)) {
      return [{ field: '(spec)', message: error instanceof Error ? error.message : String(error) }];
    }
    let spec: Record<string, unknown> = {};
    try {
      spec = record(parse(yamlText) as unknown);
    } catch {
      // A YAML syntax error: the parser's issues say where.
    }
    return error.issues.map((issue) => reworded(issue, spec));
  }
}

/** The form's problems beyond the spec's: a CIDR with host bits set names the network meant. */
export function cidrProblem(value: string): string | undefined {
  const v = value.trim();
  if (!v || isCanonicalCidr(v)) return undefined;
  const c = parseCidr(v);
  if (!c) return 'must be an IPv4 or IPv6 CIDR such as 10.40.0.0/16 or fd00:40::/32';
  return `has host bits set: the network is ${canonicalCidr(c)}`;
}

function canonicalCidr(c: { family: 4 | 6; bits: bigint; prefix: number }): string {
  const width = c.family === 4 ? 32 : 128;
  const mask = ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - c.prefix)) - 1n);
  const bits = c.bits & mask;
  if (c.family === 4) {
    return `${[24n, 16n, 8n, 0n].map((s) => String((bits >> s) & 255n)).join('.')}/${c.prefix}`;
  }
  const words = Array.from({ length: 8 }, (_, i) => Number((bits >> BigInt(112 - 16 * i)) & 0xffffn));
  // RFC 5952: the longest run of two or more zero words becomes "::".
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > best.length && j - i >= 2) best = { start: i, length: j - i };
    i = j;
  }
  const hex = words.map((w) => w.toString(16));
  const text =
    best.start < 0
      ? hex.join(':')
      : `${hex.slice(0, best.start).join(':')}::${hex.slice(best.start + best.length).join(':')}`;
  return `${text}/${c.prefix}`;
}

/** Issues at exactly this field, as one message. */
export function issueAt(issues: readonly TenantSpecIssue[], field: string): string | undefined {
  const found = issues.filter((i) => i.field === field).map((i) => i.message);
  return found.length > 0 ? found.join('; ') : undefined;
}

/** The wizard's steps and the spec fields each one edits. */
export const STEPS = [
  { title: 'Identity', fields: ['name', 'organisation', 'contacts'] },
  { title: 'Access', fields: ['groups'] },
  { title: 'Quotas', fields: ['quotas'] },
  { title: 'Placement', fields: ['placement'] },
  { title: 'Residency', fields: ['residency'] },
  { title: 'Registries', fields: ['registries'] },
  { title: 'Review', fields: [] },
] as const;

export function stepOfIssue(issue: TenantSpecIssue): number {
  const root = issue.field.split(/[.[]/)[0] ?? '';
  const index = STEPS.findIndex((s) => (s.fields as readonly string[]).includes(root));
  return index < 0 ? STEPS.length - 1 : index;
}
