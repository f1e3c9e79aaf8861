import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { ConsoleError } from '../../shared/errors';
import { ADMIN, openTestCore, type TestCore } from '../support/core';

let t: TestCore | undefined;
afterEach(() => t?.close());

const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: ConsoleError) => e,
  );

describe('first run and sign-in', () => {
  it('creates the first administrator once, then refuses', async () => {
    t = await openTestCore({ initialise: false });
    const client = t.connect();
    expect(await client.call('session.status', {})).toEqual({ initialised: false, session: null });
    const session = await client.call('setup.createFirstAdmin', ADMIN);
    expect(session.operator).toEqual({ name: 'admin', displayName: ADMIN.displayName, roles: ['admin'] });
    expect((await client.call('system.info', {})).workstationId).toMatch(/^[0-9a-f-]{36}$/);
    const again = await failure(t.connect().call('setup.createFirstAdmin', { ...ADMIN, name: 'other' }));
    expect(again?.code).toBe('CONFLICT');
    expect(again?.message).toMatch(/already initialised/);
    expect(t.core.identity.operators.count()).toBe(1);
  });

  it('refuses short passphrases and bad names with the field named', async () => {
    t = await openTestCore({ initialise: false });
    const error = await failure(
      t.connect().call('setup.createFirstAdmin', { name: 'Bad Name', displayName: 'x', passphrase: 'short' }),
    );
    expect(error?.code).toBe('BAD_REQUEST');
    expect(error?.issues?.map((i) => i.path).sort()).toEqual(['name', 'passphrase']);
    expect(JSON.stringify(error)).not.toContain('short'); // values are never echoed
  });

  it('signs in and out, auditing each, and never stores a passphrase', async () => {
    t = await openTestCore();
    const client = t.connect();
    const session = await client.call('session.signIn', { operator: 'admin', passphrase: ADMIN.passphrase });
    expect(session.method).toBe('passphrase');
    expect((await client.call('session.status', {})).session?.operator.name).toBe('admin');
    await client.call('session.signOut', {});
    expect((await failure(client.call('system.overview', {})))?.code).toBe('UNAUTHENTICATED');
    const procedures = t.core.ledger.list({ limit: 10 }).entries.map((e) => `${e.procedure}:${e.outcome}`);
    expect(procedures).toEqual([
      'session.signOut:ok',
      'session.signIn:ok',
      'setup.createFirstAdmin:ok',
      'ledger.keyCreated:ok',
    ]);
    const signIn = t.core.ledger.list({ procedure: 'session.signIn', limit: 1 }).entries[0];
    expect(signIn?.input).toEqual({ operator: 'admin', passphrase: '[redacted]' });
    t.core.db.pragma('wal_checkpoint(TRUNCATE)');
    for (const file of readdirSync(t.dir)) {
      expect(readFileSync(path.join(t.dir, file)).includes(Buffer.from(ADMIN.passphrase))).toBe(false);
    }
  });

  it('refuses a wrong passphrase, audits it, and throttles repeated failures', async () => {
    t = await openTestCore();
    const client = t.connect();
    for (let i = 0; i < 5; i++) {
      const e = await failure(
        client.call('session.signIn', { operator: 'admin', passphrase: 'wrong passphrase!' }),
      );
      expect(e?.code).toBe('UNAUTHENTICATED');
      expect(e?.message).toBe('wrong operator name or passphrase');
    }
    const limited = await failure(
      client.call('session.signIn', { operator: 'admin', passphrase: ADMIN.passphrase }),
    );
    expect(limited?.code).toBe('RATE_LIMITED');
    expect(limited?.retryAfterSeconds).toBe(30);
    const denied = t.core.ledger.list({ outcome: 'denied', limit: 10 });
    expect(denied.total).toBe(6);
    expect(denied.entries[0]).toMatchObject({
      operator: null,
      target: 'operator admin',
      procedure: 'session.signIn',
    });
    // An unknown name is throttled the same way and gives the same message.
    const unknown = await failure(
      client.call('session.signIn', { operator: 'mallory', passphrase: 'whatever123' }),
    );
    expect(unknown?.message).toBe('wrong operator name or passphrase');
    t.clock.advance(31_000);
    expect(
      (await client.call('session.signIn', { operator: 'admin', passphrase: ADMIN.passphrase })).operator
        .name,
    ).toBe('admin');
  });

  it('ends a session after 15 idle minutes', async () => {
    t = await openTestCore();
    const client = t.connect();
    await client.call('session.signIn', { operator: 'admin', passphrase: ADMIN.passphrase });
    t.clock.advance(14 * 60_000);
    await client.call('system.overview', {});
    t.clock.advance(14 * 60_000); // activity above kept it alive
    await client.call('system.overview', {});
    t.clock.advance(15 * 60_000);
    const e = await failure(client.call('system.overview', {}));
    expect(e?.code).toBe('UNAUTHENTICATED');
    expect(e?.message).toMatch(/expired/);
  });

  it('lets a new operator sign in and unlock the secrets with their own passphrase', async () => {
    t = await openTestCore();
    const admin = t.connect();
    await admin.call('session.signIn', { operator: 'admin', passphrase: ADMIN.passphrase });
    await admin.call('operators.create', {
      name: 'olga',
      displayName: 'Olga',
      roles: ['auditor'],
      passphrase: 'olga has a long one',
    });
    t.core.vault.put('probe', Buffer.from('v'));
    const olga = t.connect();
    const s = await olga.call('session.signIn', { operator: 'olga', passphrase: 'olga has a long one' });
    expect(s.operator.roles).toEqual(['auditor']);
    expect(
      (
        await failure(
          olga.call('operators.create', {
            name: 'x1',
            displayName: 'x',
            roles: ['viewer'],
            passphrase: 'x'.repeat(12),
          }),
        )
      )?.code,
    ).toBe('FORBIDDEN');
    const names = (await admin.call('operators.list', {})).map((o) => o.name);
    expect(names).toEqual(['admin', 'olga']);
    expect(
      (
        await failure(
          admin.call('operators.create', {
            name: 'olga',
            displayName: 'x',
            roles: ['viewer'],
            passphrase: 'x'.repeat(12),
          }),
        )
      )?.code,
    ).toBe('CONFLICT');
  });

  it('only lets an administrator create another administrator', async () => {
    t = await openTestCore();
    const officer = await t.connectAs(['security-officer']);
    const e = await failure(
      officer.call('operators.create', {
        name: 'root2',
        displayName: 'x',
        roles: ['admin'],
        passphrase: 'x'.repeat(12),
      }),
    );
    expect(e?.code).toBe('FORBIDDEN');
    await officer.call('operators.create', {
      name: 'v1',
      displayName: 'x',
      roles: ['viewer'],
      passphrase: 'x'.repeat(12),
    });
  });
});

