import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import {
  BUNDLE_KIND_NAMES,
  type BundleKindName,
  type TrustedSigner,
  type TrustView,
} from '../../../shared/api/bundles';
import { ConsoleError } from '../../../shared/errors';
import { ALLOWED_SIGNERS_FILE, loadTrustDir, THRESHOLDS_FILE, writeTrustDir } from '../../../offline-bundles';
import type { Db } from '../store';

/**
 * The site trust store for offline bundles: the signer keys trusted to sign bundles and, per
 * kind, how many of them must have signed (k of n). Stored in SQLite (migration 13); handed to the
 * bundle verifier as a plain `{ signers, thresholds }`. Changes are administrator-only and audited
 * by the dispatcher; they will need a second person's approval once identity lands.
 */

/** Parses `ssh-ed25519 BASE64 [comment]`, checking the key blob itself names ssh-ed25519 and holds 32 bytes. */
export function parseOpensshEd25519(line: string): { blob: Buffer; normalised: string } {
  const [type, b64] = line.trim().split(/\s+/);
  const bad = (why: string) =>
    new ConsoleError('BAD_REQUEST', `that is not a usable signer key: ${why}`, {
      hint: 'give the one-line .pub file ssh-keygen -t ed25519 wrote (ssh-ed25519 AAAA… name)',
    });
  if (type !== 'ssh-ed25519' || !b64) throw bad('only ssh-ed25519 keys sign bundles');
  const blob = Buffer.from(b64, 'base64');
  if (blob.toString('base64') !== b64) throw bad('its base64 is malformed');
  // string "ssh-ed25519", string key(32)
  const typeLength = blob.length >= 4 ? blob.readUInt32BE(0) : -1;
  const name = typeLength === 11 ? blob.subarray(4, 15).toString('latin1') : '';
  const keyLength = blob.length >= 19 ? blob.readUInt32BE(15) : -1;
  if (name !== 'ssh-ed25519' || keyLength !== 32 || blob.length !== 51)
    throw bad('its key blob is not an Ed25519 public key');
  return { blob, normalised: `ssh-ed25519 ${blob.toString('base64')}` };
}

