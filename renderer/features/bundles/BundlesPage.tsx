import type { z } from 'zod';
import type { BundleRow } from '../../../shared/api';
import { useProcedure } from '../../app/calls';
import { Badge } from '../../ui/Badge';
import { DataTable, type Column } from '../../ui/DataTable';
import { EmptyState } from '../../ui/EmptyState';
import { Loadable } from '../../ui/Loadable';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';
import { Timestamp } from '../../ui/Timestamp';

type Bundle = z.infer<typeof BundleRow>;

const columns: Column<Bundle>[] = [
  { header: 'Name', cell: (b) => <strong>{b.name}</strong> },
  { header: 'Kind', cell: (b) => <Badge>{b.kind}</Badge> },
  { header: 'Version', kind: 'mono', cell: (b) => b.version },
  // The first 16 hex digits identify a bundle at a glance; the tooltip has all 64.
  { header: 'SHA-256', kind: 'mono', cell: (b) => <span title={b.sha256}>{b.sha256.slice(0, 16)}…</span> },
  { header: 'Installed', cell: (b) => <Timestamp value={b.installedAt} /> },
];

export function BundlesPage() {
  const bundles = useProcedure('bundles.list', {});
  return (
    <>
      <PageHeader
        title="Bundles"
        description="Software that entered the enclave as signed offline bundles and is installed here."
        actions={<RefreshButton onRefresh={bundles.reload} busy={bundles.loading} />}
      />
      <Loadable state={bundles} what="the bundles">
        {(rows) =>
          rows.length === 0 ? (
            <EmptyState
              icon="bundles"
              title="No offline bundles installed"
              commands={['enclave bundle verify FILE --trust DIR', 'enclave bundle install FILE']}
            >
              <p>
                Software enters only as bundles signed by trusted signers. Verify a bundle against the trusted
                signer list, then install it.
              </p>
            </EmptyState>
          ) : (
            <DataTable
              label="Installed bundles"
              columns={columns}
              rows={rows}
              rowKey={(b) => `${b.name}@${b.version}`}
            />
          )
        }
      </Loadable>
    </>
  );
}
