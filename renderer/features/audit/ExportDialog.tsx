import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import type { z } from 'zod';
import type { ExportProgressEvent, MediumView } from '../../../shared/api';
import type { OutputOf } from '../../../shared/client';
import type { ConsoleError } from '../../../shared/errors';
import { toConsoleError, useProcedure, type ProcedureState } from '../../app/calls';
import { useClient } from '../../app/connection';
import { Banner } from '../../ui/Banner';
import { CommandLine } from '../../ui/CommandLine';
import { CopyValue } from '../../ui/CopyValue';
import { Dialog } from '../../ui/Dialog';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { formatBytes, plural } from '../../ui/format';
import { Icon } from '../../ui/Icon';
import { Steps } from '../../ui/Steps';

type Progress = z.infer<typeof ExportProgressEvent>;
type Medium = z.infer<typeof MediumView>;
type Result = OutputOf<'audit.export'>;

type Run =
  | { status: 'idle' }
  | { status: 'running'; progress: Progress | null; cancelling: boolean }
  | { status: 'done'; result: Result }
  | { status: 'failed'; error: ConsoleError };

type Stage = 'medium' | 'range' | 'run';

const STEPS = ['Medium', 'What to export', 'Export', 'Result'] as const;
/** The radio value for "a folder I type", never a mount point (those are absolute paths). */
const FOLDER = '*folder';

export function ExportDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title="Export the audit ledger"
      className="dialog-wide dialog-export"
    >
      <ExportWizard onClose={onClose} />
    </Dialog>
  );
}

/**
 * Writes the ledger to removable media for auditors to take away, in four steps:
 * the medium, what to export, the export with its progress, and the result. The
 * core reads every file back from the medium before it reports success. Mounted
 * only while the dialog is open, so the media list is fresh each time; closing the
 * dialog while an export runs cancels it.
 */
function ExportWizard({ onClose }: { onClose: () => void }) {
  const client = useClient();
  const media = useProcedure('audit.media', {});
  const status = useProcedure('audit.status', {});
  const [stage, setStage] = useState<Stage>('medium');
  const [choice, setChoice] = useState<string | null>(null);
  const [folder, setFolder] = useState('');
  const [full, setFull] = useState(false);
  const [run, setRun] = useState<Run>({ status: 'idle' });
  const controller = useRef<AbortController | null>(null);
  const root = useRef<HTMLDivElement>(null);

  useEffect(() => () => controller.current?.abort(), []);

  // Each step starts at its heading, so keyboard and screen-reader users land on the new content.
  const focusKey = stage === 'run' ? `run:${run.status === 'running' ? 'running' : run.status}` : stage;
  const firstRender = useRef(true);
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    root.current?.querySelector<HTMLElement>('[data-step-heading]')?.focus();
  }, [focusKey]);

  const list = media.data;
  // One medium is chosen for the operator; none means the folder field is the only way.
  const chosen =
    choice ?? (list?.length === 1 ? (list[0]?.mountPoint ?? null) : list?.length === 0 ? FOLDER : null);
  const medium = list?.find((m) => m.mountPoint === chosen);
  const target = chosen === FOLDER ? folder.trim() : (medium?.mountPoint ?? '');

  const start = () => {
    const abort = new AbortController();
    controller.current = abort;
    setStage('run');
    setRun({ status: 'running', progress: null, cancelling: false });
    client
      .call(
        'audit.export',
        { to: target, full },
        {
          signal: abort.signal,
          onEvent: (progress) => setRun((r) => (r.status === 'running' ? { ...r, progress } : r)),
        },
      )
      .then(
        (result) => setRun({ status: 'done', result }),
        (error: unknown) => setRun({ status: 'failed', error: toConsoleError(error) }),
      )
      .finally(() => {
        if (controller.current === abort) controller.current = null;
        status.reload();
      });
  };

  const cancel = () => {
    controller.current?.abort();
    setRun((r) => (r.status === 'running' ? { ...r, cancelling: true } : r));
  };

  const current = stage === 'medium' ? 0 : stage === 'range' ? 1 : run.status === 'done' ? 3 : 2;

  return (
    <div ref={root} className="export-wizard">
      <Steps steps={STEPS} current={current} />
      {stage === 'medium' && (
        <MediumStep
          media={media}
          chosen={chosen}
          choose={setChoice}
          folder={folder}
          setFolder={setFolder}
          target={target}
          onCancel={onClose}
          onNext={() => setStage('range')}
        />
      )}
      {stage === 'range' && (
        <RangeStep
          status={status.data}
          medium={chosen === FOLDER ? undefined : medium}
          target={target}
          full={full}
          setFull={setFull}
          onBack={() => setStage('medium')}
          onExport={start}
        />
      )}
      {stage === 'run' && (
        <RunStep
          run={run}
          target={target}
          verifierKey={status.data?.verifierKey ?? null}
          onCancel={cancel}
          onBack={() => {
            setRun({ status: 'idle' });
            setStage('medium');
          }}
          onRetry={start}
          onClose={onClose}
        />
      )}
    </div>
  );
}

