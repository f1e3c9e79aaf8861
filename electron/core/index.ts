import { api } from '../../shared/api';
import { createHandlers, Dispatcher, type Logger } from './api';
import { systemClock, type Clock } from './clock';
import { HostInventory } from './hosts';
import { recoverUnfinishedRecordings } from './hosts/recording';
import { Identity } from './identity';
import {
  FileWitness,
  KeyringWitness,
  Ledger,
  ledgerSignerSource,
  readLedgerPublicKey,
  WitnessSet,
  type AuditRecord,
} from './ledger';
import { openDatabase, SecretsVault, type Db, type OsKeyring } from './store';
import { consoleUpgrades } from './workstation';

export interface ConsoleCore {
  dataDir: string;
  db: Db;
  dispatcher: Dispatcher;
  ledger: Ledger;
  hosts: HostInventory;
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
  /**
   * Record start and stop in the ledger: for the long-running console (Electron,
   * `enclave serve`), not for each short CLI command.
   */
  recordLifecycle?: boolean;
  /**
   * Also keep the newest checkpoint in the OS keyring (Secret Service), where the
   * shell found a real one. `env` reaches the keyring's session bus.
   */
  checkpointInKeyring?: { env?: NodeJS.ProcessEnv };
}

const stderrLog: Logger = {
  error(message, error) {
    process.stderr.write(`enclave: ${message}${error instanceof Error ? `\n${error.stack}` : ''}\n`);
  },
};

/** Opens the console's data directory and wires the dispatcher. Used by Electron, the harness, the CLI and tests. */
export async function openConsole(options: OpenOptions): Promise<ConsoleCore> {
  const clock = options.clock ?? systemClock;
  const log = options.log ?? stderrLog;
  const db = openDatabase(options.dataDir);
  const vault = new SecretsVault(db, options.keyring);
  await vault.unlockWithKeyring();
  const identity = new Identity(db, vault, clock);
  const onWitnessError = (error: unknown) => log.error('could not keep a copy of the checkpoint', error);
  const file = new FileWitness(options.dataDir, onWitnessError);
  const witness = options.checkpointInKeyring
    ? new WitnessSet([
        file,
        new KeyringWitness(
          () => readLedgerPublicKey(db)?.origin,
          options.checkpointInKeyring.env,
          onWitnessError,
        ),
      ])
    : file;
  const ledger = new Ledger(db, {
    clock,
    witness,
    signer: ledgerSignerSource(db, vault),
    workstationId: () => identity.workstationId(),
  });
  const hosts = new HostInventory(db, vault, clock);
  const dispatcher = new Dispatcher({
    api,
    handlers: createHandlers({
      db,
      dataDir: options.dataDir,
      identity,
      vault,
      ledger,
      witness,
      clock,
      hosts,
    }),
    audit: ledger,
    clock,
    log,
  });
  const lifecycle = (procedure: string): AuditRecord => ({
    time: clock.now().toISOString(),
    operator: null,
    procedure,
    target: null,
    input: { version: __ENCLAVE_VERSION__, pid: process.pid },
    outcome: 'ok',
    error: null,
    durationMs: 0,
    transport: 'system',
  });
  if (options.recordLifecycle) {
    // The running version and any staged or pending console upgrade, as this start found them.
    const start = lifecycle('system.start');
    ledger.append({
      ...start,
      input: { ...(start.input as object), upgrades: consoleUpgrades(options.dataDir) },
    });
  }
  // Terminal sessions a crashed console left open: finished now, and vouched for in the ledger so
  // their recordings travel with exports like any other.
  for (const r of await recoverUnfinishedRecordings(db, options.dataDir)) {
    ledger.append({
      time: clock.now().toISOString(),
      operator: null,
      procedure: 'terminals.recovered',
      target: `host ${r.host}`,
      input: { recording: r.id, operator: r.operator, started: r.started, ended: r.ended },
      result: r.sha256 ? { recording: r.id, sha256: r.sha256, bytes: r.bytes } : null,
      outcome: r.sha256 ? 'ok' : 'error',
      error: r.sha256 ? null : 'the recording file is missing',
      durationMs: 0,
      transport: 'system',
    });
  }
  return {
    dataDir: options.dataDir,
    db,
    dispatcher,
    ledger,
    hosts,
    identity,
    vault,
    close() {
      if (!db.open) return;
      hosts.close();
      if (options.recordLifecycle) ledger.append(lifecycle('system.stop'));
      ledger.close();
      db.close();
    },
  };
}

export { newConnection, closeConnection, inProcessChannel, type Connection } from './api';
export { resolveDataDir } from './store';
