import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleError } from '../../shared/errors';
import { connectSsh, type SshSession } from '../../electron/core/hosts/ssh';
import {
  downloadFile,
  parseRemoteHash,
  transferTo,
  uploadFile,
  type TransferProgress,
} from '../../electron/core/hosts/transfer';
import { labDown, labUp, shQuote, type LabHost, type LabState } from '../lab/site';

/**
 * SFTP upload and download with a SHA-256 check, against one real sshd lab host.
 */
const sshd = existsSync('/usr/sbin/sshd');
if (!sshd)
  console.log(
    'hosts-transfer: skipped here: /usr/sbin/sshd is missing (apt-get install openssh-server; .ci/run does)',
  );

const MiB = 1024 * 1024;
let lab: LabState;
let work: string;
let session: SshSession;
let remoteDir: string;
let big: string; // 32 MiB of random bytes
let bigSha: string;
let huge: string; // 128 MiB, for cancelling mid-transfer
const host = () => lab.hosts[0] as LabHost;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: ConsoleError) => e,
  );
const sh = async (command: string) => {
  const r = await session.exec(command);
  expect(r.exitCode, `${command}: ${r.stderr}`).toBe(0);
  return r.stdout;
};
const remoteSha = async (file: string) => (await sh(`sha256sum ${shQuote(file)}`)).split(' ')[0];
const remoteEntries = async (dir: string) =>
  (await sh(`ls -A ${shQuote(dir)}`)).split('\n').filter((l) => l !== '');
const mibPerS = (bytes: number, ms: number) => (bytes / MiB / (ms / 1000)).toFixed(0);

describe('parseRemoteHash', () => {
  const d = 'a'.repeat(64);
  it('accepts exactly what openssl -r and sha256sum print for stdin', () => {
    expect(parseRemoteHash(`openssl\n${d} *stdin\n`)).toEqual({ tool: 'openssl', sha256: d });
    expect(parseRemoteHash(`sha256sum\n${d}  -\n`)).toEqual({ tool: 'sha256sum', sha256: d });
  });
  it.each([
    `openssl\n${d}  -\n`,
    `openssl\n${d.toUpperCase()} *stdin\n`,
    `openssl\n${d.slice(1)} *stdin\n`,
    `sha256sum\n${d}  -\nextra\n`,
    `md5sum\n${d}  -\n`,
    `${d}  -\n`,
    `sha256sum\n${d}  -`,
    '',
  ])('refuses %j', (out) => expect(parseRemoteHash(out)).toBeUndefined());
});

