import type { z } from 'zod';
import type { GpuRow } from '../../../shared/api';
import { useProcedure } from '../../app/calls';
import { Badge, type Tone } from '../../ui/Badge';
import { DataTable, type Column } from '../../ui/DataTable';
import { EmptyState } from '../../ui/EmptyState';
import { Loadable } from '../../ui/Loadable';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';

type Gpu = z.infer<typeof GpuRow>;

const migTone: Record<Gpu['migMode'], Tone> = { enabled: 'accent', disabled: 'neutral', unsupported: 'warn' };

const columns: Column<Gpu>[] = [
  { header: 'Host', cell: (g) => <strong>{g.host}</strong> },
  { header: 'GPU', kind: 'numeric', cell: (g) => g.index },
  { header: 'Model', cell: (g) => g.model },
  { header: 'Memory', kind: 'numeric', cell: (g) => `${(g.memoryMiB / 1024).toFixed(0)} GiB` },
  { header: 'MIG', cell: (g) => <Badge tone={migTone[g.migMode]}>{g.migMode}</Badge> },
  { header: 'UUID', kind: 'mono', cell: (g) => g.uuid },
];

export function GpusPage() {
  const gpus = useProcedure('gpus.list', {});
  return (
    <>
      <PageHeader
        title="GPUs"
        description="GPUs discovered on the inventory hosts, and whether MIG partitioning is enabled on each."
        actions={<RefreshButton onRefresh={gpus.reload} busy={gpus.loading} />}
      />
      <Loadable state={gpus} what="the GPUs">
        {(rows) =>
          rows.length === 0 ? (
            <EmptyState icon="gpu" title="No GPUs discovered yet" commands={['enclave hosts discover --all']}>
              <p>
                GPUs are read from each host with <code>nvidia-smi</code>. Add hosts first (see Hosts), then
                run discovery.
              </p>
            </EmptyState>
          ) : (
            <DataTable label="GPUs" columns={columns} rows={rows} rowKey={(g) => g.uuid} />
          )
        }
      </Loadable>
    </>
  );
}
