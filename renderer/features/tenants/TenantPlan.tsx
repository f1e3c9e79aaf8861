import { useEffect, useId, useRef, useState } from 'react';
import type { CapacityRow, FieldChange, ObjectChange } from '../../../shared/api';
import type { EventOf, OutputOf } from '../../../shared/client';
import type { ConsoleError } from '../../../shared/errors';
import { mayCall, rolesAllowedFor, toConsoleError, useProcedure } from '../../app/calls';
import { useClient } from '../../app/connection';
import { useSession } from '../../app/session';
import { Badge } from '../../ui/Badge';
import { Banner } from '../../ui/Banner';
import { Dialog } from '../../ui/Dialog';
import { Icon } from '../../ui/Icon';
import { Timestamp } from '../../ui/Timestamp';
import { ErrorLines } from '../clusters/ErrorLines';
import { plural } from '../../ui/format';
import { ACTION_TONE, expandFields, objectName, shownValue } from './status';

type PlanOutput = OutputOf<'tenants.plan'>;
type ApplyOutput = OutputOf<'tenants.apply'>;
type ApplyEvent = EventOf<'tenants.apply'>;

type Run =
  | { status: 'idle' }
  | { status: 'running'; last: ApplyEvent | undefined; phases: Record<string, ApplyEvent['phase']> }
  | { status: 'done'; output: ApplyOutput }
  | { status: 'failed'; error: ConsoleError; phases: Record<string, ApplyEvent['phase']> };

const refKey = (o: ObjectChange['object']) => `${o.kind}/${o.namespace ?? ''}/${o.name}`;

/** "9 objects: 7 to create, 2 to update" */
export function actionSummary(objects: readonly ObjectChange[]): string {
  const count = (a: ObjectChange['action']) => objects.filter((o) => o.action === a).length;
  const parts = [
    [count('create'), 'to create'],
    [count('update'), 'to update'],
    [count('extra'), 'extra'],
    [count('unchanged'), 'unchanged'],
  ]
    .filter(([n]) => Number(n) > 0)
    .map(([n, what]) => `${n} ${what}`);
  return `${plural(objects.length, 'object')}: ${parts.join(', ') || 'none'}`;
}

/**
 * A tenant's plan on its cluster (tenants.plan, a server-side-apply dry run): per object what the
 * apply would do with its fields before and after, and the GPU capacity with any over-commitment.
 * Apply sends the plan's digest, so exactly this plan is applied or nothing is; its progress
 * streams object by object, then every object is read back.
 */
