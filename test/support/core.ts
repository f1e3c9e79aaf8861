import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConsoleClient } from '../../shared/client';
import type { Role } from '../../shared/roles';
import { inProcessChannel, newConnection, openConsole, type ConsoleCore } from '../../electron/core';
import type { TransportKind } from '../../electron/core/api';
import type { Clock } from '../../electron/core/clock';
import type { OperatorRecord } from '../../electron/core/identity';
import { startSession } from '../../electron/core/identity/session';

/** A clock the test moves by hand. */
export class TestClock implements Clock {
  constructor(public ms = Date.parse('2026-11-29T10:00:00Z')) {}
  now(): Date {
    return new Date(this.ms);
  }
  advance(ms: number): void {
    this.ms += ms;
  }
}

export const ADMIN = {
  name: 'admin',
  displayName: 'First Admin',
  passphrase: 'correct horse battery staple',
};

export interface TestCore {
  dir: string;
  core: ConsoleCore;
  clock: TestClock;
  /** A client on a new connection of its own. */
  connect(transport?: TransportKind): ConsoleClient;
  /** A client whose connection carries a session for an operator holding exactly these roles (one per role set). */
  connectAs(roles: Role[]): Promise<ConsoleClient>;
  close(): void;
}

let counter = 0;
/** The passphrase of the operators connectAs creates. */
export const OPERATOR_PASSPHRASE = 'a passphrase long enough';

/** A real core on a fresh temporary data directory. */
export async function openTestCore(options: { initialise?: boolean } = {}): Promise<TestCore> {
  const dir = mkdtempSync(path.join(tmpdir(), 'enclave-test-'));
  const clock = new TestClock();
  const core = await openConsole({ dataDir: dir, clock, log: { error: () => undefined } });
  const clients: ConsoleClient[] = [];
  const byRoles = new Map<string, OperatorRecord>();
  const connect = (transport: TransportKind = 'test', connection = newConnection(transport)) => {
    const client = new ConsoleClient(inProcessChannel(core.dispatcher, connection));
    clients.push(client);
    return client;
  };
  if (options.initialise !== false) await connect().call('setup.createFirstAdmin', ADMIN);
  return {
    dir,
    core,
    clock,
    connect,
    async connectAs(roles) {
      const key = roles.join(',');
      const operator =
        byRoles.get(key) ??
        (await core.identity.createOperator({
          name: `op${++counter}-${roles.join('-')}`.slice(0, 60),
          displayName: `Operator ${counter}`,
          roles,
          passphrase: OPERATOR_PASSPHRASE,
        }));
      byRoles.set(key, operator);
      const connection = newConnection('test');
      connection.session = startSession(operator, 'passphrase', clock.now());
      return connect('test', connection);
    },
    close() {
      for (const c of clients) c.close();
      core.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
