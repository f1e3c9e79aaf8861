import type { z } from 'zod';
import type { ClusterRow } from '../../../shared/api';
import { useProcedure } from '../../app/calls';
import { DataTable, type Column } from '../../ui/DataTable';
import { EmptyState } from '../../ui/EmptyState';
import { Loadable } from '../../ui/Loadable';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';
import { Timestamp } from '../../ui/Timestamp';

type Cluster = z.infer<typeof ClusterRow>;

const columns: Column<Cluster>[] = [
  { header: 'Name', cell: (c) => <strong>{c.name}</strong> },
  { header: 'API server', kind: 'mono', cell: (c) => c.server },
  { header: 'Context', kind: 'mono', cell: (c) => c.context },
  { header: 'Imported', cell: (c) => <Timestamp value={c.addedAt} /> },
];

export function ClustersPage() {
  const clusters = useProcedure('clusters.list', {});
  return (
    <>
      <PageHeader
        title="Clusters"
        description="Kubernetes clusters that host the tenants, imported from kubeconfig files."
        actions={<RefreshButton onRefresh={clusters.reload} busy={clusters.loading} />}
      />
      <Loadable state={clusters} what="the clusters">
        {(rows) =>
          rows.length === 0 ? (
            <EmptyState
              icon="clusters"
              title="No clusters imported"
              commands={['enclave clusters import KUBECONFIG']}
            >
              <p>
                Import a kubeconfig from the command line. Exec plugins, auth providers and insecure TLS are
                refused unless the site policy allows them.
              </p>
            </EmptyState>
          ) : (
            <DataTable label="Clusters" columns={columns} rows={rows} rowKey={(c) => c.name} />
          )
        }
      </Loadable>
    </>
  );
}
