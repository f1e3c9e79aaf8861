import { useEffect, useState } from 'react';
import type { AuditEntryView } from '../../../shared/api';
import { mayCall, rolesAllowedFor, useProcedure } from '../../app/calls';
import { useSession } from '../../app/session';
import { EmptyState } from '../../ui/EmptyState';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';
import { VirtualList } from '../../ui/VirtualList';
import { AuditEntryDetail } from './AuditEntryDetail';
import { ExportDialog } from './ExportDialog';
import { LedgerBar } from './LedgerBar';
import { AuditRow, AUDIT_COLUMNS, auditRowLabel } from './AuditRow';
import { useAuditLedger, type AuditQuery } from './useAuditLedger';
import './audit.css';

export function AuditPage() {
  const { session } = useSession();
  if (!mayCall('audit.list', session.operator.roles)) {
    return (
      <>
        <PageHeader
          title="Audit"
          description="Every action on this workstation, attributable and tamper-evident."
        />
        <EmptyState icon="shield" title="The audit ledger is not available to your roles">
          <p>
            Reading the audit ledger needs the {rolesAllowedFor('audit.list')} role; yours (
            {session.operator.roles.join(', ')}) include none of them. Ask a security officer if your work
            needs it.
          </p>
        </EmptyState>
      </>
    );
  }
  return <AuditLedger />;
}

const OUTCOMES: { value: AuditQuery['outcome']; label: string }[] = [
  { value: '', label: 'Any outcome' },
  { value: 'ok', label: 'ok' },
  { value: 'denied', label: 'denied' },
  { value: 'error', label: 'error' },
];

function AuditLedger() {
  const status = useProcedure('audit.status', {});
  const [exporting, setExporting] = useState(false);
  const [operatorDraft, setOperatorDraft] = useState('');
  const [query, setQuery] = useState<AuditQuery>({ operator: '', outcome: '' });
  const [selectedLedgerIndex, setSelectedLedgerIndex] = useState<number | null>(null);
  const ledger = useAuditLedger(query);

  // Typing in the operator filter queries the core once the operator pauses.
  useEffect(() => {
    const timer = setTimeout(
      () => setQuery((q) => (q.operator === operatorDraft ? q : { ...q, operator: operatorDraft })),
      300,
    );
    return () => clearTimeout(timer);
  }, [operatorDraft]);

  const selectedIndex = ledger.entries.findIndex((e) => e.index === selectedLedgerIndex);
  const selected: AuditEntryView | undefined = ledger.entries[selectedIndex];
  const filtered = query.operator.trim() !== '' || query.outcome !== '';

  return (
    <>
      <PageHeader
        title="Audit"
        description="Every action on this workstation, newest first. Entries are append-only and cannot be edited."
        actions={
          <RefreshButton
            onRefresh={() => {
              ledger.reload();
              status.reload();
            }}
            busy={ledger.loading}
          />
        }
      />
      <LedgerBar status={status} onExport={() => setExporting(true)} />
      <ExportDialog
        open={exporting}
        onClose={() => {
          setExporting(false);
          // An export and its audit entry change the ledger's figures.
          status.reload();
          ledger.reload();
        }}
      />
      <form
        className="filters"
        role="search"
        aria-label="Filter audit entries"
        onSubmit={(e) => e.preventDefault()}
      >
        <label className="filter">
          <span>Operator</span>
          <input
            type="search"
            value={operatorDraft}
            onChange={(e) => setOperatorDraft(e.target.value)}
            placeholder="any operator"
            spellCheck={false}
            autoComplete="off"
          />
        </label>
        <label className="filter">
          <span>Outcome</span>
          <select
            value={query.outcome}
            onChange={(e) => setQuery((q) => ({ ...q, outcome: e.target.value as AuditQuery['outcome'] }))}
          >
            {OUTCOMES.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </label>
        {filtered && (
          <button
            type="button"
            className="button button-quiet"
            onClick={() => {
              setOperatorDraft('');
              setQuery({ operator: '', outcome: '' });
            }}
          >
            Clear filters
          </button>
        )}
        <p className="filters-count" role="status">
          {ledger.loading
            ? 'Loading…'
            : `${ledger.entries.length.toLocaleString('en')} of ${ledger.total.toLocaleString('en')} entries`}
        </p>
      </form>
      {ledger.error && (
        <ErrorBanner title="Could not read the audit ledger" error={ledger.error} onRetry={ledger.reload} />
      )}
      <div className="audit-workspace">
        {ledger.entries.length === 0 && !ledger.loading && !ledger.error ? (
          <EmptyState
            icon="audit"
            title={filtered ? 'No entries match these filters' : 'The ledger is empty'}
          >
            <p>
              {filtered ? 'Clear the filters to see every entry.' : 'Entries appear here as operators act.'}
            </p>
          </EmptyState>
        ) : (
          <VirtualList
            label="Audit entries"
            items={ledger.entries}
            rowHeight={34}
            itemKey={(e) => e.index}
            itemLabel={auditRowLabel}
            renderItem={(e) => <AuditRow entry={e} />}
            header={AUDIT_COLUMNS}
            selectedIndex={selectedIndex === -1 ? null : selectedIndex}
            onSelect={(index) => setSelectedLedgerIndex(ledger.entries[index]?.index ?? null)}
            onNearEnd={ledger.loadOlder}
          />
        )}
        <AuditEntryDetail entry={selected} />
      </div>
    </>
  );
}
