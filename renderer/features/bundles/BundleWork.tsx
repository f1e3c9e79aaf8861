import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { BundlePlan, VerifyProgress } from '../../../shared/api';
import type { EventOf, OutputOf } from '../../../shared/client';
import type { ConsoleError } from '../../../shared/errors';
import { mayCall, toConsoleError, useProcedure } from '../../app/calls';
import { useClient } from '../../app/connection';
import { useSession } from '../../app/session';
import { Badge } from '../../ui/Badge';
import { Banner } from '../../ui/Banner';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Field } from '../../ui/Field';
import { Timestamp } from '../../ui/Timestamp';
import { formatBytes, plural } from '../../ui/format';
import { PHASE_WORD, percentOf, progressText, targetNeed } from './model';

type Verified = Extract<OutputOf<'bundles.verify'>, { verified: true }>;
type InstallEvent = EventOf<'bundles.install'>;

type Step<T> =
  | { status: 'idle' }
  | { status: 'running'; progress?: VerifyProgress }
  | { status: 'done'; output: T }
  | { status: 'failed'; error: ConsoleError };

/** A progress bar with bytes, rate and time left, announced politely. */
export function ByteProgress({ progress, label }: { progress: VerifyProgress | undefined; label: string }) {
  const percent = progress ? percentOf(progress) : 0;
  return (
    <div className={`progress${percent === 100 ? ' progress-done' : ''}`} aria-live="polite">
      <div className="progress-label">
        <span>{progress ? PHASE_WORD[progress.phase] : label}</span>
        <span data-testid="bundle-progress-text">
          {progress ? `${progressText(progress)} · ${percent} %` : 'starting'}
        </span>
      </div>
      <progress max={100} value={percent} aria-label={label} aria-valuetext={`${percent} %`} />
    </div>
  );
}

/**
 * One bundle file, from verification to install: verify in place (progress), the manifest, its
 * signers against the threshold, targets, the plan (what installing will do), then import (copy
 * with re-verification) and install with per-target progress.
 */
