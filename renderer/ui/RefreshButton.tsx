import { Icon } from './Icon';

export function RefreshButton({ onRefresh, busy }: { onRefresh: () => void; busy: boolean }) {
  return (
    <button type="button" className="button" onClick={onRefresh} aria-busy={busy} disabled={busy}>
      <Icon name="refresh" size={14} />
      Refresh
    </button>
  );
}
