import type { AuditEntryView } from '../../../shared/api';
import { Badge, type Tone } from '../../ui/Badge';
import { Timestamp } from '../../ui/Timestamp';

export const OUTCOME_TONE: Record<AuditEntryView['outcome'], Tone> = {
  ok: 'ok',
  denied: 'warn',
  error: 'danger',
};

export function formatDuration(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The column header row; shares `audit-grid` with the rows so the columns line up. */
export const AUDIT_COLUMNS = (
  <div className="audit-grid audit-columns">
    <span>Time (UTC)</span>
    <span>Operator</span>
    <span>Action</span>
    <span>Target</span>
    <span>Outcome</span>
    <span className="cell-numeric">Duration</span>
  </div>
);

export function auditRowLabel(entry: AuditEntryView): string {
  return [
    entry.time,
    entry.operator?.subject ?? 'no operator',
    entry.procedure,
    entry.target ?? '',
    entry.outcome,
    formatDuration(entry.durationMs),
  ]
    .filter(Boolean)
    .join(', ');
}

export function AuditRow({ entry }: { entry: AuditEntryView }) {
  return (
    <div className="audit-grid">
      <span className="mono muted">
        <Timestamp value={entry.time} zone={false} />
      </span>
      <span className="truncate" title={entry.operator?.displayName}>
        {entry.operator?.subject ?? <span className="muted">—</span>}
      </span>
      <span className="mono truncate">{entry.procedure}</span>
      <span className="truncate">{entry.target ?? <span className="muted">—</span>}</span>
      <span>
        <Badge tone={OUTCOME_TONE[entry.outcome]}>{entry.outcome}</Badge>
      </span>
      <span className="cell-numeric mono muted">{formatDuration(entry.durationMs)}</span>
    </div>
  );
}
