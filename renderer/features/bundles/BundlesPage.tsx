import { useId, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { BundleRow, FoundBundle } from '../../../shared/api';
import { useProcedure } from '../../app/calls';
import { Badge } from '../../ui/Badge';
import { DataTable, type Column } from '../../ui/DataTable';
import { EmptyState } from '../../ui/EmptyState';
import { Field } from '../../ui/Field';
import { Loadable } from '../../ui/Loadable';
import { PageHeader } from '../../ui/PageHeader';
import { RefreshButton } from '../../ui/RefreshButton';
import { Timestamp } from '../../ui/Timestamp';
import { formatBytes } from '../../ui/format';
import { BundleWork } from './BundleWork';
import { TrustPanel } from './TrustPanel';
import './bundles.css';

type Bundle = z.infer<typeof BundleRow>;

const columns: Column<Bundle>[] = [
  { header: 'Name', cell: (b) => <strong>{b.name}</strong> },
  { header: 'Kind', cell: (b) => <Badge>{b.kind}</Badge> },
  { header: 'Version', kind: 'mono', cell: (b) => b.version },
  // The first 16 hex digits identify a bundle at a glance; the tooltip has all 64.
  { header: 'SHA-256', kind: 'mono', cell: (b) => <span title={b.sha256}>{b.sha256.slice(0, 16)}…</span> },
  { header: 'Where', cell: (b) => (b.targets?.length ? b.targets.join(', ') : '—') },
  { header: 'Installed', cell: (b) => <Timestamp value={b.installedAt} /> },
];

/**
 * Bundles: what is on inserted media (or in a folder), verified in place, planned, imported and
 * installed; what is installed; the trust store they are checked against.
 */
export function BundlesPage() {
  const bundles = useProcedure('bundles.list', {});
  const trust = useProcedure('bundles.trust', {});
  const [folder, setFolder] = useState('');
  const [scanInput, setScanInput] = useState<{ path?: string }>({});
  const found = useProcedure('bundles.scan', scanInput);
  const [working, setWorking] = useState<string | null>(null);
  const mediaHeading = useId();

  const scan = (event: FormEvent) => {
    event.preventDefault();
    const path = folder.trim();
    setScanInput(path ? { path } : {});
    found.reload();
  };

  const foundColumns: Column<FoundBundle>[] = [
    { header: 'Bundle file', kind: 'mono', cell: (b) => b.path },
    { header: 'Size', cell: (b) => formatBytes(b.size) },
    { header: 'Medium', cell: (b) => b.medium ?? <span className="muted">folder</span> },
    {
      header: 'Actions',
      cell: (b) => (
        <button
          type="button"
          className="button"
          aria-label={`Verify ${b.path}`}
          aria-pressed={working === b.path}
          onClick={() => setWorking(b.path)}
        >
          Verify
        </button>
      ),
    },
  ];

  return (
    <>
      <PageHeader
        title="Bundles"
        description="Software enters the enclave only as bundles signed by trusted signers: verify, review the plan, import and install."
        actions={
          <RefreshButton
            onRefresh={() => {
              bundles.reload();
              found.reload();
              trust.reload();
            }}
            busy={bundles.loading || found.loading}
          />
        }
      />
      <div className="bundles-workspace">
        <section className="panel" aria-labelledby={mediaHeading}>
          <div className="panel-header">
            <h2 id={mediaHeading}>On removable media</h2>
          </div>
          <form className="bundle-scan" aria-label="Scan for bundles" onSubmit={scan}>
            <Field label="Folder" hint="Leave empty to look on every inserted removable medium.">
              {(p) => (
                <input
                  {...p}
                  value={folder}
                  placeholder="/media/usb"
                  onChange={(e) => setFolder(e.target.value)}
                  autoComplete="off"
                />
              )}
            </Field>
            <button type="submit" className="button">
              Scan
            </button>
          </form>
          <Loadable state={found} what="the media">
            {(out) =>
              out.bundles.length === 0 ? (
                <p className="muted">
                  {scanInput.path
                    ? `No bundle files (.tar) in ${scanInput.path}.`
                    : out.media.length === 0
                      ? 'No removable media are mounted. Insert one, or give a folder.'
                      : `No bundle files (.tar) on ${out.media.map((m) => m.label ?? m.mountPoint).join(', ')}.`}
                </p>
              ) : (
                <DataTable
                  label="Bundles found"
                  columns={foundColumns}
                  rows={out.bundles}
                  rowKey={(b) => b.path}
                />
              )
            }
          </Loadable>
        </section>

        {working && (
          <BundleWork
            key={working}
            path={working}
            onChanged={() => {
              bundles.reload();
            }}
          />
        )}

        <Loadable state={bundles} what="the bundles">
          {(rows) =>
            rows.length === 0 ? (
              <EmptyState
                icon="bundles"
                title="No offline bundles installed"
                commands={['enclave bundle check FILE', 'enclave bundle install FILE']}
              >
                <p>
                  Software enters only as bundles signed by trusted signers. Verify a bundle against the trust
                  store, then install it.
                </p>
              </EmptyState>
            ) : (
              <DataTable
                label="Installed bundles"
                columns={columns}
                rows={rows}
                rowKey={(b) => `${b.name}@${b.version}`}
              />
            )
          }
        </Loadable>

        <Loadable state={trust} what="the trust store">
          {(view) => <TrustPanel trust={view} onChanged={trust.reload} />}
        </Loadable>
      </div>
    </>
  );
}
