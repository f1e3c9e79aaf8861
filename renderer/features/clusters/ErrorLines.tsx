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
  const [first = '', ...lines] = error.message.split('\n').filter((l) => l.trim());
  // The core words a refused kubeconfig twice: a line per problem, `message (hint)`, in the message,
  // and the same problems as issues naming the entry, line and field. Shown once, with both.
  const issues = (error.issues ?? []).map((issue) => {
    const line = lines.find((l) => l.startsWith(`${issue.message} (`) && l.endsWith(')'));
    return { ...issue, hint: line ? line.slice(issue.message.length + 2, -1) : undefined, line };
  });
  const rest = lines.filter((l) => !issues.some((i) => i.line === l));
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
      {issues.length > 0 && (
        <ul className="banner-issues">
          {issues.map((issue) => (
            <li key={`${issue.path}:${issue.message}`}>
              <code>{issue.path}</code>: {issue.message}
              {issue.hint && <span className="banner-hint issue-hint sentence">{issue.hint}</span>}
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
