import { useId, useState } from 'react';
import type { z } from 'zod';
import type { LedgerVerificationView } from '../../../shared/api';
import type { ConsoleError } from '../../../shared/errors';
import type { OutputOf } from '../../../shared/client';
import { toConsoleError, type ProcedureState } from '../../app/calls';
import { useClient } from '../../app/connection';
import { Banner } from '../../ui/Banner';
import { CopyButton } from '../../ui/CopyButton';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { plural } from '../../ui/format';
import { Icon } from '../../ui/Icon';
import { formatDuration } from './AuditRow';
import { parseCheckpoint } from './checkpoint';

type Verification =
  | { status: 'idle' | 'running' }
  | { status: 'done'; result: z.infer<typeof LedgerVerificationView> }
  | { status: 'failed'; error: ConsoleError };

/**
 * The ledger as a whole: how much of it the newest signed checkpoint covers and
 * its root, the last export, and the two actions on it. The button ids are the
 * procedure ids, where their palette entries land.
 */
export function LedgerBar({
  status,
  onExport,
  isLoaded,
  onShowEntry,
  onVerified,
}: {
  status: ProcedureState<OutputOf<'audit.status'>>;
  onExport: () => void;
  /** A verification run is itself an audit entry, so the list has one more. */
  onVerified: () => void;
  /** Whether an entry (by ledger index) is in the list, so a problem can link to it. */
  isLoaded: (index: number) => boolean;
  onShowEntry: (index: number) => void;
}) {
  const client = useClient();
  const noteId = useId();
  const [verification, setVerification] = useState<Verification>({ status: 'idle' });
  const [showNote, setShowNote] = useState(false);

  const verify = () => {
    setVerification({ status: 'running' });
    client.call('audit.verify', {}).then(
      (result) => {
        setVerification({ status: 'done', result });
        status.reload();
        onVerified();
      },
      (error: unknown) => setVerification({ status: 'failed', error: toConsoleError(error) }),
    );
  };

  const s = status.data;
  const checkpoint = s?.checkpoint ? parseCheckpoint(s.checkpoint.note) : undefined;
  const unsigned = s?.checkpoint ? s.entries - s.checkpoint.size : 0;
  return (
    <>
      <section className="ledger-bar" aria-label="Ledger">
        <dl className="ledger-facts">
          <div>
            <dt>Entries</dt>
            <dd>{s ? s.entries.toLocaleString('en') : '…'}</dd>
          </div>
          <div>
            <dt>Signed checkpoint</dt>
            <dd>
              {!s ? (
                '…'
              ) : s.checkpoint ? (
                <>
                  covers {s.checkpoint.size.toLocaleString('en')} of {plural(s.entries, 'entry', 'entries')}
                  {unsigned > 0 && (
                    <span className="text-warn">
                      ; {unsigned.toLocaleString('en')} written while locked await signing
                    </span>
                  )}
                </>
              ) : (
                <span className="text-warn">none yet</span>
              )}
            </dd>
          </div>
          {checkpoint && (
            <div className="ledger-root">
              <dt>Root hash</dt>
              <dd className="mono" title="The Merkle tree root the checkpoint signs, base64">
                {checkpoint.root}
              </dd>
            </div>
          )}
          <div>
            <dt>Last export</dt>
            <dd>
              {!s
                ? '…'
                : s.lastExport
                  ? s.lastExport.size === 0
                    ? 'empty ledger'
                    : `entries 0–${(s.lastExport.size - 1).toLocaleString('en')}`
                  : 'never'}
            </dd>
          </div>
        </dl>
        <div className="ledger-actions">
          {s?.checkpoint && (
            <button
              type="button"
              className="button button-quiet"
              aria-expanded={showNote}
              aria-controls={noteId}
              onClick={() => setShowNote((v) => !v)}
            >
              {showNote ? 'Hide checkpoint' : 'Show checkpoint'}
            </button>
          )}
          <button
            id="audit.verify"
            type="button"
            className="button"
            onClick={verify}
            disabled={verification.status === 'running'}
          >
            <Icon name="shield" size={14} />
            {verification.status === 'running' ? 'Verifying…' : 'Verify ledger'}
          </button>
          <button id="audit.export" type="button" className="button" onClick={onExport}>
            <Icon name="export" size={14} />
            Export to media…
          </button>
        </div>
      </section>
      {showNote && s?.checkpoint && (
        <section id={noteId} className="panel checkpoint-note" aria-label="Newest signed checkpoint">
          <div className="panel-header">
            <p className="muted small">
              The newest signed checkpoint, a C2SP signed note over the tree of{' '}
              {plural(s.checkpoint.size, 'entry', 'entries')}
              {checkpoint && checkpoint.signers.length > 0 && <>, signed by {checkpoint.signers[0]}</>}.
            </p>
            <CopyButton text={s.checkpoint.note} label="Copy" accessibleLabel="Copy the checkpoint" />
          </div>
          <pre className="code-block">{s.checkpoint.note}</pre>
        </section>
      )}
      {verification.status === 'failed' && (
        <ErrorBanner title="The ledger could not be verified" error={verification.error} />
      )}
      {verification.status === 'done' && (
        <VerificationResult result={verification.result} isLoaded={isLoaded} onShowEntry={onShowEntry} />
      )}
    </>
  );
}

function VerificationResult({
  result,
  isLoaded,
  onShowEntry,
}: {
  result: z.infer<typeof LedgerVerificationView>;
  isLoaded: (index: number) => boolean;
  onShowEntry: (index: number) => void;
}) {
  const summary =
    `${plural(result.entries, 'entry', 'entries')} and ${plural(result.checkpointsChecked, 'checkpoint')} ` +
    `checked in ${formatDuration(result.durationMs)}`;
  const outside =
    result.externalCheckpointSize === null
      ? ' No copy of the checkpoint was found outside the database.'
      : ` The copy kept outside the database covers ${result.externalCheckpointSize.toLocaleString('en')}.`;
  if (!result.ok) {
    return (
      <Banner tone="danger" title="The ledger failed verification">
        <p>{summary}. Do not trust entries from the first problem on; keep this workstation as it is.</p>
        <ul className="banner-issues">
          {result.problems.map((p, i) => (
            <li key={i}>
              {p.index === null ? (
                'ledger'
              ) : isLoaded(p.index) ? (
                <button type="button" className="link-button" onClick={() => onShowEntry(p.index as number)}>
                  entry {p.index}
                </button>
              ) : (
                <>
                  entry {p.index}{' '}
                  <span className="muted">(not in the list: clear the filters or scroll back to it)</span>
                </>
              )}
              : {p.reason}
            </li>
          ))}
        </ul>
      </Banner>
    );
  }
  return (
    <Banner tone="ok" title="Ledger verified">
      <p>
        {summary}. The signed checkpoint covers {result.signedSize.toLocaleString('en')}.{outside}
        {result.unsignedTail > 0 &&
          (result.unsignedTail === 1
            ? ' The newest entry was written while the key was locked and awaits signing.'
            : ` The newest ${result.unsignedTail.toLocaleString('en')} entries were written while the key was locked and await signing.`)}
      </p>
    </Banner>
  );
}