describe('streams and cancellation', () => {
  it('streams each self-check as it runs', async () => {
    t = await openTestCore();
    const client = t.connect();
    await client.call('session.signIn', { operator: 'admin', passphrase: ADMIN.passphrase });
    const events: { check: string; status: string }[] = [];
    const result = await client.call('system.selfCheck', {}, { onEvent: (e) => events.push(e) });
    expect(result.passed).toBe(true);
    expect(events.filter((e) => e.status === 'running').length).toBe(result.checks.length);
    expect(events.filter((e) => e.status === 'passed').map((e) => e.check)).toEqual(
      result.checks.map((c) => c.check),
    );
  });

  it('reports a failing check without stopping the others', async () => {
    t = await openTestCore();
    const client = t.connect();
    await client.call('session.signIn', { operator: 'admin', passphrase: ADMIN.passphrase });
    t.core.db.exec('DROP TRIGGER ledger_nodes_no_delete');
    const result = await client.call('system.selfCheck', {});
    expect(result.passed).toBe(false);
    expect(result.checks.find((c) => !c.passed)).toMatchObject({
      check: 'audit ledger is append-only',
      detail: expect.stringMatching(/missing/),
    });
    expect(result.checks.length).toBeGreaterThan(5);
  });

  it('cancels a running call and audits the cancellation', async () => {
    t = await openTestCore();
    const client = t.connect();
    await client.call('session.signIn', { operator: 'admin', passphrase: ADMIN.passphrase });
    const controller = new AbortController();
    const e = await failure(
      client.call('system.selfCheck', {}, { signal: controller.signal, onEvent: () => controller.abort() }),
    );
    expect(e?.code).toBe('CANCELLED');
    expect(t.core.ledger.list({ procedure: 'system.selfCheck', limit: 1 }).entries[0]).toMatchObject({
      outcome: 'error',
      error: expect.stringMatching(/cancelled/),
    });
  });
});
