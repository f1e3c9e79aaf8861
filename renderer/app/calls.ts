import { createContext, useContext, useEffect, useState } from 'react';
import { z } from 'zod';
import { api, rolesAllow, type AnyProcedure, type ProcedureId } from '../../shared/api';
import type { InputOf, OutputOf } from '../../shared/client';
import { ConsoleError } from '../../shared/errors';
import type { Role } from '../../shared/roles';
import { useClient } from './connection';

/**
 * Lets any data hook report that the session ended (expired, signed out elsewhere);
 * the session gate provides it and goes back to sign-in.
 */
export const SessionExpiryContext = createContext<() => void>(() => {});

/** Every rejection the UI shows is a ConsoleError; anything else is a bug in the window. */
export function toConsoleError(error: unknown): ConsoleError {
  if (error instanceof ConsoleError) return error;
  return new ConsoleError('INTERNAL', error instanceof Error ? error.message : String(error));
}

export function mayCall(id: ProcedureId, roles: readonly Role[]): boolean {
  return rolesAllow(api[id], roles);
}

/** The roles a procedure allows, for "your roles do not include …" messages. */
export function rolesAllowedFor(id: ProcedureId): string {
  const roles = api[id].roles;
  if (roles === 'public') return 'any role';
  return roles.length > 1 ? `${roles.slice(0, -1).join(', ')} or ${roles.at(-1)}` : (roles[0] ?? '');
}

/** True when a procedure needs no input, so the palette can run it directly. */
export function takesNoInput(procedure: AnyProcedure): boolean {
  return procedure.input instanceof z.ZodObject && Object.keys(procedure.input.shape).length === 0;
}

export interface ProcedureState<T> {
  data: T | undefined;
  error: ConsoleError | undefined;
  /** True while a request for the current input is in flight (earlier data stays visible). */
  loading: boolean;
  reload: () => void;
}

/**
 * Calls a read-only procedure and re-calls it when the input changes or on reload().
 * An UNAUTHENTICATED answer means the session ended (expired, signed out elsewhere),
 * so the frame goes back to sign-in.
 */
export function useProcedure<K extends ProcedureId>(
  id: K,
  input: InputOf<K>,
  options: { enabled?: boolean } = {},
): ProcedureState<OutputOf<K>> {
  const client = useClient();
  const expired = useContext(SessionExpiryContext);
  const enabled = options.enabled ?? true;
  const [reloads, setReloads] = useState(0);
  // Inputs are plain JSON, so their text is a stable dependency even when callers pass fresh objects.
  const inputText = JSON.stringify(input);
  const requestKey = `${reloads}:${inputText}`;
  const [settled, setSettled] = useState<{ key: string; data?: OutputOf<K>; error?: ConsoleError }>({
    key: '',
  });

  useEffect(() => {
    if (!enabled) return;
    let live = true;
    client.call(id, JSON.parse(inputText) as InputOf<K>).then(
      (data) => live && setSettled({ key: requestKey, data }),
      (error: unknown) => {
        if (!live) return;
        const consoleError = toConsoleError(error);
        if (consoleError.code === 'UNAUTHENTICATED') expired();
        setSettled((previous) => ({ key: requestKey, data: previous.data, error: consoleError }));
      },
    );
    return () => {
      live = false;
    };
  }, [client, id, inputText, requestKey, enabled, expired]);

  return {
    data: settled.data,
    error: settled.key === requestKey ? settled.error : undefined,
    loading: enabled && settled.key !== requestKey,
    reload: () => setReloads((n) => n + 1),
  };
}
