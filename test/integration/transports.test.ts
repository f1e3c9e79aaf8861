import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { MessageChannel, type MessagePort } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_ENVELOPE_CHARS } from '../../shared/protocol';
import { serveMessagePort } from '../../electron/core/api';
import { startHarness, SUBPROTOCOL, TOKEN_PREFIX, type Harness } from '../../electron/server';
import { ADMIN, openTestCore, type TestCore } from '../support/core';

/**
 * The same batch of malformed requests over both transports: each gets a
 * structured error, the connection stays usable, and nothing changes.
 */
interface Reply {
  type: string;
  id: string | null;
  ok: boolean;
  error?: { code: string; message: string };
}
interface Wire {
  send(data: string | Buffer): void;
  next(): Promise<Reply>;
  close(): void;
}

const call = (id: string, procedure: string, input: unknown) =>
  JSON.stringify({ v: 1, type: 'call', id, procedure, input });

const BATCH: { name: string; data: () => string | Buffer; code: string; id?: string | null }[] = [
  { name: 'not JSON', data: () => '{"v":1,', code: 'BAD_REQUEST', id: null },
  { name: 'JSON but not an object', data: () => '42', code: 'BAD_REQUEST', id: null },
  {
    name: 'wrong protocol version',
    data: () => JSON.stringify({ v: 2, type: 'call', id: 'a1', procedure: 'system.info', input: {} }),
    code: 'BAD_REQUEST',
    id: 'a1',
  },
  {
    name: 'unknown envelope type',
    data: () => JSON.stringify({ v: 1, type: 'exec', id: 'a2' }),
    code: 'BAD_REQUEST',
    id: 'a2',
  },
  {
    name: 'extra envelope field',
    data: () =>
      JSON.stringify({ v: 1, type: 'call', id: 'a3', procedure: 'system.info', input: {}, admin: true }),
    code: 'BAD_REQUEST',
    id: 'a3',
  },
  { name: 'id too long', data: () => call('x'.repeat(200), 'system.info', {}), code: 'BAD_REQUEST' },
  {
    name: 'unknown procedure',
    data: () => call('a4', 'system.shell', { cmd: 'id' }),
    code: 'UNKNOWN_PROCEDURE',
    id: 'a4',
  },
  {
    name: 'prototype key as procedure',
    data: () => call('a5', '__proto__', {}),
    code: 'UNKNOWN_PROCEDURE',
    id: 'a5',
  },
  {
    name: 'constructor as procedure',
    data: () => call('a6', 'constructor', {}),
    code: 'UNKNOWN_PROCEDURE',
    id: 'a6',
  },
  {
    name: 'wrong input type',
    data: () => call('a7', 'setup.createFirstAdmin', { name: 7, displayName: [], passphrase: null }),
    code: 'BAD_REQUEST',
    id: 'a7',
  },
  {
    name: 'extra input field',
    data: () =>
      call('a8', 'setup.createFirstAdmin', {
        name: 'eve',
        displayName: 'Eve',
        passphrase: 'x'.repeat(20),
        roles: ['admin'],
      }),
    code: 'BAD_REQUEST',
    id: 'a8',
  },
  {
    name: 'input missing',
    data: () => JSON.stringify({ v: 1, type: 'call', id: 'a9', procedure: 'session.signIn' }),
    code: 'BAD_REQUEST',
    id: 'a9',
  },
  {
    name: 'signed out, protected procedure',
    data: () =>
      call('a10', 'operators.create', {
        name: 'eve',
        displayName: 'Eve',
        roles: ['admin'],
        passphrase: 'x'.repeat(20),
      }),
    code: 'UNAUTHENTICATED',
    id: 'a10',
  },
  {
    name: 'oversized payload',
    data: () =>
      call('a11', 'session.signIn', { operator: 'admin', passphrase: 'p'.repeat(MAX_ENVELOPE_CHARS) }),
    code: 'TOO_LARGE',
    id: null,
  },
  { name: 'binary frame', data: () => Buffer.from([1, 2, 3]), code: 'BAD_REQUEST', id: null },
];

let t: TestCore;
let harness: Harness;
let staticDir: string;
beforeAll(async () => {
  t = await openTestCore();
  staticDir = mkdtempSync(path.join(tmpdir(), 'enclave-static-'));
  writeFileSync(path.join(staticDir, 'index.html'), '<!doctype html><title>test</title>');
  harness = await startHarness({ core: t.core, port: 0, staticDir });
});
afterAll(async () => {
  await harness.close();
  t.close();
});

function state() {
  return {
    operators: t.core.identity.operators.count(),
    audit: t.core.ledger.count(),
    meta: t.core.db.prepare('SELECT count(*) AS n FROM meta').get(),
  };
}

function queue<T>() {
  const items: T[] = [];
  const waiters: ((v: T) => void)[] = [];
  return {
    push(v: T) {
      const w = waiters.shift();
      if (w) w(v);
      else items.push(v);
    },
    next(): Promise<T> {
      const v = items.shift();
      return v !== undefined ? Promise.resolve(v) : new Promise((resolve) => waiters.push(resolve));
    },
  };
}

