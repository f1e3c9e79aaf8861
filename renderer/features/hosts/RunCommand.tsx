import { useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { CommandResultRow } from '../../../shared/api';
import type { ConsoleError } from '../../../shared/errors';
import { toConsoleError } from '../../app/calls';
import { useClient } from '../../app/connection';
import { Badge } from '../../ui/Badge';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Icon } from '../../ui/Icon';
import { recordContacts } from './contacts';

type Result = z.infer<typeof CommandResultRow>;

/** Runs one command on one host (hosts.run, audited) and shows what came back. */
export function RunCommand({ host, onRan }: { host: string; onRan: () => void }) {
  const client = useClient();
  const [command, setCommand] = useState('');
  const [timeout, setTimeoutSeconds] = useState('60');
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ command: string; row: Result } | undefined>();
  const [error, setError] = useState<ConsoleError | undefined>();

  const run = async (event: FormEvent) => {
    event.preventDefault();
    const text = command.trim();
    if (!text) return;
    setBusy(true);
    setError(undefined);
    try {
      const seconds = Math.min(3600, Math.max(1, Math.round(Number(timeout)) || 60));
      const output = await client.call('hosts.run', {
        hosts: [host],
        command: text,
        timeoutSeconds: seconds,
      });
      recordContacts('run', output.results);
      const row = output.results.find((r) => r.host === host) ?? output.results[0];
      setResult(row ? { command: text, row } : undefined);
      onRan();
    } catch (caught) {
      setResult(undefined);
      setError(toConsoleError(caught));
    } finally {
      setBusy(false);
    }
  };

  const row = result?.row;
  return (
    <section className="detail-block" aria-labelledby="run-command-heading">
      <h3 id="run-command-heading">Run command</h3>
      <form className="run-form" aria-label="Run a command" onSubmit={(e) => void run(e)}>
        <label className="filter run-command">
          <span>Command</span>
          <input
            className="mono"
            value={command}
            onChange={(e) => setCommand(e.target.value)}
            placeholder="nvidia-smi -L"
            spellCheck={false}
            autoComplete="off"
          />
        </label>
        <label className="filter run-timeout">
          <span>Timeout (s)</span>
          <input inputMode="numeric" value={timeout} onChange={(e) => setTimeoutSeconds(e.target.value)} />
        </label>
        <button type="submit" className="button" disabled={busy || !command.trim()} aria-busy={busy}>
          {busy ? <span className="spinner" aria-hidden="true" /> : <Icon name="play" size={14} />}
          Run
        </button>
      </form>
      <p className="field-hint">
        Runs over SSH as the host&apos;s user; every run is recorded in the audit ledger.
      </p>
      {error && <ErrorBanner title="The command did not run" error={error} />}
      {row && result && (
        <div className="run-result" role="region" aria-label="Command result">
          <div className="run-result-head">
            <code className="truncate">$ {result.command}</code>
            {row.error ? (
              <Badge tone="danger">did not finish</Badge>
            ) : (
              <Badge tone={row.exitCode === 0 ? 'ok' : 'danger'}>
                {row.signal ? `signal ${row.signal}` : `exit code ${row.exitCode ?? '—'}`}
              </Badge>
            )}
            <span className="muted small">{Math.round(row.durationMs)} ms</span>
          </div>
          {row.error && <p className="text-danger sentence">{row.error}</p>}
          <pre className="code-block run-output" aria-label="Standard output">
            {row.stdout || <span className="muted">(no output)</span>}
          </pre>
          {row.stderr && (
            <pre className="code-block run-output run-stderr" aria-label="Standard error">
              {row.stderr}
            </pre>
          )}
        </div>
      )}
    </section>
  );
}
