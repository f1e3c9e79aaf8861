import { useCallback, useMemo, useState } from 'react';
import type { AuditEntryView } from '../../../shared/api';
import { mayCall, rolesAllowedFor, useProcedure } from '../../app/calls';
import { useSession } from '../../app/session';
import { EmptyState } from '../../ui/EmptyState';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';
import { useDebounced } from '../../ui/useDebounced';
import { VirtualList } from '../../ui/VirtualList';
import { AuditEntryDetail } from './AuditEntryDetail';
import { AuditFilters } from './AuditFilters';
import { ExportDialog } from './ExportDialog';
import { LedgerBar } from './LedgerBar';
import { AuditRow, AUDIT_COLUMNS, auditRowLabel } from './AuditRow';
import { EMPTY_DRAFT, isFiltered, queryOf, withQuickRange, type FilterDraft } from './filters';
import { useAuditLedger } from './useAuditLedger';
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

/** How long typing in a filter waits before it queries the core. */
const TYPING_PAUSE_MS = 300;

function AuditLedger() {
  const status = useProcedure('audit.status', {});
  const [exporting, setExporting] = useState(false);
  // What is typed waits for a pause; choices (selects, quick ranges, clearing) apply at once.
  const [draft, setDraft] = useState<{ filters: FilterDraft; typed: boolean }>({
    filters: EMPTY_DRAFT,
    typed: false,
  });
  const applied = useDebounced(draft.filters, draft.typed ? TYPING_PAUSE_MS : 0);
  const query = useMemo(() => queryOf(applied), [applied]);
  const filtered = isFiltered(query);
  const [selectedLedgerIndex, setSelectedLedgerIndex] = useState<number | null>(null);
  const ledger = useAuditLedger(query);

  const selectedIndex = ledger.entries.findIndex((e) => e.index === selectedLedgerIndex);
  const selected: AuditEntryView | undefined = ledger.entries[selectedIndex];
  const operators = useMemo(
    () => [...new Set(ledger.entries.flatMap((e) => (e.operator ? [e.operator.subject] : [])))].sort(),
    [ledger.entries],
  );
  const isLoaded = useCallback(
    (index: number) => ledger.entries.some((e) => e.index === index),
    [ledger.entries],
  );

  const reload = () => {
    // A quick range means "the last hour from now", so it moves with the refresh.
    const range = draft.filters.range;
    if (range) setDraft({ filters: withQuickRange(draft.filters, range, new Date()), typed: false });
    ledger.reload();
    status.reload();
  };

  // M counts the whole ledger; while unfiltered the list's own total is the fresher figure.
  const ledgerSize = filtered ? Math.max(status.data?.entries ?? 0, ledger.total) : ledger.total;
  const count = ledger.loading
    ? 'Loading…'
    : `${ledger.total.toLocaleString('en')} of ${ledgerSize.toLocaleString('en')} entries`;

  return (
    <>
      <PageHeader
        title="Audit"
        description="Every action on this workstation, newest first. Entries are append-only and cannot be edited."
        actions={<RefreshButton onRefresh={reload} busy={ledger.loading} />}
      />
      <LedgerBar
        status={status}
        onExport={() => setExporting(true)}
        isLoaded={isLoaded}
        onShowEntry={setSelectedLedgerIndex}
        onVerified={ledger.reload}
      />
      <ExportDialog
        open={exporting}
        onClose={() => {
          setExporting(false);
          // An export and its audit entry change the ledger's figures.
          status.reload();
          ledger.reload();
        }}
      />
      <AuditFilters
        draft={draft.filters}
        change={(filters, typed) => setDraft({ filters, typed })}
        operators={operators}
        count={count}
      />
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
              {filtered
                ? 'Widen the time range or clear the filters to see more entries.'
                : 'Entries appear here as operators act.'}
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
            followSelection
          />
        )}
        <AuditEntryDetail entry={selected} />
      </div>
    </>
  );
}
