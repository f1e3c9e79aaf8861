import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { ConsoleError } from '../../shared/errors';
import { PROTOCOL_VERSION, type ServerEnvelope } from '../../shared/protocol';
import { closeConnection, newConnection, type ConsoleCore } from '../core';
import { readStaticFile, resolveStaticFile } from './static-files';

/**
 * The browser harness: the same core as Electron, behind a WebSocket on
 * 127.0.0.1 only, protected by a random per-launch token. The token travels in
 * the URL fragment (never sent over HTTP) and then as a WebSocket subprotocol.
 */
export interface HarnessOptions {
  core: ConsoleCore;
  /** 0 picks a free port. */
  port: number;
  /** The built renderer (out/renderer). */
  staticDir: string;
  token?: string;
}

export interface Harness {
  url: string;
  port: number;
  token: string;
  close(): Promise<void>;
}

export const SUBPROTOCOL = 'enclave.v1';
export const TOKEN_PREFIX = 'enclave-token.';
/** Frames above this are refused by the socket itself (close 1009); up to it, the dispatcher answers TOO_LARGE. */
const MAX_FRAME_BYTES = 4 * 1024 * 1024;

export async function startHarness(options: HarnessOptions): Promise<Harness> {
  const token = options.token ?? randomBytes(32).toString('base64url');
  const http = createServer();
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_FRAME_BYTES,
    handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, '127.0.0.1', () => resolve());
  });
  const port = (http.address() as AddressInfo).port;
  const origins = new Set([`http://127.0.0.1:${port}`, `http://localhost:${port}`]);
  const hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);

  const csp = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    `connect-src 'self' ws://127.0.0.1:${port} ws://localhost:${port}`,
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');

  http.on('request', (req: IncomingMessage, res: ServerResponse) => void serveFile(req, res));
  async function serveFile(req: IncomingMessage, res: ServerResponse) {
    const send = (status: number, body: string | Buffer, type = 'text/plain; charset=utf-8') => {
      res.writeHead(status, {
        'Content-Type': type,
        'Content-Security-Policy': csp,
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Referrer-Policy': 'no-referrer',
        'Cross-Origin-Opener-Policy': 'same-origin',
        'Cross-Origin-Resource-Policy': 'same-origin',
        'Cache-Control': 'no-store',
      });
      res.end(body);
    };
    // DNS rebinding: only answer requests addressed to the loopback names.
    if (!hosts.has(req.headers.host ?? '')) return send(421, 'wrong Host header\n');
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed\n');
    const url = req.url ?? '/';
    if (url.startsWith('/rpc')) {
      return send(
        426,
        JSON.stringify({ error: { code: 'BAD_REQUEST', message: 'this endpoint speaks WebSocket only' } }),
        'application/json',
      );
    }
    const file = resolveStaticFile(options.staticDir, url);
    const found = file ? await readStaticFile(file) : undefined;
    if (!found) {
      if (url === '/' || url === '/index.html') {
        return send(503, 'The console UI is not built. Run `npm run build`, then `enclave serve` again.\n');
      }
      return send(404, 'not found\n');
    }
    send(200, req.method === 'HEAD' ? '' : found.body, found.type);
  }

  http.on('upgrade', (req, socket, head) => {
    const refuse = (status: number, reason: string) => {
      socket.end(`HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
    };
    const origin = req.headers.origin;
    if (!hosts.has(req.headers.host ?? '')) return refuse(421, 'Misdirected Request');
    // Browsers always send Origin; another site's page must never reach the core.
    if (origin !== undefined && !origins.has(origin)) return refuse(403, 'Forbidden');
    if ((req.url ?? '').split('?')[0] !== '/rpc') return refuse(404, 'Not Found');
    wss.handleUpgrade(req, socket, head, (ws) => accept(ws, req));
  });

  const expected = Buffer.from(token);
  function tokenMatches(req: IncomingMessage): boolean {
    const offered = (req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .find((p) => p.startsWith(TOKEN_PREFIX));
    if (!offered) return false;
    const given = Buffer.from(offered.slice(TOKEN_PREFIX.length));
    return given.length === expected.length && timingSafeEqual(given, expected);
  }

  function accept(ws: WebSocket, req: IncomingMessage) {
    // Protocol violations (e.g. a frame above maxPayload) close the socket with their own code; nothing to add.
    ws.on('error', () => undefined);
    const send = (envelope: ServerEnvelope) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(envelope));
    };
    if (!tokenMatches(req)) {
      send({
        v: PROTOCOL_VERSION,
        type: 'result',
        id: null,
        ok: false,
        error: new ConsoleError('UNAUTHENTICATED', 'missing or wrong harness token', {
          hint: 'open the exact URL that `enclave serve` printed; the token changes at every launch',
        }).toBody(),
      });
      ws.close(4401, 'missing or wrong token');
      return;
    }
    const connection = newConnection('websocket');
    ws.on('message', (data, isBinary) => {
      const text = isBinary ? undefined : data.toString();
      options.core.dispatcher.receive(connection, text, send);
    });
    ws.on('close', () => closeConnection(connection));
  }

  return {
    url: `http://127.0.0.1:${port}/#token=${token}`,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        wss.close();
        http.close(() => resolve());
        http.closeAllConnections();
      }),
  };
}
