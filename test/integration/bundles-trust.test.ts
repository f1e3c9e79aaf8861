import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleClient } from '../../shared/client';
import type { ConsoleError } from '../../shared/errors';
import { fingerprintOf } from '../../electron/core/bundles/trust';
import { loadTrustDir } from '../../offline-bundles';
import { openTestCore, type TestCore } from '../support/core';

/**
 * The bundle trust store through the dispatcher: who may read and change it, the thresholds'
 * k-of-n rule, fingerprints as ssh-keygen prints them, the ledger entries, and the exported trust
 * folder checked by stock `ssh-keygen -Y verify`.
 */
const work = mkdtempSync(path.join(tmpdir(), 'enclave-bundles-trust-'));
const hasSshKeygen = existsSync('/usr/bin/ssh-keygen');

/** A fresh Ed25519 key pair written by ssh-keygen, or by node when ssh-keygen is missing. */
function keyPair(name: string): { publicKey: string; privatePath: string } {
  const privatePath = path.join(work, name);
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', privatePath]);
  return { publicKey: readFileSync(`${privatePath}.pub`, 'utf8').trim(), privatePath };
}

const failure = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: ConsoleError) => e,
  );

let t: TestCore;
let admin: ConsoleClient;
let officer: ConsoleClient;
let viewer: ConsoleClient;
beforeAll(async () => {
  t = await openTestCore();
  admin = t.connect();
  await admin.call('session.signIn', { operator: 'admin', passphrase: 'correct horse battery staple' });
  officer = await t.connectAs(['security-officer']);
  viewer = await t.connectAs(['viewer']);
});
afterAll(() => {
  t?.close();
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!hasSshKeygen)(`bundle trust store${hasSshKeygen ? '' : ' (skipped: no ssh-keygen)'}`, () => {
  const alice = () => keyPair(`alice-${Math.random().toString(16).slice(2, 8)}`);

  it('starts empty with every kind needing one signature, readable by every role', async () => {
    const trust = await viewer.call('bundles.trust', {});
    expect(trust.signers).toEqual([]);
    expect(trust.thresholds.map((k) => [k.kind, k.threshold, k.explicit])).toEqual([
      ['files', 1, false],
      ['host-packages', 1, false],
      ['k8s-manifests', 1, false],
      ['oci-images', 1, false],
      ['console-upgrade', 1, false],
    ]);
  });

  it('adds signers (admin only) with the fingerprint ssh-keygen -l prints, and audits each change', async () => {
    const a = alice();
    const before = t.core.ledger.count();
    const added = await admin.call('bundles.trustAddSigner', { name: 'alice', publicKey: a.publicKey });
    const keygen = execFileSync('ssh-keygen', ['-l', '-E', 'sha256', '-f', `${a.privatePath}.pub`], {
      encoding: 'utf8',
    }).split(' ')[1];
    expect(added.fingerprint).toBe(keygen);
    expect(fingerprintOf(a.publicKey)).toBe(keygen);
    expect(added.addedBy).toBe('admin');
    expect(t.core.ledger.count() - before).toBe(1);
    const [entry] = t.core.ledger.list({ limit: 1 }).entries;
    expect(entry).toMatchObject({
      procedure: 'bundles.trustAddSigner',
      target: 'signer alice',
      outcome: 'ok',
      result: { name: 'alice', fingerprint: keygen },
    });

    for (const c of [officer, viewer]) {
      const e = await failure(
        c.call('bundles.trustAddSigner', { name: 'mallory', publicKey: alice().publicKey }),
      );
      expect(e.code).toBe('FORBIDDEN');
    }
    const denied = t.core.ledger.list({ limit: 1 }).entries[0];
    expect(denied).toMatchObject({ procedure: 'bundles.trustAddSigner', outcome: 'denied' });
    expect((await viewer.call('bundles.trust', {})).signers.map((s) => s.name)).toEqual(['alice']);
  });

  it('refuses a duplicate name or key, and keys that are not Ed25519', async () => {
    const trust = await admin.call('bundles.trust', {});
    const existing = trust.signers[0]!;
    expect(
      (await failure(admin.call('bundles.trustAddSigner', { name: 'alice', publicKey: alice().publicKey })))
        .message,
    ).toMatch(/already trusted/);
    const again = await failure(
      admin.call('bundles.trustAddSigner', { name: 'alice2', publicKey: existing.publicKey }),
    );
    expect(again.message).toContain(`already trusted as signer alice`);
    const rsa = await failure(
      admin.call('bundles.trustAddSigner', {
        name: 'bob',
        publicKey: 'ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQ bob',
      }),
    );
    expect(rsa.code).toBe('BAD_REQUEST');
    // A well-formed line whose blob is not an Ed25519 key.
    const lie = `ssh-ed25519 ${Buffer.from('not a key at all, just some bytes').toString('base64')}`;
    expect(
      (await failure(admin.call('bundles.trustAddSigner', { name: 'bob', publicKey: lie }))).message,
    ).toMatch(/not a usable signer key/);
  });

  it('refuses a threshold above the number of signers, and a removal that would break one', async () => {
    const tooHigh = await failure(
      admin.call('bundles.trustSetThreshold', { kind: 'console-upgrade', threshold: 2 }),
    );
    expect(tooHigh.code).toBe('CONFLICT');
    expect(tooHigh.message).toBe(
      'console-upgrade bundles cannot need 2 signatures: the trust store has 1 signer',
    );
    await admin.call('bundles.trustAddSigner', { name: 'bob', publicKey: alice().publicKey });
    await admin.call('bundles.trustAddSigner', { name: 'carol', publicKey: alice().publicKey });
    const set = await admin.call('bundles.trustSetThreshold', { kind: 'console-upgrade', threshold: 3 });
    expect(set).toEqual({ kind: 'console-upgrade', threshold: 3, previous: 1 });
    const [entry] = t.core.ledger.list({ limit: 1 }).entries;
    expect(entry).toMatchObject({
      procedure: 'bundles.trustSetThreshold',
      target: 'bundle kind console-upgrade',
      result: { kind: 'console-upgrade', threshold: 3, previous: 1 },
    });
    const remove = await failure(admin.call('bundles.trustRemoveSigner', { name: 'bob' }));
    expect(remove.code).toBe('CONFLICT');
    expect(remove.message).toContain('console-upgrade needs (3)');
    expect((await admin.call('bundles.trust', {})).signers).toHaveLength(3);
    await admin.call('bundles.trustSetThreshold', { kind: 'console-upgrade', threshold: 2 });
    const removed = await admin.call('bundles.trustRemoveSigner', { name: 'bob' });
    expect(removed.removed.name).toBe('bob');
    const trust = await viewer.call('bundles.trust', {});
    expect(trust.signers.map((s) => s.name)).toEqual(['alice', 'carol']);
    expect(trust.thresholds.find((k) => k.kind === 'console-upgrade')).toEqual({
      kind: 'console-upgrade',
      threshold: 2,
      explicit: true,
    });
    expect((await failure(admin.call('bundles.trustRemoveSigner', { name: 'bob' }))).code).toBe('NOT_FOUND');
    expect((await failure(officer.call('bundles.trustRemoveSigner', { name: 'alice' }))).code).toBe(
      'FORBIDDEN',
    );
    expect(
      (await failure(officer.call('bundles.trustSetThreshold', { kind: 'files', threshold: 1 }))).code,
    ).toBe('FORBIDDEN');
  });

  it('exports a trust folder whose allowed_signers stock ssh-keygen -Y verify accepts', async () => {
    const signer = keyPair('dave');
    await admin.call('bundles.trustAddSigner', { name: 'dave', publicKey: signer.publicKey });
    const dir = path.join(work, 'trust-out');
    const out = await viewer.call('bundles.trustExport', { to: dir });
    expect(out.files.map((f) => path.basename(f)).sort()).toEqual(['allowed_signers', 'thresholds.json']);
    const trust = loadTrustDir(dir);
    expect(trust.signers.map((s) => s.name)).toEqual(['alice', 'carol', 'dave']);
    expect(trust.thresholds).toEqual({ 'console-upgrade': 2 });

    const message = path.join(work, 'manifest.json');
    writeFileSync(message, '{"name":"demo"}');
    execFileSync('ssh-keygen', [
      '-q',
      '-Y',
      'sign',
      '-f',
      signer.privatePath,
      '-n',
      'enclave-bundle',
      message,
    ]);
    const verify = (principal: string, namespace: string) =>
      execFileSync(
        'ssh-keygen',
        [
          '-Y',
          'verify',
          '-f',
          path.join(dir, 'allowed_signers'),
          '-I',
          principal,
          '-n',
          namespace,
          '-s',
          `${message}.sig`,
        ],
        { input: readFileSync(message), encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] },
      );
    expect(verify('dave', 'enclave-bundle')).toMatch(/Good "enclave-bundle" signature for dave/);
    expect(() => verify('alice', 'enclave-bundle')).toThrow();
    expect(() => verify('dave', 'file')).toThrow(); // the principal is limited to the bundle namespace
    const entry = t.core.ledger.list({ limit: 1 }).entries[0];
    expect(entry).toMatchObject({
      procedure: 'bundles.trustExport',
      outcome: 'ok',
      operator: { roles: ['viewer'] },
    });
  });

  it('imports a trust folder into another console (admin only): signers and thresholds, audited', async () => {
    const dir = path.join(work, 'trust-out');
    const other = await openTestCore();
    try {
      const otherAdmin = other.connect();
      await otherAdmin.call('session.signIn', {
        operator: 'admin',
        passphrase: 'correct horse battery staple',
      });
      const officerThere = await other.connectAs(['security-officer']);
      expect((await failure(officerThere.call('bundles.trustImport', { from: dir }))).code).toBe('FORBIDDEN');
      const out = await otherAdmin.call('bundles.trustImport', { from: dir });
      expect(out.added.map((s) => s.name)).toEqual(['alice', 'carol', 'dave']);
      expect(out.thresholds).toEqual([{ kind: 'console-upgrade', threshold: 2 }]);
      const mine = await admin.call('bundles.trust', {});
      const theirs = await otherAdmin.call('bundles.trust', {});
      expect(theirs.signers.map((s) => s.fingerprint)).toEqual(mine.signers.map((s) => s.fingerprint));
      expect(other.core.ledger.list({ limit: 1 }).entries[0]).toMatchObject({
        procedure: 'bundles.trustImport',
        outcome: 'ok',
      });
      // Importing again adds nothing; a folder that is not a trust folder is refused with the reason.
      expect((await otherAdmin.call('bundles.trustImport', { from: dir })).added).toEqual([]);
      const bad = await failure(otherAdmin.call('bundles.trustImport', { from: work }));
      expect(bad.message).toMatch(/allowed_signers/);
    } finally {
      other.close();
    }
  });
});
