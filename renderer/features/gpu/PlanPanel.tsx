import { useEffect, useId, useRef, useState } from 'react';
import type { LayoutChoice } from '../../../shared/api';
import type { EventOf, OutputOf } from '../../../shared/client';
import type { ConsoleError } from '../../../shared/errors';
import { describeLayout } from '../../../shared/mig/named-layouts';
import { mayCall, rolesAllowedFor, toConsoleError, useProcedure } from '../../app/calls';
import { useClient } from '../../app/connection';
import { useSession } from '../../app/session';
import { Badge, type Tone } from '../../ui/Badge';
import { Banner } from '../../ui/Banner';
import { Dialog } from '../../ui/Dialog';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Icon } from '../../ui/Icon';
import { plural } from '../../ui/format';
import {
  afterPlan,
  beforePlan,
  blocksOfState,
  planSummary,
  stateModel,
  stepTone,
  type ApplyRow,
  type GpuMigState,
  type PlanRow,
} from './model';
import { SlotMap } from './SlotMap';

type ApplyEvent = EventOf<'gpu.apply'>;
type ApplyOutput = OutputOf<'gpu.apply'>;

type Run =
  | { status: 'idle' }
  | { status: 'running'; events: Record<number, ApplyEvent> }
  | { status: 'done'; output: ApplyOutput }
  | { status: 'failed'; error: ConsoleError };

export const OUTCOME_TONE: Record<ApplyRow['outcome'], Tone> = {
  applied: 'ok',
  unchanged: 'neutral',
  'rolled-back': 'warn',
  failed: 'danger',
  refused: 'danger',
};

const STEP_MARK = { create: '+', destroy: '−', mode: '!', verify: '✓' } as const;

/**
 * A MIG plan shown as a diff before anything changes (design.md §4): per GPU the slot map now and
 * after, the GPU instances kept, the steps in order (destroy in red, create in green, MIG mode and
 * resets flagged), warnings and problems. Apply asks for confirmation, then streams each GPU's
 * progress and shows what ran: commands, exit codes, any rollback, and the state read back.
 */