function MediumStep({
  media,
  chosen,
  choose,
  folder,
  setFolder,
  target,
  onCancel,
  onNext,
}: {
  media: ProcedureState<Medium[]>;
  chosen: string | null;
  choose: (choice: string) => void;
  folder: string;
  setFolder: (folder: string) => void;
  target: string;
  onCancel: () => void;
  onNext: () => void;
}) {
  const id = useId();
  const list = media.data;
  const next = (event: FormEvent) => {
    event.preventDefault();
    if (target) onNext();
  };
  return (
    <form className="form" onSubmit={next} aria-labelledby={`${id}-heading`}>
      <div className="wizard-heading">
        <h3 id={`${id}-heading`} tabIndex={-1} data-step-heading>
          Choose the medium
        </h3>
        <button
          type="button"
          className="button button-quiet"
          onClick={media.reload}
          disabled={media.loading}
          aria-busy={media.loading}
        >
          <Icon name="refresh" size={14} />
          Refresh
        </button>
      </div>
      <p className="muted">
        The export goes into a new folder on the medium; nothing already there is changed. Use a medium the
        auditor will take away.
      </p>
      {media.error && (
        <ErrorBanner title="Could not list the removable media" error={media.error} onRetry={media.reload} />
      )}
      <fieldset className="choices media-list">
        <legend className="visually-hidden">Where to write the export</legend>
        {list === undefined && !media.error && (
          <div className="loading" role="status">
            <span className="spinner" aria-hidden="true" />
            Looking for removable media…
          </div>
        )}
        {list?.length === 0 && (
          <p className="notice">
            No removable media detected on this workstation. Insert a USB drive, mount it and choose Refresh;
            or give a folder below.
          </p>
        )}
        {list?.map((m, i) => (
          <label key={m.mountPoint} className="medium-choice">
            <input
              type="radio"
              name={`${id}-medium`}
              checked={chosen === m.mountPoint}
              onChange={() => choose(m.mountPoint)}
              data-autofocus={i === 0 ? true : undefined}
            />
            <span className="medium-text">
              <span className="medium-name">
                <strong>{m.label ?? 'Unlabelled medium'}</strong>
                <span className="mono muted">{m.device}</span>
              </span>
              <span className="mono">{m.mountPoint}</span>
              {(m.fsType || m.transport) && (
                <span className="muted small">
                  {[m.fsType, m.transport?.toUpperCase()].filter(Boolean).join(' · ')}
                </span>
              )}
            </span>
            <span className="medium-space">
              <span>
                <strong>{formatBytes(m.freeBytes)}</strong> free
              </span>
              <span className="muted small">of {formatBytes(m.totalBytes)}</span>
            </span>
          </label>
        ))}
        <label className="medium-choice">
          <input
            type="radio"
            name={`${id}-medium`}
            checked={chosen === FOLDER}
            onChange={() => choose(FOLDER)}
          />
          <span className="medium-text">
            <strong>A folder</strong>
            <span className="muted small">An existing folder, e.g. on a medium that was not detected.</span>
          </span>
        </label>
      </fieldset>
      {chosen === FOLDER && (
        <div className="field">
          <label htmlFor={`${id}-folder`}>Folder path</label>
          <input
            id={`${id}-folder`}
            value={folder}
            onChange={(e) => setFolder(e.target.value)}
            placeholder="/media/usb"
            spellCheck={false}
            autoComplete="off"
            aria-describedby={`${id}-folder-hint`}
            // Shown because the operator chose it (or nothing else exists): typing is next. The dialog
            // focuses data-autofocus when it opens; autoFocus covers choosing it later.
            data-autofocus
            autoFocus
          />
          <p id={`${id}-folder-hint`} className="field-hint">
            An absolute path on this workstation. Its free space is checked when the export starts.
          </p>
        </div>
      )}
      <div className="form-actions">
        <button type="button" className="button" onClick={onCancel}>
          Cancel
        </button>
        <button type="submit" className="button button-primary" disabled={!target}>
          Next
        </button>
      </div>
    </form>
  );
}

