import { useId, useState } from 'react';
import type { OutputOf } from '../../../shared/client';
import type { ConsoleError } from '../../../shared/errors';
import { toConsoleError } from '../../app/calls';
import { useClient } from '../../app/connection';
import { CopyButton } from '../../ui/CopyButton';
import { canSaveFiles, saveTextFile } from '../../ui/download';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Icon } from '../../ui/Icon';
import { plural } from '../../ui/format';
import { checkpointRoot } from './checkpoint';

type Proof = OutputOf<'audit.proof'>;
type State =
  | { status: 'idle' | 'loading' }
  | { status: 'done'; proof: Proof }
  | { status: 'failed'; error: ConsoleError };

/**
 * One entry's inclusion proof against the newest signed checkpoint, as the
 * c2sp.org/tlog-proof file an auditor can check offline without the rest of the
 * ledger. Keyed by the entry, so selecting another entry starts afresh.
 */
export function InclusionProof({ index }: { index: number }) {
  const client = useClient();
  const headingId = useId();
  const [state, setState] = useState<State>({ status: 'idle' });
  const fileName = `entry-${index}.tlog-proof`;

  const load = () => {
    setState({ status: 'loading' });
    client.call('audit.proof', { index }).then(
      (proof) => setState({ status: 'done', proof }),
      (error: unknown) => setState({ status: 'failed', error: toConsoleError(error) }),
    );
  };

  return (
    <section className="proof" aria-labelledby={headingId}>
      <h3 id={headingId}>Inclusion proof</h3>
      {state.status !== 'done' ? (
        <>
          <p className="muted small">
            Shows that this entry is in the tree the workstation signed, without the rest of the ledger.
          </p>
          {state.status === 'failed' && (
            <ErrorBanner title="Could not make the proof" error={state.error} onRetry={load} />
          )}
          {state.status !== 'failed' && (
            <div>
              <button type="button" className="button" onClick={load} disabled={state.status === 'loading'}>
                <Icon name="shield" size={14} />
                {state.status === 'loading' ? 'Making the proof…' : 'Show proof'}
              </button>
            </div>
          )}
        </>
      ) : (
        <ProofView proof={state.proof} fileName={fileName} />
      )}
    </section>
  );
}

function ProofView({ proof, fileName }: { proof: Proof; fileName: string }) {
  const root = checkpointRoot(proof.tlogProof.slice(proof.tlogProof.indexOf('\n\n') + 2));
  return (
    <>
      <dl className="facts facts-stacked">
        <dt>Tree size</dt>
        <dd>
          {plural(proof.treeSize, 'entry', 'entries')}{' '}
          <span className="muted">(the newest signed checkpoint)</span>
        </dd>
        {root && (
          <>
            <dt>Checkpoint root</dt>
            <dd className="mono break">{root}</dd>
          </>
        )}
        <dt>Proof hashes ({proof.inclusion.length})</dt>
        <dd>
          {proof.inclusion.length === 0 ? (
            <span className="muted">none: this entry is the whole tree</span>
          ) : (
            <ol className="proof-hashes" aria-label="Proof hashes, the entry's sibling first">
              {proof.inclusion.map((hash, i) => (
                <li key={i}>{hash}</li>
              ))}
            </ol>
          )}
        </dd>
      </dl>
      <div className="proof-actions">
        <CopyButton text={proof.tlogProof} label="Copy tlog-proof" />
        {canSaveFiles() && (
          <button type="button" className="button" onClick={() => saveTextFile(fileName, proof.tlogProof)}>
            <Icon name="export" size={14} />
            Save…
          </button>
        )}
      </div>
      <p className="muted small">
        {canSaveFiles() ? (
          <>
            Check it offline with <code>enclave audit verify-proof {fileName} --key KEY</code>, KEY being the
            verifier key in Settings.
          </>
        ) : (
          <>
            This window does not save files: run <code>enclave audit proof --index {proof.index}</code> to
            write it, then check it offline with <code>enclave audit verify-proof FILE --key KEY</code>, KEY
            being the verifier key in Settings.
          </>
        )}
      </p>
      <details className="proof-file">
        <summary>The tlog-proof file</summary>
        <pre className="code-block">{proof.tlogProof}</pre>
      </details>
    </>
  );
}