export function PlanPanel({
  host,
  gpus,
  choice,
  title,
  states: latestStates,
  onApplied,
  onClose,
}: {
  host: string;
  gpus: readonly number[];
  choice: LayoutChoice;
  title: string;
  /** The GPUs as last read, for the "now" maps. */
  states: readonly GpuMigState[];
  onApplied: (results: readonly ApplyRow[]) => void;
  onClose: () => void;
}) {
  const client = useClient();
  const { session } = useSession();
  const roles = session.operator.roles;
  const mayApply = mayCall('gpu.apply', roles);
  const isAdmin = roles.includes('admin');
  const [force, setForce] = useState(false);
  const plan = useProcedure('gpu.plan', { host, gpus: [...gpus], layout: choice, force });
  const [run, setRun] = useState<Run>({ status: 'idle' });
  const [confirming, setConfirming] = useState(false);
  // The "now" maps show the GPUs as they were when this plan was made, not as an apply left them.
  const [states, setStates] = useState(latestStates);
  const headingId = useId();
  const resultRef = useRef<HTMLHeadingElement>(null);

  // A finished apply is announced by moving focus to its result.
  useEffect(() => {
    if (run.status === 'done' || run.status === 'failed') resultRef.current?.focus();
  }, [run.status]);

  const rows = plan.loading ? undefined : plan.data?.gpus;
  const blocked = rows?.some((r) => !r.ok) ?? true;
  const changes = rows?.some((r) => r.steps.length > 0) ?? false;
  const busy = rows?.some((r) => r.problems.some((p) => p.code === 'processes-running')) ?? false;

  const apply = () => {
    setConfirming(false);
    setRun({ status: 'running', events: {} });
    client
      .call(
        'gpu.apply',
        // Exactly the plan shown: the core refuses, changing nothing, if the GPUs changed since.
        {
          host,
          gpus: [...gpus],
          layout: choice,
          force,
          ...(plan.data ? { planDigest: plan.data.planDigest } : {}),
        },
        {
          onEvent: (event) =>
            setRun((r) =>
              r.status === 'running' ? { ...r, events: { ...r.events, [event.gpu]: event } } : r,
            ),
        },
      )
      .then(
        (output) => {
          setRun({ status: 'done', output });
          onApplied(output.results);
        },
        (error: unknown) => setRun({ status: 'failed', error: toConsoleError(error) }),
      );
  };

  const planAgain = () => {
    setRun({ status: 'idle' });
    setStates(latestStates);
    plan.reload();
  };

  return (
    <section className="panel plan-panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <h3 id={headingId} tabIndex={-1}>
          {title}
        </h3>
        <div className="plan-actions">
          {run.status !== 'running' && (
            <button type="button" className="button" onClick={planAgain} disabled={plan.loading}>
              <Icon name="refresh" size={14} />
              Plan again
            </button>
          )}
          <button
            type="button"
            className="button button-quiet"
            onClick={onClose}
            disabled={run.status === 'running'}
          >
            Close plan
          </button>
        </div>
      </div>
      {plan.error && <ErrorBanner title="Could not plan" error={plan.error} onRetry={plan.reload} />}
      {!rows && !plan.error && (
        <div className="loading" role="status">
          <span className="spinner" aria-hidden="true" />
          Reading {host} and planning…
        </div>
      )}
      {rows && (
        <>
          <div className="plan-rows">
            {rows.map((row) => (
              <PlanRowView
                key={row.gpu}
                row={row}
                state={states.find((s) => s.index === row.gpu)}
                progress={run.status === 'running' ? run.events[row.gpu] : undefined}
                running={run.status === 'running'}
                finished={run.status === 'done'}
              />
            ))}
          </div>
          {(busy || force) && isAdmin && run.status === 'idle' && (
            <label className="choice plan-force">
              <input type="checkbox" checked={force} onChange={(e) => setForce(e.target.checked)} />
              <span>
                Force the change while processes run (administrators only; the driver may still refuse)
              </span>
            </label>
          )}
          {run.status === 'idle' && (
            <div className="plan-footer">
              {!mayApply ? (
                <p className="muted">
                  Applying needs the {rolesAllowedFor('gpu.apply')} role; you can plan only.
                </p>
              ) : blocked ? (
                <p className="text-danger">Nothing can be applied until every GPU above has a plan.</p>
              ) : !changes ? (
                <p className="muted">Nothing to apply: no changes.</p>
              ) : (
                <p className="muted">
                  Each step runs over SSH; the GPU is read back after the last one, and a failed step is
                  rolled back. The plan and every step go into the audit ledger.
                </p>
              )}
              {mayApply && (
                <button
                  type="button"
                  className="button button-primary"
                  disabled={blocked || !changes}
                  onClick={() => setConfirming(true)}
                >
                  <Icon name="play" size={14} />
                  Apply plan…
                </button>
              )}
            </div>
          )}
          {run.status === 'running' && (
            <div className="loading" role="status">
              <span className="spinner" aria-hidden="true" />
              Applying on {host}…
            </div>
          )}
          {run.status === 'failed' && (
            <div className="plan-result">
              <h4 ref={resultRef} tabIndex={-1}>
                Apply failed
              </h4>
              <ErrorBanner error={run.error} />
            </div>
          )}
          {run.status === 'done' && (
            <div className="plan-result">
              <h4 ref={resultRef} tabIndex={-1}>
                Result on {host}
              </h4>
              {run.output.results.map((r) => (
                <ApplyResultView
                  key={r.gpu}
                  result={r}
                  before={states.find((s) => s.index === r.gpu)}
                  host={host}
                />
              ))}
            </div>
          )}
          <ConfirmApply
            open={confirming}
            host={host}
            rows={rows}
            force={force}
            onCancel={() => setConfirming(false)}
            onConfirm={apply}
          />
        </>
      )}
    </section>
  );
}

