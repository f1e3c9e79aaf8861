import { z } from 'zod';
import { procedure } from './define';
import { Empty, OperatorName, RoleSchema, Timestamp } from './common';
import { Passphrase } from './session';

export const OperatorRow = z.object({
  name: z.string(),
  displayName: z.string(),
  roles: z.array(RoleSchema),
  disabled: z.boolean(),
  createdAt: Timestamp,
  lastSignInAt: Timestamp.nullable(),
});
export type OperatorRow = z.infer<typeof OperatorRow>;

export const operatorProcedures = [
  procedure({
    id: 'operators.list',
    summary: 'The operators of this workstation and their roles.',
    input: Empty,
    output: z.array(OperatorRow),
    roles: ['security-officer', 'auditor', 'admin'],
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'operators.create',
    summary: 'Add an operator with a passphrase and roles.',
    input: z.strictObject({
      name: OperatorName,
      displayName: z.string().trim().min(1).max(128),
      roles: z.array(RoleSchema).min(1).max(6),
      passphrase: Passphrase,
    }),
    output: OperatorRow,
    roles: ['security-officer', 'admin'],
    audited: true,
    mutates: true,
    target: (input) => `operator ${input.name}`,
    action: { title: 'Add operator…', palette: true, page: 'settings' },
  }),
] as const;