describe.skipIf(!sshd)(`SFTP transfers${sshd ? '' : ' (skipped: no sshd)'}`, () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'enclave-transfer-'));
    chmodSync(work, 0o711); // the lab's login user must reach its host directory
    lab = await labUp({ hosts: 1, stateDir: path.join(work, 'lab') });
    console.log(`hosts-transfer: lab in ${lab.mode} mode (${lab.modeReason})`);
    session = await connectSsh({
      name: host().name,
      address: host().address,
      port: host().port,
      user: host().user,
      privateKey: readFileSync(lab.operatorKey),
      pinned: host().fingerprint,
    });
    remoteDir = path.posix.join(host().hostDir, 'uploads');
    await sh(`mkdir -p ${shQuote(remoteDir)}`);
    const local = path.join(work, 'local');
    rmSync(local, { recursive: true, force: true });
    big = path.join(work, 'big.bin');
    const bytes = randomBytes(32 * MiB);
    writeFileSync(big, bytes);
    bigSha = sha(bytes);
    huge = path.join(work, 'huge.bin');
    writeFileSync(huge, randomBytes(128 * MiB));
  }, 120_000);
  afterAll(async () => {
    session?.close();
    if (lab) await labDown(lab.stateDir);
    if (work) rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it('uploads 32 MiB, checked on the host, and downloads it back byte for byte', async () => {
    const target = path.posix.join(remoteDir, 'big.bin');
    const events: TransferProgress[] = [];
    const up = await uploadFile(session, {
      localPath: big,
      remotePath: target,
      mode: 0o640,
      host: host().name,
      onProgress: (p) => events.push(p),
    });
    expect(up).toMatchObject({ bytes: 32 * MiB, sha256: bigSha });
    // Checked independently on the host.
    expect(await remoteSha(target)).toBe(bigSha);
    expect((await sh(`stat -c %a ${shQuote(target)}`)).trim()).toBe('640');
    expect(await remoteEntries(remoteDir)).toEqual(['big.bin']);
    // Progress: bytes never go back, phases in order, at most ~10 a second, and the last is 'done'.
    const order = { sending: 0, verifying: 1, done: 2 };
    for (let i = 1; i < events.length; i++) {
      const [a, b] = [events[i - 1] as TransferProgress, events[i] as TransferProgress];
      expect(b.bytes).toBeGreaterThanOrEqual(a.bytes);
      expect(order[b.phase]).toBeGreaterThanOrEqual(order[a.phase]);
    }
    expect(events.at(-1)).toEqual({ phase: 'done', bytes: 32 * MiB, totalBytes: 32 * MiB });
    expect(events.filter((e) => e.phase === 'sending').length).toBeLessThanOrEqual(
      3 + Math.ceil(up.sendMs / 100),
    );

    const back = path.join(work, 'back.bin');
    const downEvents: TransferProgress[] = [];
    const down = await transferTo(session, {
      direction: 'download',
      remotePath: target,
      localPath: back,
      onProgress: (p) => downEvents.push(p),
    });
    expect(readFileSync(back).equals(readFileSync(big))).toBe(true);
    expect(down).toMatchObject({ bytes: 32 * MiB, sha256: bigSha });
    expect(downEvents.at(-1)?.phase).toBe('done');
    expect(readdirSync(work).filter((f) => f.includes('.part-'))).toEqual([]);
    console.log(
      `hosts-transfer: 32 MiB upload ${mibPerS(up.bytes, up.sendMs)} MiB/s sending ` +
        `(${up.totalMs.toFixed(0)} ms in all, host hashed with ${up.remoteHasher}); ` +
        `download ${mibPerS(down.bytes, down.sendMs)} MiB/s (${down.totalMs.toFixed(0)} ms in all)`,
    );
  }, 60_000);

  it('replaces an existing target, and a corrupted upload is caught and leaves the old content', async () => {
    const target = path.posix.join(remoteDir, 'config.bin');
    const v1 = path.join(work, 'v1.bin');
    const v2 = path.join(work, 'v2.bin');
    writeFileSync(v1, randomBytes(MiB));
    writeFileSync(v2, randomBytes(2 * MiB));
    await uploadFile(session, { localPath: v1, remotePath: target });
    const v1Sha = sha(readFileSync(v1));
    expect(await remoteSha(target)).toBe(v1Sha);

    let temporary = '';
    const corrupt = await failure(
      uploadFile(session, {
        localPath: v2,
        remotePath: target,
        afterSend: async (tmp) => {
          temporary = tmp;
          expect(path.posix.basename(tmp)).toMatch(/^\.config\.bin\.part-[0-9a-f]+$/);
          await sh(`printf X | dd of=${shQuote(tmp)} bs=1 seek=1000 conv=notrunc status=none`);
        },
      }),
    );
    expect(corrupt?.code).toBe('FAILED');
    expect(corrupt?.message).toContain(sha(readFileSync(v2)));
    expect(corrupt?.message).toMatch(/on the host [0-9a-f]{64}/);
    expect(temporary).not.toBe('');
    expect(await remoteSha(target)).toBe(v1Sha);
    expect((await remoteEntries(remoteDir)).filter((f) => f.includes('.part-'))).toEqual([]);

    // Uploading again over it replaces it atomically.
    await uploadFile(session, { localPath: v2, remotePath: target });
    expect(await remoteSha(target)).toBe(sha(readFileSync(v2)));
  }, 60_000);

  it('says clearly what is wrong: missing local file, missing or read-only remote directory', async () => {
    const missingLocal = await failure(
      uploadFile(session, { localPath: path.join(work, 'nope.bin'), remotePath: `${remoteDir}/x` }),
    );
    expect(missingLocal?.code).toBe('NOT_FOUND');
    expect(missingLocal?.message).toContain('nope.bin');

    const missingDir = path.posix.join(remoteDir, 'no', 'such');
    const noDir = await failure(
      uploadFile(session, { localPath: big, remotePath: `${missingDir}/big.bin`, host: host().name }),
    );
    expect(noDir?.code).toBe('NOT_FOUND');
    expect(noDir?.message).toBe(`the remote directory ${missingDir} does not exist on ${host().name}`);
    expect(noDir?.hint).toContain('mkdir -p');

    const readOnly = path.posix.join(remoteDir, 'read-only');
    await sh(`mkdir -p ${shQuote(readOnly)} && chmod 555 ${shQuote(readOnly)}`);
    const denied = await failure(uploadFile(session, { localPath: big, remotePath: `${readOnly}/big.bin` }));
    expect(denied?.code).toBe('FAILED');
    expect(denied?.message).toContain(`${readOnly} on the host is not writable`);
    expect(await remoteEntries(readOnly)).toEqual([]);

    const noRemote = await failure(
      downloadFile(session, { remotePath: `${remoteDir}/absent.bin`, localPath: path.join(work, 'a') }),
    );
    expect(noRemote?.code).toBe('NOT_FOUND');
    expect(existsSync(path.join(work, 'a'))).toBe(false);
  }, 60_000);

  // In netns mode the host's sshd has its own mount namespace: mount there.
  const inHostMounts = (...argv: string[]) =>
    lab.mode === 'netns'
      ? execFileSync('nsenter', ['-t', String(host().pid), '-m', ...argv], { stdio: 'pipe' })
      : execFileSync(argv[0] as string, argv.slice(1), { stdio: 'pipe' });

  it("says the host's disk is full (a small tmpfs on the host, as root)", async (ctx) => {
    const small = path.posix.join(host().hostDir, 'small');
    try {
      await sh(`mkdir -p ${shQuote(small)}`);
      inHostMounts('mount', '-t', 'tmpfs', '-o', 'size=8m,mode=1777', 'tmpfs', small);
    } catch (error) {
      const why = `cannot mount a tmpfs here: ${(error as Error).message.split('\n')[0]}`;
      console.log(`hosts-transfer: the disk-full test skipped: ${why}`);
      ctx.skip(why);
    }
    try {
      if ((await sh(`stat -f -c %T ${shQuote(small)}`)).trim() !== 'tmpfs')
        ctx.skip('the host does not see the tmpfs (separate mount namespace)');
      const full = await failure(
        uploadFile(session, { localPath: big, remotePath: `${small}/big.bin`, host: host().name }),
      );
      expect(full?.code).toBe('FAILED');
      expect(full?.message).toContain("the host's disk is full");
      expect(full?.message).toContain(host().name);
      expect(await remoteEntries(small)).toEqual([]);
    } finally {
      inHostMounts('umount', small);
    }
  });

  it('cancelling mid-transfer leaves no temporary file on either side', async () => {
    const target = path.posix.join(remoteDir, 'huge.bin');
    const controller = new AbortController();
    let sawBytes = 0;
    const cancelled = await failure(
      uploadFile(session, {
        localPath: huge,
        remotePath: target,
        signal: controller.signal,
        onProgress: (p) => {
          if (p.phase === 'sending' && p.bytes > 0 && !controller.signal.aborted) {
            sawBytes = p.bytes;
            controller.abort();
          }
        },
      }),
    );
    expect(cancelled?.code).toBe('CANCELLED');
    expect(sawBytes).toBeGreaterThan(0);
    expect(sawBytes).toBeLessThan(128 * MiB);
    expect(
      (await remoteEntries(remoteDir)).filter((f) => f.includes('huge') || f.includes('.part-')),
    ).toEqual([]);

    // The session still works, and a cancelled download leaves nothing locally.
    await uploadFile(session, { localPath: huge, remotePath: target });
    const dir = mkdtempSync(path.join(work, 'down-'));
    const down = new AbortController();
    const stopped = await failure(
      downloadFile(session, {
        remotePath: target,
        localPath: path.join(dir, 'huge.bin'),
        signal: down.signal,
        onProgress: (p) => {
          if (p.phase === 'sending' && p.bytes > 0) down.abort();
        },
      }),
    );
    expect(stopped?.code).toBe('CANCELLED');
    expect(readdirSync(dir)).toEqual([]);
  }, 120_000);
});
