import type { OperatorRow } from '../../../shared/api';
import type { Role } from '../../../shared/roles';
import type { Db } from '../store';

export interface OperatorRecord {
  id: number;
  name: string;
  displayName: string;
  roles: Role[];
  passphraseHash: string;
  disabled: boolean;
  createdAt: string;
  lastSignInAt: string | null;
}

interface Row {
  id: number;
  name: string;
  display_name: string;
  roles: string;
  passphrase_hash: string;
  disabled: number;
  created_at: string;
  last_sign_in_at: string | null;
}

const fromRow = (r: Row): OperatorRecord => ({
  id: r.id,
  name: r.name,
  displayName: r.display_name,
  roles: JSON.parse(r.roles) as Role[],
  passphraseHash: r.passphrase_hash,
  disabled: r.disabled !== 0,
  createdAt: r.created_at,
  lastSignInAt: r.last_sign_in_at,
});

export const operatorRow = (o: OperatorRecord): OperatorRow => ({
  name: o.name,
  displayName: o.displayName,
  roles: o.roles,
  disabled: o.disabled,
  createdAt: o.createdAt,
  lastSignInAt: o.lastSignInAt,
});

/** The operators table. */
export class OperatorDirectory {
  constructor(private readonly db: Db) {}

  count(): number {
    return (this.db.prepare('SELECT count(*) AS n FROM operators').get() as { n: number }).n;
  }

  findByName(name: string): OperatorRecord | undefined {
    const row = this.db.prepare('SELECT * FROM operators WHERE name = ?').get(name) as Row | undefined;
    return row ? fromRow(row) : undefined;
  }

  list(): OperatorRecord[] {
    return (this.db.prepare('SELECT * FROM operators ORDER BY name').all() as Row[]).map(fromRow);
  }

  create(o: {
    name: string;
    displayName: string;
    roles: readonly Role[];
    passphraseHash: string;
    at: string;
  }): OperatorRecord {
    const result = this.db
      .prepare(
        'INSERT INTO operators (name, display_name, roles, passphrase_hash, created_at) VALUES (?, ?, ?, ?, ?)',
      )
      .run(o.name, o.displayName, JSON.stringify([...new Set(o.roles)]), o.passphraseHash, o.at);
    return this.byId(Number(result.lastInsertRowid));
  }

  markSignedIn(id: number, at: string): void {
    this.db.prepare('UPDATE operators SET last_sign_in_at = ? WHERE id = ?').run(at, id);
  }

  private byId(id: number): OperatorRecord {
    return fromRow(this.db.prepare('SELECT * FROM operators WHERE id = ?').get(id) as Row);
  }
}
