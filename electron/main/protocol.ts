import { readFile, realpath } from 'node:fs/promises';
import { protocol, type Session } from 'electron';
import { APP_SCHEME, isInside, mimeTypeFor, resolveAppFile, responseHeaders } from './policy';

/** Must run before `ready`: app:// then behaves like https (origin, fetch, secure context). */
export function registerAppScheme(): void {
  protocol.registerSchemesAsPrivileged([
    { scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } },
  ]);
}

function refuse(status: number, text: string): Response {
  return new Response(text, { status, headers: responseHeaders('text/plain; charset=utf-8') });
}

/**
 * Serves the built renderer from `root` at app://enclave/. Files are read directly (not via
 * net.fetch) so no request leaves through the network stack, and the real path is re-checked so a
 * symlink cannot point outside `root`.
 */
export function serveRenderer(session: Session, root: string): void {
  session.protocol.handle(APP_SCHEME, async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(405, 'method not allowed');
    const file = resolveAppFile(root, request.url);
    if (file === null) return refuse(403, 'forbidden');
    try {
      const real = await realpath(file);
      if (!isInside(await realpath(root), real)) return refuse(403, 'forbidden');
      const body = request.method === 'HEAD' ? null : await readFile(real);
      return new Response(body, { status: 200, headers: responseHeaders(mimeTypeFor(real)) });
    } catch {
      return refuse(404, 'not found');
    }
  });
}