function RangeStep({
  status,
  medium,
  target,
  full,
  setFull,
  onBack,
  onExport,
}: {
  status: OutputOf<'audit.status'> | undefined;
  medium: Medium | undefined;
  target: string;
  full: boolean;
  setFull: (full: boolean) => void;
  onBack: () => void;
  onExport: () => void;
}) {
  const id = useId();
  const entries = status?.entries;
  const from = status?.lastExport?.size ?? 0;
  const about = (n: number | undefined) =>
    n === undefined ? '…' : `about ${plural(Math.max(0, n), 'entry', 'entries')}`;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    onExport();
  };
  return (
    <form className="form" onSubmit={submit} aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`} tabIndex={-1} data-step-heading>
        Choose what to export
      </h3>
      <p className="export-target">
        To{' '}
        {medium ? (
          <>
            <strong>{medium.label ?? medium.device}</strong> at <span className="mono">{target}</span>,{' '}
            {formatBytes(medium.freeBytes)} free
          </>
        ) : (
          <span className="mono">{target}</span>
        )}
      </p>
      <fieldset className="choices">
        <legend className="visually-hidden">What to export</legend>
        <label className="medium-choice">
          <input type="radio" name={`${id}-range`} checked={!full} onChange={() => setFull(false)} />
          <span className="medium-text">
            <strong>
              {status?.lastExport
                ? `New entries since the last export (from entry ${from.toLocaleString('en')})`
                : 'New entries (there was no earlier export, so from entry 0)'}
            </strong>
            <span className="muted small">
              {about(entries === undefined ? undefined : entries - from)}.{' '}
              {status?.lastExport
                ? 'With a consistency proof from the previous export, which the auditor checks against the checkpoint they kept.'
                : 'The same as everything, as nothing was exported before.'}
            </span>
          </span>
        </label>
        <label className="medium-choice">
          <input type="radio" name={`${id}-range`} checked={full} onChange={() => setFull(true)} />
          <span className="medium-text">
            <strong>Everything, from entry 0</strong>
            <span className="muted small">
              {about(entries)}. Verifiable on its own, without any earlier export.
            </span>
          </span>
        </label>
      </fieldset>
      <p className="muted small">
        Entries written while the export runs, its own audit entry among them, go into the next export.
      </p>
      <div className="form-actions">
        <button type="button" className="button" onClick={onBack}>
          Back
        </button>
        <button type="submit" className="button button-primary">
          <Icon name="export" size={14} />
          Export
        </button>
      </div>
    </form>
  );
}

const PHASES: Record<Progress['phase'], string> = {
  writing: 'Writing the entries',
  syncing: 'Flushing to the medium',
  'reading back': 'Reading every file back from the medium',
  done: 'Done',
};

/**
 * One bar for the whole export. The core reports bytes only while writing, so
 * writing fills the first 80 %, flushing and reading back the next steps, and
 * "done" the rest; the label always says which phase it is in.
 */
function overallPercent(progress: Progress | null): number {
  if (!progress) return 0;
  switch (progress.phase) {
    case 'writing':
      return Math.floor(80 * Math.min(1, progress.bytes / Math.max(1, progress.totalBytes)));
    case 'syncing':
      return 80;
    case 'reading back':
      return 90;
    case 'done':
      return 100;
  }
}

function ProgressView({ progress, done }: { progress: Progress | null; done: boolean }) {
  const percent = done ? 100 : overallPercent(progress);
  const phase = done ? PHASES.done : progress ? PHASES[progress.phase] : 'Starting';
  return (
    <div className={done ? 'progress progress-done' : 'progress'}>
      <div className="progress-label">
        <span aria-live="polite">{phase}</span>
        <span>
          {progress && progress.bytes > 0 && (
            <span className="muted">{formatBytes(progress.bytes)} written · </span>
          )}
          {percent} %
        </span>
      </div>
      <progress
        max={100}
        value={percent}
        aria-label="Export progress"
        aria-valuetext={`${phase}, ${percent} %`}
      />
    </div>
  );
}

function RunStep({
  run,
  target,
  verifierKey,
  onCancel,
  onBack,
  onRetry,
  onClose,
}: {
  run: Run;
  target: string;
  verifierKey: string | null;
  onCancel: () => void;
  onBack: () => void;
  onRetry: () => void;
  onClose: () => void;
}) {
  const id = useId();
  if (run.status === 'done') {
    return <ResultView result={run.result} verifierKey={verifierKey} onClose={onClose} />;
  }
  const cancelled = run.status === 'failed' && run.error.code === 'CANCELLED';
  return (
    <div className="form" aria-labelledby={`${id}-heading`} role="group">
      <h3 id={`${id}-heading`} tabIndex={-1} data-step-heading>
        {run.status === 'running'
          ? 'Exporting'
          : cancelled
            ? 'The export was cancelled'
            : 'The export did not complete'}
      </h3>
      <p className="export-target">
        To <span className="mono">{target}</span>
      </p>
      {run.status === 'running' && <ProgressView progress={run.progress} done={false} />}
      {run.status === 'failed' &&
        (cancelled ? (
          <Banner tone="info" title="What is left on the medium">
            <p>
              An export stops only while it writes the entries, and removes its unfinished folder. Cancelled
              later, it ran to the end: its folder on the medium is then complete, and the next export starts
              after it.
            </p>
          </Banner>
        ) : (
          <ErrorBanner title="The export did not complete" error={run.error} />
        ))}
      <div className="form-actions">
        {run.status === 'running' ? (
          <button type="button" className="button" onClick={onCancel} disabled={run.cancelling}>
            {run.cancelling ? 'Cancelling…' : 'Cancel export'}
          </button>
        ) : (
          <>
            <button type="button" className="button" onClick={onBack}>
              Back
            </button>
            <button type="button" className="button button-primary" onClick={onRetry}>
              Try again
            </button>
          </>
        )}
      </div>
    </div>
  );
}

function ResultView({
  result,
  verifierKey,
  onClose,
}: {
  result: Result;
  verifierKey: string | null;
  onClose: () => void;
}) {
  const id = useId();
  const count = result.to - result.from;
  return (
    <div className="form" role="group" aria-labelledby={`${id}-heading`}>
      <h3 id={`${id}-heading`} tabIndex={-1} data-step-heading>
        Exported and read back
      </h3>
      <ProgressView progress={{ phase: 'done', bytes: result.bytes, totalBytes: result.bytes }} done />
      <Banner
        tone="ok"
        title={
          count === 0
            ? `Exported entries ${result.from} to ${result.to}: nothing new since the last export`
            : `Exported entries ${result.from} to ${result.to - 1} (${plural(count, 'entry', 'entries')})`
        }
      >
        <p>
          {formatBytes(result.bytes)} in {plural(result.files.length, 'file')},{' '}
          {result.readBack === 'direct-io'
            ? 'read back from the medium with direct I/O, past the page cache, and checked.'
            : 'read back from the medium after dropping its cached pages (this filesystem has no direct I/O), and checked.'}
        </p>
        <p className="muted small">
          Files: <span className="mono">{result.files.join(', ')}</span>
        </p>
      </Banner>
      <CopyValue label="Folder" value={result.folder} />
      <div className="notice export-keep">
        <p>
          <strong>Keep a copy of its checkpoint file</strong> (
          <span className="mono break">{result.folder}/checkpoint</span>) apart from the medium: the next
          export is verified against it with <code>--previous</code>. To verify this one now:
        </p>
        <CommandLine
          text={`enclave audit verify-export ${shellWord(result.folder)} --key ${verifierKey ?? 'KEY'}`}
        />
      </div>
      <div className="form-actions">
        <button type="button" className="button button-primary" onClick={onClose}>
          Done
        </button>
      </div>
    </div>
  );
}

/** A path as one shell word: as it is when that is safe, else in single quotes. */
function shellWord(text: string): string {
  return /^[\w@%+=:,./-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}
