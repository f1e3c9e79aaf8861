// How tenants, plans and drift are shown; kept apart from the spec draft (model.ts), which brings
// the YAML parser and loads with the wizard only.
import type { ObjectChange, TenantSummary } from '../../../shared/api';
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
