import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConsoleClient } from '../../shared/client';
import { inProcessChannel, newConnection, openConsole, type ConsoleCore } from '../../electron/core';
import { FileWitness, KeyringWitness, verifyLedger, WitnessSet } from '../../electron/core/ledger';
import { readLedgerPublicKey } from '../../electron/core/ledger/workstation-key';
import { ADMIN } from '../support/core';
import { tmpdir } from 'node:os';

/**
 * The newest checkpoint is also kept in the OS keyring (as the Electron shell does
 * where a real keyring exists): a real GNOME Keyring over a private D-Bus session.
 */
const tools = ['secret-tool', 'gnome-keyring-daemon', 'dbus-daemon'].filter(
  (t) => spawnSync('which', [t]).status !== 0,
);
const reason = tools.length
  ? `missing ${tools.join(', ')} (apt-get install libsecret-tools gnome-keyring dbus; .ci/run does)`
  : '';
if (reason) console.log(`ledger-keyring: skipped here: ${reason}`);

let env: NodeJS.ProcessEnv;
const pids: number[] = [];
let dir: string;

describe.skipIf(reason !== '')(
  `checkpoint copy in the OS keyring${reason ? ` (skipped: ${reason})` : ''}`,
  () => {
    beforeAll(async () => {
      dir = mkdtempSync(path.join(tmpdir(), 'enclave-keyring-'));
      // A private session bus, then a keyring daemon on it, unlocked with a throwaway password.
      const bus = spawnSync('dbus-daemon', ['--session', '--fork', '--print-address=1', '--print-pid=1'], {
        encoding: 'utf8',
      });
      const [address, pid] = bus.stdout.trim().split('\n');
      pids.push(Number(pid));
      env = {
        ...process.env,
        DBUS_SESSION_BUS_ADDRESS: address,
        HOME: dir,
        XDG_DATA_HOME: path.join(dir, 'xdg'),
      };
      // It forks into the background and creates the default ("login") keyring unlocked with the password;
      // it exits when the session bus does.
      spawnSync('gnome-keyring-daemon', ['--unlock', '--components=secrets'], {
        env,
        input: 'throwaway-test-password',
      });
      for (let i = 0; i < 50 && !KeyringWitness.available(env); i++)
        await new Promise((r) => setTimeout(r, 100));
      expect(KeyringWitness.available(env)).toBe(true);
    }, 30_000);
    afterAll(() => {
      for (const pid of pids.reverse()) {
        try {
          process.kill(pid);
        } catch {
          // already gone
        }
      }
      rmSync(dir, { recursive: true, force: true });
    });

    async function open(): Promise<{ core: ConsoleCore; client: ConsoleClient }> {
      const core = await openConsole({
        dataDir: path.join(dir, 'data'),
        checkpointInKeyring: { env },
        log: { error: () => undefined },
      });
      return { core, client: new ConsoleClient(inProcessChannel(core.dispatcher, newConnection('test'))) };
    }

    it('keeps the newest checkpoint in the keyring and catches a database and file rolled back together', async () => {
      let { core, client } = await open();
      await client.call('setup.createFirstAdmin', ADMIN);
      await client.call('system.selfCheck', {});
      const data = path.join(dir, 'data');
      core.db.pragma('wal_checkpoint(TRUNCATE)');
      core.close();
      // An attacker's "older copy": the database and the data-directory checkpoint file, together.
      copyFileSync(path.join(data, 'console.db'), path.join(dir, 'old.db'));
      copyFileSync(path.join(data, 'ledger-checkpoint'), path.join(dir, 'old-checkpoint'));
      ({ core, client } = await open());
      await client.call('session.signIn', { operator: ADMIN.name, passphrase: ADMIN.passphrase });
      for (let i = 0; i < 3; i++) await client.call('system.selfCheck', {});
      const size = core.ledger.count();
      core.close(); // flushes both copies
      const origin = readLedgerPublicKey((await open()).core.db)?.origin as string;
      const keyring = new KeyringWitness(() => origin, env);
      expect(keyring.read()).toMatch(new RegExp(`^${origin.replace(/[./]/g, '\\$&')}\\n${size}\\n`));

      for (const f of ['console.db-wal', 'console.db-shm']) rmSync(path.join(data, f), { force: true });
      copyFileSync(path.join(dir, 'old.db'), path.join(data, 'console.db'));
      copyFileSync(path.join(dir, 'old-checkpoint'), path.join(data, 'ledger-checkpoint'));
      const reopened = await open();
      const report = await verifyLedger(reopened.core.db, new WitnessSet([new FileWitness(data), keyring]));
      reopened.core.close();
      expect(report.ok).toBe(false);
      expect(report.problems[0]?.reason).toMatch(
        /but the checkpoint kept in the OS keyring has \d+: the database was rolled back or replaced/,
      );
      // The file copy alone would not have seen it.
      const fileOnly = await open();
      expect((await verifyLedger(fileOnly.core.db, new FileWitness(data))).ok).toBe(true);
      fileOnly.core.close();
    }, 60_000);
  },
);
