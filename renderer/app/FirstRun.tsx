import { useState, type FormEvent } from 'react';
import { api, type SessionView, type SystemInfo } from '../../shared/api';
import type { ConsoleError } from '../../shared/errors';
import { ErrorBanner } from '../ui/ErrorBanner';
import { Field, schemaProblem } from '../ui/Field';
import { toConsoleError } from './calls';
import { useClient } from './connection';
import { AuthLayout } from './AuthLayout';

const input = api['setup.createFirstAdmin'].input.shape;

type Values = { name: string; displayName: string; passphrase: string; confirm: string };
type Problems = Partial<Record<keyof Values, string>>;

function problemsOf(values: Values): Problems {
  const problems: Problems = {
    name: schemaProblem(input.name, values.name),
    displayName: schemaProblem(input.displayName, values.displayName),
    passphrase: schemaProblem(input.passphrase, values.passphrase),
    confirm: values.confirm !== values.passphrase ? 'the two passphrases differ' : undefined,
  };
  return Object.fromEntries(Object.entries(problems).filter(([, p]) => p)) as Problems;
}

/** No operators exist yet: create the first administrator, who is then signed in. */
export function FirstRun({
  info,
  onSignedIn,
}: {
  info: SystemInfo;
  onSignedIn: (session: SessionView) => void;
}) {
  const client = useClient();
  const [values, setValues] = useState<Values>({ name: '', displayName: '', passphrase: '', confirm: '' });
  const [touched, setTouched] = useState<Partial<Record<keyof Values, boolean>>>({});
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<ConsoleError | null>(null);
  const all = problemsOf(values);
  const coreProblems: Problems = Object.fromEntries((refusal?.issues ?? []).map((i) => [i.path, i.message]));
  // A field shows its problem once the operator has left it (or tried to submit).
  const problem = (field: keyof Values) => (touched[field] ? all[field] : undefined) ?? coreProblems[field];

  const bind = (field: keyof Values) => ({
    value: values[field],
    onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [field]: e.target.value })),
    onBlur: () => setTouched((t) => ({ ...t, [field]: values[field] !== '' || t[field] })),
  });

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setTouched({ name: true, displayName: true, passphrase: true, confirm: true });
    const form = event.currentTarget;
    if (Object.keys(all).length > 0) {
      requestAnimationFrame(() => form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    setBusy(true);
    setRefusal(null);
    client
      .call('setup.createFirstAdmin', {
        name: values.name,
        displayName: values.displayName,
        passphrase: values.passphrase,
      })
      .then(onSignedIn, (error: unknown) => {
        setRefusal(toConsoleError(error));
        setBusy(false);
      });
  };

  return (
    <AuthLayout
      title="Set up this workstation"
      info={info}
      intro={
        <p>
          No operators exist yet. Create the first administrator: they can then add the other operators and
          give them roles. Every action from now on is recorded in the audit ledger under an operator's name.
        </p>
      }
    >
      <form className="form" onSubmit={submit} noValidate aria-label="Create the first administrator">
        <Field
          label="Operator name"
          hint="Used to sign in: lower-case letters, digits, “.”, “_” or “-”."
          error={problem('name')}
        >
          {(control) => (
            <input {...control} {...bind('name')} autoComplete="username" spellCheck={false} autoFocus />
          )}
        </Field>
        <Field
          label="Display name"
          hint="How the console and the audit ledger show this person."
          error={problem('displayName')}
        >
          {(control) => <input {...control} {...bind('displayName')} autoComplete="name" />}
        </Field>
        <Field
          label="Passphrase"
          hint="At least 12 characters. A few unrelated words are easy to remember and hard to guess."
          error={problem('passphrase')}
        >
          {(control) => (
            <input {...control} {...bind('passphrase')} type="password" autoComplete="new-password" />
          )}
        </Field>
        <Field label="Confirm passphrase" error={problem('confirm')}>
          {(control) => (
            <input {...control} {...bind('confirm')} type="password" autoComplete="new-password" />
          )}
        </Field>
        {refusal && !refusal.issues?.length && (
          <ErrorBanner title="The administrator was not created" error={refusal} />
        )}
        <button type="submit" className="button button-primary button-block" disabled={busy}>
          {busy ? 'Creating…' : 'Create administrator and sign in'}
        </button>
      </form>
    </AuthLayout>
  );
}
