import { useState } from 'react';
import type { z } from 'zod';
import type { LedgerVerificationView } from '../../../shared/api';
import type { ConsoleError } from '../../../shared/errors';
import type { OutputOf } from '../../../shared/client';
import { toConsoleError, type ProcedureState } from '../../app/calls';
import { useClient } from '../../app/connection';
import { Banner } from '../../ui/Banner';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Icon } from '../../ui/Icon';
import { formatDuration } from './AuditRow';

type Verification =
  | { status: 'idle' | 'running' }
  | { status: 'done'; result: z.infer<typeof LedgerVerificationView> }
  | { status: 'failed'; error: ConsoleError };

/**
 * The ledger as a whole: how much of it a signed checkpoint covers, the last
 * export, and the two actions on it. The button ids are the procedure ids, where
 * their palette entries land.
 */
export function LedgerBar({
  status,
  onExport,
}: {
  status: ProcedureState<OutputOf<'audit.status'>>;
  onExport: () => void;
}) {
  const client = useClient();
  const [verification, setVerification] = useState<Verification>({ status: 'idle' });

  const verify = () => {
    setVerification({ status: 'running' });
    client.call('audit.verify', {}).then(
      (result) => {
        setVerification({ status: 'done', result });
        status.reload();
      },
      (error: unknown) => setVerification({ status: 'failed', error: toConsoleError(error) }),
    );
  };

  const s = status.data;
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
              {!s ? '…' : s.checkpoint ? `covers ${s.checkpoint.size.toLocaleString('en')}` : 'none yet'}
            </dd>
          </div>
          <div>
            <dt>Last export</dt>
            <dd>{!s ? '…' : s.lastExport ? `up to ${s.lastExport.size.toLocaleString('en')}` : 'never'}</dd>
          </div>
        </dl>
        <div className="ledger-actions">
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
      {verification.status === 'failed' && (
        <ErrorBanner title="The ledger could not be verified" error={verification.error} />
      )}
      {verification.status === 'done' && <VerificationResult result={verification.result} />}
    </>
  );
}

function VerificationResult({ result }: { result: z.infer<typeof LedgerVerificationView> }) {
  const summary =
    `${result.entries.toLocaleString('en')} entries and ${result.checkpointsChecked} checkpoints checked ` +
    `in ${formatDuration(result.durationMs)}`;
  if (!result.ok) {
    return (
      <Banner tone="danger" title="The ledger failed verification">
        <p>{summary}. Do not trust entries from the first problem on; keep this workstation as it is.</p>
        <ul className="banner-issues">
          {result.problems.map((p, i) => (
            <li key={i}>
              {p.index === null ? 'ledger' : `entry ${p.index}`}: {p.reason}
            </li>
          ))}
        </ul>
      </Banner>
    );
  }
  return (
    <Banner tone="ok" title="Ledger verified">
      <p>
        {summary}.
        {result.unsignedTail > 0 &&
          ` The newest ${result.unsignedTail} are not yet covered by a signed checkpoint.`}
      </p>
    </Banner>
  );
}
