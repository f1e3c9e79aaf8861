import { createContext, useContext, useSyncExternalStore, type ReactNode } from 'react';
import { ConsoleClient } from '../../shared/client';
import { ConsoleError } from '../../shared/errors';
import { openLink, type Link, type LinkState } from './transport';

interface ConnectionSnapshot {
  /** Increases on every (re)connect; a new generation means a new, signed-out session. */
  generation: number;
  state: LinkState;
  client: ConsoleClient | null;
  /** An error the core sent outside any call, e.g. refusing the harness token. */
  refusal: ConsoleError | null;
}

/**
 * The one connection to the console core, kept outside React so that StrictMode's
 * double effects never open two sockets; components read it through
 * useSyncExternalStore.
 */
export class CoreConnection {
  private snapshot: ConnectionSnapshot = {
    generation: 0,
    state: { status: 'connecting' },
    client: null,
    refusal: null,
  };
  private readonly listeners = new Set<() => void>();
  private link: Link | null = null;

  connect(): void {
    this.link?.close();
    this.snapshot.client?.close();
    const generation = this.snapshot.generation + 1;
    let client: ConsoleClient | null = null;
    const onState = (state: LinkState) => {
      if (this.snapshot.generation > generation) return; // a late event from a replaced socket
      if (state.status === 'closed') {
        client?.failAll(new ConsoleError('CANCELLED', 'the connection to the console core was lost'));
      }
      this.update({ generation, state });
    };
    this.snapshot = { ...this.snapshot, generation, refusal: null };
    this.link = openLink(onState);
    if (this.link) {
      client = new ConsoleClient(this.link.channel);
      client.onUnsolicitedError = (error) => this.update({ refusal: error });
    }
    this.update({ client });
  }

  readonly subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  readonly getSnapshot = (): ConnectionSnapshot => this.snapshot;

  private update(change: Partial<ConnectionSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...change };
    for (const listener of this.listeners) listener();
  }
}

const ConnectionContext = createContext<CoreConnection | null>(null);

export function ConnectionProvider({
  connection,
  children,
}: {
  connection: CoreConnection;
  children: ReactNode;
}) {
  return <ConnectionContext value={connection}>{children}</ConnectionContext>;
}

export function useConnection(): ConnectionSnapshot & { reconnect: () => void } {
  const connection = useContext(ConnectionContext);
  if (!connection) throw new Error('useConnection outside ConnectionProvider');
  const snapshot = useSyncExternalStore(connection.subscribe, connection.getSnapshot);
  return { ...snapshot, reconnect: () => connection.connect() };
}

/** The typed client; only used below the point where a connection exists. */
export function useClient(): ConsoleClient {
  const { client } = useConnection();
  if (!client) throw new Error('useClient before the console core is connected');
  return client;
}
