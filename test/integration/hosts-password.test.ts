import { chmodSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConsoleClient } from '../../shared/client';
import type { ConsoleError } from '../../shared/errors';
import { labDown, labUp, type LabHost, type LabState } from '../lab/site';
import { openTestCore, type TestCore } from '../support/core';

/**
 * Password login for hosts, behind the site policy. The policy half needs no host; the login half
 * needs a lab sshd that can check passwords, which only a root lab has (each sshd sees a private
 * /etc/shadow copy; a non-root sshd cannot read shadow at all).
 */
const sshd = existsSync('/usr/sbin/sshd');
const root = process.getuid?.() === 0;
const loginSkip = !sshd
  ? 'no /usr/sbin/sshd (apt-get install openssh-server)'
  : !root
    ? 'not root: a non-root sshd cannot check passwords (no access to /etc/shadow)'
    : '';
if (loginSkip) console.log(`hosts-password: password logins against a real sshd skipped here: ${loginSkip}`);

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: ConsoleError) => e,
  );

let t: TestCore;
let admin: ConsoleClient;
let officer: ConsoleClient;
let operator: ConsoleClient;

beforeAll(async () => {
  t = await openTestCore();
  admin = await t.connectAs(['admin']);
  officer = await t.connectAs(['security-officer']);
  operator = await t.connectAs(['operator']);
});
afterAll(() => t?.close());

describe('the site policy for password login', () => {
  it('is off by default, and only a security officer or an admin may change it, in the ledger', async () => {
    expect(await operator.call('policy.get', {})).toEqual({
      allowPasswordLogin: false,
      kubeconfigExecAllowlist: [],
    });
    const denied = await failure(operator.call('policy.set', { allowPasswordLogin: true }));
    expect(denied?.code).toBe('FORBIDDEN');
    expect(await officer.call('policy.set', { allowPasswordLogin: true })).toEqual({
      policy: { allowPasswordLogin: true, kubeconfigExecAllowlist: [] },
      previous: { allowPasswordLogin: false, kubeconfigExecAllowlist: [] },
    });
    const [entry] = t.core.ledger.list({ procedure: 'policy.set', limit: 1 }).entries;
    expect(entry?.result).toEqual({
      policy: { allowPasswordLogin: true, kubeconfigExecAllowlist: [] },
      previous: { allowPasswordLogin: false, kubeconfigExecAllowlist: [] },
    });
    await officer.call('policy.set', { allowPasswordLogin: false });
  });

  it('refuses a password host while the policy is off, before connecting and storing anything', async () => {
    const refused = await failure(
      admin.call('hosts.add', {
        name: 'pw-refused',
        // Nothing listens here: a refusal that came after a connection attempt would say "cannot reach".
        address: '127.0.0.1',
        port: 9,
        user: 'x',
        auth: 'password',
        password: 'secret-password',
      }),
    );
    expect(refused?.code).toBe('FORBIDDEN');
    expect(refused?.message).toContain('site policy does not allow');
    expect(refused?.hint).toContain('policy set --allow-password-login on');
    expect(await admin.call('hosts.list', {})).toEqual([]);
    // The password never reaches the ledger, even in a refused request.
    const [entry] = t.core.ledger.list({ procedure: 'hosts.add', limit: 1 }).entries;
    expect(JSON.stringify(entry)).not.toContain('secret-password');
  });

  it('asks for the password with auth "password", and only then', async () => {
    const missing = await failure(
      admin.call('hosts.add', { name: 'pw-x', address: 'a', port: 22, user: 'x', auth: 'password' }),
    );
    expect(missing?.code).toBe('BAD_REQUEST');
    expect(missing?.issues?.[0]?.path).toBe('password');
  });
});

describe.skipIf(Boolean(loginSkip))(
  `password login to a real sshd${loginSkip ? ` (skipped: ${loginSkip})` : ''}`,
  () => {
    let lab: LabState;
    let work: string;
    const host = () => lab.hosts[0] as LabHost;
    const addWithPassword = (password: string, name = host().name) =>
      admin.call('hosts.add', {
        name,
        address: host().address,
        port: host().port,
        user: host().user,
        auth: 'password',
        password,
        fingerprint: host().fingerprint,
      });

    beforeAll(async () => {
      work = mkdtempSync(path.join(tmpdir(), 'enclave-hosts-pw-'));
      chmodSync(work, 0o711);
      lab = await labUp({ hosts: 1, stateDir: path.join(work, 'lab') });
      await officer.call('policy.set', { allowPasswordLogin: true });
    }, 60_000);
    afterAll(async () => {
      if (lab) await labDown(lab.stateDir);
      rmSync(work, { recursive: true, force: true });
    }, 60_000);

    it('refuses a wrong password with a clear error and adds nothing', async () => {
      const wrong = await failure(addWithPassword('not-the-password'));
      expect(wrong?.message).toContain('refused the login');
      expect(wrong?.hint).toContain('refused the password');
      expect((await admin.call('hosts.list', {})).map((h) => h.name)).not.toContain(host().name);
    });

    it('logs in with the right password, stores it encrypted, and runs commands', async () => {
      const added = await addWithPassword(lab.password as string);
      expect(added).toMatchObject({ name: host().name, auth: 'password', fingerprint: host().fingerprint });
      const sealed = t.core.db
        .prepare('SELECT sealed FROM secrets WHERE name = ?')
        .pluck()
        .get(`host-password:${host().name}`) as Buffer;
      expect(sealed.includes(Buffer.from(lab.password as string))).toBe(false);
      const { results } = await admin.call('hosts.run', { hosts: [host().name], command: 'hostname' });
      expect(results[0]).toMatchObject({ exitCode: 0, error: null });
      expect(results[0]?.stdout.trim()).toBe(host().hostname);
    });

    it('stops connecting once the policy is turned off again, saying why', async () => {
      await officer.call('policy.set', { allowPasswordLogin: false });
      t.core.hosts.pool.closeAll();
      const { results } = await admin.call('hosts.run', { hosts: [host().name], command: 'hostname' });
      expect(results[0]?.exitCode).toBeNull();
      expect(results[0]?.error).toContain('site policy does not allow');
    });
  },
);
