import { useEffect, useState } from 'react';
import type { ClusterRow } from '../../../shared/api';
import type { z } from 'zod';
import { mayCall, useProcedure } from '../../app/calls';
import { useRoute } from '../../app/navigation';
import { useSession } from '../../app/session';
import { DataTable, type Column } from '../../ui/DataTable';
import { EmptyState } from '../../ui/EmptyState';
import { Icon } from '../../ui/Icon';
import { Loadable } from '../../ui/Loadable';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';
import { Timestamp } from '../../ui/Timestamp';
import { useToast } from '../../ui/Toast';
import { plural } from '../../ui/format';
import { ClusterView } from './ClusterView';
import { ImportKubeconfigDialog } from './ImportKubeconfigDialog';
import './clusters.css';

type Cluster = z.infer<typeof ClusterRow>;

const IMPORT = 'clusters.import';

/**
 * Kubernetes clusters imported from kubeconfig: the list, one cluster read now (its nodes, GPUs and
 * MIG resources), the import dialog and removal. The cluster being viewed is in the address
 * (#/clusters/NAME), so a reload keeps it; the palette's "Import a kubeconfig…" lands on
 * #/clusters/clusters.import and opens the dialog.
 */
export function ClustersPage() {
  const clusters = useProcedure('clusters.list', {});
  const { session } = useSession();
  const toast = useToast();
  const { section, navigate } = useRoute();
  const mayImport = mayCall('clusters.import', session.operator.roles);
  const mayRemove = mayCall('clusters.remove', session.operator.roles);
  const [importing, setImporting] = useState(false);

  useEffect(() => {
    if (section === IMPORT && mayImport) setImporting(true);
  }, [section, mayImport]);

  const rows = clusters.data ?? [];
  const viewed = section && section !== IMPORT && rows.some((c) => c.name === section) ? section : null;
  const view = (name: string | null) => (name ? navigate('clusters', name) : navigate('clusters'));

  const closeImport = () => {
    setImporting(false);
    if (section === IMPORT) navigate('clusters');
  };

  const columns: Column<Cluster>[] = [
    {
      header: 'Name',
      cell: (c) => (
        <button
          type="button"
          className="link-button"
          onClick={() => view(c.name)}
          aria-label={`View cluster ${c.name}`}
          aria-current={viewed === c.name ? 'true' : undefined}
        >
          <strong>{c.name}</strong>
        </button>
      ),
    },
    { header: 'API server', kind: 'mono', cell: (c) => c.server },
    { header: 'Context', kind: 'mono', cell: (c) => c.context },
    { header: 'OIDC group prefix', kind: 'mono', cell: (c) => c.oidcGroupPrefix || '—' },
    { header: 'Imported', cell: (c) => <Timestamp value={c.addedAt} /> },
  ];

  return (
    <>
      <PageHeader
        title="Clusters"
        description="Kubernetes clusters that host the tenants, imported from kubeconfig files: their nodes, GPUs and MIG resources read live."
        actions={
          <>
            <RefreshButton onRefresh={clusters.reload} busy={clusters.loading} />
            {mayImport && (
              <button
                type="button"
                id={IMPORT}
                className="button button-primary"
                onClick={() => setImporting(true)}
              >
                <Icon name="plus" size={14} />
                Import kubeconfig
              </button>
            )}
          </>
        }
      />
      <ImportKubeconfigDialog
        open={importing}
        onClose={closeImport}
        onImported={(names) => {
          clusters.reload();
          toast({ tone: 'ok', title: `Imported ${plural(names.length, 'cluster')}: ${names.join(', ')}` });
          const first = names[0];
          if (first) navigate('clusters', first);
        }}
      />
      <Loadable state={clusters} what="the clusters">
        {(list) =>
          list.length === 0 ? (
            <EmptyState
              icon="clusters"
              title="No clusters imported"
              commands={['enclave clusters import KUBECONFIG']}
            >
              <p>
                {mayImport ? (
                  <>
                    Import a kubeconfig with <strong>Import kubeconfig</strong> or from the command line.
                  </>
                ) : (
                  'Clusters are imported by administrators.'
                )}{' '}
                Exec plugins, auth providers and insecure TLS are refused unless the site policy allows them.
              </p>
            </EmptyState>
          ) : (
            <div className="clusters-workspace">
              <DataTable label="Clusters" columns={columns} rows={list} rowKey={(c) => c.name} />
              {viewed && (
                <ClusterView
                  key={viewed}
                  cluster={viewed}
                  mayRemove={mayRemove}
                  onClose={() => view(null)}
                  onRemoved={(name) => {
                    toast({ tone: 'ok', title: `Cluster ${name} removed` });
                    view(null);
                    clusters.reload();
                  }}
                />
              )}
              {!viewed && (
                <p className="muted">Choose a cluster to read its nodes, GPUs and MIG resources.</p>
              )}
            </div>
          )
        }
      </Loadable>
    </>
  );
}
