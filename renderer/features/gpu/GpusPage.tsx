import { useCallback, useMemo, useState } from 'react';
import { useProcedure } from '../../app/calls';
import { useRoute } from '../../app/navigation';
import { Badge } from '../../ui/Badge';
import { DataTable, type Column } from '../../ui/DataTable';
import { EmptyState } from '../../ui/EmptyState';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Loadable } from '../../ui/Loadable';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';
import { plural } from '../../ui/format';
import { formatMiB, MIG_TONE } from '../hosts/model';
import { FleetPanel } from './FleetPanel';
import { HostGpuView } from './HostGpuView';
import {
  modelSummaries,
  usedSlots,
  type Gpu,
  type GpuMigState,
  type ModelSummary,
  type NamedLayout,
} from './model';
import './gpu.css';
import { Labelled } from './Labelled';

type SortKey = 'host' | 'model';

const NO_LAYOUTS: readonly NamedLayout[] = [];

function sorted(gpus: readonly Gpu[], key: SortKey): Gpu[] {
  return [...gpus].sort((a, b) =>
    key === 'host'
      ? a.host.localeCompare(b.host) || a.index - b.index
      : a.model.localeCompare(b.model) || a.host.localeCompare(b.host) || a.index - b.index,
  );
}

/**
 * GPUs across the inventory and their MIG partitioning: a summary per model (counts, MIG on/off,
 * memory slots allocated on the hosts read in this window), one host's GPUs with slot maps, the
 * layout editor and plans (HostGpuView), fleet applies (FleetPanel), and every GPU in a table.
 * The host being viewed is in the address (#/gpus/HOST), so a reload keeps it.
 */
