import { useRef, useState, type FormEvent } from 'react';
import { ClusterName, type KubeconfigProblemView } from '../../../shared/api';
import type { OutputOf } from '../../../shared/client';
import type { ConsoleError } from '../../../shared/errors';
import { toConsoleError } from '../../app/calls';
import { useClient } from '../../app/connection';
import { Banner } from '../../ui/Banner';
import { Dialog } from '../../ui/Dialog';
import { Field, schemaProblem } from '../../ui/Field';
import { Icon } from '../../ui/Icon';
import { Steps } from '../../ui/Steps';
import { plural } from '../../ui/format';
import { ErrorLines } from './ErrorLines';

type Contexts = OutputOf<'clusters.contexts'>['contexts'];
type Imported = OutputOf<'clusters.import'>;

type Stage =
  { step: 'source' } | { step: 'contexts'; contexts: Contexts } | { step: 'imported'; result: Imported };

const STEPS = ['Kubeconfig', 'Contexts', 'Imported'] as const;

/**
 * Imports contexts of a kubeconfig: its text pasted or read from a file in this window (sent only
 * to the console core), the contexts it holds listed to choose from (the current one chosen), then
 * the import, whose safety checks run in the core before anything connects. Problems come back
 * with the entry, the field and what to do; warnings are shown after a successful import.
 */
export function ImportKubeconfigDialog({
  open,
  onClose,
  onImported,
}: {
  open: boolean;
  onClose: () => void;
  onImported: (names: readonly string[]) => void;
}) {
  return (
    <Dialog open={open} onClose={onClose} title="Import a kubeconfig" className="dialog-wide import-dialog">
      <ImportForm onClose={onClose} onImported={onImported} />
    </Dialog>
  );
}

