import type { ComponentType } from 'react';
import { AuditPage } from '../features/audit/AuditPage';
import { BundlesPage } from '../features/bundles/BundlesPage';
import { ClustersPage } from '../features/clusters/ClustersPage';
import { GpusPage } from '../features/gpu/GpusPage';
import { HostsPage } from '../features/hosts/HostsPage';
import { OverviewPage } from '../features/overview/OverviewPage';
import { SettingsPage } from '../features/settings/SettingsPage';
import { TenantsPage } from '../features/tenants/TenantsPage';
import type { IconName } from '../ui/Icon';
import type { PageId } from './navigation';

export interface PageEntry {
  id: PageId;
  title: string;
  icon: IconName;
  /** The second key of its "G then …" binding. */
  key: string;
  section: 'Console' | 'Infrastructure' | 'Workloads' | 'Governance';
  component: ComponentType;
}

/** The pages in sidebar order; navigation, the palette and keyboard help all read this list. */
export const PAGES: readonly PageEntry[] = [
  {
    id: 'overview',
    title: 'Overview',
    icon: 'overview',
    key: 'O',
    section: 'Console',
    component: OverviewPage,
  },
  { id: 'hosts', title: 'Hosts', icon: 'hosts', key: 'H', section: 'Infrastructure', component: HostsPage },
  { id: 'gpus', title: 'GPUs', icon: 'gpu', key: 'U', section: 'Infrastructure', component: GpusPage },
  {
    id: 'clusters',
    title: 'Clusters',
    icon: 'clusters',
    key: 'C',
    section: 'Infrastructure',
    component: ClustersPage,
  },
  {
    id: 'tenants',
    title: 'Tenants',
    icon: 'tenants',
    key: 'T',
    section: 'Workloads',
    component: TenantsPage,
  },
  {
    id: 'bundles',
    title: 'Bundles',
    icon: 'bundles',
    key: 'B',
    section: 'Workloads',
    component: BundlesPage,
  },
  { id: 'audit', title: 'Audit', icon: 'audit', key: 'A', section: 'Governance', component: AuditPage },
  {
    id: 'settings',
    title: 'Settings',
    icon: 'settings',
    key: 'S',
    section: 'Governance',
    component: SettingsPage,
  },
];
