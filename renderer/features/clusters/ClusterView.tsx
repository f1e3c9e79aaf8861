import { useId, useState } from 'react';
import type { ClusterNodeView } from '../../../shared/api';
import type { ConsoleError } from '../../../shared/errors';
import { toConsoleError, useProcedure } from '../../app/calls';
import { useClient } from '../../app/connection';
import { Badge } from '../../ui/Badge';
import { DataTable, type Column } from '../../ui/DataTable';
import { Dialog } from '../../ui/Dialog';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Icon } from '../../ui/Icon';
import { Loadable } from '../../ui/Loadable';
import { Timestamp } from '../../ui/Timestamp';
import { gpuResources, MIG_STATE_TONE, resourceLabel } from './model';

/**
 * One cluster read now (clusters.view): version, the GPU Operator and what its presence was judged
 * on, and per node its readiness, GPU product and count, MIG strategy and config with the MIG
 * manager's state, and the capacity and allocatable of `nvidia.com/gpu` and every MIG resource.
 */
export function ClusterView({
  cluster,
  mayRemove,
  onClose,
  onRemoved,
}: {
  cluster: string;
  mayRemove: boolean;
  onClose: () => void;
  onRemoved: (name: string) => void;
}) {
  const view = useProcedure('clusters.view', { cluster });
  const capacity = useProcedure('tenants.capacity', { cluster });
  const headingId = useId();
  const [removing, setRemoving] = useState(false);

  return (
    <section className="panel cluster-view" aria-labelledby={headingId}>
      <div className="panel-header">
        <h2 id={headingId}>Cluster {cluster}</h2>
        <div className="cluster-actions">
          <button
            type="button"
            className="button"
            onClick={() => {
              view.reload();
              capacity.reload();
            }}
            disabled={view.loading}
          >
            <Icon name="refresh" size={14} />
            Read again
          </button>
          {mayRemove && (
            <button type="button" className="button cluster-danger" onClick={() => setRemoving(true)}>
              Remove cluster…
            </button>
          )}
          <button type="button" className="button button-quiet" onClick={onClose}>
            Close cluster view
          </button>
        </div>
      </div>
      <Loadable state={view} what={`cluster ${cluster}`}>
        {(v) => {
          const resources = gpuResources(v.nodes);
          const nodeColumns: Column<ClusterNodeView>[] = [
            { header: 'Node', cell: (n) => <strong>{n.name}</strong> },
            {
              header: 'Ready',
              cell: (n) => (
                <span className="badge-list">
                  <Badge tone={n.ready ? 'ok' : 'danger'}>{n.ready ? 'ready' : 'not ready'}</Badge>
                  {n.unschedulable && <Badge tone="warn">cordoned</Badge>}
                </span>
              ),
            },
            { header: 'Kubelet', kind: 'mono', cell: (n) => n.kubeletVersion ?? '—' },
            { header: 'GPU product', cell: (n) => n.gpuProduct ?? <span className="muted">no GPUs</span> },
            { header: 'GPUs', kind: 'numeric', cell: (n) => n.gpuCount ?? '—' },
            {
              header: 'MIG strategy',
              cell: (n) =>
                n.migStrategy ?? <span className="muted">{n.migCapable ? 'not set' : 'no MIG'}</span>,
            },
            {
              header: 'MIG config',
              cell: (n) =>
                n.migConfig ? (
                  <span className="badge-list">
                    <code>{n.migConfig}</code>
                    {n.migConfigState && (
                      <Badge tone={MIG_STATE_TONE[n.migConfigState] ?? 'neutral'}>{n.migConfigState}</Badge>
                    )}
                  </span>
                ) : (
                  <span className="muted">—</span>
                ),
            },
          ];
          return (
            <div className="cluster-body">
              <dl className="facts">
                <dt>Kubernetes</dt>
                <dd>
                  {v.version}
                  {v.platform && <span className="muted"> · {v.platform}</span>}
                </dd>
                <dt>API server</dt>
                <dd className="mono">{v.server}</dd>
                <dt>Context</dt>
                <dd className="mono">{v.context}</dd>
                <dt>GPU Operator</dt>
                <dd>
                  <span className="badge-list">
                    <Badge tone={v.gpuOperator.present ? 'ok' : 'warn'}>
                      {v.gpuOperator.present ? 'present' : 'not found'}
                    </Badge>
                    {v.gpuOperator.namespace && (
                      <span className="muted">
                        in namespace <code>{v.gpuOperator.namespace}</code>
                      </span>
                    )}
                  </span>
                  <p className="muted small sentence operator-evidence">{v.gpuOperator.evidence}</p>
                </dd>
                <dt>Read</dt>
                <dd>
                  <Timestamp value={v.readAt} />
                </dd>
              </dl>

              <section aria-labelledby={`${headingId}-totals`}>
                <h3 id={`${headingId}-totals`} className="cluster-subheading">
                  Allocatable GPU resources
                </h3>
                {Object.keys(v.totals).length === 0 ? (
                  <p className="muted">No node offers nvidia.com/gpu or MIG resources.</p>
                ) : (
                  <ul className="resource-totals" aria-label={`GPU resource totals on ${cluster}`}>
                    {Object.entries(v.totals)
                      .sort(([a], [b]) => resourceOrder(a, b))
                      .map(([resource, total]) => (
                        <li key={resource} className="resource-total">
                          <span className="resource-total-count">{total}</span>
                          <span className="mono small">{resource}</span>
                        </li>
                      ))}
                  </ul>
                )}
              </section>

              <section aria-labelledby={`${headingId}-nodes`}>
                <h3 id={`${headingId}-nodes`} className="cluster-subheading">
                  Nodes <span className="muted">· {v.nodes.length}</span>
                </h3>
                <DataTable
                  label={`Nodes of ${cluster}`}
                  columns={nodeColumns}
                  rows={v.nodes}
                  rowKey={(n) => n.name}
                />
              </section>

              <section aria-labelledby={`${headingId}-reserved`}>
                <h3 id={`${headingId}-reserved`} className="cluster-subheading">
                  Reserved by tenant quotas
                </h3>
                {capacity.error ? (
                  <ErrorBanner
                    title="Could not read the tenants' reservations"
                    error={capacity.error}
                    onRetry={capacity.reload}
                  />
                ) : !capacity.data ? (
                  <p className="muted">Reading the tenants&apos; quotas…</p>
                ) : capacity.data.rows.length === 0 ? (
                  <p className="muted">No GPU or MIG resource is offered or reserved on this cluster.</p>
                ) : (
                  <div className="table-card">
                    <table className="table" aria-label={`GPU reservations on ${cluster}`}>
                      <thead>
                        <tr>
                          <th scope="col">Resource</th>
                          <th scope="col" className="cell-numeric">
                            Offered
                          </th>
                          <th scope="col" className="cell-numeric">
                            In host layouts
                          </th>
                          <th scope="col" className="cell-numeric">
                            Reserved by tenants
                          </th>
                          <th scope="col" className="cell-numeric">
                            Free
                          </th>
                        </tr>
                      </thead>
                      <tbody>
                        {capacity.data.rows.map((r) => (
                          <tr key={r.resource} className={r.free < 0 ? 'reservation-over' : undefined}>
                            <td className="cell-mono">{r.resource}</td>
                            <td className="cell-numeric">{r.offered}</td>
                            <td className="cell-numeric">{r.inHostLayouts ?? '—'}</td>
                            <td className="cell-numeric">{r.reservedByOthers}</td>
                            <td className="cell-numeric">
                              {r.free < 0 ? <Badge tone="danger">over by {-r.free}</Badge> : r.free}
                            </td>
                          </tr>
                        ))}
                      </tbody>
                    </table>
                  </div>
                )}
              </section>

              {resources.length > 0 && (
                <section aria-labelledby={`${headingId}-resources`}>
                  <h3 id={`${headingId}-resources`} className="cluster-subheading">
                    GPU and MIG resources by node
                  </h3>
                  <div className="table-card">
                    <table className="table" aria-label={`GPU resources by node on ${cluster}`}>
                      <thead>
                        <tr>
                          <th scope="col">Node</th>
                          <th scope="col">Resource</th>
                          <th scope="col" className="cell-numeric">
                            Capacity
                          </th>
                          <th scope="col" className="cell-numeric">
                            Allocatable
                          </th>
                        </tr>
                      </thead>
                      <tbody>
                        {v.nodes.flatMap((n) =>
                          resources
                            .filter((r) => r in n.capacity || r in n.allocatable)
                            .map((r) => (
                              <tr key={`${n.name}/${r}`}>
                                <td>{n.name}</td>
                                <td className="cell-mono" title={r}>
                                  {resourceLabel(r)}
                                </td>
                                <td className="cell-numeric">{n.capacity[r] ?? '—'}</td>
                                <td className="cell-numeric">{n.allocatable[r] ?? '—'}</td>
                              </tr>
                            )),
                        )}
                      </tbody>
                      <tfoot>
                        {resources.map((r) => (
                          <tr key={r} className="resource-total-row">
                            <th scope="row">Total</th>
                            <td className="cell-mono">{resourceLabel(r)}</td>
                            <td className="cell-numeric">{sumOf(v.nodes, 'capacity', r)}</td>
                            <td className="cell-numeric">
                              {v.totals[r] ?? sumOf(v.nodes, 'allocatable', r)}
                            </td>
                          </tr>
                        ))}
                      </tfoot>
                    </table>
                  </div>
                </section>
              )}
            </div>
          );
        }}
      </Loadable>
      <RemoveClusterDialog
        open={removing}
        cluster={cluster}
        onClose={() => setRemoving(false)}
        onRemoved={() => {
          setRemoving(false);
          onRemoved(cluster);
        }}
      />
    </section>
  );
}

