import { useEffect, useMemo, useState } from 'react';
import type { ConsoleError } from '../../../shared/errors';
import { mayCall, toConsoleError, useProcedure } from '../../app/calls';
import { useClient } from '../../app/connection';
import { useRoute } from '../../app/navigation';
import { useSession } from '../../app/session';
import { EmptyState } from '../../ui/EmptyState';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Icon } from '../../ui/Icon';
import { Loadable } from '../../ui/Loadable';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';
import { useToast } from '../../ui/Toast';
import { plural } from '../../ui/format';
import { VirtualList } from '../../ui/VirtualList';
import { AddHostDialog } from './AddHostDialog';
import { recordContacts, useHostContacts } from './contacts';
import { HostDetail } from './HostDetail';
import { HOST_COLUMNS, HostListRow, hostRowLabel } from './HostListRow';
import { HostFiltersBar } from './HostFiltersBar';
import { groupGpus, matchesFilters, NO_FILTERS, type Gpu, type Host, type HostFilters } from './model';
import './hosts.css';

const ROW_HEIGHT = 44;
const NO_GPUS: readonly Gpu[] = [];

export function HostsPage() {
  const client = useClient();
  const toast = useToast();
  const { session } = useSession();
  const route = useRoute();
  const hosts = useProcedure('hosts.list', {});
  const gpus = useProcedure('gpus.list', {});
  const contacts = useHostContacts();
  const mayAdd = mayCall('hosts.add', session.operator.roles);
  const mayOperate = mayCall('hosts.discover', session.operator.roles);
  const [adding, setAdding] = useState(false);
  const [filters, setFilters] = useState<HostFilters>(NO_FILTERS);
  const [selectedName, setSelectedName] = useState<string | null>(null);
  const [discovering, setDiscovering] = useState<ReadonlySet<string>>(new Set());
  const [discoverFailure, setDiscoverFailure] = useState<ConsoleError | undefined>();

  // The palette's "Add a GPU host…" lands here with the procedure id as the section.
  const { section, navigate } = route;
  useEffect(() => {
    if (section === 'hosts.add' && mayAdd) setAdding(true);
  }, [section, mayAdd]);

  const gpusByHost = useMemo(() => groupGpus(gpus.data ?? []), [gpus.data]);
  const rows = useMemo(() => hosts.data ?? [], [hosts.data]);
  const filtered = useMemo(
    () => rows.filter((h) => matchesFilters(h, gpusByHost.get(h.name) ?? NO_GPUS, filters)),
    [rows, gpusByHost, filters],
  );
  const selectedIndex = Math.max(
    0,
    filtered.findIndex((h) => h.name === selectedName),
  );
  const selected: Host | undefined = filtered[selectedIndex];

  const reload = () => {
    hosts.reload();
    gpus.reload();
  };

  const discover = async (names: readonly string[]) => {
    if (names.length === 0) return;
    setDiscovering((now) => new Set([...now, ...names]));
    setDiscoverFailure(undefined);
    try {
      const results = [];
      // The contract takes at most 512 hosts a call.
      for (let i = 0; i < names.length; i += 512) {
        const output = await client.call('hosts.discover', { hosts: names.slice(i, i + 512) });
        results.push(...output.results);
      }
      recordContacts('discover', results);
      const failed = results.filter((r) => r.error);
      const found = results.reduce((n, r) => n + r.gpus.length, 0);
      toast(
        failed.length === 0
          ? {
              tone: 'ok',
              title: `Discovered ${plural(results.length, 'host')}: ${plural(found, 'GPU')}`,
            }
          : {
              tone: 'danger',
              title: `Discovery failed on ${plural(failed.length, 'host')} of ${results.length}`,
              body: failed.map((r) => `${r.host}: ${r.error}`).join('; '),
            },
      );
    } catch (caught) {
      setDiscoverFailure(toConsoleError(caught));
    } finally {
      setDiscovering((now) => new Set([...now].filter((n) => !names.includes(n))));
      reload();
    }
  };

  const closeAdd = () => {
    setAdding(false);
    if (section) navigate('hosts');
  };

  return (
    <>
      <PageHeader
        title="Hosts"
        description="Bare-metal GPU hosts in this enclave's inventory, reached over SSH with pinned host keys."
        actions={
          <>
            <RefreshButton onRefresh={reload} busy={hosts.loading || gpus.loading} />
            {mayOperate && rows.length > 0 && (
              <button
                type="button"
                className="button"
                onClick={() => void discover(rows.map((h) => h.name))}
                disabled={discovering.size > 0}
                aria-busy={discovering.size > 0}
              >
                {discovering.size > 0 ? (
                  <span className="spinner" aria-hidden="true" />
                ) : (
                  <Icon name="refresh" size={14} />
                )}
                Discover all
              </button>
            )}
            {mayAdd && (
              <button
                type="button"
                id="hosts.add"
                className="button button-primary"
                onClick={() => setAdding(true)}
              >
                <Icon name="plus" size={14} />
                Add host
              </button>
            )}
          </>
        }
      />
      <AddHostDialog
        open={adding}
        onClose={closeAdd}
        onAdded={(host) => {
          setSelectedName(host.name);
          setFilters(NO_FILTERS);
          reload();
        }}
        onDiscover={(name) => void discover([name])}
      />
      {discoverFailure && <ErrorBanner title="Discovery did not run" error={discoverFailure} />}
      {gpus.error && <ErrorBanner title="Could not load the GPUs" error={gpus.error} onRetry={gpus.reload} />}
      <Loadable state={hosts} what="the GPU hosts">
        {(all) =>
          all.length === 0 ? (
            <EmptyState
              icon="hosts"
              title="No GPU hosts yet"
              commands={[
                'enclave hosts add NAME --address ADDRESS --user USER --key FILE',
                'enclave hosts import inventory.yaml',
              ]}
            >
              <p>
                {mayAdd ? (
                  <>
                    Add a host with <strong>Add host</strong> (you confirm its host key before anything is
                    sent to it), or from the command line.
                  </>
                ) : (
                  'Hosts are added by operators and administrators.'
                )}{' '}
                <code>enclave lab up</code> starts simulated hosts and writes an inventory to import.
              </p>
            </EmptyState>
          ) : (
            <div className="hosts-workspace">
              <HostFiltersBar
                hosts={all}
                filters={filters}
                onChange={setFilters}
                count={`${filtered.length.toLocaleString('en')} of ${plural(all.length, 'host')}`}
              />
              {filtered.length === 0 ? (
                <EmptyState icon="hosts" title="No hosts match these filters">
                  <p>Clear the filters to see every host.</p>
                </EmptyState>
              ) : (
                <div
                  className="hosts-list"
                  style={{ height: Math.min(34 + 2 + filtered.length * ROW_HEIGHT, 380) }}
                >
                  <VirtualList
                    label="GPU hosts"
                    items={filtered}
                    rowHeight={ROW_HEIGHT}
                    itemKey={(h) => h.name}
                    itemLabel={(h) =>
                      hostRowLabel(h, gpusByHost.get(h.name) ?? NO_GPUS, contacts.get(h.name))
                    }
                    renderItem={(h) => (
                      <HostListRow
                        host={h}
                        gpus={gpusByHost.get(h.name) ?? NO_GPUS}
                        contact={contacts.get(h.name)}
                      />
                    )}
                    header={HOST_COLUMNS}
                    selectedIndex={selected ? selectedIndex : null}
                    onSelect={(index) => setSelectedName(filtered[index]?.name ?? null)}
                    followSelection
                  />
                </div>
              )}
              {selected && (
                <HostDetail
                  key={selected.name}
                  host={selected}
                  gpus={gpusByHost.get(selected.name) ?? NO_GPUS}
                  contact={contacts.get(selected.name)}
                  discovering={discovering.has(selected.name)}
                  discoverError={
                    contacts.get(selected.name)?.kind === 'discover'
                      ? (contacts.get(selected.name)?.error ?? undefined)
                      : undefined
                  }
                  mayOperate={mayOperate}
                  onDiscover={() => void discover([selected.name])}
                  onRan={hosts.reload}
                />
              )}
            </div>
          )
        }
      </Loadable>
    </>
  );
}