function PlanRowView({
  row,
  state,
  progress,
  running,
  finished,
}: {
  row: PlanRow;
  state: GpuMigState | undefined;
  progress: ApplyEvent | undefined;
  running: boolean;
  finished: boolean;
}) {
  const model = state ? stateModel(state) : undefined;
  const slots = model?.memorySlots ?? 8;
  const after = state && row.ok ? afterPlan(state, row.kept, row.steps) : null;
  const done = progress ? progress.done : finished ? row.steps.length : 0;
  return (
    <section className="plan-gpu" aria-label={`Plan for GPU ${row.gpu}`}>
      <header className="plan-gpu-header">
        <h4>
          GPU {row.gpu} <span className="muted">· {row.model ?? 'unknown model'}</span>
        </h4>
        {row.desired && <span className="muted small">→ {describeLayout(row.desired)}</span>}
      </header>
      {!row.ok ? (
        <div className="banner banner-danger" role="alert">
          <Icon name="alert" />
          <div className="banner-body">
            <p className="banner-title">GPU {row.gpu} cannot take this layout</p>
            <ul className="plan-problems">
              {row.problems.map((p) => (
                <li key={`${p.code}:${p.message}`} className="sentence">
                  {p.message}
                </li>
              ))}
            </ul>
          </div>
        </div>
      ) : (
        <>
          <p className={row.steps.length === 0 ? 'plan-summary plan-nochange' : 'plan-summary'}>
            {planSummary(row)}
          </p>
          {state && (
            <div className="plan-maps">
              <div>
                <p className="plan-map-caption">Now</p>
                <SlotMap
                  label={`Slot map of GPU ${row.gpu} now`}
                  slots={slots}
                  blocks={state.migCurrent ? beforePlan(state, row.kept) : []}
                  compact
                />
              </div>
              <div>
                <p className="plan-map-caption">After</p>
                {after ? (
                  <SlotMap
                    label={`Slot map of GPU ${row.gpu} after the plan`}
                    slots={slots}
                    blocks={after}
                    compact
                  />
                ) : (
                  <p className="muted">MIG mode off: the whole GPU, no instances.</p>
                )}
              </div>
            </div>
          )}
          {row.kept.length > 0 && (
            <p className="plan-kept">
              <span className="muted">Kept in place: </span>
              {row.kept.map((k) => `${k.profile} at slot ${k.start}`).join(', ')}
            </p>
          )}
          {row.steps.length > 0 && (
            <ol className="plan-steps" aria-label={`Steps for GPU ${row.gpu}`}>
              {row.steps.map((step, i) => {
                const tone = stepTone(step);
                const stage =
                  i < done ? ' plan-step-done' : progress && i === done ? ' plan-step-current' : '';
                return (
                  <li key={`${i}-${step.kind}`} className={`plan-step plan-step-${tone}${stage}`}>
                    <span className="plan-step-mark" aria-hidden="true">
                      {STEP_MARK[tone]}
                    </span>
                    <span>{row.descriptions[i] ?? step.kind}</span>
                    {i < done && <span className="visually-hidden"> (done)</span>}
                  </li>
                );
              })}
            </ol>
          )}
          {row.warnings.length > 0 && (
            <ul className="plan-warnings" aria-label={`Warnings for GPU ${row.gpu}`}>
              {row.warnings.map((w) => (
                <li key={w} className="sentence">
                  <Icon name="alert" size={14} />
                  {w}
                </li>
              ))}
            </ul>
          )}
        </>
      )}
      {progress ? (
        <ApplyProgress event={progress} />
      ) : (
        running &&
        row.steps.length > 0 && (
          <p className="muted small">Waiting: the GPUs are applied one after another.</p>
        )
      )}
    </section>
  );
}

function ApplyProgress({ event }: { event: ApplyEvent }) {
  const finished = event.done >= event.total;
  const label =
    event.phase === 'rollback'
      ? `Rolling back: step ${Math.min(event.done + 1, event.total)} of ${event.total}`
      : finished
        ? `Done: ${event.total} of ${event.total} steps`
        : `Step ${event.done + 1} of ${event.total}`;
  return (
    <div className={finished ? 'progress progress-done' : 'progress'}>
      <div className="progress-label">
        <span aria-live="polite">
          GPU {event.gpu}: {label}
          {!finished && <span className="muted"> — {event.description}</span>}
        </span>
      </div>
      <progress
        max={Math.max(1, event.total)}
        value={event.done}
        aria-label={`Progress of GPU ${event.gpu}`}
        aria-valuetext={`${label}, ${event.description}`}
      />
    </div>
  );
}

