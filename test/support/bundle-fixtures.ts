// Helpers for bundle tests: signing keys, manifests, and raw tar bytes crafted by hand
// (node-tar would refuse to write most hostile entries, so the headers are made here).
import { createHash, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { readdirSync, lstatSync } from 'node:fs';
import path from 'node:path';
import {
  BUNDLE_NAMESPACE,
  canonicalJson,
  checksumsText,
  opensshPublicKey,
  rawPublicKey,
  sshsigSign,
  type BundleManifest,
  type TrustStore,
} from '../../offline-bundles';
import { END_OF_ARCHIVE, paxMember, padding, tarHeader } from '../../offline-bundles/tar-writer';

export interface TestKey {
  name: string;
  privateKey: KeyObject;
  publicKey: Uint8Array;
  line: string;
}

export function testKey(name: string): TestKey {
  const { privateKey } = generateKeyPairSync('ed25519');
  const publicKey = rawPublicKey(privateKey);
  return { name, privateKey, publicKey, line: opensshPublicKey(publicKey) };
}

export function trustOf(keys: TestKey[], thresholds: TrustStore['thresholds'] = {}): TrustStore {
  return { signers: keys.map((k) => ({ name: k.name, publicKey: k.line })), thresholds };
}

export const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/** A manifest for the given payload, valid for a year from 2026-01-01 unless overridden. */
export function manifestFor(
  files: Record<string, Buffer | string>,
  over: Partial<BundleManifest> & { modes?: Record<string, number> } = {},
): BundleManifest {
  const { modes, ...rest } = over;
  return {
    formatVersion: 1,
    name: 'demo',
    kind: 'files',
    version: '1.0.0',
    created: '2026-01-01T00:00:00.000Z',
    expires: '2099-01-01T00:00:00.000Z',
    files: Object.keys(files)
      .sort()
      .map((p) => {
        const data = Buffer.from(files[p] as Buffer | string);
        return { path: p, size: data.length, sha256: sha256(data), mode: modes?.[p] ?? 0o644 };
      }),
    ...rest,
  };
}

export interface CraftMember {
  path: string;
  data?: Buffer | string;
  /** Tar type flag ('0' default). */
  type?: string;
  mode?: number;
  linkpath?: string;
  /** The size the header claims (default: the data's length). */
  size?: number;
  /** pax records placed in an 'x' header before this member. */
  pax?: Record<string, string>;
  /** Raw bytes instead of a member (e.g. a global header). */
  raw?: Buffer;
}

/** Raw tar bytes for the members; `end: false` leaves out the end-of-archive marker. */
export function tarBytes(members: CraftMember[], { end = true } = {}): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    if (m.raw) {
      parts.push(m.raw);
      continue;
    }
    const data = Buffer.from(m.data ?? '');
    if (m.pax) parts.push(paxMember(m.pax, m.path));
    parts.push(
      tarHeader({
        path: m.path,
        size: m.size ?? data.length,
        type: m.type ?? '0',
        mode: m.mode ?? 0o644,
        ...(m.linkpath ? { linkpath: m.linkpath } : {}),
      }),
      data,
      padding(data.length),
    );
  }
  if (end) parts.push(END_OF_ARCHIVE);
  return Buffer.concat(parts);
}

/** manifest.json and one signature member per key. */
export function signedHead(manifest: BundleManifest | string, keys: TestKey[]): CraftMember[] {
  const bytes = Buffer.from(typeof manifest === 'string' ? manifest : canonicalJson(manifest));
  return [
    { path: 'manifest.json', data: bytes },
    ...keys.map((k) => ({
      path: `signatures/${k.name}.sig`,
      data: sshsigSign(bytes, BUNDLE_NAMESPACE, k.privateKey, k.publicKey),
    })),
  ];
}

/** Every member of a well-formed bundle, in order. */
export function genuineMembers(
  files: Record<string, Buffer | string>,
  keys: TestKey[],
  over: Parameters<typeof manifestFor>[1] = {},
): CraftMember[] {
  const m = manifestFor(files, over);
  return [
    ...signedHead(m, keys),
    { path: 'SHA256SUMS', data: checksumsText(m) },
    ...m.files.map((f) => ({
      path: `payload/${f.path}`,
      data: Buffer.from(files[f.path] as Buffer | string),
      mode: f.mode,
    })),
  ];
}

/** Every path under dir (relative), directories included. */
export function walk(dir: string): string[] {
  const out: string[] = [];
  const visit = (d: string, rel: string) => {
    for (const name of readdirSync(d)) {
      const r = rel ? `${rel}/${name}` : name;
      out.push(r);
      if (lstatSync(path.join(d, name)).isDirectory()) visit(path.join(d, name), r);
    }
  };
  visit(dir, '');
  return out.sort();
}
