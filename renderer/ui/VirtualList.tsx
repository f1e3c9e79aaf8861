import { useVirtualizer } from '@tanstack/react-virtual';
import { useEffect, useId, useRef, type KeyboardEvent, type ReactNode } from 'react';

/**
 * A single-select listbox that renders only the visible rows, for lists that grow
 * to tens of thousands (the audit ledger). The header sits outside the scroller
 * and both reserve the scrollbar gutter, so columns line up.
 */
export function VirtualList<Item>({
  label,
  items,
  rowHeight,
  itemKey,
  itemLabel,
  renderItem,
  header,
  selectedIndex,
  onSelect,
  onNearEnd,
  followSelection = false,
}: {
  label: string;
  items: readonly Item[];
  rowHeight: number;
  itemKey: (item: Item) => string | number;
  /** The option's accessible name: the row read as one sentence. */
  itemLabel: (item: Item) => string;
  renderItem: (item: Item) => ReactNode;
  header: ReactNode;
  selectedIndex: number | null;
  onSelect: (index: number) => void;
  /** Called when the last rows come into view, to load more. */
  onNearEnd?: () => void;
  /** Scroll the selected row into view whenever the selection changes, also from outside the list. */
  followSelection?: boolean;
}) {
  const scrollRef = useRef<HTMLDivElement>(null);
  const idPrefix = useId();
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => rowHeight,
    overscan: 12,
  });
  const rows = virtualizer.getVirtualItems();
  const lastVisible = rows.at(-1)?.index ?? -1;

  useEffect(() => {
    if (onNearEnd && items.length > 0 && lastVisible >= items.length - 20) onNearEnd();
  }, [lastVisible, items.length, onNearEnd]);

  useEffect(() => {
    if (followSelection && selectedIndex !== null)
      virtualizer.scrollToIndex(selectedIndex, { align: 'auto' });
  }, [followSelection, selectedIndex, virtualizer]);

  const move = (index: number) => {
    if (items.length === 0) return;
    const next = Math.max(0, Math.min(items.length - 1, index));
    onSelect(next);
    virtualizer.scrollToIndex(next, { align: 'auto' });
  };

  const onKeyDown = (event: KeyboardEvent) => {
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? rowHeight) / rowHeight) - 1);
    const current = selectedIndex ?? -1;
    const target: Record<string, number> = {
      ArrowDown: current + 1,
      ArrowUp: current - 1,
      PageDown: current + page,
      PageUp: current - page,
      Home: 0,
      End: items.length - 1,
    };
    const next = target[event.key];
    if (next === undefined) return;
    event.preventDefault();
    move(next);
  };

  const optionId = (index: number) => `${idPrefix}-option-${index}`;

  return (
    <div className="vlist">
      <div className="vlist-header" aria-hidden="true">
        {header}
      </div>
      <div
        ref={scrollRef}
        className="vlist-scroll"
        role="listbox"
        tabIndex={0}
        aria-label={label}
        aria-activedescendant={selectedIndex === null ? undefined : optionId(selectedIndex)}
        onKeyDown={onKeyDown}
      >
        <div role="presentation" className="vlist-canvas" style={{ height: virtualizer.getTotalSize() }}>
          {rows.map((row) => {
            const item = items[row.index];
            if (item === undefined) return null;
            return (
              <div
                key={itemKey(item)}
                id={optionId(row.index)}
                role="option"
                aria-selected={row.index === selectedIndex}
                aria-setsize={items.length}
                aria-posinset={row.index + 1}
                aria-label={itemLabel(item)}
                className="vlist-row"
                style={{ height: row.size, transform: `translateY(${row.start}px)` }}
                onClick={() => onSelect(row.index)}
              >
                {renderItem(item)}
              </div>
            );
          })}
        </div>
      </div>
    </div>
  );
}