async function openWebSocket(
  protocols: string[],
  headers: Record<string, string> = {},
): Promise<Wire & { ws: WebSocket }> {
  const ws = new WebSocket(`ws://127.0.0.1:${harness.port}/rpc`, protocols, { headers });
  const replies = queue<Reply>();
  ws.on('message', (data) => replies.push(JSON.parse(data.toString()) as Reply));
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  return { ws, send: (d) => ws.send(d), next: () => replies.next(), close: () => ws.close() };
}

function openMessagePort(): Wire {
  const { port1, port2 } = new MessageChannel();
  // Electron's MessagePortMain delivers { data }; Node's MessagePort delivers the data itself.
  serveMessagePort(t.core.dispatcher, {
    on: ((event: 'message' | 'close', listener: (e?: { data: unknown }) => void) =>
      event === 'message'
        ? port2.on('message', (data: unknown) => listener({ data }))
        : port2.on('close', () => listener())) as never,
    postMessage: (m) => port2.postMessage(m),
    start: () => port2.start(),
  });
  const replies = queue<Reply>();
  (port1 as MessagePort).on('message', (text: string) => replies.push(JSON.parse(text) as Reply));
  return {
    send: (d) => port1.postMessage(typeof d === 'string' ? d : new Uint8Array(d)),
    next: () => replies.next(),
    close: () => port1.close(),
  };
}

const transports: [string, () => Promise<Wire>][] = [
  [
    'WebSocket',
    () =>
      openWebSocket([SUBPROTOCOL, TOKEN_PREFIX + harness.token], {
        origin: `http://127.0.0.1:${harness.port}`,
      }),
  ],
  ['MessagePort', async () => openMessagePort()],
];

describe.each(transports)('malformed requests over %s', (_name, open) => {
  it('each get a structured error, and change nothing', async () => {
    const before = state();
    const wire = await open();
    for (const item of BATCH) {
      wire.send(item.data());
      const reply = await wire.next();
      expect(reply, item.name).toMatchObject({ type: 'result', ok: false, error: { code: item.code } });
      expect(typeof reply.error?.message, item.name).toBe('string');
      if (item.id !== undefined) expect(reply.id, item.name).toBe(item.id);
    }
    // The connection still works after the batch.
    wire.send(call('ok1', 'session.signIn', { operator: 'admin', passphrase: ADMIN.passphrase }));
    expect(await wire.next()).toMatchObject({ id: 'ok1', ok: true });
    wire.close();
    const after = state();
    expect(after.operators).toBe(before.operators);
    expect(after.meta).toEqual(before.meta);
    expect(after.audit).toBe(before.audit + 1); // only the real sign-in
  });
});

describe('the harness', () => {
  it('refuses a WebSocket without the token, or with a wrong one, with a structured error', async () => {
    for (const protocols of [
      [SUBPROTOCOL],
      [SUBPROTOCOL, `${TOKEN_PREFIX}wrong`],
      [SUBPROTOCOL, `${TOKEN_PREFIX}${harness.token}x`],
    ]) {
      const wire = await openWebSocket(protocols);
      const closed = new Promise<number>((resolve) => wire.ws.once('close', (code) => resolve(code)));
      expect(await wire.next()).toMatchObject({ ok: false, id: null, error: { code: 'UNAUTHENTICATED' } });
      expect(await closed).toBe(4401);
    }
  });

  it('refuses upgrades from another origin or for another host name', async () => {
    const attempt = (headers: Record<string, string>) =>
      new Promise<number>((resolve) => {
        const ws = new WebSocket(
          `ws://127.0.0.1:${harness.port}/rpc`,
          [SUBPROTOCOL, TOKEN_PREFIX + harness.token],
          { headers },
        );
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => resolve(101));
        ws.on('error', () => undefined);
      });
    expect(await attempt({ origin: 'http://evil.example' })).toBe(403);
    expect(await attempt({ origin: `http://127.0.0.1:${harness.port + 1}` })).toBe(403);
    expect(await attempt({ host: `rebind.example:${harness.port}` })).toBe(421);
    expect(await attempt({ origin: `http://localhost:${harness.port}` })).toBe(101);
  });

  it('closes a frame above the socket limit without touching the core', async () => {
    const before = state();
    const wire = await openWebSocket([SUBPROTOCOL, TOKEN_PREFIX + harness.token]);
    const closed = new Promise<number>((resolve) => wire.ws.once('close', (code) => resolve(code)));
    wire.send('x'.repeat(5 * 1024 * 1024));
    expect(await closed).toBe(1009);
    expect(state()).toEqual(before);
  });

  it('serves the UI with a strict CSP and refuses everything else', async () => {
    const base = `http://127.0.0.1:${harness.port}`;
    const index = await fetch(`${base}/`);
    expect(index.status).toBe(200);
    const csp = index.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe-inline');
    expect(csp).not.toContain('unsafe-eval');
    expect(index.headers.get('x-frame-options')).toBe('DENY');
    for (const probe of [
      '/../package.json',
      '/%2e%2e/%2e%2e/etc/passwd',
      '/.git/config',
      '/missing.js',
      '/index.ts',
    ]) {
      expect((await fetch(`${base}${probe}`)).status, probe).toBe(404);
    }
    expect((await fetch(`${base}/`, { method: 'POST' })).status).toBe(405);
    expect((await fetch(`${base}/rpc`)).status).toBe(426);
  });
});
