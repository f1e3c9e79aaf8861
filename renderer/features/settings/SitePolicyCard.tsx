import { useState } from 'react';
import type { ConsoleError } from '../../../shared/errors';
import { mayCall, rolesAllowedFor, toConsoleError, useProcedure } from '../../app/calls';
import { useClient } from '../../app/connection';
import { useSession } from '../../app/session';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Loadable } from '../../ui/Loadable';

/** The site policy: shown to everyone, changed by a security officer or an admin (audited). */
export function SitePolicyCard() {
  const client = useClient();
  const { session } = useSession();
  const policy = useProcedure('policy.get', {});
  const canChange = mayCall('policy.set', session.operator.roles);
  const [error, setError] = useState<ConsoleError | undefined>();
  const [busy, setBusy] = useState(false);

  const change = async (allowPasswordLogin: boolean) => {
    setBusy(true);
    setError(undefined);
    try {
      await client.call('policy.set', { allowPasswordLogin });
      policy.reload();
    } catch (caught) {
      setError(toConsoleError(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section className="panel" aria-labelledby="site-policy-heading">
      <h2 id="site-policy-heading">Site policy</h2>
      {error && <ErrorBanner title="The policy was not changed" error={error} />}
      <Loadable state={policy} what="the site policy">
        {(p) => (
          <div className="choices">
            <label className="choice">
              <input
                type="checkbox"
                checked={p.allowPasswordLogin}
                disabled={!canChange || busy}
                onChange={(e) => void change(e.target.checked)}
              />
              <span>
                Allow SSH password login for hosts
                <span className="field-hint sentence">
                  {' '}
                  Off: hosts log in with a key or the ssh-agent only. Hosts added with a password stop
                  connecting when this is turned off. Every change is in the audit ledger.
                </span>
              </span>
            </label>
            {!canChange && (
              <p className="muted sentence">Changing it needs {rolesAllowedFor('policy.set')}.</p>
            )}
          </div>
        )}
      </Loadable>
    </section>
  );
}
