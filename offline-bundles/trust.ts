/**
 * A trust directory on disk (docs/bundle-format.md, "Trust directory"):
 *   allowed_signers  OpenSSH allowed_signers lines, namespaces="enclave-bundle", ssh-ed25519 keys
 *   thresholds.json  optional {"console-upgrade": 2, …}: signatures needed per kind (default 1)
 * The same allowed_signers file works with `ssh-keygen -Y verify -f allowed_signers`.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fingerprint, parsePublicKeyLine } from './keys';
import { SIGNER_RE, isBundleKind } from './manifest';
import { allowedSignersLine } from './sshsig';
import { BUNDLE_NAMESPACE, type BundleKind, type TrustStore } from './types';

export const ALLOWED_SIGNERS_FILE = 'allowed_signers';
export const THRESHOLDS_FILE = 'thresholds.json';

/** Splits an allowed_signers line into fields, keeping quoted option values whole. */
function fields(line: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (const ch of line) {
    if (ch === '"') quoted = !quoted;
    if (!quoted && /\s/.test(ch)) {
      if (cur) out.push(cur);
      cur = '';
    } else cur += ch;
  }
  if (cur) out.push(cur);
  return out;
}

/** Parses allowed_signers text; lines whose namespaces exclude enclave-bundle are skipped. */
export function parseAllowedSigners(text: string, file = ALLOWED_SIGNERS_FILE): TrustStore['signers'] {
  const signers: TrustStore['signers'] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line || line.startsWith('#')) return;
    const where = `${file} line ${i + 1}`;
    const f = fields(line);
    const principals = f.shift() ?? '';
    let namespaces: string[] | undefined;
    while (
      f.length &&
      f[0] !== 'ssh-ed25519' &&
      !(f[0] as string).startsWith('ssh-') &&
      !(f[0] as string).startsWith('ecdsa-')
    ) {
      // Options are comma-separated; a quoted value may itself hold commas.
      for (const [opt, k, v] of (f.shift() as string).matchAll(/([^,="]+)(?:="([^"]*)")?/g)) {
        if (k?.toLowerCase() === 'namespaces' && v !== undefined) namespaces = v.split(',');
        else throw new Error(`${where}: option "${opt}" is not supported in a bundle trust store`);
      }
    }
    if (namespaces && !namespaces.includes(BUNDLE_NAMESPACE)) return;
    try {
      parsePublicKeyLine(f.slice(0, 2).join(' '));
    } catch (error) {
      throw new Error(`${where}: ${(error as Error).message}`, { cause: error });
    }
    for (const name of principals.replace(/^"|"$/g, '').split(',')) {
      if (!SIGNER_RE.test(name))
        throw new Error(`${where}: signer name "${name}" must be 1-64 of A-Z a-z 0-9 . _ @ - (no wildcards)`);
      signers.push({
        name,
        publicKey: `ssh-ed25519 ${Buffer.from(f[1] as string, 'base64').toString('base64')}`,
      });
    }
  });
  return signers;
}

export function parseThresholds(text: string, file = THRESHOLDS_FILE): TrustStore['thresholds'] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`${file} is not JSON`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new Error(`${file} must be a JSON object`);
  const out: Partial<Record<BundleKind, number>> = {};
  for (const [k, v] of Object.entries(parsed)) {
    if (!isBundleKind(k)) throw new Error(`${file}: "${k}" is not a bundle kind`);
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 1 || v > 64)
      throw new Error(`${file}: the threshold for ${k} must be a whole number from 1 to 64`);
    out[k] = v;
  }
  return out;
}

/** Reads DIR/allowed_signers and, when present, DIR/thresholds.json. */
export function loadTrustDir(dir: string): TrustStore {
  const file = path.join(dir, ALLOWED_SIGNERS_FILE);
  if (!existsSync(file))
    throw new Error(`${dir} holds no ${ALLOWED_SIGNERS_FILE} file; it is not a bundle trust directory`);
  const signers = parseAllowedSigners(readFileSync(file, 'utf8'), file);
  const tfile = path.join(dir, THRESHOLDS_FILE);
  const thresholds = existsSync(tfile) ? parseThresholds(readFileSync(tfile, 'utf8'), tfile) : {};
  return { signers, thresholds };
}

/** allowed_signers text for a trust store (one line per signer). */
export function allowedSignersText(trust: TrustStore): string {
  return trust.signers
    .map((s) => `${allowedSignersLine(s.name, BUNDLE_NAMESPACE, parsePublicKeyLine(s.publicKey))}\n`)
    .join('');
}

/** Writes a trust directory that loadTrustDir (and ssh-keygen -Y verify) read back. */
export function writeTrustDir(dir: string, trust: TrustStore): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, ALLOWED_SIGNERS_FILE), allowedSignersText(trust));
  writeFileSync(path.join(dir, THRESHOLDS_FILE), `${JSON.stringify(trust.thresholds, null, 2)}\n`);
}

/** The raw key and fingerprint of each trusted signer; malformed keys throw naming the signer. */
export function trustedKeys(trust: TrustStore): { name: string; key: Uint8Array; fingerprint: string }[] {
  return trust.signers.map((s) => {
    try {
      const key = parsePublicKeyLine(s.publicKey);
      return { name: s.name, key, fingerprint: fingerprint(key) };
    } catch (error) {
      throw new Error(`trust store signer ${s.name}: ${(error as Error).message}`, { cause: error });
    }
  });
}