/** `SHA256:…` over the key blob, base64 without padding, as `ssh-keygen -lf` prints it. */
export function fingerprintOf(publicKeyLine: string): string {
  const { blob } = parseOpensshEd25519(publicKeyLine);
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

interface SignerRecord {
  name: string;
  public_key: string;
  fingerprint: string;
  added_by: string;
  added_at: string;
}

const signerView = (r: SignerRecord): TrustedSigner => ({
  name: r.name,
  publicKey: r.public_key,
  fingerprint: r.fingerprint,
  addedBy: r.added_by,
  addedAt: r.added_at,
});

function signers(db: Db): TrustedSigner[] {
  return (db.prepare('SELECT * FROM bundle_signers ORDER BY name').all() as SignerRecord[]).map(signerView);
}

function explicitThresholds(db: Db): Map<BundleKindName, number> {
  const rows = db.prepare('SELECT kind, threshold FROM bundle_thresholds').all() as {
    kind: BundleKindName;
    threshold: number;
  }[];
  return new Map(rows.map((r) => [r.kind, r.threshold]));
}

export function readTrust(db: Db): TrustView {
  const explicit = explicitThresholds(db);
  return {
    signers: signers(db),
    thresholds: BUNDLE_KIND_NAMES.map((kind) => ({
      kind,
      threshold: explicit.get(kind) ?? 1,
      explicit: explicit.has(kind),
    })),
  };
}

/** Valid signatures a bundle of this kind needs. */
export function thresholdFor(db: Db, kind: string): number {
  return explicitThresholds(db).get(kind as BundleKindName) ?? 1;
}

/** What the bundle verifier takes: `{ signers: {name, publicKey}[], thresholds }`. */
export function trustStoreOf(db: Db): {
  signers: { name: string; publicKey: string }[];
  thresholds: Partial<Record<BundleKindName, number>>;
} {
  return {
    signers: signers(db).map((s) => ({ name: s.name, publicKey: s.publicKey })),
    thresholds: Object.fromEntries(explicitThresholds(db)),
  };
}

export function addSigner(
  db: Db,
  input: { name: string; publicKey: string },
  by: string,
  now: Date,
): TrustedSigner {
  const { normalised } = parseOpensshEd25519(input.publicKey);
  const comment = input.publicKey.trim().split(/\s+/).slice(2).join(' ');
  const publicKey = comment ? `${normalised} ${comment}` : normalised;
  const fingerprint = fingerprintOf(publicKey);
  const existing = db
    .prepare('SELECT name FROM bundle_signers WHERE name = ? OR fingerprint = ?')
    .all(input.name, fingerprint) as { name: string }[];
  for (const e of existing) {
    throw new ConsoleError(
      'CONFLICT',
      e.name === input.name
        ? `a signer named ${input.name} is already trusted`
        : `that key (${fingerprint}) is already trusted as signer ${e.name}`,
      { hint: 'remove the old entry first if the key or name changed' },
    );
  }
  const record: SignerRecord = {
    name: input.name,
    public_key: publicKey,
    fingerprint,
    added_by: by,
    added_at: now.toISOString(),
  };
  db.prepare(
    'INSERT INTO bundle_signers (name, public_key, fingerprint, added_by, added_at) VALUES (@name, @public_key, @fingerprint, @added_by, @added_at)',
  ).run(record);
  return signerView(record);
}

export function removeSigner(db: Db, name: string): { removed: TrustedSigner } {
  return db.transaction(() => {
    const row = db.prepare('SELECT * FROM bundle_signers WHERE name = ?').get(name) as
      SignerRecord | undefined;
    if (!row) throw new ConsoleError('NOT_FOUND', `no trusted signer is named ${name}`);
    const left = (db.prepare('SELECT count(*) AS n FROM bundle_signers').get() as { n: number }).n - 1;
    const tooHigh = [...explicitThresholds(db)].filter(([, k]) => k > left);
    if (tooHigh.length > 0) {
      throw new ConsoleError(
        'CONFLICT',
        `removing ${name} would leave ${left} signer${left === 1 ? '' : 's'}, fewer than ${tooHigh
          .map(([kind, k]) => `${kind} needs (${k})`)
          .join(', ')}`,
        { hint: 'lower those thresholds first, or add another signer' },
      );
    }
    db.prepare('DELETE FROM bundle_signers WHERE name = ?').run(name);
    return { removed: signerView(row) };
  })();
}

export function setThreshold(
  db: Db,
  kind: BundleKindName,
  threshold: number,
  by: string,
  now: Date,
): { kind: BundleKindName; threshold: number; previous: number } {
  return db.transaction(() => {
    const n = (db.prepare('SELECT count(*) AS n FROM bundle_signers').get() as { n: number }).n;
    if (threshold > n) {
      throw new ConsoleError(
        'CONFLICT',
        `${kind} bundles cannot need ${threshold} signatures: the trust store has ${n} signer${n === 1 ? '' : 's'}`,
        { hint: 'add the signers first, then raise the threshold' },
      );
    }
    const previous = thresholdFor(db, kind);
    db.prepare(
      `INSERT INTO bundle_thresholds (kind, threshold, set_by, set_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (kind) DO UPDATE SET threshold = excluded.threshold, set_by = excluded.set_by, set_at = excluded.set_at`,
    ).run(kind, threshold, by, now.toISOString());
    return { kind, threshold, previous };
  })();
}

/**
 * Writes the trust store as a trust folder (docs/bundle-format.md): `allowed_signers` (for
 * `ssh-keygen -Y verify -f`, each principal limited to the bundle namespace) and `thresholds.json`;
 * `enclave bundle verify --trust DIR` reads it back.
 */
export function exportTrustDir(db: Db, dir: string): { files: string[] } {
  writeTrustDir(dir, trustStoreOf(db));
  return { files: [path.join(dir, ALLOWED_SIGNERS_FILE), path.join(dir, THRESHOLDS_FILE)] };
}

/**
 * Reads a trust folder and adds the signers not yet trusted and the thresholds it sets; a name
 * already trusted with another key is refused (nothing changes).
 */
export function importTrustDir(
  db: Db,
  dir: string,
  by: string,
  now: Date,
): { added: TrustedSigner[]; thresholds: { kind: BundleKindName; threshold: number }[] } {
  let store: ReturnType<typeof loadTrustDir>;
  try {
    store = loadTrustDir(dir);
  } catch (e) {
    const missing = !existsSync(path.join(dir, ALLOWED_SIGNERS_FILE));
    throw new ConsoleError(missing ? 'NOT_FOUND' : 'FAILED', (e as Error).message, {
      hint: 'a trust folder holds allowed_signers and optionally thresholds.json (enclave bundle trust export writes one)',
    });
  }
  return db.transaction(() => {
    const current = new Map(signers(db).map((s) => [s.name, s]));
    const added: TrustedSigner[] = [];
    for (const s of store.signers) {
      const have = current.get(s.name);
      if (have) {
        if (fingerprintOf(have.publicKey) !== fingerprintOf(s.publicKey))
          throw new ConsoleError(
            'CONFLICT',
            `signer ${s.name} is already trusted with another key (${have.fingerprint})`,
            {
              hint: 'remove the old entry first if the key was replaced',
            },
          );
        continue;
      }
      added.push(addSigner(db, s, by, now));
    }
    const thresholds = Object.entries(store.thresholds).map(([kind, threshold]) =>
      setThreshold(db, kind as BundleKindName, threshold, by, now),
    );
    return { added, thresholds: thresholds.map(({ kind, threshold }) => ({ kind, threshold })) };
  })();
}
