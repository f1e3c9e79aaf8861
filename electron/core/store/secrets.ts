import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { ConsoleError } from '../../../shared/errors';
import type { Db } from './database';
import { DEFAULT_SCRYPT, deriveKey, formatPhc, parsePhc } from './kdf';

/**
 * Encrypted secrets at rest (SSH keys, the workstation signing key, cluster
 * credentials). Each secret is sealed with one random data-encryption key
 * (DEK); the DEK itself is stored only wrapped:
 *  - once per operator, under a key derived with scrypt from their passphrase,
 *    so any operator's sign-in unlocks it, and
 *  - under the OS keyring (Electron safeStorage) when a real keyring exists.
 *    On Linux without one, safeStorage silently uses a fixed key (backend
 *    `basic_text`); the shell reports that as "no keyring" and only the
 *    passphrase wrapping is used. See docs/security.md.
 */

/** Electron's safeStorage, reached through the main process; absent outside Electron. */
export interface OsKeyring {
  encrypt(plain: Buffer): Promise<Buffer>;
  decrypt(sealed: Buffer): Promise<Buffer>;
}

const NONCE = 12;
const TAG = 16;

export function seal(key: Buffer, plain: Buffer, aad: string): Buffer {
  const nonce = randomBytes(NONCE);
  const cipher = createCipheriv('aes-256-gcm', key, nonce);
  cipher.setAAD(Buffer.from(aad, 'utf8'));
  return Buffer.concat([nonce, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
}

/** Throws when the key is wrong or the blob was altered. */
export function unseal(key: Buffer, sealed: Buffer, aad: string): Buffer {
  if (sealed.length < NONCE + TAG) throw new Error('sealed blob too short');
  const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, NONCE));
  decipher.setAAD(Buffer.from(aad, 'utf8'));
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG));
  return Buffer.concat([decipher.update(sealed.subarray(NONCE, sealed.length - TAG)), decipher.final()]);
}

const now = () => new Date().toISOString();

export class SecretsVault {
  private dek: Buffer | undefined;

  constructor(
    private readonly db: Db,
    private readonly keyring: OsKeyring | undefined,
  ) {}

  get protection(): 'os-keyring' | 'operator-credentials' {
    return this.keyring ? 'os-keyring' : 'operator-credentials';
  }

  get unlocked(): boolean {
    return this.dek !== undefined;
  }

  /** First run: make the DEK and wrap it for the first operator (and the keyring when there is one). */
  async create(operatorId: number, passphrase: string): Promise<void> {
    if (this.db.prepare('SELECT 1 FROM secret_keys').get()) {
      throw new ConsoleError('CONFLICT', 'the secrets key already exists');
    }
    this.dek = randomBytes(32);
    await this.grant(operatorId, passphrase);
    await this.wrapForKeyring();
  }

  /** Unlocks with the keyring at start, when the shell provides one. */
  async unlockWithKeyring(): Promise<boolean> {
    if (!this.keyring || this.dek) return this.unlocked;
    const row = this.db.prepare("SELECT wrapped FROM secret_keys WHERE kind = 'os-keyring'").get() as
      { wrapped: Buffer } | undefined;
    if (!row) return false;
    try {
      this.dek = await this.keyring.decrypt(row.wrapped);
      return true;
    } catch {
      return false; // a keyring that cannot open it (another user, reset keyring): fall back to sign-in
    }
  }

  /** Unlocks with an operator's passphrase at sign-in. Returns false when that operator has no wrapping. */
  async unlockWithPassphrase(operatorId: number, passphrase: string): Promise<boolean> {
    const row = this.db
      .prepare("SELECT kdf, wrapped FROM secret_keys WHERE kind = 'operator-passphrase' AND operator_id = ?")
      .get(operatorId) as { kdf: string; wrapped: Buffer } | undefined;
    if (!row) return false;
    const { params, salt } = parsePhc(row.kdf);
    const kek = await deriveKey(passphrase, salt, params);
    const dek = unseal(kek, row.wrapped, `dek:operator:${operatorId}`);
    if (!this.dek) this.dek = dek;
    await this.wrapForKeyring();
    return true;
  }

  /** Lets another operator unlock the DEK with their own passphrase (needs it unlocked now). */
  async grant(operatorId: number, passphrase: string): Promise<void> {
    const dek = this.requireKey();
    const salt = randomBytes(16);
    const kek = await deriveKey(passphrase, salt, DEFAULT_SCRYPT);
    this.db
      .prepare(
        `INSERT INTO secret_keys (kind, operator_id, kdf, wrapped, created_at)
         VALUES ('operator-passphrase', ?, ?, ?, ?)
         ON CONFLICT (kind, operator_id) DO UPDATE SET kdf = excluded.kdf, wrapped = excluded.wrapped`,
      )
      .run(operatorId, formatPhc(DEFAULT_SCRYPT, salt), seal(kek, dek, `dek:operator:${operatorId}`), now());
  }

  put(name: string, value: Buffer): void {
    const sealed = seal(this.requireKey(), value, `secret:${name}`);
    this.db
      .prepare(
        `INSERT INTO secrets (name, sealed, created_at, updated_at) VALUES (?, ?, ?, ?)
         ON CONFLICT (name) DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at`,
      )
      .run(name, sealed, now(), now());
  }

  get(name: string): Buffer | undefined {
    const row = this.db.prepare('SELECT sealed FROM secrets WHERE name = ?').get(name) as
      { sealed: Buffer } | undefined;
    if (!row) return undefined;
    return unseal(this.requireKey(), row.sealed, `secret:${name}`);
  }

  private async wrapForKeyring(): Promise<void> {
    if (!this.keyring || !this.dek) return;
    if (this.db.prepare("SELECT 1 FROM secret_keys WHERE kind = 'os-keyring'").get()) return;
    const wrapped = await this.keyring.encrypt(this.dek);
    this.db
      .prepare(
        "INSERT INTO secret_keys (kind, operator_id, wrapped, created_at) VALUES ('os-keyring', NULL, ?, ?)",
      )
      .run(wrapped, now());
  }

  private requireKey(): Buffer {
    if (!this.dek) {
      throw new ConsoleError('FAILED', 'the secrets store is locked', {
        hint: 'sign in with an operator passphrase to unlock it',
      });
    }
    return this.dek;
  }
}
