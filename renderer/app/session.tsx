import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from 'react';
import type { SessionView, SystemInfo } from '../../shared/api';
import type { ConsoleError } from '../../shared/errors';
import { SessionExpiryContext, toConsoleError } from './calls';
import { useClient } from './connection';
import { FirstRun } from './FirstRun';
import { SignIn } from './SignIn';
import { StartupMessage } from './StartupMessage';

type Boot =
  | { status: 'loading' }
  | { status: 'failed'; error: ConsoleError }
  | { status: 'ready'; initialised: boolean; session: SessionView | null; info: SystemInfo };

interface SessionContextValue {
  session: SessionView;
  info: SystemInfo;
  signOut: () => Promise<void>;
}

const SessionContext = createContext<SessionContextValue | null>(null);

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error('useSession outside a signed-in frame');
  return value;
}

/**
 * Decides what the window shows: first run, sign-in, or the signed-in frame.
 * The session belongs to the connection, so this is remounted on every reconnect.
 */
export function SessionGate({ children }: { children: ReactNode }) {
  const client = useClient();
  const [boot, setBoot] = useState<Boot>({ status: 'loading' });
  const [checks, setChecks] = useState(0);

  useEffect(() => {
    let live = true;
    Promise.all([client.call('session.status', {}), client.call('system.info', {})]).then(
      ([status, info]) => live && setBoot({ status: 'ready', ...status, info }),
      (error: unknown) => live && setBoot({ status: 'failed', error: toConsoleError(error) }),
    );
    return () => {
      live = false;
    };
  }, [client, checks]);

  const recheck = useCallback(() => setChecks((n) => n + 1), []);
  const signedIn = useCallback((session: SessionView) => {
    setBoot((previous) =>
      previous.status === 'ready' ? { ...previous, initialised: true, session } : previous,
    );
    // The first sign-in after setup creates the workstation id, so read the info again.
    setChecks((n) => n + 1);
  }, []);
  const signOut = useCallback(async () => {
    await client.call('session.signOut', {});
    setBoot((previous) => (previous.status === 'ready' ? { ...previous, session: null } : previous));
  }, [client]);

  const value = useMemo<SessionContextValue | null>(
    () =>
      boot.status === 'ready' && boot.session ? { session: boot.session, info: boot.info, signOut } : null,
    [boot, signOut],
  );

  if (boot.status === 'loading') return <StartupMessage title="Connecting to the console core…" busy />;
  if (boot.status === 'failed') {
    return <StartupMessage title="The console core did not answer" error={boot.error} onRetry={recheck} />;
  }
  if (!boot.initialised) return <FirstRun info={boot.info} onSignedIn={signedIn} />;
  if (!value) return <SignIn info={boot.info} onSignedIn={signedIn} />;
  return (
    <SessionExpiryContext value={recheck}>
      <SessionContext value={value}>{children}</SessionContext>
    </SessionExpiryContext>
  );
}
