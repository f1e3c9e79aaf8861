import { z } from 'zod';
import { ROLES } from '../roles';

/** Schemas reused across capabilities. */
export const OperatorName = z
  .string()
  .min(2)
  .max(64)
  .regex(/^[a-z][a-z0-9._-]*$/, 'use lower-case letters, digits, ".", "_" or "-", starting with a letter');
export const RoleSchema = z.enum(ROLES);
export const Timestamp = z.string().describe('ISO 8601 UTC time');
export const Empty = z.strictObject({});

export const SignInMethod = z.enum(['passphrase', 'oidc', 'smartcard', 'break-glass']);

export const OperatorView = z.object({
  name: z.string(),
  displayName: z.string(),
  roles: z.array(RoleSchema),
});
export type OperatorView = z.infer<typeof OperatorView>;

export const SessionView = z.object({
  operator: OperatorView,
  method: SignInMethod,
  signedInAt: Timestamp,
  expiresAt: Timestamp,
});
export type SessionView = z.infer<typeof SessionView>;
