import { z } from 'zod';
import { procedure } from './define';
import { RoleSchema, SignInMethod, Timestamp } from './common';

export const AuditOutcome = z.enum(['ok', 'denied', 'error']);

export const AuditEntryView = z.object({
  seq: z.number().int(),
  at: Timestamp,
  operator: z.string().nullable(),
  roles: z.array(RoleSchema),
  method: SignInMethod.nullable(),
  procedure: z.string(),
  target: z.string().nullable(),
  input: z.unknown(),
  outcome: AuditOutcome,
  error: z.string().nullable(),
  durationMs: z.number(),
  transport: z.string(),
});
export type AuditEntryView = z.infer<typeof AuditEntryView>;

export const AuditFilter = z.strictObject({
  operator: z.string().max(64).optional(),
  procedure: z.string().max(128).optional(),
  outcome: AuditOutcome.optional(),
  since: Timestamp.optional(),
  until: Timestamp.optional(),
  /** Page backwards from this sequence number (exclusive). */
  beforeSeq: z.number().int().positive().optional(),
  limit: z.number().int().min(1).max(5000).default(500),
});

export const auditProcedures = [
  procedure({
    id: 'audit.list',
    summary: 'Audit entries, newest first, filtered.',
    input: AuditFilter,
    output: z.object({ entries: z.array(AuditEntryView), total: z.number().int() }),
    roles: ['auditor', 'security-officer', 'admin'],
    audited: false,
    mutates: false,
  }),
] as const;
