import { useState } from 'react';
import type { ConsoleError } from '../../../shared/errors';
import { mayCall, rolesAllowedFor, toConsoleError } from '../../app/calls';
import { useClient } from '../../app/connection';
import { useSession } from '../../app/session';
import { Badge } from '../../ui/Badge';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Icon } from '../../ui/Icon';

interface CheckLine {
  check: string;
  status: 'running' | 'passed' | 'failed';
  detail?: string | undefined;
}

type Run =
  | { status: 'idle' }
  | { status: 'running'; lines: CheckLine[] }
  | { status: 'done'; passed: boolean; lines: CheckLine[] }
  | { status: 'failed'; error: ConsoleError; lines: CheckLine[] };

function upsert(lines: CheckLine[], line: CheckLine): CheckLine[] {
  const at = lines.findIndex((l) => l.check === line.check);
  return at === -1 ? [...lines, line] : lines.map((l, i) => (i === at ? line : l));
}

/** Runs system.selfCheck and shows each check as the core streams it. */
export function SelfCheckPanel() {
  const client = useClient();
  const { session } = useSession();
  const [run, setRun] = useState<Run>({ status: 'idle' });
  const allowed = mayCall('system.selfCheck', session.operator.roles);

  const start = () => {
    setRun({ status: 'running', lines: [] });
    client
      .call(
        'system.selfCheck',
        {},
        {
          onEvent: (event) =>
            setRun((r) => (r.status === 'running' ? { ...r, lines: upsert(r.lines, event) } : r)),
        },
      )
      .then(
        (result) =>
          setRun({
            status: 'done',
            passed: result.passed,
            lines: result.checks.map((c) => ({
              check: c.check,
              status: c.passed ? 'passed' : 'failed',
              detail: c.detail,
            })),
          }),
        (error: unknown) =>
          setRun((r) => ({
            status: 'failed',
            error: toConsoleError(error),
            lines: 'lines' in r ? r.lines : [],
          })),
      );
  };

  return (
    <section className="panel" aria-labelledby="self-check-heading">
      <div className="panel-header">
        <h2 id="self-check-heading">Self-check</h2>
        {run.status === 'done' && (
          <Badge tone={run.passed ? 'ok' : 'danger'}>
            {run.passed ? 'all checks passed' : 'checks failed'}
          </Badge>
        )}
      </div>
      <p className="muted">
        Checks the database, the guards on the audit table and the data directory. The run is recorded in the
        audit ledger.
      </p>
      {allowed ? (
        <button
          type="button"
          className="button button-primary"
          onClick={start}
          disabled={run.status === 'running'}
        >
          <Icon name="play" size={14} />
          {run.status === 'running' ? 'Running self-check…' : 'Run self-check'}
        </button>
      ) : (
        <p className="notice">
          Running the self-check needs one of the roles {rolesAllowedFor('system.selfCheck')}; yours do not
          include any of them.
        </p>
      )}
      {run.status !== 'idle' && run.lines.length > 0 && (
        <ol className="checks" aria-label="Self-check results" aria-live="polite">
          {run.lines.map((line) => (
            <li key={line.check} className={`check check-${line.status}`}>
              <span className="check-icon" aria-hidden="true">
                {line.status === 'running' ? (
                  <span className="spinner" />
                ) : (
                  <Icon name={line.status === 'passed' ? 'check' : 'close'} size={14} />
                )}
              </span>
              <span className="check-name">{line.check}</span>
              <span className="check-status">{line.status}</span>
              {line.detail && <span className="check-detail">{line.detail}</span>}
            </li>
          ))}
        </ol>
      )}
      {run.status === 'failed' && <ErrorBanner title="The self-check could not run" error={run.error} />}
    </section>
  );
}