export function TenantPlan({
  spec,
  cluster,
  stale,
  onApplied,
}: {
  spec: string;
  cluster: string;
  /** The spec or cluster changed since this plan was made. */
  stale: boolean;
  onApplied: () => void;
}) {
  const client = useClient();
  const { session } = useSession();
  const mayApply = mayCall('tenants.apply', session.operator.roles);
  const plan = useProcedure('tenants.plan', { spec, cluster });
  const [run, setRun] = useState<Run>({ status: 'idle' });
  const [confirming, setConfirming] = useState(false);
  const headingId = useId();
  const resultRef = useRef<HTMLHeadingElement>(null);
  const panelRef = useRef<HTMLElement>(null);

  useEffect(() => {
    panelRef.current?.scrollIntoView({ block: 'nearest' });
  }, []);
  useEffect(() => {
    if (run.status === 'done' || run.status === 'failed') resultRef.current?.focus();
  }, [run.status]);

  const data = plan.loading ? undefined : plan.data;
  const changes = data?.objects.some((o) => o.action !== 'unchanged') ?? false;
  const over = (data?.capacity.overcommitted.length ?? 0) > 0;

  const apply = (planned: PlanOutput) => {
    setConfirming(false);
    setRun({ status: 'running', last: undefined, phases: {} });
    client
      .call(
        'tenants.apply',
        { spec, cluster, planDigest: planned.planDigest },
        {
          onEvent: (event) =>
            setRun((r) =>
              r.status === 'running'
                ? { ...r, last: event, phases: { ...r.phases, [refKey(event.object)]: event.phase } }
                : r,
            ),
        },
      )
      .then(
        (output) => {
          setRun({ status: 'done', output });
          onApplied();
        },
        (error: unknown) =>
          setRun((r) => ({
            status: 'failed',
            error: toConsoleError(error),
            // Which objects went in before the failure, and the one it stopped at, stay shown.
            phases: r.status === 'running' ? r.phases : {},
          })),
      );
  };

  return (
    <section ref={panelRef} className="tenant-plan" aria-labelledby={headingId}>
      <div className="panel-header">
        <h3 id={headingId}>Plan on {cluster}</h3>
        {run.status !== 'running' && (
          <button
            type="button"
            className="button"
            onClick={() => {
              setRun({ status: 'idle' });
              plan.reload();
            }}
            disabled={plan.loading}
          >
            <Icon name="refresh" size={14} />
            Plan again
          </button>
        )}
      </div>
      {plan.error && <ErrorLines title="The plan was refused" error={plan.error} />}
      {!data && !plan.error && (
        <div className="loading" role="status">
          <span className="spinner" aria-hidden="true" />
          Planning on {cluster} (a server-side dry run of every object)…
        </div>
      )}
      {data && (
        <>
          <p className="plan-headline">
            Tenant <strong>{data.tenant}</strong> on <strong>{data.cluster}</strong>:{' '}
            {actionSummary(data.objects)}
          </p>
          <ObjectChanges
            label={`Objects of ${data.tenant}`}
            changes={data.objects}
            columns={['Now on the cluster', 'After the apply']}
            progress={
              run.status === 'running' || run.status === 'failed'
                ? run.phases
                : run.status === 'done'
                  ? 'done'
                  : undefined
            }
          />
          <h4 className="plan-subheading">GPU capacity on {data.cluster}</h4>
          <CapacityTable cluster={data.cluster} rows={data.capacity.rows} />
          {over && (
            <Banner tone="danger" title="GPU capacity is over-committed">
              <ul className="tenant-confirm-list">
                {data.capacity.overcommitted.map((line) => (
                  <li key={line} className="sentence">
                    {line}
                  </li>
                ))}
              </ul>
            </Banner>
          )}

          {run.status === 'idle' && (
            <div className="wizard-footer">
              {!mayApply ? (
                <p className="muted">
                  Applying needs the {rolesAllowedFor('tenants.apply')} role; you can plan only.
                </p>
              ) : stale ? (
                <p className="text-danger">
                  The spec or cluster changed since this plan: plan again to apply it.
                </p>
              ) : !changes ? (
                <p className="muted">Nothing to apply: every object is as planned.</p>
              ) : (
                <p className="muted">
                  Server-side apply, object by object, then every object is read back. The plan and the apply
                  go into the audit ledger.
                </p>
              )}
              {mayApply && (
                <button
                  type="button"
                  className="button button-primary"
                  disabled={stale || !changes || over}
                  onClick={() => setConfirming(true)}
                >
                  <Icon name="play" size={14} />
                  Apply plan…
                </button>
              )}
            </div>
          )}
          {run.status === 'running' && <ApplyProgress event={run.last} total={data.objects.length} />}
          {run.status === 'failed' && (
            <div className="tenant-result">
              <h4 ref={resultRef} tabIndex={-1}>
                Apply failed
              </h4>
              <ErrorLines title="Nothing more was applied" error={run.error} />
            </div>
          )}
          {run.status === 'done' && (
            <section className="tenant-result" aria-label="Apply result">
              <h4 ref={resultRef} tabIndex={-1}>
                Applied {data.tenant} on {run.output.cluster}
              </h4>
              <p className="badge-list">
                <Badge tone={run.output.verified ? 'ok' : 'danger'}>
                  {run.output.verified ? 'verified' : 'not verified'}
                </Badge>
                <span className="muted">
                  {run.output.verified
                    ? 'every object read back as applied'
                    : 'some objects did not read back as applied'}{' '}
                  · <Timestamp value={run.output.appliedAt} />
                </span>
              </p>
              {run.output.problems.length > 0 && (
                <ul className="tenant-problems" aria-label="Apply problems">
                  {run.output.problems.map((p) => (
                    <li key={p} className="text-danger sentence">
                      {p}
                    </li>
                  ))}
                </ul>
              )}
            </section>
          )}
          <Dialog
            open={confirming}
            onClose={() => setConfirming(false)}
            title={`Apply tenant ${data.tenant}?`}
          >
            <div className="form">
              <p>
                On <strong>{data.cluster}</strong>: {actionSummary(data.objects)}.
              </p>
              <ul className="tenant-confirm-list">
                {data.objects
                  .filter((o) => o.action !== 'unchanged')
                  .map((o) => (
                    <li key={refKey(o.object)}>
                      {o.action} {objectName(o)}
                    </li>
                  ))}
              </ul>
              <p className="muted">
                Exactly this plan is applied: if the cluster changed since, the apply is refused and nothing
                changes.
              </p>
              <div className="form-actions">
                <button type="button" className="button" onClick={() => setConfirming(false)} data-autofocus>
                  Cancel
                </button>
                <button type="button" className="button button-primary" onClick={() => apply(data)}>
                  Apply tenant
                </button>
              </div>
            </div>
          </Dialog>
        </>
      )}
    </section>
  );
}