export function BundleWork({ path, onChanged }: { path: string; onChanged: () => void }) {
  const client = useClient();
  const { session } = useSession();
  const roles = session.operator.roles;
  const mayInstall = mayCall('bundles.install', roles);
  const headingId = useId();
  const panelRef = useRef<HTMLElement>(null);
  const [verify, setVerify] = useState<Step<OutputOf<'bundles.verify'>>>({ status: 'idle' });
  const [plan, setPlan] = useState<Step<BundlePlan>>({ status: 'idle' });
  const [copy, setCopy] = useState<Step<OutputOf<'bundles.import'>>>({ status: 'idle' });
  const [install, setInstall] = useState<
    Step<OutputOf<'bundles.install'>> & { events?: Record<string, InstallEvent> }
  >({ status: 'idle' });
  const [hosts, setHosts] = useState('');
  const [cluster, setCluster] = useState('');
  const [registry, setRegistry] = useState('');
  const [repository, setRepository] = useState('');
  const clusters = useProcedure('clusters.list', {});

  useEffect(() => {
    panelRef.current?.scrollIntoView?.({ block: 'nearest' });
    setVerify({ status: 'running' });
    client
      .call('bundles.verify', { path }, { onEvent: (progress) => setVerify({ status: 'running', progress }) })
      .then(
        (output) => setVerify({ status: 'done', output }),
        (error: unknown) => setVerify({ status: 'failed', error: toConsoleError(error) }),
      );
  }, [client, path]);

  const verified: Verified | undefined =
    verify.status === 'done' && verify.output.verified ? verify.output : undefined;
  const need = verified ? targetNeed(verified.manifest.kind) : 'none';
  const targets = () => {
    const list = hosts
      .split(/[\s,]+/)
      .map((h) => h.trim())
      .filter(Boolean);
    if (need === 'hosts') return list.length ? { hosts: list } : {};
    if (need === 'cluster') return cluster ? { cluster } : {};
    if (need === 'registry')
      return { ...(registry ? { registry } : {}), ...(repository ? { repository } : {}) };
    return {};
  };

  const makePlan = (event: FormEvent) => {
    event.preventDefault();
    setPlan({ status: 'running' });
    setInstall({ status: 'idle' });
    client.call('bundles.plan', { path, ...targets() }).then(
      (output) => setPlan({ status: 'done', output }),
      (error: unknown) => setPlan({ status: 'failed', error: toConsoleError(error) }),
    );
  };

  const importAndInstall = async () => {
    if (plan.status !== 'done') return;
    const planDigest = plan.output.planDigest;
    setCopy({ status: 'running' });
    let staged: OutputOf<'bundles.import'>;
    try {
      staged = await client.call(
        'bundles.import',
        { path },
        { onEvent: (progress) => setCopy({ status: 'running', progress }) },
      );
      setCopy({ status: 'done', output: staged });
    } catch (error) {
      setCopy({ status: 'failed', error: toConsoleError(error) });
      return;
    }
    const events: Record<string, InstallEvent> = {};
    setInstall({ status: 'running', events });
    try {
      const output = await client.call(
        'bundles.install',
        { staged: staged.manifestSha256, ...targets(), planDigest },
        {
          onEvent: (e) => {
            events[e.target] = e;
            setInstall({ status: 'running', events: { ...events } });
          },
        },
      );
      setInstall({ status: 'done', output, events: { ...events } });
    } catch (error) {
      setInstall({ status: 'failed', error: toConsoleError(error), events: { ...events } });
    }
    onChanged();
  };

  const busy = plan.status === 'running' || copy.status === 'running' || install.status === 'running';

  return (
    <section ref={panelRef} className="panel bundle-work" aria-labelledby={headingId}>
      <div className="panel-header">
        <h2 id={headingId}>Bundle {path.split('/').at(-1)}</h2>
        <span className="mono muted bundle-path">{path}</span>
      </div>

      {verify.status === 'running' && (
        <ByteProgress progress={verify.progress} label="Verification progress" />
      )}
      {verify.status === 'failed' && (
        <ErrorBanner title="The bundle could not be verified" error={verify.error} />
      )}
      {verify.status === 'done' && !verify.output.verified && (
        <Banner tone="danger" title={`Refused (${verify.output.reason})`}>
          <p className="sentence">{verify.output.message}</p>
          <p className="muted">
            Nothing from this bundle can be imported or installed. The refusal is in the audit ledger.
          </p>
        </Banner>
      )}

      {verified && (
        <>
          <Banner
            tone="ok"
            title={`Verified: ${verified.manifest.name} ${verified.manifest.version}, signed by ${plural(verified.signers.length, 'trusted signer')} (${verified.threshold} needed)`}
          >
            <p className="muted">
              {formatBytes(verified.bytes)} checked in {(verified.durationMs / 1000).toFixed(1)} s; recorded
              in the audit ledger.
            </p>
          </Banner>
          <Manifest verified={verified} />

          <form className="form bundle-targets" aria-label="Install targets" onSubmit={makePlan}>
            {need === 'hosts' && (
              <Field label="Hosts" hint="Host names from the inventory, separated by commas or spaces.">
                {(p) => (
                  <input {...p} value={hosts} onChange={(e) => setHosts(e.target.value)} autoComplete="off" />
                )}
              </Field>
            )}
            {need === 'cluster' && (
              <Field label="Cluster">
                {(p) => (
                  <select {...p} value={cluster} onChange={(e) => setCluster(e.target.value)}>
                    <option value="">(the only cluster)</option>
                    {(clusters.data ?? []).map((c) => (
                      <option key={c.name} value={c.name}>
                        {c.name}
                      </option>
                    ))}
                  </select>
                )}
              </Field>
            )}
            {need === 'registry' && (
              <Field label="Registry" hint="https://registry.enclave:5000, or http://127.0.0.1:PORT">
                {(p) => <input {...p} value={registry} onChange={(e) => setRegistry(e.target.value)} />}
              </Field>
            )}
            {need === 'registry' && (
              <Field label="Repository" hint="For images named only by a tag, e.g. enclave/app (optional).">
                {(p) => <input {...p} value={repository} onChange={(e) => setRepository(e.target.value)} />}
              </Field>
            )}
            <div className="form-actions">
              <button type="submit" className="button" disabled={busy || !mayInstall}>
                Show what installing will do
              </button>
              {!mayInstall && (
                <span className="muted">Your roles do not allow planning or installing bundles.</span>
              )}
            </div>
          </form>
        </>
      )}

      {plan.status === 'running' && (
        <p className="muted" role="status">
          Planning (dry runs on the targets)…
        </p>
      )}
      {plan.status === 'failed' && <ErrorBanner title="No plan" error={plan.error} />}
      {plan.status === 'done' && <PlanView plan={plan.output} />}

      {plan.status === 'done' && plan.output.problems.length === 0 && install.status !== 'done' && (
        <div className="form-actions">
          <button
            type="button"
            className="button button-primary"
            disabled={busy}
            onClick={() => void importAndInstall()}
          >
            Import and install {plan.output.name} {plan.output.version}
          </button>
        </div>
      )}
      {copy.status === 'running' && <ByteProgress progress={copy.progress} label="Import progress" />}
      {copy.status === 'failed' && (
        <ErrorBanner title="The import failed; nothing was staged" error={copy.error} />
      )}
      {copy.status === 'done' && (
        <p className="muted" role="status">
          Staged in {copy.output.directory} (verified again while copying).
        </p>
      )}
      {(install.status === 'running' || install.status === 'done' || install.status === 'failed') &&
        install.events &&
        Object.keys(install.events).length > 0 && (
          <ul className="bundle-targets-progress" aria-label="Install progress">
            {Object.values(install.events).map((e) => (
              <li key={e.target}>
                <Badge tone={e.phase === 'done' ? 'ok' : e.phase === 'failed' ? 'danger' : 'accent'}>
                  {e.phase}
                </Badge>{' '}
                <strong>{e.target}</strong> <span className="muted">{e.detail.split('\n')[0]}</span>
              </li>
            ))}
          </ul>
        )}
      {install.status === 'failed' && <ErrorBanner title="Not installed" error={install.error} />}
      {install.status === 'done' && <InstallResult output={install.output} />}
    </section>
  );
}

