import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { EventOf, InputOf } from '../../../shared/client';
import type { ConsoleError } from '../../../shared/errors';
import { mayCall, rolesAllowedFor, toConsoleError, useProcedure } from '../../app/calls';
import { useClient } from '../../app/connection';
import { useSession } from '../../app/session';
import { Badge, type Tone } from '../../ui/Badge';
import { Dialog } from '../../ui/Dialog';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Icon } from '../../ui/Icon';
import { Loadable } from '../../ui/Loadable';
import { Timestamp } from '../../ui/Timestamp';
import { plural } from '../../ui/format';
import type { Host } from '../hosts/model';
import {
  catalogModel,
  hostsWithLabels,
  parseLabels,
  type FleetRun,
  type Gpu,
  type NamedLayout,
} from './model';
import { OUTCOME_TONE } from './PlanPanel';
import { Labelled } from './Labelled';

type FleetEvent = EventOf<'gpu.fleetApply'>;
type HostStatus = FleetRun['hosts'][number]['status'];

const RUN_TONE: Record<FleetRun['status'], Tone> = {
  running: 'accent',
  done: 'ok',
  stopped: 'warn',
  interrupted: 'warn',
};

const HOST_TONE: Record<HostStatus, Tone> = {
  pending: 'neutral',
  running: 'accent',
  done: 'ok',
  failed: 'danger',
  skipped: 'neutral',
};

interface LiveHost {
  status: HostStatus;
  gpu?: number;
  description?: string;
}

interface LiveRun {
  title: string;
  status: 'running' | 'done' | 'failed';
  order: string[];
  hosts: Record<string, LiveHost>;
  output?: FleetRun;
  error?: ConsoleError;
}

/**
 * A named layout across the hosts chosen by labels (gpu.fleetApply): a canary host first, then
 * batches, stopping once failures pass the limit. Progress streams per host and GPU; recent runs
 * are listed with their hosts, and a stopped or interrupted run can be resumed.
 */
