import { z } from 'zod';
import { EVERY_ROLE } from '../roles';
import { procedure } from './define';
import { Empty, Timestamp } from './common';

export const SecretsProtection = z.enum(['os-keyring', 'operator-credentials']);

export const SystemInfo = z.object({
  version: z.string(),
  dataDir: z.string(),
  schemaVersion: z.number().int(),
  workstationId: z.string().nullable(),
  initialised: z.boolean(),
  secretsProtection: SecretsProtection,
  runtime: z.string(),
  /** The workstation's ledger key, for auditors to pin (null before init). */
  ledgerKey: z.object({ verifierKey: z.string(), openssh: z.string() }).nullable(),
  /** Console upgrades staged from verified bundles; `pending` installs at the next start. */
  upgrades: z.object({
    staged: z.array(z.object({ version: z.string(), stagedAt: Timestamp, packages: z.array(z.string()) })),
    pending: z
      .object({ version: z.string(), newer: z.boolean(), attemptedAt: z.string().nullable() })
      .nullable(),
  }),
});
export type SystemInfo = z.infer<typeof SystemInfo>;

export const SelfCheckEvent = z.object({
  check: z.string(),
  status: z.enum(['running', 'passed', 'failed']),
  detail: z.string().optional(),
});

export const systemProcedures = [
  procedure({
    id: 'system.info',
    summary: 'Version, data directory, schema version and workstation id.',
    input: Empty,
    output: SystemInfo,
    roles: 'public',
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'system.overview',
    summary: 'Counts for the overview page.',
    input: Empty,
    output: z.object({
      hosts: z.number().int(),
      gpus: z.number().int(),
      clusters: z.number().int(),
      tenants: z.number().int(),
      bundles: z.number().int(),
      operators: z.number().int(),
      auditEntries: z.number().int(),
      lastAuditAt: Timestamp.nullable(),
    }),
    roles: EVERY_ROLE,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'system.selfCheck',
    summary: 'Check the database, the audit table guards and the data directory; streams each check.',
    input: Empty,
    output: z.object({
      passed: z.boolean(),
      checks: z.array(z.object({ check: z.string(), passed: z.boolean(), detail: z.string() })),
    }),
    events: SelfCheckEvent,
    roles: ['operator', 'security-officer', 'auditor', 'admin'],
    audited: true,
    mutates: false,
    action: { title: 'Run self-check', palette: true },
  }),
] as const;
