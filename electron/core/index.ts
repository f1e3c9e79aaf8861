import { api } from '../../shared/api';
import { createHandlers, Dispatcher, type Logger } from './api';
import { systemClock, type Clock } from './clock';
import { Identity } from './identity';
import { SqliteAuditSink, type AuditSink } from './ledger';
import { openDatabase, SecretsVault, type Db, type OsKeyring } from './store';

export interface ConsoleCore {
  dataDir: string;
  db: Db;
  dispatcher: Dispatcher;
  audit: AuditSink;
  identity: Identity;
  vault: SecretsVault;
  close(): void;
}

export interface OpenOptions {
  dataDir: string;
  clock?: Clock;
  /** The OS keyring from the Electron shell, when it has a real one. */
  keyring?: OsKeyring;
  log?: Logger;
}

const stderrLog: Logger = {
  error(message, error) {
    process.stderr.write(`enclave: ${message}${error instanceof Error ? `\n${error.stack}` : ''}\n`);
  },
};

/** Opens the console's data directory and wires the dispatcher. Used by Electron, the harness, the CLI and tests. */
export async function openConsole(options: OpenOptions): Promise<ConsoleCore> {
  const clock = options.clock ?? systemClock;
  const db = openDatabase(options.dataDir);
  const vault = new SecretsVault(db, options.keyring);
  await vault.unlockWithKeyring();
  const identity = new Identity(db, vault, clock);
  const audit = new SqliteAuditSink(db);
  const dispatcher = new Dispatcher({
    api,
    handlers: createHandlers({ db, dataDir: options.dataDir, identity, vault, audit }),
    audit,
    clock,
    log: options.log ?? stderrLog,
  });
  return {
    dataDir: options.dataDir,
    db,
    dispatcher,
    audit,
    identity,
    vault,
    close: () => db.close(),
  };
}

export { newConnection, closeConnection, inProcessChannel, type Connection } from './api';
export { resolveDataDir } from './store';
