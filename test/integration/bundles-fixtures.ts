// Real bundles for the bundle tests, made with the format's own build and sign (offline-bundles/):
// a source folder written here, built into a .tar, signed by the named keys.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { buildBundle, generateSigningKey, signBundle, type BundleKind } from '../../offline-bundles';

export interface TestSigner {
  name: string;
  publicKey: string;
  privateKeyPath: string;
}

export function makeSigner(dir: string, name: string): TestSigner {
  const keyDir = mkdtempSync(path.join(dir, `key-${name}-`));
  const k = generateSigningKey(keyDir, name);
  return { name, publicKey: k.publicKey, privateKeyPath: k.privateKeyPath };
}

const DAY = 86_400_000;

/** Builds and signs a bundle from `files` (path → content, or [content, mode]). */
export async function makeBundle(
  dir: string,
  o: {
    name: string;
    kind: BundleKind;
    version: string;
    files: Record<string, string | Buffer | [string | Buffer, number]>;
    signers: TestSigner[];
    /** The clock the console under test uses; the bundle is valid from a day before to 30 days after. */
    now: Date;
    expires?: Date;
    out?: string;
  },
): Promise<{ path: string; manifestSha256: string }> {
  const source = mkdtempSync(path.join(dir, `src-${o.name}-`));
  for (const [p, v] of Object.entries(o.files)) {
    const [content, mode] = Array.isArray(v) ? v : [v, 0o644];
    const target = path.join(source, ...p.split('/'));
    mkdirSync(path.dirname(target), { recursive: true });
    writeFileSync(target, content, { mode });
  }
  const out = o.out ?? path.join(dir, `${o.name}-${o.version}.tar`);
  mkdirSync(path.dirname(out), { recursive: true });
  const created = new Date(o.now.getTime() - DAY);
  const built = await buildBundle({
    source,
    name: o.name,
    kind: o.kind,
    version: o.version,
    created,
    expires: o.expires ?? new Date(o.now.getTime() + 30 * DAY),
    out,
  });
  for (const s of o.signers) await signBundle(out, { signer: s.name, privateKeyPath: s.privateKeyPath });
  return { path: out, manifestSha256: built.manifestSha256 };
}
