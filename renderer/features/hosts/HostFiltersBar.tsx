import { useMemo, type ReactNode } from 'react';
import { labelPairs, NO_FILTERS, type Host, type HostFilters } from './model';

export function HostFiltersBar({
  hosts,
  filters,
  onChange,
  count,
}: {
  hosts: readonly Host[];
  filters: HostFilters;
  onChange: (filters: HostFilters) => void;
  count: ReactNode;
}) {
  // Every key=value pair in use, grouped by key for the picker.
  const labelGroups = useMemo(() => {
    const byKey = new Map<string, Set<string>>();
    for (const host of hosts) {
      for (const pair of labelPairs(host.labels)) {
        const key = pair.slice(0, pair.indexOf('='));
        byKey.set(key, (byKey.get(key) ?? new Set()).add(pair));
      }
    }
    return [...byKey]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([key, pairs]) => ({ key, pairs: [...pairs].sort() }));
  }, [hosts]);
  const edited = JSON.stringify(filters) !== JSON.stringify(NO_FILTERS);

  return (
    <form className="filters" role="search" aria-label="Filter hosts" onSubmit={(e) => e.preventDefault()}>
      <div className="filters-row">
        <label className="filter filter-text">
          <span>Search</span>
          <input
            type="search"
            value={filters.text}
            onChange={(e) => onChange({ ...filters, text: e.target.value })}
            placeholder="name, address or label"
            spellCheck={false}
            autoComplete="off"
          />
        </label>
        <label className="filter">
          <span>Label</span>
          <select value={filters.label} onChange={(e) => onChange({ ...filters, label: e.target.value })}>
            <option value="">Any label</option>
            {labelGroups.map((group) => (
              <optgroup key={group.key} label={group.key}>
                {group.pairs.map((pair) => (
                  <option key={pair} value={pair}>
                    {pair}
                  </option>
                ))}
              </optgroup>
            ))}
          </select>
        </label>
        <label className="filter">
          <span>MIG</span>
          <select
            value={filters.mig}
            onChange={(e) => onChange({ ...filters, mig: e.target.value as HostFilters['mig'] })}
          >
            <option value="any">Any</option>
            <option value="on">On (some GPU)</option>
            <option value="off">Off</option>
          </select>
        </label>
        <div className="filters-end">
          {edited && (
            <button type="button" className="button button-quiet" onClick={() => onChange(NO_FILTERS)}>
              Clear filters
            </button>
          )}
          <span className="filters-count" role="status">
            {count}
          </span>
        </div>
      </div>
    </form>
  );
}
