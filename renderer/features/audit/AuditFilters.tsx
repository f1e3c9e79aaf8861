import { useId, useMemo, type ReactNode } from 'react';
import {
  actionGroups,
  EMPTY_DRAFT,
  OTHER_ACTION,
  QUICK_RANGES,
  timeRangeProblem,
  withQuickRange,
  type FilterDraft,
} from './filters';

const OUTCOMES: { value: FilterDraft['outcome']; label: string }[] = [
  { value: '', label: 'Any outcome' },
  { value: 'ok', label: 'ok' },
  { value: 'denied', label: 'denied' },
  { value: 'error', label: 'error' },
];

/**
 * The filter bar above the ledger. It edits a draft; the page debounces what is
 * typed and applies choices at once. `change(draft, typed)` says which it was.
 */
export function AuditFilters({
  draft,
  change,
  operators,
  count,
}: {
  draft: FilterDraft;
  change: (draft: FilterDraft, typed: boolean) => void;
  /** Operator names seen in the loaded entries, offered as suggestions. */
  operators: readonly string[];
  /** "N of M entries", or a loading note. */
  count: ReactNode;
}) {
  const id = useId();
  const groups = useMemo(actionGroups, []);
  const rangeProblem = timeRangeProblem(draft);
  const edited = JSON.stringify({ ...draft, range: null }) !== JSON.stringify(EMPTY_DRAFT);
  const set = <K extends keyof FilterDraft>(key: K, value: FilterDraft[K], typed: boolean) =>
    change({ ...draft, [key]: value }, typed);

  return (
    <form
      className="filters"
      role="search"
      aria-label="Filter audit entries"
      onSubmit={(e) => e.preventDefault()}
    >
      <div className="filters-row">
        <label className="filter">
          <span>Operator</span>
          <input
            type="search"
            value={draft.operator}
            onChange={(e) => set('operator', e.target.value, true)}
            placeholder="any operator"
            list={`${id}-operators`}
            spellCheck={false}
            autoComplete="off"
          />
          <datalist id={`${id}-operators`}>
            {operators.map((o) => (
              <option key={o} value={o} />
            ))}
          </datalist>
        </label>
        <label className="filter filter-action">
          <span>Action</span>
          <select value={draft.action} onChange={(e) => set('action', e.target.value, false)}>
            <option value="">Any action</option>
            {groups.map((group) => (
              <optgroup key={group.label} label={group.label}>
                {group.ids.map((procedureId) => (
                  <option key={procedureId} value={procedureId}>
                    {procedureId}
                  </option>
                ))}
              </optgroup>
            ))}
            <option value={OTHER_ACTION}>Other (type the id)…</option>
          </select>
        </label>
        {draft.action === OTHER_ACTION && (
          <label className="filter">
            <span>Action id</span>
            <input
              type="search"
              value={draft.otherAction}
              onChange={(e) => set('otherAction', e.target.value, true)}
              placeholder="e.g. hosts.add"
              spellCheck={false}
              autoComplete="off"
              // Shown because the operator just asked to type one.
              autoFocus
            />
          </label>
        )}
        <label className="filter">
          <span>Target contains</span>
          <input
            type="search"
            value={draft.target}
            onChange={(e) => set('target', e.target.value, true)}
            placeholder="host, operator, folder…"
            spellCheck={false}
            autoComplete="off"
          />
        </label>
        <label className="filter filter-outcome">
          <span>Outcome</span>
          <select
            value={draft.outcome}
            onChange={(e) => set('outcome', e.target.value as FilterDraft['outcome'], false)}
          >
            {OUTCOMES.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      <div className="filters-row">
        <fieldset className="filter-time" aria-describedby={rangeProblem ? `${id}-range-problem` : undefined}>
          <legend className="visually-hidden">Time range, in UTC</legend>
          <label className="filter">
            <span>From (UTC)</span>
            <input
              type="datetime-local"
              step={1}
              value={draft.from}
              onChange={(e) => change({ ...draft, from: e.target.value, range: null }, true)}
            />
          </label>
          <label className="filter">
            <span>To (UTC)</span>
            <input
              type="datetime-local"
              step={1}
              value={draft.to}
              aria-invalid={Boolean(rangeProblem)}
              onChange={(e) => change({ ...draft, to: e.target.value, range: null }, true)}
            />
          </label>
          <div className="segmented" role="group" aria-label="Quick time ranges">
            {QUICK_RANGES.map((r) => (
              <button
                key={r.id}
                type="button"
                aria-pressed={draft.range === r.id}
                onClick={() => change(withQuickRange(draft, r.id, new Date()), false)}
              >
                {r.label}
              </button>
            ))}
            <button
              type="button"
              aria-pressed={draft.from === '' && draft.to === ''}
              onClick={() => change({ ...draft, from: '', to: '', range: null }, false)}
            >
              Any time
            </button>
          </div>
          {rangeProblem && (
            <p id={`${id}-range-problem`} className="field-error">
              The time range {rangeProblem}.
            </p>
          )}
        </fieldset>
        <div className="filters-end">
          {edited && (
            <button type="button" className="button button-quiet" onClick={() => change(EMPTY_DRAFT, false)}>
              Clear filters
            </button>
          )}
          <p className="filters-count" role="status">
            {count}
          </p>
        </div>
      </div>
    </form>
  );
}