function ApplyProgress({ event, total }: { event: ApplyEvent | undefined; total: number }) {
  const done = event?.done ?? 0;
  const max = Math.max(1, event?.total ?? total);
  const label = event
    ? `${event.phase === 'verified' ? 'Verified' : event.phase === 'applied' ? 'Applied' : 'Applying'} ${event.object.kind} ${event.object.name} (${done} of ${max})`
    : 'Starting…';
  return (
    <div className="progress">
      <div className="progress-label">
        <span aria-live="polite">{label}</span>
      </div>
      <progress max={max} value={done} aria-label="Apply progress" aria-valuetext={label} />
    </div>
  );
}

/**
 * Objects with their action and, per field, the two sides. `progress` marks each object's apply
 * phase while one runs.
 */
export function ObjectChanges({
  label,
  changes,
  columns,
  progress,
}: {
  label: string;
  changes: readonly ObjectChange[];
  columns: readonly [string, string];
  progress?: Record<string, ApplyEvent['phase']> | 'done';
}) {
  return (
    <ul className="object-changes" aria-label={label}>
      {changes.map((c) => {
        const phase = progress === 'done' ? 'applied' : progress?.[refKey(c.object)];
        const fields = expandFields(c.fields);
        const header = (
          <>
            <Badge tone={ACTION_TONE[c.action]}>{c.action}</Badge>
            <span className="object-name">
              <span className="muted">{c.object.kind}</span> {c.object.name}
            </span>
            {c.object.namespace && <span className="muted small">in {c.object.namespace}</span>}
            {phase && (
              <Badge tone={phase === 'applying' ? 'accent' : phase === 'failed' ? 'danger' : 'ok'}>
                {phase}
              </Badge>
            )}
          </>
        );
        return (
          <li
            key={refKey(c.object)}
            className={`object-change object-${c.action}`}
            aria-label={objectName(c)}
          >
            {fields.length > 0 ? (
              <details className="field-changes" open={c.action !== 'create'}>
                <summary className="object-change-header">
                  {header}
                  <span className="muted small field-count">{plural(fields.length, 'field')}</span>
                </summary>
                <FieldTable label={`Fields of ${objectName(c)}`} fields={fields} columns={columns} />
              </details>
            ) : (
              <div className="object-change-header">{header}</div>
            )}
          </li>
        );
      })}
    </ul>
  );
}

function FieldTable({
  label,
  fields,
  columns,
}: {
  label: string;
  fields: readonly FieldChange[];
  columns: readonly [string, string];
}) {
  return (
    <table className="table field-table" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">Field</th>
          <th scope="col">{columns[0]}</th>
          <th scope="col">{columns[1]}</th>
        </tr>
      </thead>
      <tbody>
        {fields.map((f) => (
          <tr key={f.path}>
            <td className="cell-mono">{f.path}</td>
            <td className={f.before === undefined ? 'cell-mono value-absent' : 'cell-mono value-before'}>
              {shownValue(f.before)}
            </td>
            <td className={f.after === undefined ? 'cell-mono value-absent' : 'cell-mono value-after'}>
              {shownValue(f.after)}
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** What the cluster offers of each GPU resource against the quotas; negative free is over-committed. */
export function CapacityTable({ cluster, rows }: { cluster: string; rows: readonly CapacityRow[] }) {
  if (rows.length === 0) {
    return <p className="muted">This tenant asks for no GPUs or MIG slices.</p>;
  }
  return (
    <div className="table-card">
      <table className="table capacity-table" aria-label={`GPU capacity on ${cluster}`}>
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
              Reserved by others
            </th>
            <th scope="col" className="cell-numeric">
              Requested
            </th>
            <th scope="col" className="cell-numeric">
              Free
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.resource} className={r.free < 0 ? 'capacity-over' : undefined}>
              <td className="cell-mono">{r.resource}</td>
              <td className="cell-numeric">{r.offered}</td>
              <td className="cell-numeric">{r.inHostLayouts ?? '—'}</td>
              <td className="cell-numeric">{r.reservedByOthers}</td>
              <td className="cell-numeric">{r.requested}</td>
              <td className="cell-numeric">
                {r.free < 0 ? <Badge tone="danger">over by {-r.free}</Badge> : r.free}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
