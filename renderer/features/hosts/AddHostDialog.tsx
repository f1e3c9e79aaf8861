import { useRef, useState, type FormEvent } from 'react';
import { Fingerprint, HostName } from '../../../shared/api';
import type { ConsoleError } from '../../../shared/errors';
import { toConsoleError } from '../../app/calls';
import { useProcedure } from '../../app/calls';
import { useClient } from '../../app/connection';
import { Banner } from '../../ui/Banner';
import { CopyValue } from '../../ui/CopyValue';
import { Dialog } from '../../ui/Dialog';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Field, schemaProblem } from '../../ui/Field';
import { Icon } from '../../ui/Icon';
import { presentedFingerprint, type Host } from './model';

interface LabelRow {
  id: number;
  key: string;
  value: string;
}

interface Draft {
  name: string;
  address: string;
  port: string;
  user: string;
  fingerprint: string;
}

type Login = 'key' | 'agent' | 'password';

type Stage = { step: 'form' } | { step: 'confirm'; presented: string } | { step: 'added'; host: Host };

const KEY_CHECK_COMMAND = 'ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub';

/**
 * Adds a GPU host. The first submission carries no fingerprint (unless one was given
 * ahead): the core connects, reads the host key and refuses with the fingerprint it
 * saw, which the operator compares out of band before pinning it. The private key is
 * read in the window and sent only to the console core.
 */
export function AddHostDialog({
  open,
  onClose,
  onAdded,
  onDiscover,
}: {
  open: boolean;
  onClose: () => void;
  onAdded: (host: Host) => void;
  onDiscover: (name: string) => void;
}) {
  return (
    <Dialog open={open} onClose={onClose} title="Add a GPU host" className="dialog-wide add-host-dialog">
      <AddHostForm onClose={onClose} onAdded={onAdded} onDiscover={onDiscover} />
    </Dialog>
  );
}

