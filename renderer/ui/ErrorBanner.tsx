import type { ConsoleError } from '../../shared/errors';
import { Banner } from './Banner';

/** A structured error from the core: what went wrong, what to do, and the code for support. */
export function ErrorBanner({
  error,
  title,
  onRetry,
}: {
  error: ConsoleError;
  title?: string;
  onRetry?: () => void;
}) {
  return (
    <Banner
      tone="danger"
      title={title ?? error.message}
      action={
        onRetry && (
          <button type="button" className="button" onClick={onRetry}>
            Try again
          </button>
        )
      }
    >
      {title && <p className="sentence">{error.message}</p>}
      {error.hint && <p className="banner-hint sentence">{error.hint}</p>}
      {error.issues && error.issues.length > 0 && (
        <ul className="banner-issues">
          {error.issues.map((issue) => (
            <li key={`${issue.path}:${issue.message}`}>
              <code>{issue.path}</code>: {issue.message}
            </li>
          ))}
        </ul>
      )}
      <p className="banner-code">
        Code <code>{error.code}</code>
      </p>
    </Banner>
  );
}
