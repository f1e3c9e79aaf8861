import { useSyncExternalStore } from 'react';
import type { HostContact } from './model';

/**
 * The last discovery or command per host in this window's session. It is not stored:
 * a status read from an earlier session would claim more than the console knows now.
 */
let contacts: ReadonlyMap<string, HostContact> = new Map();
const listeners = new Set<() => void>();

export function recordContacts(
  kind: HostContact['kind'],
  results: readonly { host: string; error: string | null }[],
): void {
  const next = new Map(contacts);
  const at = new Date().toISOString();
  for (const r of results) next.set(r.host, { kind, at, error: r.error });
  contacts = next;
  for (const listener of listeners) listener();
}

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

export function useHostContacts(): ReadonlyMap<string, HostContact> {
  return useSyncExternalStore(subscribe, () => contacts);
}
