import { ErrorBanner } from '../ui/ErrorBanner';
import { Icon } from '../ui/Icon';
import { useConnection } from './connection';

/** Shown above everything once the core is unreachable; the rest of the window stays readable. */
export function ConnectionBanner() {
  const { state, refusal, reconnect } = useConnection();
  return (
    <>
      {state.status === 'closed' && state.everOpened && !state.refused && (
        <div className="banner banner-danger banner-global" role="alert">
          <Icon name="alert" />
          <div className="banner-body">
            <p className="banner-title">Connection to the console core lost</p>
            <p>
              Anything in progress was cancelled. Reconnect, then sign in again: a session belongs to its
              connection. If the core was stopped, start <code>enclave serve</code> again and open the URL it
              prints.
            </p>
          </div>
          <button type="button" className="button button-primary" onClick={reconnect}>
            Reconnect
          </button>
        </div>
      )}
      {refusal && state.status !== 'closed' && (
        <div className="banner-global">
          <ErrorBanner title="The console core refused this window" error={refusal} onRetry={reconnect} />
        </div>
      )}
    </>
  );
}
