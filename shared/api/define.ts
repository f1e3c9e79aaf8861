import type { z } from 'zod';
import type { Role } from '../roles';

/**
 * One declaration per procedure. The dispatcher's checks, the command palette,
 * keyboard help, the permission matrix test and the audit entry all derive from it.
 */
export interface ProcedureAction {
  /** Operator-facing title, e.g. "Sign out". */
  title: string;
  /** Listed in the command palette (only for operators whose roles allow the procedure). */
  palette?: boolean;
  /** Key binding in the form "Ctrl+Shift+L" (Ctrl means Cmd on macOS). */
  keybinding?: string;
  /** When the input needs a form, the page that holds it; the palette navigates there. */
  page?: string;
}

export interface ProcedureSpec<
  Id extends string = string,
  I extends z.ZodType = z.ZodType,
  O extends z.ZodType = z.ZodType,
  E extends z.ZodType = z.ZodType,
> {
  id: Id;
  summary: string;
  input: I;
  output: O;
  /** Events streamed while the call runs (progress, data); absent for plain calls. */
  events?: E;
  /** 'public' needs no sign-in (sign-in itself, first run, version info). */
  roles: 'public' | readonly Role[];
  /** Writes an audit entry for every call, allowed or not. */
  audited: boolean;
  /** Changes state. Every mutating procedure must be audited (the matrix test checks). */
  mutates: boolean;
  /** What the call acts on, for the audit entry ("operator alice", "host gpu-07"). */
  target?: (input: z.output<I>) => string | undefined;
  /** What of a successful result the ledger keeps (exit codes, output digests), never secrets. */
  auditResult?: (output: z.output<O>) => unknown;
  action?: ProcedureAction;
}

export type AnyProcedure = ProcedureSpec<string, z.ZodType, z.ZodType, z.ZodType>;

export function procedure<Id extends string, I extends z.ZodType, O extends z.ZodType, E extends z.ZodType>(
  spec: ProcedureSpec<Id, I, O, E>,
): ProcedureSpec<Id, I, O, E> {
  if (!/^[a-z][a-zA-Z]*(\.[a-z][a-zA-Z]*)+$/.test(spec.id)) {
    throw new Error(`procedure id "${spec.id}" must look like "capability.verb"`);
  }
  if (spec.mutates && !spec.audited) {
    throw new Error(`procedure "${spec.id}" changes state and so must be audited`);
  }
  return spec;
}

export type ApiMap<P extends readonly AnyProcedure[]> = { [K in P[number] as K['id']]: K };

/** Builds the registry; a duplicate id throws, like VS Code's registerAction2. */
export function defineApi<const P extends readonly AnyProcedure[]>(procedures: P): ApiMap<P> {
  const map: Record<string, AnyProcedure> = {};
  for (const p of procedures) {
    if (Object.hasOwn(map, p.id)) throw new Error(`procedure "${p.id}" is declared twice`);
    map[p.id] = p;
  }
  return Object.freeze(map) as ApiMap<P>;
}

/** True when the declaration allows a session holding these roles. */
export function rolesAllow(spec: Pick<AnyProcedure, 'roles'>, roles: readonly Role[]): boolean {
  if (spec.roles === 'public') return true;
  return spec.roles.some((r) => roles.includes(r));
}
