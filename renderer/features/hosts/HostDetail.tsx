import { Badge } from '../../ui/Badge';
import { CopyValue } from '../../ui/CopyValue';
import { DataTable, type Column } from '../../ui/DataTable';
import { Icon } from '../../ui/Icon';
import { Timestamp } from '../../ui/Timestamp';
import { formatMiB, hostStatus, labelPairs, MIG_TONE, type Gpu, type Host, type HostContact } from './model';
import { lazy, Suspense, useState } from 'react';
import { mayCall } from '../../app/calls';
import { useSession } from '../../app/session';
import { RunCommand } from './RunCommand';
// xterm.js is most of the bundle: load it when a host detail is first shown, not at start-up.
const TerminalPanel = lazy(() => import('./TerminalPanel').then((m) => ({ default: m.TerminalPanel })));
const TerminalRecordings = lazy(() =>
  import('./TerminalRecordings').then((m) => ({ default: m.TerminalRecordings })),
);

const gpuColumns: Column<Gpu>[] = [
  { header: 'GPU', kind: 'numeric', cell: (g) => g.index },
  { header: 'Model', cell: (g) => g.model },
  { header: 'Memory', kind: 'numeric', cell: (g) => formatMiB(g.memoryMiB) },
  {
    header: 'MIG',
    cell: (g) => (
      <span className="badge-list">
        <Badge tone={MIG_TONE[g.migMode]}>{g.migMode}</Badge>
        {g.migPending !== g.migMode && <Badge tone="warn">pending {g.migPending}</Badge>}
      </span>
    ),
  },
  { header: 'MIG devices', kind: 'numeric', cell: (g) => g.migDevices },
  { header: 'Bus ID', kind: 'mono', cell: (g) => g.busId ?? '—' },
];

export function HostDetail({
  host,
  gpus,
  contact,
  discovering,
  discoverError,
  mayOperate,
  onDiscover,
  onRan,
}: {
  host: Host;
  gpus: readonly Gpu[];
  contact: HostContact | undefined;
  discovering: boolean;
  /** The last discovery's error for this host, verbatim. */
  discoverError: string | undefined;
  mayOperate: boolean;
  onDiscover: () => void;
  onRan: () => void;
}) {
  const status = hostStatus(host, contact);
  const facts = host.facts;
  const { session } = useSession();
  const mayReplay = mayCall('terminals.recordings', session.operator.roles);
  const [terminalsEnded, setTerminalsEnded] = useState(0);
  return (
    <section className="panel host-detail" aria-label={`Host ${host.name}`}>
      <div className="panel-header">
        <div className="host-detail-title">
          <h2>{host.name}</h2>
          <Badge tone={status.tone}>
            {status.tone === 'danger' ? status.text.split(':')[0] : status.text}
          </Badge>
        </div>
        {mayOperate && (
          <button
            type="button"
            className="button"
            onClick={onDiscover}
            disabled={discovering}
            aria-busy={discovering}
          >
            {discovering ? (
              <span className="spinner" aria-hidden="true" />
            ) : (
              <Icon name="refresh" size={14} />
            )}
            {discovering ? 'Discovering…' : 'Discover'}
          </button>
        )}
      </div>
      {discoverError && (
        <div className="banner banner-danger" role="alert">
          <Icon name="alert" />
          <div className="banner-body">
            <p className="banner-title">Discovery failed on {host.name}</p>
            <pre className="discover-error">{discoverError}</pre>
          </div>
        </div>
      )}
      <div className="host-detail-grid">
        <div className="detail-block">
          <h3>Facts</h3>
          {facts ? (
            <dl className="facts" aria-label="Facts">
              <dt>Hostname</dt>
              <dd className="mono">{facts.hostname}</dd>
              <dt>OS</dt>
              <dd>{facts.os}</dd>
              <dt>Kernel</dt>
              <dd className="mono">
                {facts.kernel} <span className="muted">({facts.arch})</span>
              </dd>
              <dt>CPU</dt>
              <dd>
                {facts.cpuModel} <span className="muted">× {facts.cpuCount} threads</span>
              </dd>
              <dt>Confidential computing</dt>
              <dd className="badge-list">
                <Badge tone={facts.tee.sevSnp ? 'ok' : 'neutral'}>
                  SEV-SNP {facts.tee.sevSnp ? 'yes' : 'no'}
                </Badge>
                <Badge tone={facts.tee.tdx ? 'ok' : 'neutral'}>TDX {facts.tee.tdx ? 'yes' : 'no'}</Badge>
              </dd>
              <dt>Memory</dt>
              <dd>{formatMiB(facts.memoryMiB)}</dd>
              <dt>Discovered</dt>
              <dd>
                <Timestamp value={host.discoveredAt} />
              </dd>
            </dl>
          ) : (
            <p className="muted">Not discovered yet: Discover reads the facts and GPUs over SSH.</p>
          )}
        </div>
        <div className="detail-block">
          <h3>Connection</h3>
          <dl className="facts">
            <dt>SSH</dt>
            <dd className="mono">
              {host.user}@{host.address}:{host.port}
            </dd>
            <dt>Last seen</dt>
            <dd>
              <Timestamp value={host.lastSeenAt} empty="never" />
            </dd>
            <dt>Status</dt>
            <dd className={status.tone === 'danger' ? 'text-danger' : undefined}>{status.text}</dd>
            <dt>Labels</dt>
            <dd className="badge-list">
              {labelPairs(host.labels).map((pair) => (
                <Badge key={pair}>{pair}</Badge>
              ))}
              {labelPairs(host.labels).length === 0 && <span className="muted">none</span>}
            </dd>
          </dl>
          {host.fingerprint ? (
            <CopyValue
              label="Pinned host key"
              value={host.fingerprint}
              hint="A host presenting another key is refused; re-pinning needs an administrator."
            />
          ) : (
            <p className="muted">No host key pinned.</p>
          )}
        </div>
      </div>
      <div className="detail-block">
        <h3>GPUs</h3>
        {gpus.length > 0 ? (
          <DataTable label={`GPUs on ${host.name}`} columns={gpuColumns} rows={gpus} rowKey={(g) => g.uuid} />
        ) : (
          <p className="muted">No GPUs known on this host{facts ? '' : ' yet'}.</p>
        )}
      </div>
      {mayOperate && <RunCommand key={host.name} host={host.name} onRan={onRan} />}
      <Suspense fallback={<p className="muted">Loading the terminal…</p>}>
        {mayOperate && <TerminalPanel host={host.name} onEnded={() => setTerminalsEnded((n) => n + 1)} />}
        {mayReplay && <TerminalRecordings host={host.name} version={terminalsEnded} />}
      </Suspense>
    </section>
  );
}
