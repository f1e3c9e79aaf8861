import { z } from 'zod';
import { procedure } from './define';
import { RoleSchema, Timestamp } from './common';

export const AuditOutcome = z.enum(['ok', 'denied', 'error']);

/** Who acted, as the ledger records it (docs/audit-format.md §2). */
export const AuditOperator = z.object({
  subject: z.string(),
  displayName: z.string(),
  roles: z.array(RoleSchema),
  method: z.string(),
});

/** One ledger entry, read from its canonical JSON. */
export const AuditEntryView = z.object({
  index: z.number().int(),
  time: Timestamp,
  workstation: z.string().nullable(),
  operator: AuditOperator.nullable(),
  procedure: z.string(),
  target: z.string().nullable(),
  input: z.unknown(),
  planDigest: z.string().nullable(),
  /** What the procedure keeps of its result (exit codes, digests); null for most. */
  result: z.unknown(),
  outcome: AuditOutcome,
  error: z.string().nullable(),
  durationMs: z.number(),
  transport: z.string(),
});
export type AuditEntryView = z.infer<typeof AuditEntryView>;

export const AuditFilter = z.strictObject({
  /** Operator subject (their operator name). */
  operator: z.string().max(64).optional(),
  procedure: z.string().max(128).optional(),
  /** Part of the target, e.g. a host or operator name. */
  target: z.string().min(1).max(256).optional(),
  outcome: AuditOutcome.optional(),
  since: Timestamp.optional(),
  until: Timestamp.optional(),
  /** Page backwards from this ledger index (exclusive). */
  beforeIndex: z.number().int().nonnegative().optional(),
  limit: z.number().int().min(1).max(5000).default(500),
});

export const LedgerVerificationView = z.object({
  ok: z.boolean(),
  entries: z.number().int(),
  signedSize: z.number().int(),
  unsignedTail: z.number().int(),
  checkpointsChecked: z.number().int(),
  externalCheckpointSize: z.number().int().nullable(),
  problems: z.array(z.object({ index: z.number().int().nullable(), reason: z.string() })),
  durationMs: z.number(),
});

export const MediumView = z.object({
  mountPoint: z.string(),
  device: z.string(),
  label: z.string().nullable(),
  fsType: z.string().nullable(),
  transport: z.string().nullable(),
  removable: z.boolean(),
  freeBytes: z.number(),
  totalBytes: z.number(),
});

export const ExportProgressEvent = z.object({
  phase: z.enum(['writing', 'syncing', 'reading back', 'done']),
  bytes: z.number(),
  totalBytes: z.number(),
});

const AUDIT_READERS = ['auditor', 'security-officer', 'admin'] as const;

export const auditProcedures = [
  procedure({
    id: 'audit.list',
    summary: 'Audit entries, newest first, filtered.',
    input: AuditFilter,
    output: z.object({ entries: z.array(AuditEntryView), total: z.number().int() }),
    roles: AUDIT_READERS,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'audit.status',
    summary: 'The newest signed checkpoint, the ledger key and the last export.',
    input: z.strictObject({}),
    output: z.object({
      entries: z.number().int(),
      checkpoint: z.object({ size: z.number().int(), note: z.string() }).nullable(),
      verifierKey: z.string().nullable(),
      opensshKey: z.string().nullable(),
      lastExport: z.object({ size: z.number().int(), note: z.string() }).nullable(),
    }),
    roles: AUDIT_READERS,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'audit.verify',
    summary:
      'Recompute every entry and the tree, check every checkpoint and the copy kept outside the database.',
    input: z.strictObject({}),
    output: LedgerVerificationView,
    roles: AUDIT_READERS,
    audited: true,
    mutates: false,
    action: { title: 'Verify the audit ledger', palette: true, page: 'audit' },
  }),
  procedure({
    id: 'audit.proof',
    summary:
      'One entry with its inclusion proof against the newest checkpoint, as a c2sp.org/tlog-proof file.',
    input: z.strictObject({ index: z.number().int().nonnegative() }),
    output: z.object({
      index: z.number().int(),
      treeSize: z.number().int(),
      entry: AuditEntryView,
      inclusion: z.array(z.string()),
      tlogProof: z.string(),
    }),
    roles: AUDIT_READERS,
    audited: false,
    mutates: false,
    target: (input) => `entry ${input.index}`,
  }),
  procedure({
    id: 'audit.media',
    summary: 'Removable media mounted on this workstation, with free space.',
    input: z.strictObject({}),
    output: z.array(MediumView),
    roles: AUDIT_READERS,
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'audit.export',
    summary: 'Export the ledger (what is new since the last export, or all) to a folder on removable media.',
    input: z.strictObject({
      to: z.string().min(1).max(4096).describe('the target directory, e.g. a medium mount point'),
      full: z.boolean().default(false),
    }),
    output: z.object({
      folder: z.string(),
      from: z.number().int(),
      to: z.number().int(),
      bytes: z.number(),
      files: z.array(z.string()),
      readBack: z.enum(['direct-io', 'cache-dropped']),
      checkpoint: z.string(),
    }),
    events: ExportProgressEvent,
    roles: AUDIT_READERS,
    audited: true,
    mutates: true,
    target: (input) => input.to,
    action: { title: 'Export the audit ledger…', palette: true, page: 'audit' },
  }),
] as const;
