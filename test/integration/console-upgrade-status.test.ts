import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConsoleClient } from '../../shared/client';
import { inProcessChannel, newConnection, openConsole } from '../../electron/core';
import { stageConsoleUpgrade } from '../../electron/core/bundles/console-upgrade';
import {
  buildBundle,
  generateSigningKey,
  readManifestBytes,
  signBundle,
  verifyBundle,
} from '../../offline-bundles';

/**
 * The running and staged console versions: shown by system.info (Settings) and recorded in the
 * ledger's system.start entry, for a console-upgrade bundle built, signed, verified and staged.
 */
const tmp = mkdtempSync(path.join(tmpdir(), 'enclave-upgrade-status-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('console upgrade status', () => {
  it('system.info shows the staged upgrade and the next start records it in the ledger', async () => {
    const version = '99.0.0';
    const source = path.join(tmp, 'source');
    mkdirSync(source);
    writeFileSync(path.join(source, `enclave-console-${version}-x86_64.AppImage`), randomBytes(50_000), {
      mode: 0o755,
    });
    writeFileSync(path.join(source, 'RELEASE-NOTES.md'), `# ${version}\n`);
    const key = generateSigningKey(path.join(tmp, 'keys'), 'release-1');
    const out = path.join(tmp, 'upgrade.bundle.tar');
    await buildBundle({ source, name: 'enclave-console', kind: 'console-upgrade', version, out });
    await signBundle(out, { signer: 'release-1', privateKeyPath: key.privateKeyPath });
    const verified = await verifyBundle(out, {
      trust: { signers: [{ name: 'release-1', publicKey: key.publicKey }], thresholds: {} },
      stagingDir: path.join(tmp, 'staging'),
    });

    const dataDir = path.join(tmp, 'data');
    const first = await openConsole({ dataDir, log: { error: () => undefined } });
    const client = new ConsoleClient(inProcessChannel(first.dispatcher, newConnection('test')));
    expect((await client.call('system.info', {})).upgrades).toEqual({ staged: [], pending: null });
    stageConsoleUpgrade({
      dataDir,
      runningVersion: __ENCLAVE_VERSION__,
      stagedPayloadDir: verified.stagedAt as string,
      manifest: verified.manifest,
      manifestBytes: readManifestBytes(out),
      manifestSha256: verified.manifestSha256,
      signers: verified.signers,
    });
    const info = await client.call('system.info', {});
    expect(info.upgrades.pending).toEqual({ version, newer: true, attemptedAt: null });
    expect(info.upgrades.staged).toEqual([expect.objectContaining({ version, packages: ['appimage'] })]);
    client.close();
    first.close();

    const second = await openConsole({ dataDir, log: { error: () => undefined }, recordLifecycle: true });
    try {
      const [start] = second.ledger.list({ procedure: 'system.start', limit: 1 }).entries;
      expect(start?.input).toMatchObject({
        version: __ENCLAVE_VERSION__,
        upgrades: { pending: { version, newer: true } },
      });
    } finally {
      second.close();
    }
  });
});
