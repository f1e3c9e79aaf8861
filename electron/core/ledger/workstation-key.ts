import type { Db, SecretsVault } from '../store';
import { LedgerSigner } from './signer';

/**
 * The workstation's ledger key: created at init, private half sealed in the
 * secrets store, public half and key name (the ledger origin) in `meta` so
 * verification never needs the secret.
 */
const SECRET_NAME = 'ledger.signing-key';

export function ledgerOrigin(workstationId: string): string {
  return `enclave-console.local/${workstationId}/audit`;
}

export interface LedgerPublicKey {
  origin: string;
  publicKey: Uint8Array;
}

export function readLedgerPublicKey(db: Db): LedgerPublicKey | undefined {
  const get = db.prepare('SELECT value FROM meta WHERE key = ?').pluck();
  const origin = get.get('ledger.origin') as string | undefined;
  const key = get.get('ledger.public_key') as string | undefined;
  if (!origin || !key) return undefined;
  return { origin, publicKey: new Uint8Array(Buffer.from(key, 'base64')) };
}

/** First run: make the key (the vault must be unlocked). */
export function createLedgerKey(db: Db, vault: SecretsVault, workstationId: string): LedgerSigner {
  const { signer, pkcs8 } = LedgerSigner.generate(ledgerOrigin(workstationId));
  vault.put(SECRET_NAME, pkcs8);
  const meta = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
  meta.run('ledger.origin', signer.name);
  meta.run('ledger.public_key', Buffer.from(signer.publicKey).toString('base64'));
  return signer;
}

/** The signer once the vault is unlocked; cached, since the key never changes. */
export function ledgerSignerSource(db: Db, vault: SecretsVault): () => LedgerSigner | undefined {
  let cached: LedgerSigner | undefined;
  return () => {
    if (cached || !vault.unlocked) return cached;
    const pub = readLedgerPublicKey(db);
    const pkcs8 = pub ? vault.get(SECRET_NAME) : undefined;
    if (pub && pkcs8) cached = LedgerSigner.fromPkcs8(pub.origin, pkcs8);
    return cached;
  };
}
