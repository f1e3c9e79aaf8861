import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, expect, it } from 'vitest';
import { ConsoleClient } from '../../shared/client';
import { inProcessChannel, newConnection, openConsole, type ConsoleCore } from '../../electron/core';
import { insertRecording, recordingFile } from '../../electron/core/hosts/recording';
import { verifyExport } from '../../electron/core/ledger/export-verify';
import { ADMIN, TestClock } from '../support/core';

/**
 * A console killed while a terminal was open leaves its recording unfinished. The next console to
 * start finishes it (size, digest, end time from the file as flushed) and vouches for it in the
 * ledger, so the recording travels with the next audit export; one still being written by another
 * running console is left alone.
 */
const dir = mkdtempSync(path.join(tmpdir(), 'enclave-recovery-'));
const medium = mkdtempSync(path.join(tmpdir(), 'enclave-recovery-medium-'));
const clock = new TestClock();
const open = () => openConsole({ dataDir: dir, clock, log: { error: () => undefined } });
const client = (core: ConsoleCore) =>
  new ConsoleClient(inProcessChannel(core.dispatcher, newConnection('test')));
const live = spawn('sleep', ['60'], { stdio: 'ignore' });
afterAll(() => {
  live.kill();
  rmSync(dir, { recursive: true, force: true });
  rmSync(medium, { recursive: true, force: true });
});

it('finishes a recording a crash left open, vouches for it in the ledger, and exports it', async () => {
  let core = await open();
  await client(core).call('setup.createFirstAdmin', ADMIN);
  const crashed = `t-${'a'.repeat(32)}`;
  const running = `t-${'b'.repeat(32)}`;
  for (const id of [crashed, running]) {
    insertRecording(core.db, {
      id,
      host: 'gpu01',
      operator: ADMIN.name,
      started: clock.now().toISOString(),
      cols: 80,
      rows: 24,
      inputRecorded: false,
    });
  }
  // The crashed console's process is gone; the other one still runs.
  const gone = spawnSync('true').pid;
  core.db.prepare('UPDATE recordings SET owner_pid = ? WHERE id = ?').run(gone, crashed);
  core.db.prepare('UPDATE recordings SET owner_pid = ? WHERE id = ?').run(live.pid, running);
  // What the recorder had flushed: a gzip stream cut before its trailer.
  const cast = `${JSON.stringify({ version: 2, width: 80, height: 24, timestamp: 1 })}\n[0.1, "o", "nvidia-smi -L\\r\\n"]\n`;
  const flushed = gzipSync(cast).subarray(0, -8);
  mkdirSync(path.dirname(recordingFile(dir, crashed)), { recursive: true });
  writeFileSync(recordingFile(dir, crashed), flushed);
  core.close();

  core = await open();
  const row = (id: string) =>
    core.db.prepare('SELECT ended, bytes, sha256 FROM recordings WHERE id = ?').get(id) as {
      ended: string | null;
      bytes: number | null;
      sha256: string | null;
    };
  const digest = createHash('sha256').update(flushed).digest('hex');
  expect(row(crashed)).toMatchObject({ bytes: flushed.length, sha256: digest });
  expect(row(crashed).ended).not.toBeNull();
  expect(row(running).ended).toBeNull();
  const [entry] = core.ledger.list({ procedure: 'terminals.recovered', limit: 5 }).entries;
  expect(entry).toMatchObject({
    operator: null,
    target: 'host gpu01',
    outcome: 'ok',
    result: { recording: crashed, sha256: digest, bytes: flushed.length },
  });
  expect(core.ledger.list({ procedure: 'terminals.recovered', limit: 5 }).total).toBe(1);

  // Starting again finds nothing more to recover.
  core.close();
  core = await open();
  expect(core.ledger.list({ procedure: 'terminals.recovered', limit: 5 }).total).toBe(1);

  const admin = client(core);
  await admin.call('session.signIn', { operator: ADMIN.name, passphrase: ADMIN.passphrase });
  const exported = await admin.call('audit.export', { to: medium });
  const folder = exported.folder;
  expect(existsSync(path.join(folder, `recording-${crashed}.cast.gz`))).toBe(true);
  expect(readFileSync(path.join(folder, `recording-${crashed}.cast.gz`)).equals(flushed)).toBe(true);
  expect(verifyExport(folder, {})).toMatchObject({ ok: true, problem: null });
  core.close();
});