function sumOf(
  nodes: readonly ClusterNodeView[],
  field: 'capacity' | 'allocatable',
  resource: string,
): number {
  return nodes.reduce((sum, n) => sum + (Number(n[field][resource] ?? 0) || 0), 0);
}

/** nvidia.com/gpu first, then the MIG profiles by name. */
function resourceOrder(a: string, b: string): number {
  if (a === b) return 0;
  if (a === 'nvidia.com/gpu') return -1;
  if (b === 'nvidia.com/gpu') return 1;
  return a.localeCompare(b, 'en', { numeric: true });
}

function RemoveClusterDialog({
  open,
  cluster,
  onClose,
  onRemoved,
}: {
  open: boolean;
  cluster: string;
  onClose: () => void;
  onRemoved: () => void;
}) {
  const client = useClient();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ConsoleError | undefined>();
  const remove = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await client.call('clusters.remove', { cluster });
      onRemoved();
    } catch (caught) {
      setError(toConsoleError(caught));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Dialog
      open={open}
      onClose={() => {
        setError(undefined);
        onClose();
      }}
      title={`Remove cluster ${cluster}?`}
    >
      <div className="form">
        {error && <ErrorBanner title="The cluster was not removed" error={error} />}
        <p>
          The console forgets <strong>{cluster}</strong> and its stored credentials. Nothing on the cluster
          changes. It is refused while tenants are recorded on it.
        </p>
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose} data-autofocus disabled={busy}>
            Cancel
          </button>
          <button
            type="button"
            className="button cluster-danger"
            onClick={() => void remove()}
            aria-busy={busy}
            disabled={busy}
          >
            {busy && <span className="spinner" aria-hidden="true" />}
            Remove {cluster}
          </button>
        </div>
      </div>
    </Dialog>
  );
}
