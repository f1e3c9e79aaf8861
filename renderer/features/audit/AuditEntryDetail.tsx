import { api, type AuditEntryView } from '../../../shared/api';
import { Badge } from '../../ui/Badge';
import { Timestamp } from '../../ui/Timestamp';
import { formatDuration, OUTCOME_TONE } from './AuditRow';
import { InclusionProof } from './InclusionProof';

function summaryOf(procedure: string): string | undefined {
  return Object.hasOwn(api, procedure) ? api[procedure as keyof typeof api].summary : undefined;
}

export function AuditEntryDetail({ entry }: { entry: AuditEntryView | undefined }) {
  return (
    <aside className="panel audit-detail" aria-label="Audit entry details">
      {!entry ? (
        <p className="muted">
          Select an entry to see its details. Use ↑ and ↓ in the list to move between entries.
        </p>
      ) : (
        <>
          <div className="panel-header">
            <h2>Entry {entry.index}</h2>
            <Badge tone={OUTCOME_TONE[entry.outcome]}>{entry.outcome}</Badge>
          </div>
          <dl className="facts facts-stacked">
            <dt>Time</dt>
            <dd>
              <Timestamp value={entry.time} />
            </dd>
            <dt>Action</dt>
            <dd>
              <code>{entry.procedure}</code>
              {summaryOf(entry.procedure) && <div className="muted">{summaryOf(entry.procedure)}</div>}
            </dd>
            <dt>Target</dt>
            <dd>{entry.target ?? '—'}</dd>
            <dt>Operator</dt>
            <dd>
              {entry.operator ? (
                <>
                  {entry.operator.displayName} <span className="muted">({entry.operator.subject})</span>
                  <div className="muted">Roles: {entry.operator.roles.join(', ') || 'none'}</div>
                  <div className="muted">Signed in with {entry.operator.method}</div>
                </>
              ) : (
                'none (not signed in)'
              )}
            </dd>
            <dt>Workstation</dt>
            <dd className="mono">{entry.workstation ?? '—'}</dd>
            <dt>Transport</dt>
            <dd>{entry.transport}</dd>
            <dt>Duration</dt>
            <dd>{formatDuration(entry.durationMs)}</dd>
            {entry.planDigest && (
              <>
                <dt>Plan digest</dt>
                <dd className="mono break">{entry.planDigest}</dd>
              </>
            )}
            {entry.error && (
              <>
                <dt>Error</dt>
                <dd className="text-danger sentence">{entry.error}</dd>
              </>
            )}
          </dl>
          <section className="detail-section" aria-labelledby="audit-input-heading">
            <h3 id="audit-input-heading">Input</h3>
            <p className="muted small">
              As recorded: secrets are replaced with [redacted] before anything is written.
            </p>
            <pre className="code-block">{JSON.stringify(entry.input, null, 2) ?? 'none'}</pre>
          </section>
          <InclusionProof key={entry.index} index={entry.index} />
        </>
      )}
    </aside>
  );
}
