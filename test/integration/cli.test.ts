import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import WebSocket from 'ws';
import { SCHEMA_VERSION } from '../../electron/core/store';
import { CLI, enclave } from '../support/cli';

const dirs: string[] = [];
const fresh = () => {
  const d = mkdtempSync(path.join(tmpdir(), 'enclave-cli-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const PASS = 'correct horse battery staple';
const asAdmin = { ENCLAVE_OPERATOR: 'alice', ENCLAVE_PASSPHRASE: PASS };

describe('enclave CLI', () => {
  it('init, then info --json, in an empty data directory', async () => {
    const dir = fresh();
    const before = await enclave(['info', '--json', '--data-dir', dir]);
    expect(before.code).toBe(0);
    expect(JSON.parse(before.stdout)).toMatchObject({
      initialised: false,
      workstationId: null,
      dataDir: dir,
    });

    const init = await enclave(['init', '--admin', 'alice', '--data-dir', dir], { ENCLAVE_PASSPHRASE: PASS });
    expect(init.code, init.stderr).toBe(0);
    expect(init.stdout).toContain('administrator:  alice');

    const info = await enclave(['info', '--json', '--data-dir', dir]);
    const parsed = JSON.parse(info.stdout) as Record<string, unknown>;
    expect(parsed).toMatchObject({
      version: '0.1.0',
      dataDir: dir,
      schemaVersion: SCHEMA_VERSION,
      initialised: true,
    });
    expect((parsed.ledgerKey as { verifierKey: string }).verifierKey).toMatch(
      /^enclave-console\.local\/[0-9a-f-]{36}\/audit\+[0-9a-f]{8}\+/,
    );
    expect(parsed.workstationId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-/);
    // ENCLAVE_DATA_DIR works the same as --data-dir.
    const viaEnv = await enclave(['info', '--json'], { ENCLAVE_DATA_DIR: dir });
    expect(JSON.parse(viaEnv.stdout).workstationId).toBe(parsed.workstationId);
  });

  it('refuses a second init clearly and changes nothing', async () => {
    const dir = fresh();
    await enclave(['init', '--admin', 'alice', '--data-dir', dir], { ENCLAVE_PASSPHRASE: PASS });
    const id = JSON.parse((await enclave(['info', '--json', '--data-dir', dir])).stdout)
      .workstationId as string;
    const again = await enclave(['init', '--admin', 'bob', '--data-dir', dir], { ENCLAVE_PASSPHRASE: PASS });
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already initialised/);
    expect(again.stderr).toMatch(/another --data-dir/);
    expect(JSON.parse((await enclave(['info', '--json', '--data-dir', dir])).stdout).workstationId).toBe(id);
    const list = await enclave(['audit', 'list', '--json', '--data-dir', dir], asAdmin);
    const ops = (JSON.parse(list.stdout) as { entries: { procedure: string; target: string }[] }).entries;
    expect(ops.some((e) => e.target === 'operator bob')).toBe(false);
  });

  it('refuses a wrong passphrase (exit 3) and audits it', async () => {
    const dir = fresh();
    await enclave(['init', '--admin', 'alice', '--data-dir', dir], { ENCLAVE_PASSPHRASE: PASS });
    const wrong = await enclave(['audit', 'list', '--data-dir', dir], {
      ...asAdmin,
      ENCLAVE_PASSPHRASE: 'not it at all',
    });
    expect(wrong.code).toBe(3);
    expect(wrong.stderr).toMatch(/wrong operator name or passphrase/);
    const list = await enclave(
      ['audit', 'list', '--json', '--outcome', 'denied', '--data-dir', dir],
      asAdmin,
    );
    expect(list.code, list.stderr).toBe(0);
    const { entries } = JSON.parse(list.stdout) as { entries: Record<string, unknown>[] };
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      procedure: 'session.signIn',
      outcome: 'denied',
      operator: null,
      target: 'operator alice',
      transport: 'cli',
      input: { operator: 'alice', passphrase: '[redacted]' },
    });
  });

  it('lists the audit as a table and filters by operator and time', async () => {
    const dir = fresh();
    await enclave(['init', '--admin', 'alice', '--data-dir', dir], { ENCLAVE_PASSPHRASE: PASS });
    const table = await enclave(['audit', 'list', '--data-dir', dir], asAdmin);
    expect(table.stdout.split('\n')[0]).toMatch(/^INDEX\s+TIME\s+OPERATOR\s+ACTION\s+TARGET\s+OUTCOME$/);
    expect(table.stdout).toContain('setup.createFirstAdmin');
    const none = await enclave(
      ['audit', 'list', '--json', '--operator', 'nobody', '--data-dir', dir],
      asAdmin,
    );
    expect(JSON.parse(none.stdout).entries).toEqual([]);
    const recent = await enclave(['audit', 'list', '--json', '--since', '1h', '--data-dir', dir], asAdmin);
    expect(JSON.parse(recent.stdout).total).toBeGreaterThanOrEqual(2);
    const future = await enclave(
      ['audit', 'list', '--json', '--since', '2999-01-01T00:00:00Z', '--data-dir', dir],
      asAdmin,
    );
    expect(JSON.parse(future.stdout).total).toBe(0);
  });

  it('says what to do on usage errors (exit 2)', async () => {
    const dir = fresh();
    const cases: [string[], RegExp][] = [
      [['frobnicate'], /unknown command "frobnicate"/],
      [['init', '--data-dir', dir], /--admin NAME/],
      [['info', '--bogus'], /Unknown option '--bogus'/],
      [['info', '--admin', 'x'], /info does not take --admin/],
      [['audit', 'list', '--since', 'yesterday', '--data-dir', dir], /--since yesterday/],
      [['init', '--admin', 'alice', '--data-dir', dir], /set ENCLAVE_PASSPHRASE/],
    ];
    for (const [args, message] of cases) {
      const r = await enclave(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr, args.join(' ')).toMatch(message);
    }
    const short = await enclave(['init', '--admin', 'alice', '--data-dir', dir], {
      ENCLAVE_PASSPHRASE: 'short',
    });
    expect(short.code).toBe(2);
    expect(short.stderr).toMatch(/passphrase: use at least 12 characters/);
    const json = await enclave(['frobnicate', '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({ error: { code: 'USAGE' } });
  });

  it('needs sign-in for audit list and an initialised data directory', async () => {
    const dir = fresh();
    const r = await enclave(['audit', 'list', '--data-dir', dir], asAdmin);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/enclave init --admin NAME/);
    await enclave(['init', '--admin', 'alice', '--data-dir', dir], { ENCLAVE_PASSPHRASE: PASS });
    const noOperator = await enclave(['audit', 'list', '--data-dir', dir], { ENCLAVE_PASSPHRASE: PASS });
    expect(noOperator.code).toBe(2);
    expect(noOperator.stderr).toMatch(/set ENCLAVE_OPERATOR/);
  });

  it('prints help listing the commands', async () => {
    const r = await enclave(['--help']);
    expect(r.code).toBe(0);
    for (const c of ['init --admin NAME', 'info', 'serve [--port N]', 'audit list'])
      expect(r.stdout).toContain(c);
  });

  it('serve prints a loopback URL with a token, serves the UI and stops on SIGTERM', async () => {
    const dir = fresh();
    const child = spawn(process.execPath, [CLI, 'serve', '--port', '0', '--json', '--data-dir', dir], {
      stdio: 'pipe',
    });
    const line = await new Promise<string>((resolve, reject) => {
      child.stdout.once('data', (d: Buffer) => resolve(d.toString()));
      child.once('exit', (code) => reject(new Error(`serve exited ${code}`)));
    });
    const { url, port } = JSON.parse(line) as { url: string; port: number };
    expect(url).toMatch(new RegExp(`^http://127\\.0\\.0\\.1:${port}/#token=[A-Za-z0-9_-]{43}$`));
    const token = url.split('#token=')[1] as string;
    const ws = new WebSocket(`ws://127.0.0.1:${port}/rpc`, ['enclave.v1', `enclave-token.${token}`]);
    const reply = await new Promise<string>((resolve) => {
      ws.on('open', () =>
        ws.send(JSON.stringify({ v: 1, type: 'call', id: 'i', procedure: 'session.status', input: {} })),
      );
      ws.on('message', (d) => resolve(d.toString()));
    });
    expect(JSON.parse(reply)).toMatchObject({
      id: 'i',
      ok: true,
      output: { initialised: false, session: null },
    });
    ws.close();
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  });

  it('audit verify, proof, export, and verify-export on a second, fresh data directory', async () => {
    const dir = fresh();
    await enclave(['init', '--admin', 'alice', '--data-dir', dir], { ENCLAVE_PASSPHRASE: PASS });
    const verify = await enclave(['audit', 'verify', '--json', '--data-dir', dir], asAdmin);
    expect(verify.code, verify.stderr).toBe(0);
    expect(JSON.parse(verify.stdout)).toMatchObject({ ok: true, problems: [] });

    const proof = await enclave(['audit', 'proof', '--index', '0', '--data-dir', dir], asAdmin);
    expect(proof.stdout).toMatch(/^c2sp\.org\/tlog-proof@v1\nextra [A-Za-z0-9+/=]+\nindex 0\n/);
    const key = (
      JSON.parse((await enclave(['info', '--json', '--data-dir', dir])).stdout) as {
        ledgerKey: { verifierKey: string };
      }
    ).ledgerKey.verifierKey;
    const proofFile = path.join(fresh(), 'entry-0.tlog-proof');
    writeFileSync(proofFile, proof.stdout);
    const checked = await enclave(['audit', 'verify-proof', proofFile, '--key', key]);
    expect(checked.code, checked.stderr).toBe(0);
    expect(checked.stdout).toMatch(/Entry 0 is in the ledger/);
    writeFileSync(proofFile, proof.stdout.replace('index 0', 'index 1'));
    expect((await enclave(['audit', 'verify-proof', proofFile, '--key', key])).code).toBe(3);

    const medium = fresh();
    const exported = await enclave(['audit', 'export', '--to', medium, '--json', '--data-dir', dir], asAdmin);
    expect(exported.code, exported.stderr).toBe(0);
    const { folder, to } = JSON.parse(exported.stdout) as { folder: string; to: number };
    // A second machine: a fresh data directory that has never seen this workstation.
    const elsewhere = fresh();
    const ok = await enclave(['audit', 'verify-export', folder, '--key', key, '--data-dir', elsewhere]);
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(new RegExp(`The export verifies: entries 0–${to - 1}`));
    // Tampered: one entry edited in place.
    const entries = path.join(folder, 'entries.jsonl');
    writeFileSync(entries, readFileSync(entries, 'utf8').replace('"alice"', '"mallet"'));
    const bad = await enclave([
      'audit',
      'verify-export',
      folder,
      '--key',
      key,
      '--json',
      '--data-dir',
      elsewhere,
    ]);
    expect(bad.code).toBe(3);
    expect(JSON.parse(bad.stdout).problem).toMatchObject({
      file: 'entries.jsonl',
      reason: expect.stringMatching(/changed after it was signed/),
    });
  });
});
