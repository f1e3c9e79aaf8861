import type { ReactNode } from 'react';
import type { ConsoleError } from '../../shared/errors';
import { ErrorBanner } from '../ui/ErrorBanner';
import { AuthLayout } from './AuthLayout';

export function StartupMessage({
  title,
  busy = false,
  error,
  onRetry,
  children,
}: {
  title: string;
  busy?: boolean;
  error?: ConsoleError;
  onRetry?: () => void;
  children?: ReactNode;
}) {
  return (
    <AuthLayout title={title}>
      {busy && (
        <div className="loading" role="status">
          <span className="spinner" aria-hidden="true" />
          One moment…
        </div>
      )}
      {children}
      {error && <ErrorBanner error={error} />}
      {onRetry && (
        <button type="button" className="button button-primary button-block" onClick={onRetry}>
          Try again
        </button>
      )}
    </AuthLayout>
  );
}
