import { useState, type ReactNode } from 'react';
import { Icon } from '../../ui/Icon';
import { item, rowId, type Item, type Pair } from './model';

const capital = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * A list of single values (GPU products, CIDRs, registries): one labelled input a row, each with
 * its own remove button and message, and an add button. Every control is reachable by Tab.
 */
export function ListEditor({
  legend,
  noun,
  items,
  onChange,
  placeholder,
  problem,
  hint,
  suggestions,
}: {
  legend: string;
  /** Names each row's controls: `Noun 1`, `Remove ${noun} 1`, `Add ${noun}`. */
  noun: string;
  items: readonly Item[];
  onChange: (items: Item[]) => void;
  placeholder?: string;
  problem: (index: number, value: string) => string | undefined;
  hint?: ReactNode;
  /** The id of a <datalist> of likely values. */
  suggestions?: string;
}) {
  // A row added from the keyboard takes the focus, so typing goes on where the operator is.
  const [added, setAdded] = useState<number | null>(null);
  return (
    <fieldset className="choices list-editor">
      <legend>{legend}</legend>
      {hint && <p className="field-hint">{hint}</p>}
      {items.length > 0 && (
        <ul className="list-rows">
          {items.map((row, i) => {
            const message = problem(i, row.value);
            const errorId = `list-${row.id}-error`;
            return (
              <li key={row.id} className="list-row">
                <input
                  aria-label={`${capital(noun)} ${i + 1}`}
                  autoFocus={row.id === added}
                  aria-invalid={Boolean(message)}
                  aria-describedby={message ? errorId : undefined}
                  value={row.value}
                  placeholder={placeholder}
                  list={suggestions}
                  onChange={(e) =>
                    onChange(items.map((x) => (x.id === row.id ? { ...x, value: e.target.value } : x)))
                  }
                  spellCheck={false}
                  autoComplete="off"
                />
                <button
                  type="button"
                  className="button-icon"
                  aria-label={`Remove ${noun} ${i + 1}`}
                  onClick={() => onChange(items.filter((x) => x.id !== row.id))}
                >
                  <Icon name="close" size={14} />
                </button>
                {message && (
                  <p id={errorId} className="field-error sentence list-row-error">
                    {message}
                  </p>
                )}
              </li>
            );
          })}
        </ul>
      )}
      <div>
        <button
          type="button"
          className="button button-quiet"
          onClick={() => {
            const row = item();
            setAdded(row.id);
            onChange([...items, row]);
          }}
        >
          <Icon name="plus" size={14} />
          Add {noun}
        </button>
      </div>
    </fieldset>
  );
}

/** key = value rows (DNS pod labels). */
export function PairEditor({
  legend,
  noun,
  pairs,
  onChange,
  problem,
}: {
  legend: string;
  noun: string;
  pairs: readonly Pair[];
  onChange: (pairs: Pair[]) => void;
  problem: (key: string) => string | undefined;
}) {
  const [added, setAdded] = useState<number | null>(null);
  return (
    <fieldset className="choices list-editor">
      <legend>{legend}</legend>
      {pairs.length > 0 && (
        <ul className="list-rows">
          {pairs.map((row, i) => {
            const message = row.key.trim()
              ? problem(row.key.trim())
              : row.value.trim()
                ? 'needs a key'
                : undefined;
            const set = (patch: Partial<Pair>) =>
              onChange(pairs.map((p) => (p.id === row.id ? { ...p, ...patch } : p)));
            return (
              <li key={row.id} className="pair-row">
                <input
                  aria-label={`${capital(noun)} ${i + 1} key`}
                  autoFocus={row.id === added}
                  aria-invalid={Boolean(message)}
                  placeholder="key, e.g. k8s-app"
                  value={row.key}
                  onChange={(e) => set({ key: e.target.value })}
                  spellCheck={false}
                />
                <span className="muted" aria-hidden="true">
                  =
                </span>
                <input
                  aria-label={`${capital(noun)} ${i + 1} value`}
                  placeholder="value"
                  value={row.value}
                  onChange={(e) => set({ value: e.target.value })}
                  spellCheck={false}
                />
                <button
                  type="button"
                  className="button-icon"
                  aria-label={`Remove ${noun} ${i + 1}`}
                  onClick={() => onChange(pairs.filter((p) => p.id !== row.id))}
                >
                  <Icon name="close" size={14} />
                </button>
                {message && <p className="field-error sentence list-row-error">{message}</p>}
              </li>
            );
          })}
        </ul>
      )}
      <div>
        <button
          type="button"
          className="button button-quiet"
          onClick={() => {
            const row = { id: rowId(), key: '', value: '' };
            setAdded(row.id);
            onChange([...pairs, row]);
          }}
        >
          <Icon name="plus" size={14} />
          Add {noun}
        </button>
      </div>
    </fieldset>
  );
}
