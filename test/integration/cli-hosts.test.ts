import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { enclave } from '../support/cli';

/** The operator's path on the command line: lab up → import its inventory → discover → run → lab down. */
const sshd = existsSync('/usr/sbin/sshd');
if (!sshd) console.log('cli-hosts: skipped here: /usr/sbin/sshd is missing (apt-get install openssh-server)');
const work = mkdtempSync(path.join(tmpdir(), 'enclave-cli-hosts-'));
chmodSync(work, 0o711);
const state = path.join(work, 'lab');
const data = path.join(work, 'data');
const asAdmin = { ENCLAVE_OPERATOR: 'alice', ENCLAVE_PASSPHRASE: 'correct horse battery staple' };

afterAll(async () => {
  if (existsSync(path.join(state, 'lab.json'))) await enclave(['lab', 'down', '--state', state]);
  rmSync(work, { recursive: true, force: true });
});

describe.skipIf(!sshd)(
  `enclave hosts and lab on the command line${sshd ? '' : ' (skipped: no sshd)'}`,
  () => {
    it('brings up the lab, imports it, discovers GPUs, runs a command everywhere, and tears it down', async () => {
      const up = await enclave(['lab', 'up', '--hosts', '2', '--state', state, '--json']);
      expect(up.code, up.stderr).toBe(0);
      expect(JSON.parse(up.stdout)).toMatchObject({ format: 'enclave-lab/1', hosts: [{}, {}] });
      await enclave(['init', '--admin', 'alice', '--data-dir', data], {
        ENCLAVE_PASSPHRASE: asAdmin.ENCLAVE_PASSPHRASE,
      });

      const imported = await enclave(
        ['hosts', 'import', path.join(state, 'inventory.yaml'), '--yes', '--json', '--data-dir', data],
        asAdmin,
      );
      expect(imported.code, imported.stdout + imported.stderr).toBe(0);
      const { results } = JSON.parse(imported.stdout) as { results: { name: string; result: string }[] };
      expect(results.map((r) => r.result)).toEqual([
        expect.stringMatching(/^added, host key SHA256:/),
        expect.stringMatching(/^added/),
      ]);

      const list = await enclave(['hosts', 'list', '--json', '--data-dir', data], asAdmin);
      expect((JSON.parse(list.stdout) as { name: string }[]).map((h) => h.name)).toEqual(['gpu01', 'gpu02']);

      const discovered = await enclave(['hosts', 'discover', '--all', '--data-dir', data], asAdmin);
      expect(discovered.code, discovered.stdout + discovered.stderr).toBe(0);
      expect(discovered.stdout).toMatch(/gpu01 .* 8 × NVIDIA A100-SXM4-40GB/);

      const run = await enclave(
        ['hosts', 'run', '--all', '--json', '--data-dir', data, '--', 'nvidia-smi', '-L'],
        asAdmin,
      );
      expect(run.code, run.stderr).toBe(0);
      const out = JSON.parse(run.stdout) as { host: string; exitCode: number; stdout: string }[];
      expect(out.map((r) => [r.host, r.exitCode])).toEqual([
        ['gpu01', 0],
        ['gpu02', 0],
      ]);
      expect(out[0]?.stdout).toMatch(/^GPU 0: NVIDIA A100/);

      const streamed = await enclave(
        ['hosts', 'run', 'gpu01', 'gpu02', '--data-dir', data, '--', 'echo', 'hi'],
        asAdmin,
      );
      expect(streamed.stdout).toContain('gpu01 | hi\n');
      expect(streamed.stdout).toContain('gpu02 | hi\n');
      expect(streamed.stdout).toMatch(/== gpu01: exit 0 \(\d+ ms\)/);

      // Files to and from hosts over SFTP, checked by SHA-256 on both ends.
      const payload = path.join(work, 'payload.bin');
      const bytes = randomBytes(3 * 1024 * 1024 + 17);
      writeFileSync(payload, bytes);
      const remote = `/tmp/enclave-cli-${randomBytes(6).toString('hex')}.bin`;
      const upload = await enclave(
        ['hosts', 'upload', payload, remote, '--all', '--mode', '0640', '--json', '--data-dir', data],
        asAdmin,
      );
      expect(upload.code, upload.stdout + upload.stderr).toBe(0);
      const digest = createHash('sha256').update(bytes).digest('hex');
      const uploaded = JSON.parse(upload.stdout) as {
        sha256: string;
        results: { host: string; sha256: string; error: null }[];
      };
      expect(uploaded.sha256).toBe(digest);
      expect(uploaded.results.map((r) => [r.host, r.sha256, r.error])).toEqual([
        ['gpu01', digest, null],
        ['gpu02', digest, null],
      ]);
      const back = path.join(work, 'back.bin');
      const download = await enclave(
        ['hosts', 'download', 'gpu02', remote, back, '--data-dir', data],
        asAdmin,
      );
      expect(download.code, download.stderr).toBe(0);
      expect(download.stdout).toContain(`SHA-256 ${digest} (matches)`);
      expect(readFileSync(back).equals(bytes)).toBe(true);
      const again = await enclave(['hosts', 'download', 'gpu02', remote, back, '--data-dir', data], asAdmin);
      expect(again.code).toBe(1);
      expect(again.stderr).toContain('already exists');
      const missing = await enclave(
        ['hosts', 'upload', path.join(work, 'nope'), remote, 'gpu01', '--data-dir', data],
        asAdmin,
      );
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain('there is no file');
      await enclave(['hosts', 'run', '--all', '--data-dir', data, '--', 'rm', '-f', remote], asAdmin);

      const down = await enclave(['lab', 'down', '--state', state]);
      expect(down.code).toBe(0);
    }, 90_000);
  },
);
