import { useState, type FormEvent } from 'react';
import type { EventOf, OutputOf } from '../../../shared/client';
import type { ConsoleError } from '../../../shared/errors';
import { toConsoleError } from '../../app/calls';
import { useClient } from '../../app/connection';
import { Banner } from '../../ui/Banner';
import { Dialog } from '../../ui/Dialog';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Field } from '../../ui/Field';

type Stage =
  | { step: 'confirm' }
  | { step: 'running'; events: EventOf<'tenants.decommission'>[] }
  | { step: 'done'; events: EventOf<'tenants.decommission'>[]; output: OutputOf<'tenants.decommission'> }
  | { step: 'failed'; events: EventOf<'tenants.decommission'>[]; error: ConsoleError };

/**
 * Decommissions a tenant: its namespace and everything in it are deleted and the cluster is waited
 * on until it has finished. The operator types the tenant's name to confirm; progress streams.
 */
export function DecommissionDialog({
  target,
  onClose,
  onDone,
}: {
  target: { name: string; cluster: string } | null;
  onClose: () => void;
  onDone: () => void;
}) {
  return (
    <Dialog
      open={target !== null}
      onClose={onClose}
      title={target ? `Decommission ${target.name}?` : 'Decommission'}
      className="dialog-wide"
    >
      {target && (
        <Decommission
          key={`${target.cluster}/${target.name}`}
          {...target}
          onClose={onClose}
          onDone={onDone}
        />
      )}
    </Dialog>
  );
}

function Decommission({
  name,
  cluster,
  onClose,
  onDone,
}: {
  name: string;
  cluster: string;
  onClose: () => void;
  onDone: () => void;
}) {
  const client = useClient();
  const [typed, setTyped] = useState('');
  const [stage, setStage] = useState<Stage>({ step: 'confirm' });
  const matches = typed === name;

  const start = (event: FormEvent) => {
    event.preventDefault();
    if (!matches) return;
    const events: EventOf<'tenants.decommission'>[] = [];
    setStage({ step: 'running', events });
    client
      .call(
        'tenants.decommission',
        { name, cluster },
        {
          onEvent: (e) => {
            events.push(e);
            setStage((s) => (s.step === 'running' ? { step: 'running', events: [...events] } : s));
          },
        },
      )
      .then(
        (output) => {
          setStage({ step: 'done', events: [...events], output });
          onDone();
        },
        (error: unknown) => {
          setStage({ step: 'failed', events: [...events], error: toConsoleError(error) });
          onDone();
        },
      );
  };

  if (stage.step === 'confirm') {
    return (
      <form className="form" aria-label={`Decommission ${name}`} noValidate onSubmit={start}>
        <Banner tone="danger" title="This deletes the tenant's namespace and everything in it">
          <p>
            Workloads, volumes and secrets of <strong>{name}</strong> on <strong>{cluster}</strong> are
            deleted; it cannot be undone.
          </p>
        </Banner>
        <Field label={`Type ${name} to confirm`}>
          {(control) => (
            <input
              {...control}
              data-autofocus
              value={typed}
              onChange={(e) => setTyped(e.target.value)}
              spellCheck={false}
              autoComplete="off"
            />
          )}
        </Field>
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="button tenant-danger" disabled={!matches}>
            Decommission {name}
          </button>
        </div>
      </form>
    );
  }

  return (
    <div className="form">
      {stage.events.length > 0 && (
        <ol className="decommission-log" aria-label="Decommission progress" aria-live="polite">
          {stage.events.map((e, i) => (
            <li key={i}>
              <span className="sentence">{e.message}</span>
            </li>
          ))}
        </ol>
      )}
      {stage.step === 'running' && (
        <div className="loading" role="status">
          <span className="spinner" aria-hidden="true" />
          Decommissioning {name}…
        </div>
      )}
      {stage.step === 'failed' && (
        <ErrorBanner title={`Tenant ${name} was not decommissioned`} error={stage.error} />
      )}
      {stage.step === 'done' &&
        (stage.output.outcome === 'gone' ? (
          <Banner tone="ok" title={`Tenant ${name} is gone`}>
            <p>
              Its namespace no longer exists on {stage.output.cluster} (waited{' '}
              {Math.round(stage.output.waitedSeconds)} s).
            </p>
          </Banner>
        ) : (
          <Banner tone="info" title={`Tenant ${name} is still terminating`}>
            <p>
              The cluster had not finished after {Math.round(stage.output.waitedSeconds)} s. Remaining:{' '}
              {stage.output.remaining.join(', ') || 'the namespace'}.
            </p>
          </Banner>
        ))}
      <div className="form-actions">
        <button type="button" className="button" onClick={onClose} disabled={stage.step === 'running'}>
          Close
        </button>
      </div>
    </div>
  );
}
