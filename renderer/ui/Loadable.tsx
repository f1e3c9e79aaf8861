import type { ReactNode } from 'react';
import type { ConsoleError } from '../../shared/errors';
import { ErrorBanner } from './ErrorBanner';

/**
 * The three states of data from the core: first load, failure (with retry) and
 * data. Later reloads keep the data on screen instead of flashing a spinner.
 */
export function Loadable<T>({
  state,
  what,
  children,
}: {
  state: { data: T | undefined; error: ConsoleError | undefined; loading: boolean; reload: () => void };
  /** What is loading, in the operator's words ("the GPU hosts"). */
  what: string;
  children: (data: T) => ReactNode;
}) {
  if (state.error)
    return <ErrorBanner title={`Could not load ${what}`} error={state.error} onRetry={state.reload} />;
  if (state.data === undefined) {
    return (
      <div className="loading" role="status">
        <span className="spinner" aria-hidden="true" />
        Loading {what}…
      </div>
    );
  }
  return children(state.data);
}
