/**
 * Child process for the crash test: appends to a ledger until killed, and
 * prints each index only after append() returned (i.e. after the commit).
 * Usage: node append-loop.mjs DATA_DIR PASSPHRASE
 */
import { writeSync } from 'node:fs';
import { Ledger } from '../../electron/core/ledger/ledger';
import { FileWitness } from '../../electron/core/ledger/witness';
import { ledgerSignerSource } from '../../electron/core/ledger/workstation-key';
import { openDatabase, SecretsVault } from '../../electron/core/store';
import { sampleRecord } from './ledger';

const [dir, passphrase] = process.argv.slice(2) as [string, string];
const db = openDatabase(dir);
const vault = new SecretsVault(db, undefined);
await vault.unlockWithPassphrase(1, passphrase);
const workstation = db.prepare("SELECT value FROM meta WHERE key = 'workstation_id'").pluck().get() as string;
const ledger = new Ledger(db, {
  clock: { now: () => new Date() },
  witness: new FileWitness(dir),
  signer: ledgerSignerSource(db, vault),
  workstationId: () => workstation,
});
writeSync(1, 'ready\n');
for (let i = 0; ; i++) {
  const indexes =
    i % 10 === 9
      ? ledger.appendBatch(Array.from({ length: 20 }, (_, j) => sampleRecord(i + j)))
      : [ledger.append(sampleRecord(i))];
  writeSync(1, `${indexes.join('\n')}\n`);
}