function Manifest({ verified }: { verified: Verified }) {
  const m = verified.manifest;
  return (
    <div className="bundle-manifest">
      <dl className="facts">
        <dt>Name</dt>
        <dd>{m.name}</dd>
        <dt>Kind</dt>
        <dd>
          <Badge>{m.kind}</Badge>
        </dd>
        <dt>Version</dt>
        <dd className="mono">
          {m.version}
          {verified.installedVersion
            ? ` (installed now: ${verified.installedVersion})`
            : ' (not installed before)'}
        </dd>
        {m.description && (
          <>
            <dt>Description</dt>
            <dd>{m.description}</dd>
          </>
        )}
        <dt>Created</dt>
        <dd>
          <Timestamp value={m.created} />
        </dd>
        <dt>Expires</dt>
        <dd>
          <Timestamp value={m.expires} />
        </dd>
        <dt>Signers</dt>
        <dd>
          <ul className="bundle-signers" aria-label="Signers">
            {verified.signers.map((s) => (
              <li key={s.fingerprint}>
                <strong>{s.name}</strong> <span className="mono muted">{s.fingerprint}</span>
              </li>
            ))}
          </ul>
          <span className="muted">
            {verified.signers.length} of {verified.threshold} needed for {m.kind} bundles
          </span>
        </dd>
        <dt>Manifest SHA-256</dt>
        <dd className="mono">{verified.manifestSha256}</dd>
      </dl>
      <table className="table bundle-files" aria-label="Files in the bundle">
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Size</th>
            <th scope="col">Mode</th>
            <th scope="col">SHA-256</th>
          </tr>
        </thead>
        <tbody>
          {m.files.map((f) => (
            <tr key={f.path}>
              <td className="mono">{f.path}</td>
              <td>{formatBytes(f.size)}</td>
              <td className="mono">{f.mode.toString(8)}</td>
              <td className="mono" title={f.sha256}>
                {f.sha256.slice(0, 16)}…
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function PlanView({ plan }: { plan: BundlePlan }) {
  return (
    <section className="bundle-plan" aria-label="What installing will do">
      <h3>What installing will do</h3>
      <table className="table">
        <thead>
          <tr>
            <th scope="col">Target</th>
            <th scope="col">Action</th>
            <th scope="col">Dry run</th>
          </tr>
        </thead>
        <tbody>
          {plan.steps.map((s, i) => (
            <tr key={`${s.target}-${i}`} className={s.blocked ? 'bundle-step-blocked' : undefined}>
              <td>{s.target}</td>
              <td>
                {s.action} {s.blocked && <Badge tone="danger">blocked</Badge>}
              </td>
              <td>
                {s.detail ? (
                  <pre className="bundle-detail">{s.detail}</pre>
                ) : (
                  <span className="muted">—</span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {plan.objects.some((o) => o.fields.length > 0 && o.action === 'update') && (
        <ul className="bundle-diff" aria-label="Field changes">
          {plan.objects
            .filter((o) => o.action === 'update')
            .flatMap((o) =>
              o.fields.map((f) => (
                <li key={`${o.object.kind}/${o.object.name}/${f.path}`} className="mono">
                  {o.object.kind} {o.object.name}: {f.path}: {JSON.stringify(f.before)} →{' '}
                  {JSON.stringify(f.after)}
                </li>
              )),
            )}
        </ul>
      )}
      {plan.problems.length > 0 && (
        <Banner tone="danger" title="This plan cannot be installed">
          <ul>
            {plan.problems.map((p) => (
              <li key={p} className="sentence">
                {p}
              </li>
            ))}
          </ul>
        </Banner>
      )}
      <p className="muted mono">Plan digest {plan.planDigest}</p>
    </section>
  );
}

function InstallResult({ output }: { output: OutputOf<'bundles.install'> }) {
  return (
    <section aria-label="Install result" className="bundle-result">
      <Banner
        tone={output.installed ? 'ok' : 'danger'}
        title={
          output.installed
            ? `${output.plan.name} ${output.plan.version} installed and recorded`
            : `${output.plan.name} ${output.plan.version} was not installed everywhere`
        }
      >
        <ul>
          {output.results.map((r) => (
            <li key={r.target}>
              <Badge tone={r.ok ? 'ok' : 'danger'}>{r.ok ? 'ok' : 'failed'}</Badge>{' '}
              <strong>{r.target}</strong> <pre className="bundle-detail">{r.detail}</pre>
            </li>
          ))}
        </ul>
      </Banner>
    </section>
  );
}
