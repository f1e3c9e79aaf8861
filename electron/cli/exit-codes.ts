import type { ErrorCode } from '../../shared/errors';

/** design.md §8: 0 done, 1 failed, 2 usage error, 3 refused by verification or policy. */
export const EXIT = { done: 0, failed: 1, usage: 2, refused: 3 } as const;

export function exitCodeFor(code: ErrorCode): number {
  switch (code) {
    case 'BAD_REQUEST':
    case 'UNKNOWN_PROCEDURE':
    case 'TOO_LARGE':
      return EXIT.usage;
    case 'UNAUTHENTICATED':
    case 'FORBIDDEN':
    case 'RATE_LIMITED':
      return EXIT.refused;
    default:
      return EXIT.failed;
  }
}

/** A mistake in the command line itself. */
export class UsageError extends Error {}
