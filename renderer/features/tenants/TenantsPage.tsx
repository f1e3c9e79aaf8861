import { lazy, Suspense, useEffect, useState } from 'react';
import type { ClusterRow, TenantSummary } from '../../../shared/api';
import type { z } from 'zod';
import { mayCall, useProcedure } from '../../app/calls';
import { useRoute } from '../../app/navigation';
import { useSession } from '../../app/session';
import { Badge } from '../../ui/Badge';
import { DataTable, type Column } from '../../ui/DataTable';
import { EmptyState } from '../../ui/EmptyState';
import { Icon } from '../../ui/Icon';
import { Loadable } from '../../ui/Loadable';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';
import { Timestamp } from '../../ui/Timestamp';
import { plural } from '../../ui/format';
import { DecommissionDialog } from './DecommissionDialog';
import { DriftPanel } from './DriftPanel';
import { HEALTH_TONE } from './status';
import './tenants.css';

// The wizard brings the YAML parser and the spec schema; it loads when first opened.
const TenantWizard = lazy(() => import('./TenantWizard').then((m) => ({ default: m.TenantWizard })));

type Tenant = TenantSummary;
type Target = { name: string; cluster: string };
type Work = { kind: 'new'; run: number } | ({ kind: 'edit' } & Target) | ({ kind: 'drift' } & Target) | null;

/** The palette's "Plan a tenant…" and "Apply a tenant…" land here and open the wizard. */
const WIZARD_SECTIONS = new Set(['tenants.plan', 'tenants.apply']);
const NEW = 'tenants.plan';

/**
 * Tenants on the clusters: the list with health and drift, the create/edit wizard that plans and
 * applies, drift checks, and decommissioning (administrators).
 */