function AddHostForm({
  onClose,
  onAdded,
  onDiscover,
}: {
  onClose: () => void;
  onAdded: (host: Host) => void;
  onDiscover: (name: string) => void;
}) {
  const client = useClient();
  const fileRef = useRef<HTMLInputElement>(null);
  const [draft, setDraft] = useState<Draft>({ name: '', address: '', port: '22', user: '', fingerprint: '' });
  const [key, setKey] = useState<{ text: string; source: 'file' | 'paste'; fileName?: string }>({
    text: '',
    source: 'paste',
  });
  const [keyError, setKeyError] = useState<string | undefined>();
  const [login, setLogin] = useState<Login>('key');
  const [password, setPassword] = useState('');
  const policy = useProcedure('policy.get', {});
  const passwordsAllowed = policy.data?.allowPasswordLogin === true;
  const [labels, setLabels] = useState<LabelRow[]>([{ id: 1, key: '', value: '' }]);
  const nextLabelId = useRef(2);
  const [stage, setStage] = useState<Stage>({ step: 'form' });
  const [error, setError] = useState<ConsoleError | undefined>();
  const [busy, setBusy] = useState(false);
  const [checked, setChecked] = useState(false);

  const set = (field: keyof Draft) => (value: string) => setDraft((d) => ({ ...d, [field]: value }));

  const port = Number(draft.port);
  const problems = {
    name: schemaProblem(HostName, draft.name),
    address: draft.address.trim() ? undefined : 'required',
    port: Number.isInteger(port) && port >= 1 && port <= 65535 ? undefined : 'a port from 1 to 65535',
    user: draft.user.trim() ? undefined : 'required',
    password: login === 'password' && !password ? 'required' : undefined,
    key:
      login !== 'key'
        ? undefined
        : (keyError ??
          (!key.text.trim()
            ? 'choose the key file or paste the key'
            : /-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(key.text)
              ? undefined
              : 'this does not look like a private key (it starts with -----BEGIN … PRIVATE KEY-----)')),
    fingerprint: draft.fingerprint.trim() ? schemaProblem(Fingerprint, draft.fingerprint.trim()) : undefined,
    labels: labels.some((l) => !l.key.trim() && l.value.trim()) ? 'every label needs a key' : undefined,
  };
  const shown = (problem: string | undefined) => (checked ? problem : undefined);

  const readKeyFile = (file: File | undefined) => {
    if (!file) return;
    setKeyError(undefined);
    const reader = new FileReader();
    // Read here, sent only to the console core with the request below; nothing is uploaded anywhere else.
    reader.onload = () => setKey({ text: String(reader.result ?? ''), source: 'file', fileName: file.name });
    reader.onerror = () => setKeyError(`could not read ${file.name}`);
    reader.readAsText(file);
  };

  const submit = async (fingerprint: string | undefined) => {
    setBusy(true);
    setError(undefined);
    try {
      const host = await client.call('hosts.add', {
        name: draft.name,
        address: draft.address.trim(),
        port,
        user: draft.user.trim(),
        auth: login,
        ...(login === 'key' ? { privateKey: key.text } : {}),
        ...(login === 'password' ? { password } : {}),
        ...(fingerprint ? { fingerprint } : {}),
        labels: Object.fromEntries(
          labels.filter((l) => l.key.trim()).map((l) => [l.key.trim(), l.value.trim()]),
        ),
      });
      setStage({ step: 'added', host });
      onAdded(host);
    } catch (caught) {
      const e = toConsoleError(caught);
      const presented = e.code === 'CONFLICT' ? presentedFingerprint(e.message) : null;
      if (presented && !fingerprint) setStage({ step: 'confirm', presented });
      else {
        setStage({ step: 'form' });
        setError(e);
      }
    } finally {
      setBusy(false);
    }
  };

  const onSubmit = (event: FormEvent) => {
    event.preventDefault();
    setChecked(true);
    if (Object.values(problems).some(Boolean)) return;
    void submit(draft.fingerprint.trim() || undefined);
  };

  if (stage.step === 'added') {
    return (
      <div className="form">
        <Banner tone="ok" title={`Host ${stage.host.name} added`}>
          <p>
            Its host key <code>{stage.host.fingerprint}</code> is pinned; a different key will be refused.
            Discovery reads its facts and GPUs.
          </p>
        </Banner>
        <div className="form-actions">
          <button type="button" className="button" onClick={onClose}>
            Close
          </button>
          <button
            type="button"
            className="button button-primary"
            data-autofocus
            autoFocus
            onClick={() => {
              onDiscover(stage.host.name);
              onClose();
            }}
          >
            <Icon name="refresh" size={14} />
            Discover now
          </button>
        </div>
      </div>
    );
  }

  if (stage.step === 'confirm') {
    return (
      <section className="form" aria-label="Confirm the host key">
        <div className="fingerprint-check">
          <p className="fingerprint-lead">
            <strong>{draft.name}</strong> ({draft.user}@{draft.address}:{draft.port}) presented this host key.
            Nothing has been sent to it yet.
          </p>
          <CopyValue label="Presented fingerprint" value={stage.presented} />
          <p>
            Compare it out of band before you trust it: on the host&apos;s console (not over this network) run
          </p>
          <pre className="code-block">{KEY_CHECK_COMMAND}</pre>
          <p className="muted">
            or ask whoever installed the host. Pin it only if the two are exactly the same.
          </p>
        </div>
        <div className="form-actions">
          <button type="button" className="button" onClick={() => setStage({ step: 'form' })} disabled={busy}>
            Cancel
          </button>
          <button
            type="button"
            className="button button-primary"
            autoFocus
            aria-busy={busy}
            disabled={busy}
            onClick={() => void submit(stage.presented)}
          >
            {busy && <span className="spinner" aria-hidden="true" />}
            It matches — pin it
          </button>
        </div>
      </section>
    );
  }

  return (
    <form className="form" aria-label="Add a GPU host" noValidate onSubmit={onSubmit}>
      {error && (
        <ErrorBanner
          title={error.code === 'FORBIDDEN' ? 'The host key does not match' : 'The host was not added'}
          error={error}
        />
      )}
      <div className="form-row">
        <Field label="Name" hint="A DNS label, e.g. gpu01" error={shown(problems.name)}>
          {(control) => (
            <input
              {...control}
              data-autofocus
              value={draft.name}
              onChange={(e) => set('name')(e.target.value)}
              spellCheck={false}
              autoComplete="off"
            />
          )}
        </Field>
        <Field label="Address" hint="IP address or host name" error={shown(problems.address)}>
          {(control) => (
            <input
              {...control}
              value={draft.address}
              onChange={(e) => set('address')(e.target.value)}
              spellCheck={false}
              autoComplete="off"
            />
          )}
        </Field>
      </div>
      <div className="form-row">
        <Field label="Port" error={shown(problems.port)}>
          {(control) => (
            <input
              {...control}
              inputMode="numeric"
              value={draft.port}
              onChange={(e) => set('port')(e.target.value)}
              autoComplete="off"
            />
          )}
        </Field>
        <Field label="User" error={shown(problems.user)}>
          {(control) => (
            <input
              {...control}
              value={draft.user}
              onChange={(e) => set('user')(e.target.value)}
              spellCheck={false}
              autoComplete="off"
            />
          )}
        </Field>
      </div>
      <fieldset className="choices key-source">
        <legend>Log in with</legend>
        <div className="login-choices" role="radiogroup" aria-label="Log in with">
          {(
            [
              ['key', 'Private key'],
              ['agent', 'ssh-agent'],
              ['password', 'Password'],
            ] as const
          ).map(([value, label]) => (
            <label key={value} className="choice">
              <input
                type="radio"
                name="login"
                value={value}
                checked={login === value}
                disabled={value === 'password' && !passwordsAllowed}
                onChange={() => setLogin(value)}
              />
              {label}
            </label>
          ))}
        </div>
        {!passwordsAllowed && (
          <p className="muted sentence">
            Password login is off by site policy (a security officer can allow it in Settings).
          </p>
        )}
        {login === 'agent' && (
          <p className="muted sentence">
            The console core uses the workstation&apos;s ssh-agent (SSH_AUTH_SOCK); no key is stored.
          </p>
        )}
        {login === 'password' && (
          <Field
            label="Password"
            hint="Sent only after the host key is confirmed; stored encrypted, never shown again."
            error={shown(problems.password)}
          >
            {(control) => (
              <input
                {...control}
                type="password"
                value={password}
                onChange={(e) => setPassword(e.target.value)}
                autoComplete="off"
              />
            )}
          </Field>
        )}
        {login === 'key' && (
          <div className="form-row">
            <Field
              label="Private key file"
              hint={
                key.source === 'file' && key.fileName
                  ? `Read ${key.fileName} (${key.text.length} characters); it goes only to the console core, which stores it encrypted.`
                  : 'Read in this window and sent only to the console core, which stores it encrypted.'
              }
              error={shown(key.source === 'file' ? problems.key : undefined)}
            >
              {(control) => (
                <input
                  {...control}
                  ref={fileRef}
                  type="file"
                  className="file-input"
                  onChange={(e) => readKeyFile(e.target.files?.[0])}
                />
              )}
            </Field>
            <Field
              label="Or paste the private key"
              error={shown(key.source === 'paste' ? problems.key : undefined)}
            >
              {(control) => (
                <textarea
                  {...control}
                  className="key-paste mono"
                  rows={3}
                  placeholder="-----BEGIN OPENSSH PRIVATE KEY-----"
                  value={key.source === 'paste' ? key.text : ''}
                  onChange={(e) => {
                    if (fileRef.current) fileRef.current.value = '';
                    setKeyError(undefined);
                    setKey({ text: e.target.value, source: 'paste' });
                  }}
                  spellCheck={false}
                  autoComplete="off"
                />
              )}
            </Field>
          </div>
        )}
      </fieldset>
      <fieldset className="choices">
        <legend>Labels</legend>
        <div className="label-rows">
          {labels.map((row, i) => (
            <div className="label-row" key={row.id}>
              <input
                aria-label={`Label ${i + 1} key`}
                placeholder="key, e.g. zone"
                value={row.key}
                onChange={(e) =>
                  setLabels((all) => all.map((l) => (l.id === row.id ? { ...l, key: e.target.value } : l)))
                }
                spellCheck={false}
              />
              <span className="muted" aria-hidden="true">
                =
              </span>
              <input
                aria-label={`Label ${i + 1} value`}
                placeholder="value"
                value={row.value}
                onChange={(e) =>
                  setLabels((all) => all.map((l) => (l.id === row.id ? { ...l, value: e.target.value } : l)))
                }
                spellCheck={false}
              />
              <button
                type="button"
                className="button-icon"
                aria-label={`Remove label ${i + 1}`}
                onClick={() => setLabels((all) => all.filter((l) => l.id !== row.id))}
              >
                <Icon name="close" size={14} />
              </button>
            </div>
          ))}
        </div>
        {shown(problems.labels) && <p className="field-error sentence">{problems.labels}</p>}
        <div>
          <button
            type="button"
            className="button button-quiet"
            onClick={() => setLabels((all) => [...all, { id: nextLabelId.current++, key: '', value: '' }])}
          >
            <Icon name="plus" size={14} />
            Add label
          </button>
        </div>
      </fieldset>
      <Field
        label="Host key fingerprint (optional)"
        hint={
          <>
            If you were given it ahead, paste it (<code>SHA256:…</code>); otherwise the host&apos;s key is
            shown for you to confirm.
          </>
        }
        error={shown(problems.fingerprint)}
      >
        {(control) => (
          <input
            {...control}
            className="mono"
            value={draft.fingerprint}
            onChange={(e) => set('fingerprint')(e.target.value)}
            placeholder="SHA256:"
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
          {busy ? 'Connecting…' : 'Add host'}
        </button>
      </div>
    </form>
  );
}
