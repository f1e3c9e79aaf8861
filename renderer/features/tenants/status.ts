// How tenants, plans and drift are shown; kept apart from the spec draft (model.ts), which brings
// the YAML parser and loads with the wizard only.
import type { FieldChange, ObjectChange, TenantSummary } from '../../../shared/api';
import type { Tone } from '../../ui/Badge';

export const HEALTH_TONE: Record<TenantSummary['health'], Tone> = {
  healthy: 'ok',
  drifted: 'warn',
  failed: 'danger',
  unknown: 'neutral',
  decommissioning: 'accent',
};

export const ACTION_TONE: Record<ObjectChange['action'], Tone> = {
  create: 'ok',
  update: 'warn',
  unchanged: 'neutral',
  changed: 'warn',
  missing: 'danger',
  extra: 'warn',
};

export const objectName = (c: Pick<ObjectChange, 'object'>): string =>
  `${c.object.kind} ${c.object.namespace ? `${c.object.namespace}/` : ''}${c.object.name}`;

/** A field's value as the diff shows it: text as is, anything else as compact JSON. */
export function shownValue(value: unknown): string {
  if (value === undefined) return '(absent)';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

const isContainer = (v: unknown): v is Record<string, unknown> | unknown[] =>
  typeof v === 'object' && v !== null && (Array.isArray(v) || Object.keys(v).length > 0);

/** A child path as the core writes them: `a.b`, `a[0]`, `a["key.with.dots"]`. */
function childPath(parent: string, key: string | number): string {
  if (typeof key === 'number') return `${parent}[${key}]`;
  if (/^[A-Za-z_][A-Za-z0-9_-]*$/.test(key)) return parent ? `${parent}.${key}` : key;
  return `${parent}[${JSON.stringify(key)}]`;
}

/**
 * A whole object or map on one side only (an object to create, one found extra) becomes a row per
 * leaf field, so a create reads field by field like an update does.
 */
export function expandFields(fields: readonly FieldChange[]): FieldChange[] {
  const out: FieldChange[] = [];
  const walk = (path: string, value: unknown, side: 'before' | 'after') => {
    if (isContainer(value)) {
      const entries: [string | number, unknown][] = Array.isArray(value)
        ? value.map((v, i) => [i, v])
        : Object.entries(value);
      for (const [k, v] of entries) walk(childPath(path, k), v, side);
    } else {
      out.push({ path: path || '(object)', [side]: value });
    }
  };
  for (const f of fields) {
    if (f.before === undefined && isContainer(f.after)) walk(f.path, f.after, 'after');
    else if (f.after === undefined && isContainer(f.before)) walk(f.path, f.before, 'before');
    else out.push(f);
  }
  return out;
}
