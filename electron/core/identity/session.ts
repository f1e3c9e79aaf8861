import { randomUUID } from 'node:crypto';
import type { SessionView } from '../../../shared/api';
import type { Role } from '../../../shared/roles';
import type { OperatorRecord } from './operators';

export type SignInMethod = SessionView['method'];

/**
 * A signed-in operator on one connection. Other sign-in methods (OIDC, smart
 * card, break-glass) produce the same shape with their own `method` and
 * `attributes`, so the dispatcher's checks need not change when they land.
 */
export interface Session {
  id: string;
  operatorId: number;
  name: string;
  displayName: string;
  roles: readonly Role[];
  method: SignInMethod;
  /** Identity-provider claims (eID assurance level, organisation, …) for attribute rules. */
  attributes: Readonly<Record<string, string>>;
  signedInAt: Date;
  lastActiveAt: Date;
}

export const SESSION_IDLE_MS = 15 * 60 * 1000;
export const SESSION_MAX_MS = 12 * 60 * 60 * 1000;

export function startSession(operator: OperatorRecord, method: SignInMethod, now: Date): Session {
  return {
    id: randomUUID(),
    operatorId: operator.id,
    name: operator.name,
    displayName: operator.displayName,
    roles: operator.roles,
    method,
    attributes: {},
    signedInAt: now,
    lastActiveAt: now,
  };
}

export function expiresAt(s: Session): Date {
  return new Date(
    Math.min(s.lastActiveAt.getTime() + SESSION_IDLE_MS, s.signedInAt.getTime() + SESSION_MAX_MS),
  );
}

export function isExpired(s: Session, now: Date): boolean {
  return now.getTime() >= expiresAt(s).getTime();
}

export function sessionView(s: Session): SessionView {
  return {
    operator: { name: s.name, displayName: s.displayName, roles: [...s.roles] },
    method: s.method,
    signedInAt: s.signedInAt.toISOString(),
    expiresAt: expiresAt(s).toISOString(),
  };
}

/** Who acted, as the ledger records it (docs/audit-format.md): null for an unauthenticated call. */
export function ledgerOperator(
  session: Session | null,
): { subject: string; displayName: string; roles: readonly Role[]; method: string } | null {
  return session
    ? {
        subject: session.name,
        displayName: session.displayName,
        roles: session.roles,
        method: session.method,
      }
    : null;
}
