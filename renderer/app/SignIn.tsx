import { useEffect, useRef, useState, type FormEvent } from 'react';
import type { SessionView, SystemInfo } from '../../shared/api';
import type { ConsoleError } from '../../shared/errors';
import { ErrorBanner } from '../ui/ErrorBanner';
import { Field } from '../ui/Field';
import { toConsoleError } from './calls';
import { useClient } from './connection';
import { AuthLayout } from './AuthLayout';

export function SignIn({
  info,
  onSignedIn,
}: {
  info: SystemInfo;
  onSignedIn: (session: SessionView) => void;
}) {
  const client = useClient();
  const [operator, setOperator] = useState('');
  const [passphrase, setPassphrase] = useState('');
  const [missing, setMissing] = useState<{ operator?: boolean; passphrase?: boolean }>({});
  const [busy, setBusy] = useState(false);
  const [refusal, setRefusal] = useState<ConsoleError | null>(null);
  const [retryAt, setRetryAt] = useState<number | null>(null);
  const [now, setNow] = useState(() => Date.now());
  const passphraseRef = useRef<HTMLInputElement>(null);

  // After RATE_LIMITED, count down to when the core accepts attempts again.
  useEffect(() => {
    if (retryAt === null) return;
    const timer = setInterval(() => {
      setNow(Date.now());
      if (Date.now() >= retryAt) setRetryAt(null);
    }, 250);
    return () => clearInterval(timer);
  }, [retryAt]);
  const waitSeconds = retryAt === null ? 0 : Math.max(0, Math.ceil((retryAt - now) / 1000));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const empty = { operator: operator.trim() === '', passphrase: passphrase === '' };
    setMissing(empty);
    if (empty.operator || empty.passphrase) return;
    setBusy(true);
    setRefusal(null);
    client
      .call('session.signIn', { operator: operator.trim(), passphrase })
      .then(onSignedIn, (error: unknown) => {
        const e = toConsoleError(error);
        setRefusal(e);
        setBusy(false);
        setPassphrase('');
        if (e.code === 'RATE_LIMITED' && e.retryAfterSeconds) {
          setNow(Date.now());
          setRetryAt(Date.now() + e.retryAfterSeconds * 1000);
        }
        passphraseRef.current?.focus();
      });
  };

  return (
    <AuthLayout title="Sign in" info={info} intro={<p>Sign in with your operator name and passphrase.</p>}>
      <form className="form" onSubmit={submit} noValidate aria-label="Sign in">
        <Field label="Operator name" error={missing.operator ? 'enter your operator name' : undefined}>
          {(control) => (
            <input
              {...control}
              value={operator}
              onChange={(e) => setOperator(e.target.value)}
              autoComplete="username"
              spellCheck={false}
              autoFocus
            />
          )}
        </Field>
        <Field label="Passphrase" error={missing.passphrase ? 'enter your passphrase' : undefined}>
          {(control) => (
            <input
              {...control}
              ref={passphraseRef}
              type="password"
              value={passphrase}
              onChange={(e) => setPassphrase(e.target.value)}
              autoComplete="current-password"
            />
          )}
        </Field>
        {refusal && (
          <ErrorBanner
            title={refusal.code === 'RATE_LIMITED' ? 'Too many sign-in attempts' : 'Sign-in refused'}
            error={refusal}
          />
        )}
        {/* The countdown lives in the button, not the alert, so screen readers are not told every second. */}
        <button
          type="submit"
          className="button button-primary button-block"
          disabled={busy || waitSeconds > 0}
        >
          {busy ? 'Signing in…' : waitSeconds > 0 ? `Try again in ${waitSeconds} s` : 'Sign in'}
        </button>
      </form>
    </AuthLayout>
  );
}