export function FleetPanel({
  hosts,
  gpus,
  layouts,
  onFinished,
}: {
  hosts: readonly Host[];
  gpus: readonly Gpu[];
  layouts: readonly NamedLayout[];
  /** A run ended (done, stopped or failed): GPUs may have changed. */
  onFinished: () => void;
}) {
  const client = useClient();
  const { session } = useSession();
  const roles = session.operator.roles;
  const mayApply = mayCall('gpu.fleetApply', roles);
  const isAdmin = roles.includes('admin');
  const runs = useProcedure('gpu.fleetRuns', { limit: 20 });
  const headingId = useId();
  const [layout, setLayout] = useState('');
  const [labelsText, setLabelsText] = useState('');
  const [models, setModels] = useState<ReadonlySet<string>>(new Set());
  const [batchSize, setBatchSize] = useState(4);
  const [maxFailures, setMaxFailures] = useState(0);
  const [canary, setCanary] = useState('');
  const [force, setForce] = useState(false);
  const [confirming, setConfirming] = useState(false);
  const [live, setLive] = useState<LiveRun | null>(null);
  const controller = useRef<AbortController | null>(null);
  const liveRef = useRef<HTMLDivElement>(null);

  const { labels, problem } = parseLabels(labelsText);
  const selected = useMemo(() => hostsWithLabels(hosts, labels), [hosts, labels]);
  const knownPairs = useMemo(
    () => [...new Set(hosts.flatMap((h) => Object.entries(h.labels).map(([k, v]) => `${k}=${v}`)))].sort(),
    [hosts],
  );
  const fleetModels = useMemo(
    () => [...new Set(gpus.flatMap((g) => catalogModel(g)?.key ?? []))].sort(),
    [gpus],
  );
  const canaryHost = selected.includes(canary) ? canary : selected[0];
  const order = canaryHost ? [canaryHost, ...selected.filter((h) => h !== canaryHost)] : [];
  const ready = mayApply && layout !== '' && problem === null && selected.length > 0;

  useEffect(() => {
    if (live?.status === 'running') liveRef.current?.scrollIntoView({ block: 'nearest' });
  }, [live?.status]);

  const startRun = (title: string, hostOrder: string[], input: InputOf<'gpu.fleetApply'>) => {
    const abort = new AbortController();
    controller.current = abort;
    setLive({
      title,
      status: 'running',
      order: hostOrder,
      hosts: Object.fromEntries(hostOrder.map((h) => [h, { status: 'pending' as const }])),
    });
    // The run is recorded before its first host starts: list it as running.
    setTimeout(runs.reload, 300);
    client
      .call('gpu.fleetApply', input, {
        signal: abort.signal,
        onEvent: (event: FleetEvent) =>
          setLive((r) => {
            if (!r) return r;
            const order = r.order.includes(event.host) ? r.order : [...r.order, event.host];
            const host: LiveHost =
              event.gpu === undefined
                ? { status: event.status }
                : {
                    status: event.status,
                    gpu: event.gpu,
                    ...(event.description !== undefined ? { description: event.description } : {}),
                  };
            return { ...r, order, hosts: { ...r.hosts, [event.host]: host } };
          }),
      })
      .then(
        (output) =>
          setLive((r) =>
            r
              ? {
                  ...r,
                  status: 'done',
                  output,
                  hosts: Object.fromEntries(output.hosts.map((h) => [h.host, { status: h.status }])),
                  order: output.hosts.map((h) => h.host),
                }
              : r,
          ),
        (error: unknown) =>
          setLive((r) => (r ? { ...r, status: 'failed', error: toConsoleError(error) } : r)),
      )
      .finally(() => {
        if (controller.current === abort) controller.current = null;
        runs.reload();
        onFinished();
      });
  };

  const start = () => {
    setConfirming(false);
    startRun(`${layout} on ${plural(order.length, 'host')}`, order, {
      layout,
      labels,
      ...(models.size > 0 ? { models: [...models] } : {}),
      ...(canaryHost && canary ? { canary: canaryHost } : {}),
      batchSize,
      maxFailures,
      force,
    });
  };

  const [resuming, setResuming] = useState<FleetRun | null>(null);
  const resume = (run: FleetRun) => {
    setResuming(null);
    startRun(
      `Resume ${run.id} (${run.layoutName})`,
      run.hosts.map((h) => h.host),
      { resume: run.id },
    );
  };

  const running = live?.status === 'running';

  return (
    <section className="fleet-panel panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <h2 id={headingId}>Fleet apply</h2>
      </div>
      <p className="muted">
        A named layout on every host with the chosen labels: the canary host alone first, then batches. A run
        stops once more hosts fail than the limit allows, and can be resumed.
      </p>
      {!mayApply && <p className="muted">Fleet applies need the {rolesAllowedFor('gpu.fleetApply')} role.</p>}
      {mayApply && (
        <form
          className="fleet-form"
          aria-label="Fleet apply"
          onSubmit={(e) => {
            e.preventDefault();
            if (ready) setConfirming(true);
          }}
        >
          <div className="fleet-fields">
            <Labelled label="Layout">
              {(id) => (
                <select id={id} value={layout} onChange={(e) => setLayout(e.target.value)} disabled={running}>
                  <option value="">Choose a layout…</option>
                  {layouts.map((l) => (
                    <option key={l.name} value={l.name}>
                      {l.name}
                    </option>
                  ))}
                </select>
              )}
            </Labelled>
            <Labelled className="fleet-labels" label="Labels">
              {(id) => (
                <>
                  <input
                    id={id}
                    value={labelsText}
                    onChange={(e) => setLabelsText(e.target.value)}
                    placeholder="zone=zone-a rack=rack-1 (empty: every host)"
                    list="fleet-label-pairs"
                    aria-invalid={problem !== null}
                    disabled={running}
                  />
                  <datalist id="fleet-label-pairs">
                    {knownPairs.map((p) => (
                      <option key={p} value={p} />
                    ))}
                  </datalist>
                </>
              )}
            </Labelled>
            <Labelled className="fleet-number" label="Batch size">
              {(id) => (
                <>
                  <input
                    id={id}
                    type="number"
                    min={1}
                    max={256}
                    value={batchSize}
                    onChange={(e) => setBatchSize(Math.max(1, Math.min(256, Number(e.target.value) || 1)))}
                    disabled={running}
                  />
                </>
              )}
            </Labelled>
            <Labelled className="fleet-number" label="Max failures">
              {(id) => (
                <>
                  <input
                    id={id}
                    type="number"
                    min={0}
                    max={1000}
                    value={maxFailures}
                    onChange={(e) => setMaxFailures(Math.max(0, Math.min(1000, Number(e.target.value) || 0)))}
                    disabled={running}
                  />
                </>
              )}
            </Labelled>
            <Labelled label="Canary host">
              {(id) => (
                <select
                  id={id}
                  value={canaryHost ?? ''}
                  onChange={(e) => setCanary(e.target.value)}
                  disabled={running}
                >
                  {selected.map((h) => (
                    <option key={h} value={h}>
                      {h}
                    </option>
                  ))}
                </select>
              )}
            </Labelled>
          </div>
          {fleetModels.length > 0 && (
            <fieldset className="gpu-picks">
              <legend>Only these models (none: every model)</legend>
              {fleetModels.map((m) => (
                <label key={m} className="choice">
                  <input
                    type="checkbox"
                    checked={models.has(m)}
                    disabled={running}
                    onChange={(e) => {
                      const next = new Set(models);
                      if (e.target.checked) next.add(m);
                      else next.delete(m);
                      setModels(next);
                    }}
                  />
                  <span>{m}</span>
                </label>
              ))}
            </fieldset>
          )}
          {isAdmin && (
            <label className="choice">
              <input
                type="checkbox"
                checked={force}
                onChange={(e) => setForce(e.target.checked)}
                disabled={running}
              />
              <span>Force while processes run (administrators only)</span>
            </label>
          )}
          <p className={problem ? 'text-danger' : 'muted'} aria-live="polite">
            {problem
              ? `Labels: ${problem}`
              : selected.length === 0
                ? 'No host has all of these labels.'
                : `Selects ${plural(selected.length, 'host')}: ${selected.slice(0, 12).join(', ')}${selected.length > 12 ? `, and ${selected.length - 12} more` : ''}`}
          </p>
          <div className="form-actions">
            <button type="submit" className="button button-primary" disabled={!ready || running}>
              <Icon name="play" size={14} />
              Start fleet apply…
            </button>
          </div>
        </form>
      )}

      <Dialog open={confirming} onClose={() => setConfirming(false)} title="Start this fleet apply?">
        <div className="form">
          <p>
            <strong>{layout}</strong> on {plural(order.length, 'host')}
            {models.size > 0 ? ` (only ${[...models].join(', ')})` : ''}: {canaryHost} first alone, then
            batches of {batchSize}; the run stops after {plural(maxFailures + 1, 'failed host')}.
          </p>
          <FleetPlanPreview layout={layout} labels={labels} models={[...models]} force={force} />
          <p className="muted">
            Each host is planned again from its state read when its turn comes and applied GPU by GPU with
            read-back and rollback; every plan and step goes into the audit ledger.
          </p>
          {force && <p className="text-danger">Forced: processes on these GPUs may be cut off.</p>}
          <div className="form-actions">
            <button type="button" className="button" onClick={() => setConfirming(false)} data-autofocus>
              Cancel
            </button>
            <button type="button" className="button button-primary" onClick={start}>
              Start
            </button>
          </div>
        </div>
      </Dialog>

      <Dialog open={resuming !== null} onClose={() => setResuming(null)} title="Resume this fleet run?">
        {resuming && (
          <div className="form">
            <p>
              <code>{resuming.id}</code>: <strong>{resuming.layoutName}</strong>, started by{' '}
              {resuming.startedBy}.{' '}
              {plural(
                resuming.hosts.filter((h) => h.status !== 'done' && h.status !== 'skipped').length,
                'host',
              )}{' '}
              not done are applied again, with the run&apos;s first settings.
            </p>
            {resuming.note && <p className="muted sentence">It stopped: {resuming.note}</p>}
            <div className="form-actions">
              <button type="button" className="button" onClick={() => setResuming(null)} data-autofocus>
                Cancel
              </button>
              <button type="button" className="button button-primary" onClick={() => resume(resuming)}>
                Resume
              </button>
            </div>
          </div>
        )}
      </Dialog>

      {live && (
        <div ref={liveRef} className="fleet-live" role="region" aria-label="Fleet progress">
          <div className="section-header">
            <h3>{live.title}</h3>
            {live.status === 'running' ? (
              <button
                type="button"
                className="button"
                onClick={() => controller.current?.abort()}
                disabled={!controller.current}
              >
                Stop after this batch
              </button>
            ) : (
              <button type="button" className="button button-quiet" onClick={() => setLive(null)}>
                Hide progress
              </button>
            )}
          </div>
          {live.status === 'running' && (
            <div className="loading" role="status">
              <span className="spinner" aria-hidden="true" />
              {plural(Object.values(live.hosts).filter((h) => h.status === 'done').length, 'host')} done of{' '}
              {live.order.length}…
            </div>
          )}
          {live.output && (
            <p role="status">
              Run <code>{live.output.id}</code>:{' '}
              <Badge tone={RUN_TONE[live.output.status]}>{live.output.status}</Badge>
              {live.output.note && <span className="sentence"> {live.output.note}</span>}
            </p>
          )}
          {live.error && <ErrorBanner title="The fleet apply did not finish" error={live.error} />}
          <div className="table-card">
            <table className="table" aria-label="Fleet hosts">
              <thead>
                <tr>
                  <th scope="col">Host</th>
                  <th scope="col">Status</th>
                  <th scope="col">Now</th>
                </tr>
              </thead>
              <tbody>
                {live.order.map((h) => {
                  const host = live.hosts[h] ?? { status: 'pending' as const };
                  const result = live.output?.hosts.find((x) => x.host === h);
                  return (
                    <tr key={h}>
                      <td>
                        <strong>{h}</strong>
                      </td>
                      <td>
                        <Badge tone={HOST_TONE[host.status]}>{host.status}</Badge>
                      </td>
                      <td>
                        {result ? (
                          <HostResult result={result} />
                        ) : host.gpu !== undefined ? (
                          <span>
                            GPU {host.gpu}: <span className="muted">{host.description}</span>
                          </span>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        </div>
      )}

      <h3>Recent fleet runs</h3>
      {runs.error && (
        <ErrorBanner title="Could not load the fleet runs" error={runs.error} onRetry={runs.reload} />
      )}
      {runs.data && runs.data.length === 0 && <p className="muted">No fleet apply has run yet.</p>}
      {runs.data && runs.data.length > 0 && (
        <div className="table-card">
          <table className="table" aria-label="Recent fleet runs">
            <thead>
              <tr>
                <th scope="col">Run</th>
                <th scope="col">Layout</th>
                <th scope="col">Status</th>
                <th scope="col">Started</th>
                <th scope="col">Hosts</th>
                <th scope="col">
                  <span className="visually-hidden">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {runs.data.map((run) => (
                <tr key={run.id}>
                  <td className="cell-mono">{run.id}</td>
                  <td>{run.layoutName}</td>
                  <td>
                    <Badge tone={RUN_TONE[run.status]}>{run.status}</Badge>
                    {run.note && <div className="muted small sentence">{run.note}</div>}
                  </td>
                  <td>
                    <Timestamp value={run.startedAt} /> <span className="muted">by {run.startedBy}</span>
                  </td>
                  <td>
                    <RunHosts run={run} />
                  </td>
                  <td className="cell-numeric">
                    {mayApply && (run.status === 'stopped' || run.status === 'interrupted') && (
                      <button
                        type="button"
                        className="button"
                        aria-label={`Resume fleet run ${run.id}`}
                        onClick={() => setResuming(run)}
                        disabled={running}
                      >
                        Resume
                      </button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function HostResult({ result }: { result: FleetRun['hosts'][number] }) {
  return (
    <span className="badge-list">
      {result.gpus.map((g) => (
        <Badge key={g.gpu} tone={OUTCOME_TONE[g.outcome]}>
          GPU {g.gpu} {g.outcome}
        </Badge>
      ))}
      {result.error && <span className="text-danger sentence">{result.error}</span>}
    </span>
  );
}

function RunHosts({ run }: { run: FleetRun }) {
  const count = (s: HostStatus) => run.hosts.filter((h) => h.status === s).length;
  const parts = (['done', 'failed', 'running', 'pending', 'skipped'] as const)
    .filter((s) => count(s) > 0)
    .map((s) => `${count(s)} ${s}`);
  return (
    <details className="run-hosts">
      <summary>
        {parts.join(' · ')} <span className="muted">of {run.hosts.length}</span>
      </summary>
      <ul>
        {run.hosts.map((h) => (
          <li key={h.host}>
            <strong>{h.host}</strong> <Badge tone={HOST_TONE[h.status]}>{h.status}</Badge>{' '}
            <HostResult result={h} />
          </li>
        ))}
      </ul>
    </details>
  );
}

/** What every selected host would get, planned from its state now (gpu.fleetPlan), before starting. */
function FleetPlanPreview({
  layout,
  labels,
  models,
  force,
}: {
  layout: string;
  labels: Record<string, string>;
  models: string[];
  force: boolean;
}) {
  const preview = useProcedure('gpu.fleetPlan', {
    layout,
    labels,
    ...(models.length > 0 ? { models } : {}),
    force,
  });
  return (
    <Loadable state={preview} what="the plans of the selected hosts">
      {({ hosts: planned }) => (
        <table className="table" aria-label="Fleet plan">
          <thead>
            <tr>
              <th scope="col">Host</th>
              <th scope="col">GPUs</th>
              <th scope="col">Steps</th>
              <th scope="col">Problems</th>
            </tr>
          </thead>
          <tbody>
            {planned.map((h) => (
              <tr key={h.host}>
                <td className="mono">{h.host}</td>
                <td>{h.gpus.length}</td>
                <td>{h.gpus.reduce((n, g) => n + g.steps.length, 0)}</td>
                <td className={h.error || h.gpus.some((g) => !g.ok) ? 'text-danger' : 'muted'}>
                  {h.error ??
                    (h.gpus.flatMap((g) => g.problems.map((p) => `GPU ${g.gpu}: ${p.message}`)).join('; ') ||
                      'none')}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </Loadable>
  );
}
