import type { PageId } from '../../app/navigation';
import { pageHref } from '../../app/navigation';
import { useProcedure } from '../../app/calls';
import { useSession } from '../../app/session';
import { Icon, type IconName } from '../../ui/Icon';
import { Loadable } from '../../ui/Loadable';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';
import { SelfCheckPanel } from './SelfCheckPanel';
import { WorkstationFacts } from './WorkstationFacts';
import './overview.css';

interface Tile {
  key: 'hosts' | 'gpus' | 'clusters' | 'tenants' | 'bundles' | 'operators' | 'auditEntries';
  label: string;
  icon: IconName;
  page: PageId;
}

const tiles: Tile[] = [
  { key: 'hosts', label: 'GPU hosts', icon: 'hosts', page: 'hosts' },
  { key: 'gpus', label: 'GPUs', icon: 'gpu', page: 'gpus' },
  { key: 'clusters', label: 'Clusters', icon: 'clusters', page: 'clusters' },
  { key: 'tenants', label: 'Tenants', icon: 'tenants', page: 'tenants' },
  { key: 'bundles', label: 'Bundles', icon: 'bundles', page: 'bundles' },
  { key: 'operators', label: 'Operators', icon: 'settings', page: 'settings' },
  { key: 'auditEntries', label: 'Audit entries', icon: 'audit', page: 'audit' },
];

export function OverviewPage() {
  const { info } = useSession();
  const overview = useProcedure('system.overview', {});
  return (
    <>
      <PageHeader
        title="Overview"
        description={
          <>
            Workstation <code>{info.workstationId ?? 'not yet assigned'}</code> · Enclave Console{' '}
            {info.version}
          </>
        }
        actions={<RefreshButton onRefresh={overview.reload} busy={overview.loading} />}
      />
      <Loadable state={overview} what="the overview">
        {(counts) => (
          <ul className="tiles" aria-label="Counts">
            {tiles.map((tile) => (
              <li key={tile.key}>
                <a className="tile" href={pageHref(tile.page)}>
                  <span className="tile-label">
                    <Icon name={tile.icon} size={14} />
                    {tile.label}
                  </span>
                  <span className="tile-value">{counts[tile.key].toLocaleString('en')}</span>
                </a>
              </li>
            ))}
          </ul>
        )}
      </Loadable>
      <div className="columns">
        <WorkstationFacts lastAuditAt={overview.data?.lastAuditAt ?? null} />
        <SelfCheckPanel />
      </div>
    </>
  );
}
