import { useSession } from '../../app/session';
import { Timestamp } from '../../ui/Timestamp';
import { SecretsProtectionBadge } from '../settings/SecretsProtectionBadge';

export function WorkstationFacts({ lastAuditAt }: { lastAuditAt: string | null }) {
  const { info, session } = useSession();
  return (
    <section className="panel" aria-labelledby="workstation-heading">
      <h2 id="workstation-heading">Workstation</h2>
      <dl className="facts">
        <dt>Workstation id</dt>
        <dd className="mono">{info.workstationId ?? 'not yet assigned'}</dd>
        <dt>Version</dt>
        <dd className="mono">{info.version}</dd>
        <dt>Runtime</dt>
        <dd className="mono">{info.runtime}</dd>
        <dt>Secrets</dt>
        <dd>
          <SecretsProtectionBadge protection={info.secretsProtection} />
        </dd>
        <dt>Last audit entry</dt>
        <dd>
          <Timestamp value={lastAuditAt} empty="none yet" />
        </dd>
        <dt>Signed in</dt>
        <dd>
          {session.operator.displayName} via {session.method}
        </dd>
      </dl>
    </section>
  );
}
