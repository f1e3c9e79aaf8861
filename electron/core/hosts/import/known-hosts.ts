// OpenSSH known_hosts (sshd(8) "SSH_KNOWN_HOSTS FILE FORMAT"): which host key each imported host
// already has, so an import can carry its fingerprint instead of asking again on first connection.
import { createHmac } from 'node:crypto';
import { fingerprint } from '../host-key';

export interface KnownHostEntry {
  line: number;
  marker: 'revoked' | 'cert-authority' | undefined;
  /** Comma-separated patterns, or one `|1|salt|hash` hashed name. */
  patterns: string[];
  keyType: string;
  fingerprint: string;
}

export interface KnownHosts {
  entries: KnownHostEntry[];
  /** Lines that fit no form: reported, never silently dropped. */
  problems: { line: number; reason: string }[];
}

const KEY_TYPES = new Set([
  'ssh-ed25519',
  'sk-ssh-ed25519@openssh.com',
  'ecdsa-sha2-nistp256',
  'ecdsa-sha2-nistp384',
  'ecdsa-sha2-nistp521',
  'sk-ecdsa-sha2-nistp256@openssh.com',
  'ssh-rsa',
  'ssh-dss',
]);

/** Lower is preferred: ed25519 first, as ssh2 and OpenSSH negotiate it first. */
function rank(keyType: string): number {
  if (keyType.includes('ed25519')) return 0;
  if (keyType.includes('ecdsa')) return 1;
  if (keyType === 'ssh-rsa') return 2;
  return 3;
}

/** Human name of a key type: ed25519, ecdsa, rsa, dsa. */
function shortType(keyType: string): string {
  return keyType.includes('ed25519')
    ? 'ed25519'
    : keyType.includes('ecdsa')
      ? 'ecdsa'
      : keyType === 'ssh-rsa'
        ? 'rsa'
        : 'dsa';
}

/** The key blob's own type string (its first SSH string), or undefined when it is not a key blob. */
function blobType(blob: Buffer): string | undefined {
  if (blob.length < 4) return undefined;
  const n = blob.readUInt32BE(0);
  if (n === 0 || n > 64 || 4 + n > blob.length) return undefined;
  return blob.subarray(4, 4 + n).toString('latin1');
}

export function parseKnownHosts(text: string): KnownHosts {
  const entries: KnownHostEntry[] = [];
  const problems: KnownHosts['problems'] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const words = raw.trim().split(/\s+/);
    if (!words[0] || words[0].startsWith('#')) return;
    let marker: KnownHostEntry['marker'];
    if (words[0].startsWith('@')) {
      const m = words.shift() as string;
      if (m !== '@revoked' && m !== '@cert-authority') {
        problems.push({
          line,
          reason: `unknown marker ${m.slice(0, 40)}; only @revoked and @cert-authority exist`,
        });
        return;
      }
      marker = m === '@revoked' ? 'revoked' : 'cert-authority';
    }
    const [hosts, keyType, key] = words;
    if (!hosts || !keyType || !key) {
      problems.push({ line, reason: 'not "hosts keytype base64-key"; the line was ignored' });
      return;
    }
    if (!KEY_TYPES.has(keyType)) {
      problems.push({
        line,
        reason: `"${keyType.slice(0, 60)}" is not a host key type (ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa…); the line was ignored`,
      });
      return;
    }
    const blob = /^[A-Za-z0-9+/]+={0,2}$/.test(key) ? Buffer.from(key, 'base64') : undefined;
    if (!blob || blobType(blob) !== keyType) {
      problems.push({ line, reason: `the ${keyType} key is not valid base64 of a ${keyType} key blob` });
      return;
    }
    entries.push({ line, marker, patterns: hosts.split(','), keyType, fingerprint: fingerprint(blob) });
  });
  return { entries, problems };
}

