import { useRef, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { ExportProgressEvent } from '../../../shared/api';
import type { OutputOf } from '../../../shared/client';
import type { ConsoleError } from '../../../shared/errors';
import { toConsoleError, useProcedure } from '../../app/calls';
import { useClient } from '../../app/connection';
import { Banner } from '../../ui/Banner';
import { Dialog } from '../../ui/Dialog';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Field } from '../../ui/Field';
import { Loadable } from '../../ui/Loadable';

type Run =
  | { status: 'idle' }
  | { status: 'running'; progress: z.infer<typeof ExportProgressEvent> | null }
  | { status: 'done'; result: OutputOf<'audit.export'> }
  | { status: 'failed'; error: ConsoleError };

function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function ExportDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog open={open} onClose={onClose} title="Export the audit ledger" className="dialog-wide">
      <ExportForm onClose={onClose} />
    </Dialog>
  );
}

/**
 * Writes the ledger to removable media for auditors to take away; the core reads
 * the copy back before it reports success. Mounted only while the dialog is open,
 * so the media list is fresh each time.
 */
function ExportForm({ onClose }: { onClose: () => void }) {
  const client = useClient();
  const media = useProcedure('audit.media', {});
  const [folder, setFolder] = useState('');
  const [full, setFull] = useState(false);
  const [run, setRun] = useState<Run>({ status: 'idle' });
  const cancel = useRef<AbortController | null>(null);

  const start = (event: FormEvent) => {
    event.preventDefault();
    const controller = new AbortController();
    cancel.current = controller;
    setRun({ status: 'running', progress: null });
    client
      .call(
        'audit.export',
        { to: folder.trim(), full },
        { signal: controller.signal, onEvent: (progress) => setRun({ status: 'running', progress }) },
      )
      .then(
        (result) => setRun({ status: 'done', result }),
        (error: unknown) => setRun({ status: 'failed', error: toConsoleError(error) }),
      );
  };

  const running = run.status === 'running';
  return (
    <form className="form" onSubmit={start} aria-label="Export the audit ledger">
      <p className="muted">
        Writes a new folder with the entries, the newest signed checkpoint, a consistency proof from the
        previous export, the ledger's public key and a how-to-verify text, then reads it back to check every
        byte.
      </p>
      <fieldset className="choices">
        <legend>Removable media</legend>
        <Loadable state={media} what="the removable media">
          {(list) =>
            list.length === 0 ? (
              <p className="notice">
                No removable media found. Insert and mount a USB drive, then{' '}
                <button type="button" className="link-button" onClick={media.reload}>
                  look again
                </button>
                ; or type an existing folder below.
              </p>
            ) : (
              list.map((m) => (
                <label key={m.mountPoint} className="choice">
                  <input
                    type="radio"
                    name="medium"
                    checked={folder === m.mountPoint}
                    onChange={() => setFolder(m.mountPoint)}
                  />
                  <span>
                    <strong>{m.label ?? m.device}</strong> <span className="mono">{m.mountPoint}</span>
                    <span className="muted">
                      {' '}
                      — {formatBytes(m.freeBytes)} free of {formatBytes(m.totalBytes)}
                      {m.fsType && `, ${m.fsType}`}
                      {m.transport && `, ${m.transport}`}
                    </span>
                  </span>
                </label>
              ))
            )
          }
        </Loadable>
      </fieldset>
      <Field label="Target folder" hint="The export goes into a new folder inside this one.">
        {(control) => (
          <input
            {...control}
            value={folder}
            onChange={(e) => setFolder(e.target.value)}
            placeholder="/media/usb"
            spellCheck={false}
            required
            data-autofocus
          />
        )}
      </Field>
      <label className="choice">
        <input type="checkbox" checked={full} onChange={(e) => setFull(e.target.checked)} />
        <span>
          Export the whole ledger{' '}
          <span className="muted">— otherwise only what is new since the last export</span>
        </span>
      </label>
      {run.status === 'running' && (
        <div className="export-progress" role="status">
          <progress
            max={run.progress?.totalBytes || 1}
            value={run.progress?.bytes ?? 0}
            aria-label="Export progress"
          />
          <span className="muted">
            {run.progress
              ? `${run.progress.phase}: ${formatBytes(run.progress.bytes)} of ${formatBytes(run.progress.totalBytes)}`
              : 'starting…'}
          </span>
        </div>
      )}
      {run.status === 'failed' && <ErrorBanner title="The export did not complete" error={run.error} />}
      {run.status === 'done' && (
        <Banner tone="ok" title={`Exported entries ${run.result.from} to ${run.result.to}`}>
          <p>
            {formatBytes(run.result.bytes)} in <span className="mono">{run.result.folder}</span>, read back
            and checked ({run.result.readBack}). Files: {run.result.files.join(', ')}.
          </p>
        </Banner>
      )}
      <div className="form-actions">
        {running ? (
          <button type="button" className="button" onClick={() => cancel.current?.abort()}>
            Cancel export
          </button>
        ) : (
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
        )}
        <button type="submit" className="button button-primary" disabled={running || folder.trim() === ''}>
          {running ? 'Exporting…' : 'Export'}
        </button>
      </div>
    </form>
  );
}
