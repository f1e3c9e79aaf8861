import { Badge } from '../../ui/Badge';
import { Timestamp } from '../../ui/Timestamp';
import {
  hostStatus,
  labelPairs,
  shortModel,
  summarize,
  type Gpu,
  type Host,
  type HostContact,
} from './model';

/** The column header row; shares `hosts-grid` with the rows so the columns line up. */
export const HOST_COLUMNS = (
  <div className="hosts-grid hosts-columns">
    <span>Status</span>
    <span>Name</span>
    <span>Address</span>
    <span>GPUs</span>
    <span>MIG on</span>
    <span>Last seen (UTC)</span>
    <span>Labels</span>
  </div>
);

function gpuText(gpus: readonly Gpu[]): string {
  const summary = summarize(gpus);
  return summary.models.map((m) => `${m.count} × ${shortModel(m.model)}`).join(', ');
}

export function hostRowLabel(host: Host, gpus: readonly Gpu[], contact: HostContact | undefined): string {
  const summary = summarize(gpus);
  return [
    host.name,
    hostStatus(host, contact).text,
    `${host.address}:${host.port}`,
    gpus.length ? `${gpuText(gpus)}, MIG on ${summary.migEnabled} of ${summary.total}` : 'no GPUs known',
    ...labelPairs(host.labels),
  ].join(', ');
}

export function HostListRow({
  host,
  gpus,
  contact,
}: {
  host: Host;
  gpus: readonly Gpu[];
  contact: HostContact | undefined;
}) {
  const status = hostStatus(host, contact);
  const summary = summarize(gpus);
  return (
    <div className="hosts-grid">
      <span className="host-status" title={status.text}>
        <span className={`status-dot status-${status.tone}`} aria-hidden="true" />
        <span className="truncate">{status.text}</span>
      </span>
      <strong className="truncate">{host.name}</strong>
      <span className="mono truncate muted">
        {host.address}:{host.port}
      </span>
      <span className="truncate" title={gpuText(gpus)}>
        {gpus.length ? gpuText(gpus) : <span className="muted">—</span>}
      </span>
      <span className="mono">
        {gpus.length ? (
          <>
            {summary.migEnabled}/{summary.total}
          </>
        ) : (
          <span className="muted">—</span>
        )}
      </span>
      <span className="mono muted">
        <Timestamp value={host.lastSeenAt} empty="never" zone={false} />
      </span>
      <span className="badge-list hosts-labels">
        {labelPairs(host.labels).map((pair) => (
          <Badge key={pair}>{pair}</Badge>
        ))}
      </span>
    </div>
  );
}
