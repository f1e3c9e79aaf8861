/**
 * The shell's security decisions as pure functions. No 'electron' import, so the unit tests load
 * this file under plain Node and check every rule with tables of cases.
 */
import path from 'node:path';

export const APP_SCHEME = 'app';
export const APP_HOST = 'enclave';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_ENTRY_URL = `${APP_ORIGIN}/`;

function parseUrl(url: string): URL | null {
  try {
    return new URL(url);
  } catch {
    return null;
  }
}

/**
 * True when `url` belongs to app://enclave. Node's URL reports origin "null" for schemes it does
 * not know, so the parts are compared directly; any port or credentials make it a different origin.
 */
export function isAppOrigin(url: string): boolean {
  const u = parseUrl(url);
  return (
    u !== null &&
    u.protocol === `${APP_SCHEME}:` &&
    u.host === APP_HOST &&
    u.username === '' &&
    u.password === ''
  );
}

/** The webRequest filter: the app's own files, and DevTools' internal pages only where DevTools exists. */
export function isAllowedRequest(url: string, options: { devtools: boolean }): boolean {
  if (isAppOrigin(url)) return true;
  return options.devtools && parseUrl(url)?.protocol === 'devtools:';
}

/** The part of Electron's WebFrameMain the IPC origin check reads. */
export interface SenderFrame {
  readonly url: string;
  readonly parent: unknown;
}

/** Only the app's own top-level document may ask for a core connection. */
export function isTrustedSender(frame: SenderFrame | null | undefined): boolean {
  return frame != null && frame.parent === null && isAppOrigin(frame.url);
}

/** True when `file` is strictly inside `root` (both absolute). */
export function isInside(root: string, file: string): boolean {
  const rel = path.relative(path.resolve(root), path.resolve(file));
  return rel !== '' && rel.split(path.sep)[0] !== '..' && !path.isAbsolute(rel);
}

/**
 * Maps an app:// URL to a file under `root`, or null when it must be refused. The path is decoded
 * first and any `.`/`..` segment, backslash or NUL is refused rather than normalised, so encoded
 * tricks (`%2e%2e`, `..%2f`) cannot climb out. Paths without an extension are client-side routes
 * and get index.html. The caller must still check the real path (symlinks) with isInside.
 */
export function resolveAppFile(root: string, url: string): string | null {
  const u = parseUrl(url);
  if (u === null || !isAppOrigin(url)) return null;
  let decoded: string;
  try {
    decoded = decodeURIComponent(u.pathname);
  } catch {
    return null;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return null;
  const segments = decoded.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '.' || s === '..' || s.includes(':'))) return null;
  const last = segments.at(-1);
  const relative = last === undefined || path.extname(last) === '' ? ['index.html'] : segments;
  const file = path.resolve(root, ...relative);
  return isInside(root, file) ? file : null;
}

/** What Vite emits for the renderer; anything else is served as opaque bytes (and nosniff). */
const MIME_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export function mimeTypeFor(file: string): string {
  return MIME_TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream';
}

/** Headers on every app:// response, including errors. */
export function responseHeaders(contentType: string): Record<string, string> {
  const headers: Record<string, string> = {
    'Content-Type': contentType,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cross-Origin-Opener-Policy': 'same-origin',
    'Cache-Control': 'no-store',
  };
  // One literal, assigned this way, so electronegativity finds and grades it (CSP_GLOBAL_CHECK).
  // The renderer needs nothing beyond its own files: no network, no plugins, no forms, no framing.
  headers['Content-Security-Policy'] =
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; connect-src 'none'; object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";
  return headers;
}

export const CONTENT_SECURITY_POLICY = responseHeaders('text/plain')['Content-Security-Policy']!;

/** The value of `--data-dir DIR` or `--data-dir=DIR`, if given. */
export function dataDirArgument(argv: readonly string[]): string | undefined {
  for (const [i, arg] of argv.entries()) {
    const value = arg === '--data-dir' ? argv[i + 1] : arg.startsWith('--data-dir=') ? arg.slice(11) : null;
    if (value === null) continue;
    if (!value || value.startsWith('-'))
      throw new Error('--data-dir needs a directory, e.g. --data-dir /srv/enclave');
    return value;
  }
  return undefined;
}

/**
 * Whether safeStorage is backed by a real OS keyring. On Linux the `basic_text` backend encrypts
 * with a fixed, public key, so it counts as no keyring; the core then derives the secrets key
 * from the operator's credentials instead.
 */
export function keyringStatus(
  platform: string,
  encryptionAvailable: boolean,
  backend: string,
): { available: boolean; backend: string } {
  const weak = platform === 'linux' && (backend === 'basic_text' || backend === 'unknown');
  return { available: encryptionAvailable && !weak, backend };
}

/** Restart the core after an unexpected exit unless it already crashed this often within the window. */
export function shouldRestart(
  crashTimes: readonly number[],
  now: number,
  limit = 3,
  windowMs = 60_000,
): boolean {
  return crashTimes.filter((t) => now - t < windowMs).length < limit;
}