/** OpenSSH's hashed-name check: `|1|` base64(salt) `|` base64(HMAC-SHA1(salt, name)). */
export function hashedNameMatches(pattern: string, name: string): boolean {
  const m = /^\|1\|([A-Za-z0-9+/=]+)\|([A-Za-z0-9+/=]+)$/.exec(pattern);
  if (!m) return false;
  const mac = createHmac('sha1', Buffer.from(m[1] as string, 'base64'))
    .update(name)
    .digest('base64');
  return mac === m[2];
}

/** OpenSSH's hashed form of a name, for tests and for anyone writing known_hosts. */
export function hashKnownHostName(name: string, salt: Buffer): string {
  const mac = createHmac('sha1', salt).update(name).digest('base64');
  return `|1|${salt.toString('base64')}|${mac}`;
}

function globMatches(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

/** Whether a line's host field names `names` (`host` at port 22, `[host]:port` otherwise). */
function entryMatches(entry: KnownHostEntry, names: string[], port: number): boolean {
  const keys = names.map((n) => (port === 22 ? n : `[${n}]:${port}`));
  let matched = false;
  for (const pattern of entry.patterns) {
    if (pattern.startsWith('|')) {
      if (keys.some((k) => hashedNameMatches(pattern, k))) matched = true;
      continue;
    }
    const negated = pattern.startsWith('!');
    const p = negated ? pattern.slice(1) : pattern;
    if (keys.some((k) => globMatches(p, k))) {
      if (negated) return false; // a negated match wins over any positive one, as in OpenSSH
      matched = true;
    }
  }
  return matched;
}

export interface HostKeyLookup {
  fingerprint?: string;
  notes: string[];
  /** Set when the only keys known for the host are revoked: the host must not be imported as-is. */
  revokedOnly?: string;
}

/** The host key known_hosts records for a host: its ed25519 key when it has several types. */
export function lookupHostKeys(known: KnownHosts, names: string[], port: number): HostKeyLookup {
  const matching = known.entries.filter((e) => entryMatches(e, names, port));
  const revoked = new Set(matching.filter((e) => e.marker === 'revoked').map((e) => e.fingerprint));
  const notes: string[] = [];
  for (const ca of matching.filter((e) => e.marker === 'cert-authority')) {
    notes.push(
      `known_hosts line ${ca.line} trusts host certificates from CA ${ca.fingerprint}; the console pins the host's own key, so confirm its fingerprint on first connection`,
    );
  }
  const plain = matching.filter((e) => e.marker === undefined);
  const usable = plain.filter((e) => !revoked.has(e.fingerprint));
  const lines = (es: KnownHostEntry[]) => es.map((e) => e.line).join(', ');
  if (usable.length === 0) {
    if (plain.length > 0) {
      return {
        notes,
        revokedOnly: `its host key ${plain[0]?.fingerprint} (known_hosts line ${lines(plain)}) is marked @revoked; re-key the host and confirm the new fingerprint`,
      };
    }
    const name = names[0] ?? '';
    notes.push(`${name} is not in known_hosts: confirm its fingerprint on first connection`);
    return { notes };
  }
  if (revoked.size > 0)
    notes.push(`known_hosts revokes another key for this host (${[...revoked].join(', ')})`);
  const best = Math.min(...usable.map((e) => rank(e.keyType)));
  const chosen = usable.filter((e) => rank(e.keyType) === best);
  const distinct = [...new Set(chosen.map((e) => e.fingerprint))];
  if (distinct.length > 1) {
    notes.push(
      `known_hosts has ${distinct.length} different ${shortType(chosen[0]?.keyType ?? '')} keys for this host (lines ${lines(chosen)}); confirm the right one on first connection`,
    );
    return { notes };
  }
  const others = usable.filter((e) => rank(e.keyType) !== best);
  if (others.length > 0) {
    notes.push(
      `pinned the ${shortType(chosen[0]?.keyType ?? '')} host key; known_hosts also has ${[...new Set(others.map((e) => shortType(e.keyType)))].join(', ')}`,
    );
  }
  const result: HostKeyLookup = { notes };
  if (distinct[0]) result.fingerprint = distinct[0];
  return result;
}
