import type { ConsoleError } from '../../../shared/errors';
import { Banner } from '../../ui/Banner';

/**
 * A core error whose message runs over several lines (an over-committing plan with its numbers per
 * resource, a refused kubeconfig or spec with one line per problem): the first line as the
 * message, the others as a list, then the hint and the code, as ErrorBanner shows them.
 */
export function ErrorLines({
  title,
  error,
  onRetry,
}: {
  title: string;
  error: ConsoleError;
  onRetry?: () => void;
}) {
  const [first = '', ...rest] = error.message.split('\n').filter((l) => l.trim());
  return (
    <Banner
      tone="danger"
      title={title}
      action={
        onRetry && (
          <button type="button" className="button" onClick={onRetry}>
            Try again
          </button>
        )
      }
    >
      <p className="sentence">{first}</p>
      {rest.length > 0 && (
        <ul className="banner-issues">
          {rest.map((line) => (
            <li key={line}>{line}</li>
          ))}
        </ul>
      )}
      {error.issues && error.issues.length > 0 && (
        <ul className="banner-issues">
          {error.issues.map((issue) => (
            <li key={`${issue.path}:${issue.message}`}>
              <code>{issue.path}</code>: {issue.message}
            </li>
          ))}
        </ul>
      )}
      {error.hint && <p className="banner-hint sentence">{error.hint}</p>}
      <p className="banner-code">
        Code <code>{error.code}</code>
      </p>
    </Banner>
  );
}
