import type { z } from 'zod';
import type { HostRow } from '../../../shared/api';
import { useProcedure } from '../../app/calls';
import { Badge } from '../../ui/Badge';
import { DataTable, type Column } from '../../ui/DataTable';
import { EmptyState } from '../../ui/EmptyState';
import { Loadable } from '../../ui/Loadable';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';
import { Timestamp } from '../../ui/Timestamp';

type Host = z.infer<typeof HostRow>;

const columns: Column<Host>[] = [
  { header: 'Name', cell: (h) => <strong>{h.name}</strong> },
  { header: 'Address', kind: 'mono', cell: (h) => `${h.user}@${h.address}:${h.port}` },
  {
    header: 'Labels',
    cell: (h) => (
      <span className="badge-list">
        {Object.entries(h.labels).map(([key, value]) => (
          <Badge key={key}>
            {key}={value}
          </Badge>
        ))}
      </span>
    ),
  },
  {
    header: 'Host key',
    kind: 'mono',
    cell: (h) => h.fingerprint ?? <Badge tone="warn">not pinned</Badge>,
  },
  { header: 'Last seen', cell: (h) => <Timestamp value={h.lastSeenAt} empty="never" /> },
];

export function HostsPage() {
  const hosts = useProcedure('hosts.list', {});
  return (
    <>
      <PageHeader
        title="Hosts"
        description="Bare-metal GPU hosts in this enclave's inventory, reached over SSH with pinned host keys."
        actions={<RefreshButton onRefresh={hosts.reload} busy={hosts.loading} />}
      />
      <Loadable state={hosts} what="the GPU hosts">
        {(rows) =>
          rows.length === 0 ? (
            <EmptyState
              icon="hosts"
              title="No GPU hosts yet"
              commands={[
                'enclave hosts add NAME --address ADDRESS --user USER --key FILE',
                'enclave hosts import inventory.yaml',
              ]}
            >
              <p>
                Add a host from the command line, or import the lab inventory (<code>enclave lab up</code>{' '}
                writes one). Adding hosts from this window is not available yet; hosts added on the command
                line appear here.
              </p>
            </EmptyState>
          ) : (
            <DataTable label="GPU hosts" columns={columns} rows={rows} rowKey={(h) => h.name} />
          )
        }
      </Loadable>
    </>
  );
}
