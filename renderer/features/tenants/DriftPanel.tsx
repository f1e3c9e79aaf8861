import { useEffect, useId, useRef } from 'react';
import { useProcedure } from '../../app/calls';
import { Banner } from '../../ui/Banner';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Icon } from '../../ui/Icon';
import { Timestamp } from '../../ui/Timestamp';
import { plural } from '../../ui/format';
import { ObjectChanges } from './TenantPlan';

/**
 * A drift check (tenants.drift): every object of the tenant read now and compared with what the
 * console last applied; per object changed, missing (deleted on the cluster) or, as the core
 * reports it, any other action, with the fields on both sides. The list's health follows it.
 */
export function DriftPanel({
  name,
  cluster,
  onChecked,
  onClose,
}: {
  name: string;
  cluster: string;
  onChecked: () => void;
  onClose: () => void;
}) {
  const drift = useProcedure('tenants.drift', { name, cluster });
  const headingId = useId();
  const panelRef = useRef<HTMLElement>(null);
  const checked = useRef(onChecked);
  useEffect(() => {
    checked.current = onChecked;
  });
  useEffect(() => {
    if (drift.data) checked.current();
  }, [drift.data]);
  useEffect(() => {
    panelRef.current?.scrollIntoView({ block: 'nearest' });
  }, []);

  const data = drift.loading ? undefined : drift.data;
  const differing = data?.changes.filter((c) => c.action !== 'unchanged') ?? [];

  return (
    <section ref={panelRef} className="panel drift-panel" aria-labelledby={headingId}>
      <div className="panel-header">
        <h2 id={headingId}>
          Drift of {name} <span className="muted">on {cluster}</span>
        </h2>
        <div className="wizard-tools">
          <button type="button" className="button" onClick={drift.reload} disabled={drift.loading}>
            <Icon name="refresh" size={14} />
            Check again
          </button>
          <button type="button" className="button button-quiet" onClick={onClose}>
            Close drift
          </button>
        </div>
      </div>
      {drift.error && (
        <ErrorBanner title="The drift check did not run" error={drift.error} onRetry={drift.reload} />
      )}
      {!data && !drift.error && (
        <div className="loading" role="status">
          <span className="spinner" aria-hidden="true" />
          Reading every object of {name} on {cluster}…
        </div>
      )}
      {data && (
        <>
          {differing.length === 0 ? (
            <Banner tone="ok" title="No drift">
              <p>All {plural(data.changes.length, 'object')} are as the console applied them.</p>
            </Banner>
          ) : (
            <Banner tone="info" title={`${plural(differing.length, 'object')} drifted since the last apply`}>
              <p>
                Changed on the cluster behind the console. Plan the tenant again (Edit) to put them back, or
                record the change in the spec.
              </p>
            </Banner>
          )}
          <p className="muted small">
            Checked <Timestamp value={data.checkedAt} />; last applied{' '}
            <Timestamp value={data.lastAppliedAt} />.
          </p>
          {differing.length > 0 && (
            <ObjectChanges
              label={`Drift of ${name}`}
              changes={differing}
              columns={['Last applied', 'On the cluster now']}
            />
          )}
        </>
      )}
    </section>
  );
}
