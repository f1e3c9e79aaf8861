import { useState, type FormEvent } from 'react';
import { api } from '../../../shared/api';
import type { ConsoleError } from '../../../shared/errors';
import { ROLE_DESCRIPTIONS, ROLES, type Role } from '../../../shared/roles';
import { toConsoleError } from '../../app/calls';
import { useClient } from '../../app/connection';
import { ErrorBanner } from '../../ui/ErrorBanner';
import { Field, schemaProblem } from '../../ui/Field';
import { useToast } from '../../ui/Toast';

const input = api['operators.create'].input.shape;

const EMPTY = { name: '', displayName: '', roles: ['viewer'] as Role[], passphrase: '', confirm: '' };
type Values = typeof EMPTY;
type Problems = Partial<Record<keyof Values, string>>;

function problemsOf(values: Values): Problems {
  const problems: Problems = {
    name: schemaProblem(input.name, values.name),
    displayName: schemaProblem(input.displayName, values.displayName),
    roles: values.roles.length === 0 ? 'choose at least one role' : undefined,
    passphrase: schemaProblem(input.passphrase, values.passphrase),
    confirm: values.confirm !== values.passphrase ? 'the two passphrases differ' : undefined,
  };
  return Object.fromEntries(Object.entries(problems).filter(([, p]) => p)) as Problems;
}

/** The form behind "Add operator…" (operators.create); the palette entry brings the operator here. */
export function AddOperatorForm({ onAdded }: { onAdded: () => void }) {
  const client = useClient();
  const toast = useToast();
  const [values, setValues] = useState<Values>(EMPTY);
  const [submitted, setSubmitted] = useState(false);
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<ConsoleError | null>(null);
  const problems = submitted ? problemsOf(values) : {};
  // Problems the core found that the form did not (e.g. the name is taken) sit on their field.
  const coreProblems: Problems = Object.fromEntries((refusal?.issues ?? []).map((i) => [i.path, i.message]));
  const problem = (field: keyof Values) => problems[field] ?? coreProblems[field];

  const set = <K extends keyof Values>(field: K, value: Values[K]) =>
    setValues((v) => ({ ...v, [field]: value }));

  const submit = (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    setSubmitted(true);
    const form = event.currentTarget;
    if (Object.keys(problemsOf(values)).length > 0) {
      // Put the operator on the first field that needs attention.
      requestAnimationFrame(() => form.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus());
      return;
    }
    setBusy(true);
    setRefusal(null);
    const { name, displayName, roles, passphrase } = values;
    client
      .call('operators.create', { name, displayName, roles, passphrase })
      .then(
        (created) => {
          toast({
            tone: 'ok',
            title: `Operator ${created.name} added`,
            body: `Roles: ${created.roles.join(', ')}.`,
          });
          setValues(EMPTY);
          setSubmitted(false);
          onAdded();
        },
        (error: unknown) => setRefusal(toConsoleError(error)),
      )
      .finally(() => setBusy(false));
  };

  return (
    // The id is the procedure's: its palette entry "Add operator…" lands on #/settings/operators.create.
    <form
      id="operators.create"
      className="panel form"
      aria-labelledby="add-operator-heading"
      onSubmit={submit}
      noValidate
    >
      <h3 id="add-operator-heading">Add operator</h3>
      <p className="muted">
        Give each person their own operator, so every action in the audit ledger is attributable to them.
      </p>
      <div className="form-row">
        <Field
          label="Operator name"
          hint="Lower-case, used to sign in, e.g. alice.martin"
          error={problem('name')}
        >
          {(control) => (
            <input
              {...control}
              value={values.name}
              onChange={(e) => set('name', e.target.value)}
              autoComplete="off"
              spellCheck={false}
            />
          )}
        </Field>
        <Field label="Display name" error={problem('displayName')}>
          {(control) => (
            <input
              {...control}
              value={values.displayName}
              onChange={(e) => set('displayName', e.target.value)}
            />
          )}
        </Field>
      </div>
      <fieldset className="choices" aria-invalid={Boolean(problem('roles'))}>
        <legend>Roles</legend>
        <div className="role-grid">
          {ROLES.map((role) => (
            <label key={role} className="choice">
              <input
                type="checkbox"
                checked={values.roles.includes(role)}
                onChange={(e) =>
                  set(
                    'roles',
                    e.target.checked ? [...values.roles, role] : values.roles.filter((r) => r !== role),
                  )
                }
              />
              <span>
                <strong>{role}</strong>
                <span className="muted"> — {ROLE_DESCRIPTIONS[role]}</span>
              </span>
            </label>
          ))}
        </div>
        {problem('roles') && <p className="field-error sentence">{problem('roles')}</p>}
      </fieldset>
      <div className="form-row">
        <Field
          label="Passphrase"
          hint="At least 12 characters. Tell it to the person in person."
          error={problem('passphrase')}
        >
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete="new-password"
              value={values.passphrase}
              onChange={(e) => set('passphrase', e.target.value)}
            />
          )}
        </Field>
        <Field label="Confirm passphrase" error={problem('confirm')}>
          {(control) => (
            <input
              {...control}
              type="password"
              autoComplete="new-password"
              value={values.confirm}
              onChange={(e) => set('confirm', e.target.value)}
            />
          )}
        </Field>
      </div>
      {refusal && !refusal.issues?.length && (
        <ErrorBanner title="The operator was not added" error={refusal} />
      )}
      <div className="form-actions">
        <button type="submit" className="button button-primary" disabled={busy}>
          {busy ? 'Adding…' : 'Add operator'}
        </button>
      </div>
    </form>
  );
}
