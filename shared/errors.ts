import { z } from 'zod';

/**
 * Structured errors carried by every transport. `code` is for programs,
 * `message` names the problem and `hint` says what the operator can do.
 */
export const ERROR_CODES = [
  'BAD_REQUEST', // the envelope or input does not match the schema
  'UNKNOWN_PROCEDURE',
  'UNAUTHENTICATED', // no session, expired session, wrong credentials, missing harness token
  'FORBIDDEN', // signed in, but the roles do not allow it
  'RATE_LIMITED',
  'TOO_LARGE',
  'CONFLICT', // the state does not allow it (already initialised, name taken)
  'NOT_FOUND',
  'CANCELLED',
  'FAILED', // the action ran and failed
  'INTERNAL', // a bug: the console broke its own contract
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

export const ErrorIssueSchema = z.object({ path: z.string(), message: z.string() });
export const ErrorBodySchema = z.object({
  code: z.enum(ERROR_CODES),
  message: z.string(),
  hint: z.string().optional(),
  issues: z.array(ErrorIssueSchema).optional(),
  retryAfterSeconds: z.number().optional(),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

/** Thrown by handlers and transports; becomes an ErrorBody on the wire. */
export class ConsoleError extends Error {
  readonly code: ErrorCode;
  readonly hint: string | undefined;
  readonly issues: ErrorBody['issues'];
  readonly retryAfterSeconds: number | undefined;
  constructor(
    code: ErrorCode,
    message: string,
    extra: { hint?: string; issues?: ErrorBody['issues']; retryAfterSeconds?: number } = {},
  ) {
    super(message);
    this.name = 'ConsoleError';
    this.code = code;
    this.hint = extra.hint;
    this.issues = extra.issues;
    this.retryAfterSeconds = extra.retryAfterSeconds;
  }
  toBody(): ErrorBody {
    const body: ErrorBody = { code: this.code, message: this.message };
    if (this.hint !== undefined) body.hint = this.hint;
    if (this.issues !== undefined) body.issues = this.issues;
    if (this.retryAfterSeconds !== undefined) body.retryAfterSeconds = this.retryAfterSeconds;
    return body;
  }
  static fromBody(body: ErrorBody): ConsoleError {
    const extra: { hint?: string; issues?: ErrorBody['issues']; retryAfterSeconds?: number } = {};
    if (body.hint !== undefined) extra.hint = body.hint;
    if (body.issues !== undefined) extra.issues = body.issues;
    if (body.retryAfterSeconds !== undefined) extra.retryAfterSeconds = body.retryAfterSeconds;
    return new ConsoleError(body.code, body.message, extra);
  }
}

/** Turns zod issues into path/message pairs that never echo the offending value. */
export function issuesFromZod(error: z.ZodError): NonNullable<ErrorBody['issues']> {
  return error.issues.slice(0, 20).map((issue) => ({
    path: issue.path.length ? issue.path.map(String).join('.') : '(root)',
    message: issue.message,
  }));
}
