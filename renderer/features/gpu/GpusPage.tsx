import { useMemo, useState } from 'react';
import { useProcedure } from '../../app/calls';
import { Badge } from '../../ui/Badge';
import { DataTable, type Column } from '../../ui/DataTable';
import { EmptyState } from '../../ui/EmptyState';
import { Loadable } from '../../ui/Loadable';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';
import { plural } from '../../ui/format';
import { formatMiB, MIG_TONE, type Gpu } from '../hosts/model';
import './gpu.css';

type SortKey = 'host' | 'model';

const columns: Column<Gpu>[] = [
  { header: 'Host', cell: (g) => <strong>{g.host}</strong> },
  { header: 'GPU', kind: 'numeric', cell: (g) => g.index },
  { header: 'Model', cell: (g) => g.model },
  { header: 'Memory', kind: 'numeric', cell: (g) => formatMiB(g.memoryMiB) },
  { header: 'MIG mode', cell: (g) => <Badge tone={MIG_TONE[g.migMode]}>{g.migMode}</Badge> },
  {
    header: 'Pending',
    cell: (g) =>
      g.migPending === g.migMode ? (
        <span className="muted">—</span>
      ) : (
        <Badge tone="warn">{g.migPending} after reset</Badge>
      ),
  },
  { header: 'MIG devices', kind: 'numeric', cell: (g) => g.migDevices },
  { header: 'Bus ID', kind: 'mono', cell: (g) => g.busId ?? '—' },
];

interface ModelSummary {
  model: string;
  count: number;
  migEnabled: number;
  hosts: number;
  memoryMiB: number;
}

function modelSummaries(gpus: readonly Gpu[]): ModelSummary[] {
  const byModel = new Map<string, Gpu[]>();
  for (const g of gpus) byModel.set(g.model, [...(byModel.get(g.model) ?? []), g]);
  return [...byModel]
    .map(([model, list]) => ({
      model,
      count: list.length,
      migEnabled: list.filter((g) => g.migMode === 'enabled').length,
      hosts: new Set(list.map((g) => g.host)).size,
      memoryMiB: list[0]?.memoryMiB ?? 0,
    }))
    .sort((a, b) => b.count - a.count || a.model.localeCompare(b.model));
}

function sorted(gpus: readonly Gpu[], key: SortKey): Gpu[] {
  return [...gpus].sort((a, b) =>
    key === 'host'
      ? a.host.localeCompare(b.host) || a.index - b.index
      : a.model.localeCompare(b.model) || a.host.localeCompare(b.host) || a.index - b.index,
  );
}

export function GpusPage() {
  const gpus = useProcedure('gpus.list', {});
  const [sortKey, setSortKey] = useState<SortKey>('host');
  const rows = useMemo(() => sorted(gpus.data ?? [], sortKey), [gpus.data, sortKey]);
  return (
    <>
      <PageHeader
        title="GPUs"
        description="GPUs discovered on the inventory hosts, and whether MIG partitioning is enabled on each."
        actions={<RefreshButton onRefresh={gpus.reload} busy={gpus.loading} />}
      />
      <Loadable state={gpus} what="the GPUs">
        {(all) =>
          all.length === 0 ? (
            <EmptyState icon="gpu" title="No GPUs discovered yet" commands={['enclave hosts discover --all']}>
              <p>
                GPUs are read from each host with <code>nvidia-smi</code>. Add hosts on the Hosts page, then
                run discovery there (Discover, or Discover all).
              </p>
            </EmptyState>
          ) : (
            <div className="gpus-workspace">
              <ul className="gpu-models" aria-label="GPU models">
                {modelSummaries(all).map((m) => (
                  <li key={m.model} className="gpu-model">
                    <span className="gpu-model-name">{m.model}</span>
                    <span className="gpu-model-count">{plural(m.count, 'GPU')}</span>
                    <span className="muted">
                      {formatMiB(m.memoryMiB)} each · on {plural(m.hosts, 'host')} · MIG enabled on{' '}
                      {m.migEnabled} of {m.count}
                    </span>
                  </li>
                ))}
              </ul>
              <div className="gpus-toolbar">
                <span className="muted small">
                  {plural(all.length, 'GPU')} on {plural(new Set(all.map((g) => g.host)).size, 'host')}
                </span>
                <div className="segmented" role="group" aria-label="Sort GPUs by">
                  <button type="button" aria-pressed={sortKey === 'host'} onClick={() => setSortKey('host')}>
                    By host
                  </button>
                  <button
                    type="button"
                    aria-pressed={sortKey === 'model'}
                    onClick={() => setSortKey('model')}
                  >
                    By model
                  </button>
                </div>
              </div>
              <DataTable label="GPUs" columns={columns} rows={rows} rowKey={(g) => g.uuid} />
            </div>
          )
        }
      </Loadable>
    </>
  );
}
