import type { z } from 'zod';
import type { TenantRow } from '../../../shared/api';
import { useProcedure } from '../../app/calls';
import { DataTable, type Column } from '../../ui/DataTable';
import { EmptyState } from '../../ui/EmptyState';
import { Loadable } from '../../ui/Loadable';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';
import { Timestamp } from '../../ui/Timestamp';

type Tenant = z.infer<typeof TenantRow>;

const columns: Column<Tenant>[] = [
  { header: 'Name', cell: (t) => <strong>{t.name}</strong> },
  { header: 'Cluster', cell: (t) => t.cluster },
  { header: 'Created', cell: (t) => <Timestamp value={t.createdAt} /> },
];

export function TenantsPage() {
  const tenants = useProcedure('tenants.list', {});
  return (
    <>
      <PageHeader
        title="Tenants"
        description="Agencies, institutes and companies sharing the enclave, each isolated on its cluster."
        actions={<RefreshButton onRefresh={tenants.reload} busy={tenants.loading} />}
      />
      <Loadable state={tenants} what="the tenants">
        {(rows) =>
          rows.length === 0 ? (
            <EmptyState
              icon="tenants"
              title="No tenants yet"
              commands={['enclave tenants plan FILE', 'enclave tenants apply FILE']}
            >
              <p>
                Describe a tenant in a spec file (an example is in <code>docs/examples/tenant.yaml</code>),
                review the plan, then apply it. Clusters must be imported first.
              </p>
            </EmptyState>
          ) : (
            <DataTable
              label="Tenants"
              columns={columns}
              rows={rows}
              rowKey={(t) => `${t.cluster}/${t.name}`}
            />
          )
        }
      </Loadable>
    </>
  );
}
