import { api, type AuditEntryView } from '../../../shared/api';

/**
 * The audit filters as the operator edits them, and the pure functions that turn
 * them into an `audit.list` query. Times are typed in `datetime-local` fields and
 * read as UTC, the way the ledger records them (and the list shows them).
 */
export interface FilterDraft {
  /** Operator subject (their operator name), exact. */
  operator: string;
  /** A procedure id, '' for any, or OTHER_ACTION to type one. */
  action: string;
  otherAction: string;
  /** Part of the target. */
  target: string;
  outcome: '' | AuditEntryView['outcome'];
  /** `datetime-local` values ("2026-12-06T11:58:00"), read as UTC; '' for open. */
  from: string;
  to: string;
  /** The quick range that set `from`, while the operator has not edited it. */
  range: QuickRange | null;
}

export const EMPTY_DRAFT: FilterDraft = {
  operator: '',
  action: '',
  otherAction: '',
  target: '',
  outcome: '',
  from: '',
  to: '',
  range: null,
};

export const OTHER_ACTION = '*other';

/** What `audit.list` takes, minus paging. */
export interface AuditQuery {
  operator?: string;
  procedure?: string;
  target?: string;
  outcome?: AuditEntryView['outcome'];
  since?: string;
  until?: string;
}

/** Entries the core writes that are no contract procedure (docs/audit-format.md §2). */
export const SYSTEM_EVENTS = ['system.start', 'system.stop', 'ledger.keyCreated'] as const;

/**
 * The actions an entry can record, grouped by capability: every audited procedure
 * of the contract (the others never reach the ledger), then the system events.
 */
export function actionGroups(): { label: string; ids: string[] }[] {
  const groups = new Map<string, string[]>();
  for (const procedure of Object.values(api)) {
    if (!procedure.audited) continue;
    const capability = procedure.id.slice(0, procedure.id.indexOf('.'));
    groups.set(capability, [...(groups.get(capability) ?? []), procedure.id]);
  }
  return [
    ...[...groups]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([label, ids]) => ({ label, ids: ids.sort((a, b) => a.localeCompare(b)) })),
    { label: 'system events', ids: [...SYSTEM_EVENTS] },
  ];
}

export const QUICK_RANGES = [
  { id: 'hour', label: 'Last hour', ms: 3_600_000 },
  { id: 'day', label: '24 h', ms: 86_400_000 },
  { id: 'week', label: '7 days', ms: 7 * 86_400_000 },
] as const;
export type QuickRange = (typeof QUICK_RANGES)[number]['id'];

/** A UTC instant as a `datetime-local` value with seconds ("2026-12-06T11:58:00"). */
export function toUtcFieldValue(date: Date): string {
  return date.toISOString().slice(0, 19);
}

const FIELD_VALUE = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,3}))?)?$/;

/**
 * A `datetime-local` value read as UTC, in milliseconds; undefined when empty or
 * incomplete (the field reports '' until every part is typed).
 */
export function parseUtcFieldValue(value: string): number | undefined {
  const m = FIELD_VALUE.exec(value.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, s = '0', ms = '0'] = m;
  const time = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +s, +ms.padEnd(3, '0'));
  return Number.isNaN(time) ? undefined : time;
}

/** A problem with the time range, for the "To" field; undefined when it is fine. */
export function timeRangeProblem(draft: Pick<FilterDraft, 'from' | 'to'>): string | undefined {
  const from = parseUtcFieldValue(draft.from);
  const to = parseUtcFieldValue(draft.to);
  if (from !== undefined && to !== undefined && to < from) return 'ends before it starts';
  return undefined;
}

/**
 * The query for a draft. "To" includes its whole second: the core's `until` is
 * exclusive and entries carry milliseconds, so an entry at 12:00:05.400 is in a
 * range that ends at 12:00:05. (The field leaves out seconds when they are zero,
 * so a value without them still means that second, not that minute.)
 */
export function queryOf(draft: FilterDraft): AuditQuery {
  const query: AuditQuery = {};
  const operator = draft.operator.trim();
  if (operator) query.operator = operator;
  const procedure = (draft.action === OTHER_ACTION ? draft.otherAction : draft.action).trim();
  if (procedure) query.procedure = procedure;
  const target = draft.target.trim();
  if (target) query.target = target;
  if (draft.outcome) query.outcome = draft.outcome;
  const from = parseUtcFieldValue(draft.from);
  if (from !== undefined) query.since = new Date(from).toISOString();
  const to = parseUtcFieldValue(draft.to);
  if (to !== undefined) query.until = new Date(to + (draft.to.includes('.') ? 1 : 1000)).toISOString();
  return query;
}

export function isFiltered(query: AuditQuery): boolean {
  return Object.keys(query).length > 0;
}

/** The draft with a quick range applied from `now`: open-ended, so new entries keep appearing. */
export function withQuickRange(draft: FilterDraft, range: QuickRange, now: Date): FilterDraft {
  const spec = QUICK_RANGES.find((r) => r.id === range);
  if (!spec) return draft;
  return { ...draft, from: toUtcFieldValue(new Date(now.getTime() - spec.ms)), to: '', range };
}