export function GpusPage() {
  const gpus = useProcedure('gpus.list', {});
  const hosts = useProcedure('hosts.list', {});
  const layouts = useProcedure('gpu.layouts', {});
  const { section, navigate } = useRoute();
  const [sortKey, setSortKey] = useState<SortKey>('host');
  // Bumped when a fleet apply ends, so the host being viewed is read again.
  const [fleetRuns, setFleetRuns] = useState(0);
  const [reads, setReads] = useState<ReadonlyMap<string, readonly GpuMigState[]>>(new Map());

  const all = useMemo(() => gpus.data ?? [], [gpus.data]);
  const hostNames = useMemo(() => [...new Set(all.map((g) => g.host))].sort(), [all]);
  const viewed = section && hostNames.includes(section) ? section : null;
  const rows = useMemo(() => sorted(all, sortKey), [all, sortKey]);
  const summaries = useMemo(() => modelSummaries(all, reads), [all, reads]);

  const onRead = useCallback(
    (host: string, states: readonly GpuMigState[]) => setReads((now) => new Map(now).set(host, states)),
    [],
  );
  const view = (host: string | null) => (host ? navigate('gpus', host) : navigate('gpus'));

  const columns: Column<Gpu>[] = [
    {
      header: 'Host',
      cell: (g) => (
        <button
          type="button"
          className="link-button"
          onClick={() => view(g.host)}
          aria-label={`View GPUs of ${g.host}`}
        >
          <strong>{g.host}</strong>
        </button>
      ),
    },
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
    {
      header: 'Slots used',
      kind: 'numeric',
      cell: (g) => {
        const s = reads.get(g.host)?.find((x) => x.uuid === g.uuid);
        if (s) return s.migCurrent ? usedSlots(s) : <span className="muted">—</span>;
        // Not read in this window: what the console last read of it, if anything.
        return g.migMode === 'enabled' && g.gpuInstances ? (
          usedSlots({ gpuInstances: g.gpuInstances })
        ) : (
          <span className="muted">—</span>
        );
      },
    },
    { header: 'Bus ID', kind: 'mono', cell: (g) => g.busId ?? '—' },
  ];

  return (
    <>
      <PageHeader
        title="GPUs"
        description="GPUs discovered on the inventory hosts and their MIG partitioning: slot maps per host, layouts planned before they are applied, and fleet-wide applies."
        actions={
          <RefreshButton
            onRefresh={() => {
              gpus.reload();
              hosts.reload();
              layouts.reload();
            }}
            busy={gpus.loading}
          />
        }
      />
      {layouts.error && (
        <ErrorBanner
          title="Could not load the named MIG layouts"
          error={layouts.error}
          onRetry={layouts.reload}
        />
      )}
      <Loadable state={gpus} what="the GPUs">
        {(list) =>
          list.length === 0 ? (
            <EmptyState icon="gpu" title="No GPUs discovered yet" commands={['enclave hosts discover --all']}>
              <p>
                GPUs are read from each host with <code>nvidia-smi</code>. Add hosts on the Hosts page, then
                run discovery there (Discover, or Discover all).
              </p>
            </EmptyState>
          ) : (
            <div className="gpus-workspace">
              <section aria-labelledby="gpu-summary-heading" className="gpu-summary">
                <h2 id="gpu-summary-heading" className="visually-hidden">
                  Fleet summary
                </h2>
                <ul className="gpu-models" aria-label="GPU models">
                  {summaries.map((m) => (
                    <ModelCard key={m.model} summary={m} />
                  ))}
                </ul>
              </section>

              <div className="host-picker" id="gpu.apply">
                <Labelled label="Host">
                  {(id) => (
                    <select id={id} value={viewed ?? ''} onChange={(e) => view(e.target.value || null)}>
                      <option value="">Choose a host to see its slot maps…</option>
                      {hostNames.map((h) => (
                        <option key={h} value={h}>
                          {h} ({plural(list.filter((g) => g.host === h).length, 'GPU')})
                        </option>
                      ))}
                    </select>
                  )}
                </Labelled>
                {viewed ? (
                  <button type="button" className="button button-quiet" onClick={() => view(null)}>
                    Close host view
                  </button>
                ) : (
                  <p className="muted">
                    A host&apos;s GPUs are read over SSH when you open it; its slot maps, the layout editor
                    and plans are there.
                  </p>
                )}
              </div>

              {viewed && (
                <HostGpuView
                  key={viewed}
                  host={viewed}
                  layouts={layouts.data ?? NO_LAYOUTS}
                  onRead={onRead}
                  readAgain={fleetRuns}
                />
              )}

              <FleetPanel
                hosts={hosts.data ?? []}
                gpus={list}
                layouts={layouts.data ?? NO_LAYOUTS}
                onFinished={() => setFleetRuns((n) => n + 1)}
              />

              <section className="all-gpus" aria-labelledby="all-gpus-heading">
                <div className="section-header">
                  <h2 id="all-gpus-heading">All GPUs</h2>
                  <div className="section-actions">
                    <span className="muted small">
                      {plural(list.length, 'GPU')} on {plural(hostNames.length, 'host')}
                    </span>
                    <div className="segmented" role="group" aria-label="Sort GPUs by">
                      <button
                        type="button"
                        aria-pressed={sortKey === 'host'}
                        onClick={() => setSortKey('host')}
                      >
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
                </div>
                <DataTable label="GPUs" columns={columns} rows={rows} rowKey={(g) => g.uuid} />
              </section>
            </div>
          )
        }
      </Loadable>
    </>
  );
}

function ModelCard({ summary: m }: { summary: ModelSummary }) {
  const free = m.read.total - m.read.allocated;
  return (
    <li className="gpu-model">
      <span className="gpu-model-name">{m.model}</span>
      <span className="gpu-model-count">{plural(m.count, 'GPU')}</span>
      <span className="muted">
        {formatMiB(m.memoryMiB)} each · on {plural(m.hosts, 'host')}
        {m.key ? ` · ${m.key}, ${m.memorySlots} memory slots` : ' · not in the MIG catalogue'}
      </span>
      <span className="badge-list">
        <Badge tone="accent">MIG on {m.migOn}</Badge>
        <Badge>MIG off {m.migOff}</Badge>
        {m.migUnsupported > 0 && <Badge tone="warn">no MIG {m.migUnsupported}</Badge>}
      </span>
      {m.read.gpus > 0 ? (
        <div className="progress gpu-model-slots">
          <div className="progress-label">
            <span>
              {m.read.allocated} allocated · {free} free
            </span>
            <span className="muted">
              of {m.read.total} slots on {plural(m.read.gpus, 'MIG GPU')} read by the console
            </span>
          </div>
          <progress
            max={Math.max(1, m.read.total)}
            value={m.read.allocated}
            aria-label={`Memory slots allocated on ${m.model}`}
            aria-valuetext={`${m.read.allocated} of ${m.read.total} memory slots allocated, ${free} free`}
          />
        </div>
      ) : (
        <span className="muted small">Memory slots: not read yet; open a host below to read them.</span>
      )}
    </li>
  );
}
