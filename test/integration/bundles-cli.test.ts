import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { enclave } from '../support/cli';
import { makeBundle, makeSigner, type TestSigner } from './bundles-fixtures';

/**
 * `enclave bundle trust …` and `enclave bundle install` through the built CLI: signed in from the
 * environment, the plan printed, --yes required without a terminal, exit codes 0/1/2/3 as design.md §8.
 */
const work = mkdtempSync(path.join(tmpdir(), 'enclave-bundles-cli-'));
const data = path.join(work, 'data');
const asAdmin = { ENCLAVE_OPERATOR: 'admin', ENCLAVE_PASSPHRASE: 'correct horse battery staple' };
const run = (...args: string[]) => enclave([...args, '--data-dir', data], asAdmin);
let alice: TestSigner;

beforeAll(async () => {
  const init = await enclave(['init', '--admin', 'admin', '--data-dir', data], {
    ENCLAVE_PASSPHRASE: asAdmin.ENCLAVE_PASSPHRASE,
  });
  expect(init.code, init.stderr).toBe(0);
  alice = makeSigner(work, 'alice');
}, 60_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('enclave bundle trust and install', () => {
  it('manages the trust store', async () => {
    const empty = await run('bundle', 'trust', 'list');
    expect(empty.stdout).toMatch(/no trusted signers/);
    const added = await run('bundle', 'trust', 'add', 'alice', `${alice.privateKeyPath}.pub`);
    expect(added.code, added.stderr).toBe(0);
    expect(added.stdout).toMatch(/^trusted signer alice \(SHA256:/);
    const high = await run('bundle', 'trust', 'threshold', 'files', '2');
    expect(high.code).toBe(1);
    expect(high.stderr).toMatch(/files bundles cannot need 2 signatures: the trust store has 1 signer/);
    const list = JSON.parse((await run('bundle', 'trust', 'list', '--json')).stdout) as {
      signers: { name: string }[];
    };
    expect(list.signers.map((s) => s.name)).toEqual(['alice']);
    const exported = await run('bundle', 'trust', 'export', path.join(work, 'trust'));
    expect(exported.stdout).toMatch(/allowed_signers/);
  });

  it('installs a files bundle: plan shown, --yes needed without a terminal, then refused as a rollback', async () => {
    const b = await makeBundle(work, {
      name: 'cli-docs',
      kind: 'files',
      version: '1.2.0',
      files: { 'a.txt': 'a\n', 'b.txt': 'b\n' },
      signers: [alice],
      now: new Date(),
    });
    const ask = await run('bundle', 'install', b.path);
    expect(ask.code).toBe(2);
    expect(ask.stdout).toMatch(/cli-docs 1\.2\.0 \(files\)/);
    expect(ask.stderr).toMatch(/--yes/);
    const out = await run('bundle', 'install', b.path, '--yes');
    expect(out.code, out.stderr).toBe(0);
    expect(out.stdout).toMatch(/keep 2 files/);
    expect(out.stdout).toMatch(/cli-docs 1\.2\.0 installed and recorded/);
    const again = await run('bundle', 'install', b.path, '--yes');
    expect(again.code).toBe(3);
    expect(again.stderr).toMatch(/refused \(not-newer\)/);
    const check = await run('bundle', 'check', b.path);
    expect(check.code).toBe(3);
    const audit = await run('audit', 'list', '--json');
    const procedures = (JSON.parse(audit.stdout) as { entries: { procedure: string }[] }).entries.map(
      (e) => e.procedure,
    );
    expect(procedures).toEqual(
      expect.arrayContaining([
        'bundles.trustAddSigner',
        'bundles.import',
        'bundles.plan',
        'bundles.install',
        'bundles.verify',
      ]),
    );
  });
});
