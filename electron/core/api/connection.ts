import { randomUUID } from 'node:crypto';
import type { Session } from '../identity';

export type TransportKind = 'electron' | 'websocket' | 'cli' | 'test';

/** One client of the core: a window, a browser tab, a CLI process. Sessions belong to it. */
export interface Connection {
  readonly id: string;
  readonly transport: TransportKind;
  session: Session | null;
  /** Running calls by id, for cancellation. */
  readonly calls: Map<string, AbortController>;
}

export function newConnection(transport: TransportKind): Connection {
  return { id: randomUUID(), transport, session: null, calls: new Map() };
}

/** Ends every running call of a connection that went away. */
export function closeConnection(connection: Connection): void {
  for (const c of connection.calls.values()) c.abort();
  connection.calls.clear();
  connection.session = null;
}