export function TenantsPage() {
  const tenants = useProcedure('tenants.list', {});
  const clusters = useProcedure('clusters.list', {});
  const { session } = useSession();
  const { section, navigate } = useRoute();
  const roles = session.operator.roles;
  const mayPlan = mayCall('tenants.plan', roles);
  const mayDecommission = mayCall('tenants.decommission', roles);
  const [work, setWork] = useState<Work>(null);
  const [decommissioning, setDecommissioning] = useState<Target | null>(null);

  useEffect(() => {
    if (section && WIZARD_SECTIONS.has(section) && mayPlan)
      setWork((w) => ({ kind: 'new', run: (w?.kind === 'new' ? w.run : 0) + 1 }));
  }, [section, mayPlan]);

  const closeWork = () => {
    setWork(null);
    if (section) navigate('tenants');
  };
  const isWork = (kind: 'edit' | 'drift', t: Tenant) =>
    work?.kind === kind && work.name === t.name && work.cluster === t.cluster;

  const columns: Column<Tenant>[] = [
    { header: 'Name', cell: (t) => <strong>{t.name}</strong> },
    { header: 'Organisation', cell: (t) => t.organisation },
    { header: 'Cluster', cell: (t) => t.cluster },
    {
      header: 'Health',
      cell: (t) => (
        <span aria-label={`Health of ${t.name}: ${t.health}`}>
          <Badge tone={HEALTH_TONE[t.health]}>{t.health}</Badge>
        </span>
      ),
    },
    {
      header: 'Drift',
      cell: (t) =>
        t.driftedObjects === null ? (
          <span className="muted">not checked</span>
        ) : t.driftedObjects === 0 ? (
          <span title="at the last check">none</span>
        ) : (
          <Badge tone="warn">{plural(t.driftedObjects, 'object')}</Badge>
        ),
    },
    { header: 'Last applied', cell: (t) => <Timestamp value={t.lastAppliedAt} empty="never" /> },
    { header: 'Drift checked', cell: (t) => <Timestamp value={t.driftCheckedAt} empty="never" /> },
    {
      header: 'Actions',
      cell: (t) => (
        <span className="row-actions">
          {mayPlan && (
            <button
              type="button"
              className="button button-quiet"
              aria-label={`Edit ${t.name}`}
              aria-pressed={isWork('edit', t)}
              onClick={() => setWork({ kind: 'edit', name: t.name, cluster: t.cluster })}
            >
              Edit
            </button>
          )}
          <button
            type="button"
            className="button button-quiet"
            aria-label={`Check drift of ${t.name}`}
            aria-pressed={isWork('drift', t)}
            onClick={() => setWork({ kind: 'drift', name: t.name, cluster: t.cluster })}
          >
            Check drift
          </button>
          {mayDecommission && (
            <button
              type="button"
              className="button button-quiet tenant-danger"
              aria-label={`Decommission ${t.name}`}
              onClick={() => setDecommissioning({ name: t.name, cluster: t.cluster })}
            >
              Decommission…
            </button>
          )}
        </span>
      ),
    },
  ];

  const clusterRows = clusters.data ?? [];

  return (
    <>
      <PageHeader
        title="Tenants"
        description="Agencies, institutes and companies sharing the enclave, each isolated in its namespace on its cluster: planned as a diff, applied, and checked for drift."
        actions={
          <>
            <RefreshButton
              onRefresh={() => {
                tenants.reload();
                clusters.reload();
              }}
              busy={tenants.loading}
            />
            {mayPlan && (
              <button
                type="button"
                id={NEW}
                className="button button-primary"
                onClick={() => setWork({ kind: 'new', run: work?.kind === 'new' ? work.run + 1 : 1 })}
              >
                <Icon name="plus" size={14} />
                New tenant
              </button>
            )}
          </>
        }
      />
      <DecommissionDialog
        target={decommissioning}
        onClose={() => setDecommissioning(null)}
        onDone={() => {
          tenants.reload();
          if (work && work.kind !== 'new' && work.name === decommissioning?.name) setWork(null);
        }}
      />
      <div className="tenants-workspace">
        <Loadable state={tenants} what="the tenants">
          {(rows) =>
            rows.length === 0 ? (
              work?.kind === 'new' ? null : (
                <EmptyState
                  icon="tenants"
                  title="No tenants yet"
                  commands={['enclave tenants plan FILE', 'enclave tenants apply FILE']}
                >
                  <p>
                    {mayPlan ? (
                      <>
                        Describe a tenant with <strong>New tenant</strong> (or in a spec file, as in{' '}
                        <code>docs/examples/tenant.yaml</code>), review the plan, then apply it.
                      </>
                    ) : (
                      'Tenants are provisioned by tenant administrators and administrators.'
                    )}{' '}
                    {clusterRows.length === 0 && 'Clusters must be imported first, on the Clusters page.'}
                  </p>
                </EmptyState>
              )
            ) : (
              <DataTable
                label="Tenants"
                columns={columns}
                rows={rows}
                rowKey={(t) => `${t.cluster}/${t.name}`}
              />
            )
          }
        </Loadable>

        <Suspense
          fallback={
            <div className="loading" role="status">
              <span className="spinner" aria-hidden="true" />
              Loading the tenant wizard…
            </div>
          }
        >
          {work?.kind === 'new' && (
            <Loadable state={clusters} what="the clusters">
              {(list) => (
                <TenantWizard
                  key={`new-${work.run}`}
                  clusters={list}
                  onClose={closeWork}
                  onApplied={tenants.reload}
                />
              )}
            </Loadable>
          )}
          {work?.kind === 'edit' && (
            <EditTenant
              key={`edit-${work.cluster}/${work.name}`}
              target={work}
              clusters={clusterRows}
              onClose={closeWork}
              onApplied={tenants.reload}
            />
          )}
        </Suspense>
        {work?.kind === 'drift' && (
          <DriftPanel
            key={`drift-${work.cluster}/${work.name}`}
            name={work.name}
            cluster={work.cluster}
            onChecked={tenants.reload}
            onClose={closeWork}
          />
        )}
      </div>
    </>
  );
}

/** Edit starts from the spec as last applied (tenants.get). */
function EditTenant({
  target,
  clusters,
  onClose,
  onApplied,
}: {
  target: Target;
  clusters: readonly z.infer<typeof ClusterRow>[];
  onClose: () => void;
  onApplied: () => void;
}) {
  const tenant = useProcedure('tenants.get', { name: target.name, cluster: target.cluster });
  return (
    <Loadable state={tenant} what={`tenant ${target.name}`}>
      {(t) => (
        <TenantWizard
          initial={{ name: t.summary.name, cluster: t.summary.cluster, spec: t.spec }}
          clusters={clusters}
          onClose={onClose}
          onApplied={onApplied}
        />
      )}
    </Loadable>
  );
}
