import { z } from 'zod';
import { EVERY_ROLE } from '../roles';
import { procedure } from './define';
import { Empty, OperatorName, SessionView } from './common';
import { secret } from './secret';

export const Passphrase = secret(
  z.string().min(12, 'use at least 12 characters').max(1024, 'use at most 1024 characters'),
);

export const sessionProcedures = [
  procedure({
    id: 'session.status',
    summary: 'Whether the console is set up, and who is signed in on this connection.',
    input: Empty,
    output: z.object({ initialised: z.boolean(), session: SessionView.nullable() }),
    roles: 'public',
    audited: false,
    mutates: false,
  }),
  procedure({
    id: 'session.signIn',
    summary: 'Sign in with an operator name and passphrase.',
    input: z.strictObject({
      operator: z.string().min(1).max(64),
      passphrase: secret(z.string().min(1).max(1024)),
    }),
    output: SessionView,
    roles: 'public',
    audited: true,
    mutates: true,
    target: (input) => `operator ${input.operator}`,
  }),
  procedure({
    id: 'session.signOut',
    summary: 'End this session.',
    input: Empty,
    output: z.object({ signedOut: z.literal(true) }),
    roles: EVERY_ROLE,
    audited: true,
    mutates: true,
    action: { title: 'Sign out', palette: true, keybinding: 'Ctrl+Shift+Q' },
  }),
  procedure({
    id: 'setup.createFirstAdmin',
    summary: 'First run only: create the first administrator and sign them in.',
    input: z.strictObject({
      name: OperatorName,
      displayName: z.string().trim().min(1).max(128),
      passphrase: Passphrase,
    }),
    output: SessionView,
    roles: 'public',
    audited: true,
    mutates: true,
    target: (input) => `operator ${input.name}`,
  }),
] as const;