function ConfirmApply({
  open,
  host,
  rows,
  force,
  onCancel,
  onConfirm,
}: {
  open: boolean;
  host: string;
  rows: readonly PlanRow[];
  force: boolean;
  onCancel: () => void;
  onConfirm: () => void;
}) {
  const changing = rows.filter((r) => r.steps.length > 0);
  const warnings = changing.flatMap((r) => r.warnings.map((w) => `GPU ${r.gpu}: ${w}`));
  return (
    <Dialog open={open} onClose={onCancel} title="Apply this MIG layout?">
      <div className="form">
        <p>
          On <strong>{host}</strong>, {plural(changing.length, 'GPU')} change:
        </p>
        <ul className="confirm-list">
          {changing.map((r) => (
            <li key={r.gpu}>
              GPU {r.gpu}: {planSummary(r)}
            </li>
          ))}
        </ul>
        {warnings.length > 0 && (
          <Banner tone="info" title="Before you apply">
            <ul className="confirm-list">
              {warnings.map((w) => (
                <li key={w}>{w}</li>
              ))}
            </ul>
          </Banner>
        )}
        {force && <p className="text-danger">Forced: processes on these GPUs may be cut off.</p>}
        <p className="muted">
          GPU instances that are destroyed lose their MIG devices and anything running on them.
        </p>
        <div className="form-actions">
          <button type="button" className="button" onClick={onCancel} data-autofocus>
            Cancel
          </button>
          <button type="button" className="button button-primary" onClick={onConfirm}>
            Apply layout
          </button>
        </div>
      </div>
    </Dialog>
  );
}

function ApplyResultView({
  result,
  before,
  host,
}: {
  result: ApplyRow;
  before: GpuMigState | undefined;
  host: string;
}) {
  const final = result.finalState;
  const model = final ? stateModel(final) : before ? stateModel(before) : undefined;
  return (
    <section className="apply-result" aria-label={`Result on GPU ${result.gpu}`}>
      <header className="plan-gpu-header">
        <h4>GPU {result.gpu}</h4>
        <Badge tone={OUTCOME_TONE[result.outcome]}>{result.outcome}</Badge>
      </header>
      {result.error && <p className="text-danger sentence">{result.error}</p>}
      {result.steps.length > 0 && (
        <StepResults label={`Steps run on GPU ${result.gpu}`} steps={result.steps} />
      )}
      {result.rollback.length > 0 && (
        <>
          <p className="apply-rollback-title">
            <Icon name="alert" size={14} /> Rolled back on GPU {result.gpu}:{' '}
            {plural(result.rollback.length, 'step')}
          </p>
          <StepResults label={`Rollback on GPU ${result.gpu}`} steps={result.rollback} />
        </>
      )}
      {final ? (
        <div>
          <p className="plan-map-caption">Read back from {host}</p>
          {final.migCurrent ? (
            <SlotMap
              label={`Slot map of GPU ${result.gpu} read back`}
              slots={model?.memorySlots ?? 8}
              blocks={blocksOfState(final)}
              compact
            />
          ) : (
            <p className="muted">MIG mode is off on GPU {result.gpu}.</p>
          )}
        </div>
      ) : (
        <p className="text-danger">The GPU could not be read back; check it on the host.</p>
      )}
    </section>
  );
}

function StepResults({ label, steps }: { label: string; steps: ApplyRow['steps'] }) {
  return (
    <div className="table-card">
      <table className="table step-results" aria-label={label}>
        <thead>
          <tr>
            <th scope="col">Step</th>
            <th scope="col">Command</th>
            <th scope="col" className="cell-numeric">
              Exit code
            </th>
            <th scope="col">Result</th>
          </tr>
        </thead>
        <tbody>
          {steps.map((s, i) => (
            <tr key={`${i}-${s.description}`}>
              <td>{s.description}</td>
              <td className="cell-mono">
                {s.command ?? <span className="muted">read back and compare</span>}
              </td>
              <td className="cell-numeric">{s.exitCode ?? '—'}</td>
              <td>
                {s.ok ? (
                  <Badge tone="ok">ok</Badge>
                ) : (
                  <span className="step-error">
                    <Badge tone="danger">failed</Badge>
                    {s.error && <span className="sentence">{s.error}</span>}
                    {s.output && <pre className="step-output">{s.output.trim()}</pre>}
                  </span>
                )}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