function ImportForm({
  onClose,
  onImported,
}: {
  onClose: () => void;
  onImported: (names: readonly string[]) => void;
}) {
  const client = useClient();
  const fileRef = useRef<HTMLInputElement>(null);
  const [source, setSource] = useState<{ text: string; fileName?: string }>({ text: '' });
  const [readError, setReadError] = useState<string | undefined>();
  const [stage, setStage] = useState<Stage>({ step: 'source' });
  const [chosen, setChosen] = useState<ReadonlySet<string>>(new Set());
  const [name, setName] = useState('');
  const [prefix, setPrefix] = useState('oidc:');
  const [replace, setReplace] = useState(false);
  const [error, setError] = useState<ConsoleError | undefined>();
  const [busy, setBusy] = useState(false);
  const [checked, setChecked] = useState(false);

  const readFile = (file: File | undefined) => {
    if (!file) return;
    setReadError(undefined);
    const reader = new FileReader();
    // Read here and sent only to the console core; it holds credentials, so it is never stored as given.
    reader.onload = () => setSource({ text: String(reader.result ?? ''), fileName: file.name });
    reader.onerror = () => setReadError(`could not read ${file.name}`);
    reader.readAsText(file);
  };

  const sourceProblem =
    readError ?? (source.text.trim() ? undefined : 'choose a kubeconfig file or paste its text');
  const fileName = source.fileName ? { fileName: source.fileName } : {};

  const listContexts = async (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (sourceProblem) return;
    setBusy(true);
    setError(undefined);
    try {
      const { contexts } = await client.call('clusters.contexts', { kubeconfig: source.text, ...fileName });
      const current = contexts.filter((c) => c.current).map((c) => c.name);
      setChosen(new Set(current.length > 0 ? current : contexts.length === 1 ? [contexts[0]!.name] : []));
      setName('');
      setChecked(false);
      setStage({ step: 'contexts', contexts });
    } catch (caught) {
      setError(toConsoleError(caught));
    } finally {
      setBusy(false);
    }
  };

  const single = chosen.size === 1;
  const problems = {
    contexts: chosen.size === 0 ? 'choose at least one context' : undefined,
    name: single && name.trim() ? schemaProblem(ClusterName, name.trim()) : undefined,
    prefix: prefix.length > 64 ? 'use at most 64 characters' : undefined,
  };
  const shown = (problem: string | undefined) => (checked ? problem : undefined);

  const runImport = async (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (Object.values(problems).some(Boolean) || stage.step !== 'contexts') return;
    setBusy(true);
    setError(undefined);
    try {
      const result = await client.call('clusters.import', {
        kubeconfig: source.text,
        ...fileName,
        // In the kubeconfig's order, so the ledger reads the same as the file.
        contexts: stage.contexts.filter((c) => chosen.has(c.name)).map((c) => c.name),
        ...(single && name.trim() ? { name: name.trim() } : {}),
        oidcGroupPrefix: prefix,
        replace,
      });
      setStage({ step: 'imported', result });
      onImported(result.imported.map((c) => c.name));
    } catch (caught) {
      setError(toConsoleError(caught));
    } finally {
      setBusy(false);
    }
  };

  const current = stage.step === 'source' ? 0 : stage.step === 'contexts' ? 1 : 2;

  return (
    <div className="form">
      <Steps steps={STEPS} current={current} />
      {error && (
        <ErrorLines
          title={stage.step === 'source' ? 'The kubeconfig could not be read' : 'Nothing was imported'}
          error={error}
        />
      )}

      {stage.step === 'source' && (
        <form className="form" aria-label="Kubeconfig to import" noValidate onSubmit={listContexts}>
          <div className="form-row import-source">
            <Field
              label="Kubeconfig file"
              hint={
                source.fileName
                  ? `Read ${source.fileName} (${plural(source.text.length, 'character')}); it goes only to the console core.`
                  : 'Read in this window and sent only to the console core, which stores the credentials encrypted.'
              }
              error={shown(source.fileName ? sourceProblem : undefined)}
            >
              {(control) => (
                <input
                  {...control}
                  ref={fileRef}
                  type="file"
                  className="file-input"
                  data-autofocus
                  onChange={(e) => readFile(e.target.files?.[0])}
                />
              )}
            </Field>
          </div>
          <Field
            label="Or paste the kubeconfig"
            hint="Files it names (certificate-authority, client-certificate, tokenFile) are read by the core once, at import."
            error={shown(source.fileName ? undefined : sourceProblem)}
          >
            {(control) => (
              <textarea
                {...control}
                className="kubeconfig-paste mono"
                rows={10}
                placeholder={'apiVersion: v1\nkind: Config\nclusters: …'}
                value={source.fileName ? '' : source.text}
                onChange={(e) => {
                  if (fileRef.current) fileRef.current.value = '';
                  setReadError(undefined);
                  setSource({ text: e.target.value });
                }}
                spellCheck={false}
                autoComplete="off"
              />
            )}
          </Field>
          <div className="form-actions">
            <button type="button" className="button" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" className="button button-primary" aria-busy={busy} disabled={busy}>
              {busy && <span className="spinner" aria-hidden="true" />}
              Show contexts
            </button>
          </div>
        </form>
      )}

      {stage.step === 'contexts' && (
        <form className="form" aria-label="Contexts to import" noValidate onSubmit={runImport}>
          {stage.contexts.length === 0 ? (
            <Banner tone="danger" title="This kubeconfig has no contexts">
              <p>A context names a cluster and a user; add one and try again.</p>
            </Banner>
          ) : (
            <fieldset className="choices">
              <legend>Contexts</legend>
              <ul className="context-list">
                {stage.contexts.map((c) => (
                  <li key={c.name}>
                    <label className="choice">
                      <input
                        type="checkbox"
                        checked={chosen.has(c.name)}
                        onChange={(e) =>
                          setChosen((now) => {
                            const next = new Set(now);
                            if (e.target.checked) next.add(c.name);
                            else next.delete(c.name);
                            return next;
                          })
                        }
                      />
                      <span className="context-choice">
                        <span>
                          <strong>{c.name}</strong>
                          {c.current && <span className="muted"> (current)</span>}
                        </span>
                        <span className="muted small mono">
                          {c.server ?? 'no server'}
                          {c.user ? ` · user ${c.user}` : ''}
                          {c.namespace ? ` · namespace ${c.namespace}` : ''}
                        </span>
                      </span>
                    </label>
                  </li>
                ))}
              </ul>
              {shown(problems.contexts) && <p className="field-error sentence">{problems.contexts}</p>}
            </fieldset>
          )}
          <div className="form-row">
            {single && (
              <Field
                label="Cluster name (optional)"
                hint="The console's name for it; the context's name when left empty."
                error={shown(problems.name)}
              >
                {(control) => (
                  <input
                    {...control}
                    value={name}
                    onChange={(e) => setName(e.target.value)}
                    spellCheck={false}
                    autoComplete="off"
                  />
                )}
              </Field>
            )}
            <Field
              label="OIDC group prefix"
              hint={
                <>
                  The API server&apos;s <code>--oidc-groups-prefix</code>, put before tenant groups in role
                  bindings.
                </>
              }
              error={shown(problems.prefix)}
            >
              {(control) => (
                <input
                  {...control}
                  className="mono"
                  value={prefix}
                  onChange={(e) => setPrefix(e.target.value)}
                  spellCheck={false}
                  autoComplete="off"
                />
              )}
            </Field>
          </div>
          <label className="choice">
            <input type="checkbox" checked={replace} onChange={(e) => setReplace(e.target.checked)} />
            <span>Replace a cluster of the same name (its tenants stay)</span>
          </label>
          <div className="form-actions">
            <button
              type="button"
              className="button"
              onClick={() => {
                setError(undefined);
                setStage({ step: 'source' });
              }}
              disabled={busy}
            >
              Back
            </button>
            <button
              type="submit"
              className="button button-primary"
              aria-busy={busy}
              disabled={busy || stage.contexts.length === 0}
            >
              {busy && <span className="spinner" aria-hidden="true" />}
              {busy ? 'Checking and connecting…' : `Import ${plural(chosen.size, 'context')}`}
            </button>
          </div>
        </form>
      )}

      {stage.step === 'imported' && (
        <section className="form" aria-label="Import result">
          <Banner tone="ok" title={`Imported ${plural(stage.result.imported.length, 'cluster')}`}>
            <ul className="import-list">
              {stage.result.imported.map((c) => (
                <li key={c.name}>
                  <strong>{c.name}</strong> <span className="muted">from context {c.context}</span> ·{' '}
                  <span className="mono">{c.server}</span> · Kubernetes {c.version}
                </li>
              ))}
            </ul>
          </Banner>
          {stage.result.warnings.length > 0 && (
            <KubeconfigProblems title="Warnings" problems={stage.result.warnings} />
          )}
          {stage.result.filesRead.length > 0 && (
            <div>
              <p className="muted">Files the kubeconfig named, read once by the core:</p>
              <ul className="import-list mono small">
                {stage.result.filesRead.map((f) => (
                  <li key={f}>{f}</li>
                ))}
              </ul>
            </div>
          )}
          <div className="form-actions">
            <button type="button" className="button button-primary" onClick={onClose} autoFocus>
              Close
            </button>
          </div>
        </section>
      )}
    </div>
  );
}

/** Kubeconfig problems as the core words them: the entry and field, what is wrong, what to do. */
export function KubeconfigProblems({
  title,
  problems,
}: {
  title: string;
  problems: readonly KubeconfigProblemView[];
}) {
  return (
    <section className="kubeconfig-problems" aria-label={title}>
      <h3 className="problems-title">
        <Icon name="alert" size={14} /> {title}
      </h3>
      <ul>
        {problems.map((p) => (
          <li key={`${p.entry}:${p.field}:${p.message}`}>
            <p>
              <strong>{p.entry}</strong>
              {p.field && (
                <>
                  {' '}
                  <code>{p.field}</code>
                </>
              )}
              {p.line !== undefined && <span className="muted"> (line {p.line})</span>}: {p.message}
            </p>
            {p.hint && <p className="muted sentence">{p.hint}</p>}
          </li>
        ))}
      </ul>
    </section>
  );
}
