import { ToastProvider } from '../ui/Toast';
import { ConnectionBanner } from './ConnectionBanner';
import { useConnection } from './connection';
import { Frame } from './Frame';
import { SessionGate } from './session';
import { StartupMessage } from './StartupMessage';

export function App() {
  const { state, client, generation, refusal, reconnect } = useConnection();
  return (
    <ToastProvider>
      <ConnectionBanner />
      {state.status === 'missing-token' ? (
        <StartupMessage title="This page needs its access token">
          <p>
            Open the URL printed by <code>enclave serve</code>; it ends in <code>#token=…</code>. The token
            changes every time the console core starts.
          </p>
        </StartupMessage>
      ) : state.status === 'closed' && (state.refused || !state.everOpened) ? (
        <StartupMessage
          title="Could not connect to the console core"
          {...(refusal ? { error: refusal } : {})}
          onRetry={reconnect}
        >
          <p>
            The core may have stopped, or this page's token belongs to an earlier run of{' '}
            <code>enclave serve</code>
            (it changes at every launch). Start it again if needed and open the URL it prints.
          </p>
        </StartupMessage>
      ) : (
        client && (
          // A new connection is a new session, so everything below starts over.
          <SessionGate key={generation}>
            <Frame />
          </SessionGate>
        )
      )}
    </ToastProvider>
  );
}
