import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleError } from '../../shared/errors';
import { labDown, labFault, labUp, type LabHost, type LabState } from '../lab/site';
import { seedDefaultGpus } from '../lab/site/gpu-profiles';
import { openTestCore, type TestCore } from '../support/core';
import type { ConsoleClient } from '../../shared/client';

/**
 * GPU hosts over SSH against the simulated site: real sshd hosts (network
 * namespaces as root, loopback ports otherwise) with the nvidia-smi simulator.
 */
const sshd = existsSync('/usr/sbin/sshd');
if (!sshd)
  console.log(
    'hosts: skipped here: /usr/sbin/sshd is missing (apt-get install openssh-server; .ci/run does)',
  );
const simulator = path.resolve(import.meta.dirname, '../../out/lab/nvidia-smi.mjs');
const noSimulator = existsSync(simulator)
  ? ''
  : ' (skipped: the nvidia-smi simulator is not built: npm run build)';
if (noSimulator) console.log(`hosts: GPU steps${noSimulator}`);

let lab: LabState;
let work: string;
let t: TestCore;
let admin: ConsoleClient;
let key: string;
const host = (i: number) => lab.hosts[i] as LabHost;
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: ConsoleError) => e,
  );

describe.skipIf(!sshd)(`GPU hosts over SSH${sshd ? '' : ' (skipped: no sshd)'}`, () => {
  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), 'enclave-hosts-'));
    chmodSync(work, 0o711); // the lab's login user must reach its host directories
    lab = await labUp({ hosts: 2, stateDir: path.join(work, 'lab'), seedHost: seedDefaultGpus });
    console.log(`hosts: lab in ${lab.mode} mode (${lab.modeReason})`);
    key = readFileSync(lab.operatorKey, 'utf8');
    t = await openTestCore();
    admin = await t.connectAs(['admin']);
  }, 60_000);
  afterAll(async () => {
    t?.close();
    if (lab) await labDown(lab.stateDir);
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  const add = (h: LabHost, fingerprint?: string) =>
    admin.call('hosts.add', {
      name: h.name,
      address: h.address,
      port: h.port,
      user: h.user,
      privateKey: key,
      labels: { ...h.labels, slot: h.name },
      ...(fingerprint ? { fingerprint } : {}),
    });

  it('shows the fingerprint on first contact and pins it only once confirmed', async () => {
    const first = await failure(add(host(0)));
    expect(first?.code).toBe('CONFLICT');
    expect(first?.message).toContain(host(0).fingerprint);
    expect(first?.hint).toContain(`--fingerprint ${host(0).fingerprint}`);
    const wrong = await failure(add(host(0), host(1).fingerprint));
    expect(wrong?.code).toBe('FORBIDDEN');
    expect(await admin.call('hosts.list', {})).toEqual([]);

    const added = await add(host(0), host(0).fingerprint);
    expect(added).toMatchObject({
      name: host(0).name,
      fingerprint: host(0).fingerprint,
      labels: host(0).labels,
    });
    await add(host(1), host(1).fingerprint);
    expect((await admin.call('hosts.list', {})).map((h) => h.name)).toEqual([host(0).name, host(1).name]);
    // The key is stored encrypted, never in clear.
    const raw = t.core.db
      .prepare('SELECT sealed FROM secrets WHERE name = ?')
      .pluck()
      .get(`host-key:${host(0).name}`) as Buffer;
    expect(raw.includes(Buffer.from('OPENSSH PRIVATE KEY'))).toBe(false);
  });

  it('runs a command on both hosts in parallel, and the ledger keeps exit codes and output digests', async () => {
    const { results } = await admin.call('hosts.run', {
      hosts: [host(0).name, host(1).name],
      command: 'hostname',
    });
    expect(results.map((r) => [r.host, r.exitCode, r.error])).toEqual([
      [host(0).name, 0, null],
      [host(1).name, 0, null],
    ]);
    expect(results.map((r) => r.stdout.trim())).toEqual([host(0).hostname, host(1).hostname]);
    const [entry] = t.core.ledger.list({ procedure: 'hosts.run', limit: 1 }).entries;
    expect(entry?.result).toEqual(
      results.map((r) => ({ host: r.host, exitCode: 0, error: null, stdoutSha256: r.stdoutSha256 })),
    );
    expect(entry?.input).toMatchObject({ command: 'hostname', hosts: [host(0).name, host(1).name] });
  });

  it.skipIf(!existsSync(simulator))(`reads the simulated GPUs with nvidia-smi -L${noSimulator}`, async () => {
    const { results } = await admin.call('hosts.run', {
      hosts: [host(0).name, host(1).name],
      command: 'nvidia-smi -L',
    });
    expect(results[0]?.stdout).toMatch(/^GPU 0: NVIDIA A100-SXM4-40GB \(UUID: GPU-/);
    expect(results[1]?.stdout).toMatch(/^GPU 0: NVIDIA A100/);
    expect(
      results[0]?.stdout
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('GPU ')).length,
    ).toBe(8);
  });

  it.skipIf(!existsSync(simulator))(
    `discovers facts and GPUs, and refuses output it cannot read without storing any of it${noSimulator}`,
    async () => {
      const { results } = await admin.call('hosts.discover', { hosts: [host(0).name, host(1).name] });
      expect(results.map((r) => r.error)).toEqual([null, null]);
      expect(results[0]?.facts?.hostname).toBe(host(0).hostname);
      expect(results[0]?.facts?.memoryMiB).toBeGreaterThan(0);
      expect(results[0]?.gpus).toHaveLength(8);
      expect(results[0]?.gpus[0]).toMatchObject({
        index: 0,
        model: 'NVIDIA A100-SXM4-40GB',
        migMode: 'enabled',
      });
      expect(results[1]?.gpus[0]).toMatchObject({ migMode: 'disabled', memoryMiB: 81920 });
      const gpus = await admin.call('gpus.list', {});
      expect(gpus).toHaveLength(16);
      const [listed] = await admin.call('hosts.list', {});
      expect(listed?.facts?.hostname).toBe(host(0).hostname);
      expect(listed?.discoveredAt).not.toBeNull();

      // A host whose nvidia-smi answers in German: refused, naming host, command and line; nothing stored.
      const wrapper = path.join(host(1).binDir, 'nvidia-smi');
      const original = readFileSync(wrapper, 'utf8');
      writeFileSync(
        wrapper,
        `#!/bin/sh\ncase "$*" in *query-gpu*) echo "0, GPU-12345678-1234-1234-1234-123456789abc, NVIDIA A100, 00000000:18:00.0, 81920, 550.90.07, Aktiviert, Aktiviert";; *) exec ${JSON.stringify(original.split('\n').find((l) => l.includes('exec')) ?? 'true').slice(1, -1)};; esac\n`,
      );
      try {
        const garbled = await admin.call('hosts.discover', { hosts: [host(1).name] });
        expect(garbled.results[0]?.error).toMatch(
          new RegExp(`^${host(1).name}: nvidia-smi --query-gpu=.*line 1`),
        );
        expect(await admin.call('gpus.list', {})).toEqual(gpus);
      } finally {
        writeFileSync(wrapper, original);
      }
    },
    30_000,
  );

  it('reports a dropped connection and a failing command per host, without stopping the others', async () => {
    await labFault(lab.stateDir, host(1).name, 'drop', '1');
    const { results } = await admin.call('hosts.run', {
      hosts: [host(0).name, host(1).name],
      command: 'echo start; sleep 4; echo end',
    });
    expect(results[0]).toMatchObject({ exitCode: 0, error: null });
    expect(results[0]?.stdout).toBe('start\nend\n');
    expect(results[1]?.error ?? `exit ${results[1]?.exitCode}`).toMatch(/dropped|exit 255/);
    await labFault(lab.stateDir, host(1).name, 'clear');
    await labFault(lab.stateDir, host(1).name, 'fail', 'disk on fire');
    const failed = await admin.call('hosts.run', { hosts: [host(1).name], command: 'true' });
    expect(failed.results[0]).toMatchObject({ exitCode: 1, error: null });
    await labFault(lab.stateDir, host(1).name, 'clear');
  }, 30_000);

  it("streams each host's output as it arrives", async () => {
    const events: { host: string; stream: string; data: string; at: number }[] = [];
    const started = Date.now();
    const { results } = await admin.call(
      'hosts.run',
      { hosts: [host(0).name, host(1).name], command: 'echo one; sleep 1; echo two >&2; echo three' },
      { onEvent: (e) => events.push({ ...e, at: Date.now() - started }) },
    );
    const done = Date.now() - started;
    for (const r of results) {
      const mine = events.filter((e) => e.host === r.host);
      expect(
        mine
          .filter((e) => e.stream === 'stdout')
          .map((e) => e.data)
          .join(''),
      ).toBe(r.stdout);
      expect(
        mine
          .filter((e) => e.stream === 'stderr')
          .map((e) => e.data)
          .join(''),
      ).toBe('two\n');
      // "one" arrived well before the command finished.
      expect(done - (mine.find((e) => e.data.includes('one'))?.at ?? done)).toBeGreaterThan(500);
    }
  });

  it('reuses one connection per host across commands, and selects hosts by label', async () => {
    const clientPort = async () =>
      (
        await admin.call('hosts.run', { hosts: [host(0).name], command: 'echo $SSH_CONNECTION' })
      ).results[0]?.stdout.split(' ')[1];
    const first = await clientPort();
    expect(first).toMatch(/^\d+$/);
    expect(await clientPort()).toBe(first); // the same client port: the pooled connection
    const byLabel = await admin.call('hosts.run', {
      labels: { rack: host(1).labels.rack, slot: host(1).name },
      command: 'true',
    });
    expect(byLabel.results.map((r) => r.host)).toEqual([host(1).name]);
    const none = await failure(
      admin.call('hosts.run', { labels: { rack: 'no-such-rack' }, command: 'true' }),
    );
    expect(none?.code).toBe('NOT_FOUND');
  });

  it('reaches a host through a jump host (bastion), checking both pinned keys', async () => {
    const viaBastion = await admin.call('hosts.add', {
      name: 'behind-bastion',
      address: host(1).address,
      port: host(1).port,
      user: host(1).user,
      privateKey: key,
      fingerprint: host(1).fingerprint,
      jump: host(0).name,
    });
    expect(viaBastion.jump).toBe(host(0).name);
    const { results } = await admin.call('hosts.run', {
      hosts: ['behind-bastion'],
      command: 'echo $SSH_CONNECTION',
    });
    expect(results[0]).toMatchObject({ exitCode: 0, error: null });
    // In network namespaces the target sees the bastion's address as the client; on loopback both are 127.0.0.1.
    if (lab.mode === 'netns') expect(results[0]?.stdout.split(' ')[0]).toBe(host(0).address);
    // It is the same machine as the host discovered directly: its GPUs are already recorded there.
    if (existsSync(simulator)) {
      const twice = await admin.call('hosts.discover', { hosts: ['behind-bastion'] });
      expect(twice.results[0]?.error).toBe(
        `behind-bastion: GPU ${(await admin.call('gpus.list', {})).find((g) => g.host === host(1).name)?.uuid} is already recorded on ${host(1).name}`,
      );
    }
    // A wrong fingerprint for the host behind the bastion is still refused.
    const wrong = await failure(
      admin.call('hosts.add', {
        name: 'wrong-behind',
        address: host(1).address,
        port: host(1).port,
        user: host(1).user,
        privateKey: key,
        fingerprint: host(0).fingerprint,
        jump: host(0).name,
      }),
    );
    expect(wrong?.code).toBe('FORBIDDEN');
  });

  it("logs in through the workstation's ssh-agent when the host is set to, storing no key", async () => {
    const sock = path.join(work, 'agent.sock');
    const started = spawnSync('ssh-agent', ['-a', sock], { encoding: 'utf8' });
    const pid = Number(/SSH_AGENT_PID=(\d+)/.exec(started.stdout)?.[1]);
    const previous = process.env.SSH_AUTH_SOCK;
    try {
      expect(
        spawnSync('ssh-add', [lab.operatorKey], { env: { ...process.env, SSH_AUTH_SOCK: sock } }).status,
      ).toBe(0);
      process.env.SSH_AUTH_SOCK = sock;
      const added = await admin.call('hosts.add', {
        name: 'via-agent',
        address: host(1).address,
        port: host(1).port,
        user: host(1).user,
        auth: 'agent',
        fingerprint: host(1).fingerprint,
      });
      expect(added.auth).toBe('agent');
      expect(
        t.core.db.prepare("SELECT count(*) FROM secrets WHERE name = 'host-key:via-agent'").pluck().get(),
      ).toBe(0);
      const { results } = await admin.call('hosts.run', { hosts: ['via-agent'], command: 'true' });
      expect(results[0]).toMatchObject({ exitCode: 0, error: null });
      // Without an agent, it says so.
      t.core.hosts.pool.closeAll();
      delete process.env.SSH_AUTH_SOCK;
      const none = await admin.call('hosts.run', { hosts: ['via-agent'], command: 'true' });
      expect(none.results[0]?.error).toBe('via-agent logs in through an ssh-agent, and none is reachable');
      // A key with auth "agent" (or none with "key") is refused by the schema.
      expect(
        (
          await failure(
            admin.call('hosts.add', { name: 'x1', address: 'a', user: 'u', auth: 'agent', privateKey: key }),
          )
        )?.code,
      ).toBe('BAD_REQUEST');
    } finally {
      if (previous === undefined) delete process.env.SSH_AUTH_SOCK;
      else process.env.SSH_AUTH_SOCK = previous;
      if (pid) process.kill(pid);
    }
  });

  it('refuses a host whose key changed, naming both fingerprints, and sends it nothing; an admin re-pins it', async () => {
    const pinned = host(0).fingerprint;
    await labFault(lab.stateDir, host(0).name, 'rotate-key');
    // An established session stays with the sshd that authenticated it; a reinstalled host drops it.
    t.core.hosts.pool.closeAll();
    const { results } = await admin.call('hosts.run', {
      hosts: [host(0).name],
      command: 'touch /tmp/should-not-run',
    });
    expect(results[0]?.exitCode).toBeNull();
    expect(results[0]?.error).toMatch(
      new RegExp(`has CHANGED: pinned ${pinned.replace(/[+/]/g, '\\$&')}, now SHA256:`),
    );
    const rotated = (await import('yaml')).parse(readFileSync(lab.inventory, 'utf8')) as {
      hosts: { name: string; fingerprint: string }[];
    };
    const fresh = rotated.hosts.find((h) => h.name === host(0).name)?.fingerprint as string;
    expect(fresh).not.toBe(pinned);
    const operator = await t.connectAs(['operator']);
    expect(
      (await failure(operator.call('hosts.repin', { name: host(0).name, fingerprint: fresh })))?.code,
    ).toBe('FORBIDDEN');
    expect(
      (await failure(admin.call('hosts.repin', { name: host(0).name, fingerprint: pinned })))?.code,
    ).toBe('FORBIDDEN');
    const repinned = await admin.call('hosts.repin', { name: host(0).name, fingerprint: fresh });
    expect(repinned).toMatchObject({ previous: pinned, host: { fingerprint: fresh } });
    const again = await admin.call('hosts.run', { hosts: [host(0).name], command: 'true' });
    expect(again.results[0]).toMatchObject({ exitCode: 0, error: null });
    const [entry] = t.core.ledger.list({ procedure: 'hosts.repin', limit: 1 }).entries;
    expect(entry).toMatchObject({ outcome: 'ok', result: { previous: pinned, pinned: fresh } });
  });
});
