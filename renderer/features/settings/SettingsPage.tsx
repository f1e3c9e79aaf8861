import { KeyboardShortcuts } from '../../app/KeyboardHelp';
import { mayCall, rolesAllowedFor, useProcedure } from '../../app/calls';
import { useSession } from '../../app/session';
import { Loadable } from '../../ui/Loadable';
import { PageHeader } from '../../ui/PageHeader';
import { AddOperatorForm } from './AddOperatorForm';
import { AppearanceSettings } from './AppearanceSettings';
import { LedgerKeyCard } from './LedgerKeyCard';
import { OperatorsTable } from './OperatorsTable';
import { SecretsProtectionBadge } from './SecretsProtectionBadge';
import { SitePolicyCard } from './SitePolicyCard';
import './settings.css';

export function SettingsPage() {
  const { session } = useSession();
  const roles = session.operator.roles;
  const info = useProcedure('system.info', {});
  const canList = mayCall('operators.list', roles);
  const operators = useProcedure('operators.list', {}, { enabled: canList });

  return (
    <>
      <PageHeader
        title="Settings"
        description="This workstation, how the console looks, and who may operate it."
      />
      <div className="columns">
        <section className="panel" aria-labelledby="workstation-settings-heading">
          <h2 id="workstation-settings-heading">Workstation</h2>
          <Loadable state={info} what="the workstation information">
            {(system) => (
              <dl className="facts">
                <dt>Version</dt>
                <dd className="mono">{system.version}</dd>
                <dt>Console upgrades</dt>
                <dd>
                  {system.upgrades.pending ? (
                    <>
                      <span className="mono">{system.upgrades.pending.version}</span>{' '}
                      {system.upgrades.pending.newer
                        ? system.upgrades.pending.attemptedAt
                          ? 'staged; the last start could not install it (see the ledger)'
                          : 'staged; installs at the next start'
                        : 'staged, not newer than this console'}
                    </>
                  ) : system.upgrades.staged.length ? (
                    `staged: ${system.upgrades.staged.map((u) => u.version).join(', ')}; none pending`
                  ) : (
                    'none staged (a console-upgrade bundle stages one)'
                  )}
                </dd>
                <dt>Workstation id</dt>
                <dd className="mono">{system.workstationId ?? 'not yet assigned'}</dd>
                <dt>Data directory</dt>
                <dd className="mono break">{system.dataDir}</dd>
                <dt>Schema version</dt>
                <dd className="mono">{system.schemaVersion}</dd>
                <dt>Secrets protection</dt>
                <dd>
                  <SecretsProtectionBadge protection={system.secretsProtection} />
                </dd>
                <dt>Runtime</dt>
                <dd className="mono">{system.runtime}</dd>
              </dl>
            )}
          </Loadable>
        </section>
        <AppearanceSettings />
      </div>
      {info.data && <LedgerKeyCard ledgerKey={info.data.ledgerKey} />}
      <SitePolicyCard />

      <section className="section" aria-labelledby="operators-heading">
        <h2 id="operators-heading">Operators</h2>
        {canList ? (
          <Loadable state={operators} what="the operators">
            {(rows) => <OperatorsTable operators={rows} />}
          </Loadable>
        ) : (
          <p className="notice">
            Seeing the operators needs {rolesAllowedFor('operators.list')}; your roles do not include any of
            them.
          </p>
        )}
        {mayCall('operators.create', roles) && <AddOperatorForm onAdded={operators.reload} />}
      </section>

      <section className="section" aria-labelledby="shortcuts-heading">
        <h2 id="shortcuts-heading">Keyboard shortcuts</h2>
        <KeyboardShortcuts />
      </section>
    </>
  );
}
