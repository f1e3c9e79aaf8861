import { randomUUID } from 'node:crypto';
import { ConsoleError } from '../../../shared/errors';
import type { Role } from '../../../shared/roles';
import type { Clock } from '../clock';
import { hashPassphrase, verifyPassphrase, type Db, type SecretsVault } from '../store';
import { OperatorDirectory, type OperatorRecord } from './operators';
import { SignInThrottle } from './rate-limit';
import { startSession, type Session } from './session';

const WRONG_CREDENTIALS = 'wrong operator name or passphrase';
/** Verified against when the name is unknown, so timing does not reveal which names exist. */
let decoy: Promise<string> | undefined;
const decoyHash = () => (decoy ??= hashPassphrase(randomUUID()));

/** Operators, local passphrase sign-in and the first run. */
export class Identity {
  readonly operators: OperatorDirectory;
  private readonly throttle: SignInThrottle;

  constructor(
    private readonly db: Db,
    private readonly vault: SecretsVault,
    private readonly clock: Clock,
  ) {
    this.operators = new OperatorDirectory(db);
    this.throttle = new SignInThrottle(db);
  }

  isInitialised(): boolean {
    return this.operators.count() > 0;
  }

  workstationId(): string | null {
    const row = this.db.prepare("SELECT value FROM meta WHERE key = 'workstation_id'").get() as
      { value: string } | undefined;
    return row?.value ?? null;
  }

  /** First run only: the first administrator, the workstation id and the secrets key. */
  async createFirstAdmin(input: { name: string; displayName: string; passphrase: string }): Promise<Session> {
    if (this.isInitialised()) throw alreadyInitialised();
    const passphraseHash = await hashPassphrase(input.passphrase);
    const at = this.clock.now().toISOString();
    const admin = this.db.transaction(() => {
      if (this.isInitialised()) throw alreadyInitialised(); // lost a race with another first run
      const created = this.operators.create({ ...input, roles: ['admin'], passphraseHash, at });
      const meta = this.db.prepare('INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)');
      meta.run('workstation_id', randomUUID());
      meta.run('initialised_at', at);
      return created;
    })();
    await this.vault.create(admin.id, input.passphrase);
    this.operators.markSignedIn(admin.id, at);
    return startSession(admin, 'passphrase', this.clock.now());
  }

  async signIn(name: string, passphrase: string): Promise<Session> {
    const now = this.clock.now();
    const wait = this.throttle.retryAfterSeconds(name, now);
    if (wait > 0) {
      throw new ConsoleError('RATE_LIMITED', `too many failed sign-ins for "${name}"`, {
        hint: `wait ${wait} s before trying again, or ask a security officer`,
        retryAfterSeconds: wait,
      });
    }
    const operator = this.operators.findByName(name);
    const ok = await verifyPassphrase(passphrase, operator?.passphraseHash ?? (await decoyHash()));
    if (!operator || !ok || operator.disabled) {
      this.throttle.recordFailure(name, now);
      throw new ConsoleError(
        'UNAUTHENTICATED',
        operator?.disabled && ok ? 'this operator is disabled' : WRONG_CREDENTIALS,
        {
          hint: 'check the operator name and passphrase; repeated failures are delayed and audited',
        },
      );
    }
    this.throttle.recordSuccess(name);
    await this.unlockSecrets(operator, passphrase);
    this.operators.markSignedIn(operator.id, now.toISOString());
    return startSession(operator, 'passphrase', now);
  }

  async createOperator(input: {
    name: string;
    displayName: string;
    roles: readonly Role[];
    passphrase: string;
  }): Promise<OperatorRecord> {
    if (this.operators.findByName(input.name)) {
      throw new ConsoleError('CONFLICT', `an operator named "${input.name}" already exists`, {
        hint: 'choose another name',
      });
    }
    const passphraseHash = await hashPassphrase(input.passphrase);
    const created = this.operators.create({ ...input, passphraseHash, at: this.clock.now().toISOString() });
    if (this.vault.unlocked) await this.vault.grant(created.id, input.passphrase);
    return created;
  }

  private async unlockSecrets(operator: OperatorRecord, passphrase: string): Promise<void> {
    if (!this.db.prepare('SELECT 1 FROM secret_keys').get()) {
      // First run was interrupted after the administrator was written: finish it now.
      await this.vault.create(operator.id, passphrase);
      return;
    }
    const unlocked = await this.vault.unlockWithPassphrase(operator.id, passphrase);
    // An operator added while the store was locked gets their wrapping once it is unlocked.
    if (!unlocked && this.vault.unlocked) await this.vault.grant(operator.id, passphrase);
  }
}

export function alreadyInitialised(): ConsoleError {
  return new ConsoleError('CONFLICT', 'this data directory is already initialised', {
    hint: 'sign in with an existing operator, or use another --data-dir for a new workstation',
  });
}
