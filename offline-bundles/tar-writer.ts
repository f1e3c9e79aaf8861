/**
 * A minimal ustar/pax writer: 512-byte headers, data padded to 512, two zero blocks at
 * the end. The bundle writer only ever writes regular files; the low-level `tarHeader`
 * takes any type flag because the hostile-archive tests craft entries with it.
 */

export const BLOCK = 512;
const MAX_OCTAL_SIZE = 0o77777777777;

export interface TarHeaderFields {
  path: string;
  size: number;
  mode?: number;
  /** '0' file, '1' hardlink, '2' symlink, '3' char device, '4' block device, '5' directory, '6' FIFO, 'x' pax, 'g' global pax. */
  type?: string;
  linkpath?: string;
  mtime?: number;
  uid?: number;
  gid?: number;
  devmajor?: number;
  devminor?: number;
  /** Raw ustar prefix field, written as given (tests use it to craft split names). */
  prefix?: string;
}

function octal(buf: Buffer, off: number, len: number, value: number): void {
  const s = value.toString(8).padStart(len - 1, '0');
  if (s.length > len - 1) throw new Error(`tar field overflow: ${value}`);
  buf.write(s, off, len - 1, 'ascii');
  buf[off + len - 1] = 0;
}

/** One raw 512-byte ustar header; no pax, no checks beyond field widths. */
export function tarHeader(h: TarHeaderFields): Buffer {
  const b = Buffer.alloc(BLOCK);
  const name = Buffer.from(h.path, 'utf8');
  if (name.length > 100) throw new Error(`tar name over 100 bytes: ${h.path}`);
  name.copy(b, 0);
  octal(b, 100, 8, h.mode ?? 0o644);
  octal(b, 108, 8, h.uid ?? 0);
  octal(b, 116, 8, h.gid ?? 0);
  octal(b, 124, 12, h.size > MAX_OCTAL_SIZE ? 0 : h.size);
  octal(b, 136, 12, h.mtime ?? 0);
  b.write('        ', 148, 8, 'ascii');
  b.write(h.type ?? '0', 156, 1, 'ascii');
  if (h.linkpath) Buffer.from(h.linkpath, 'utf8').copy(b, 157, 0, 100);
  b.write('ustar\u000000', 257, 8, 'binary');
  octal(b, 329, 8, h.devmajor ?? 0);
  octal(b, 337, 8, h.devminor ?? 0);
  if (h.prefix) Buffer.from(h.prefix, 'utf8').copy(b, 345, 0, 155);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += b[i] as number;
  b.write(`${sum.toString(8).padStart(6, '0')}\u0000 `, 148, 8, 'binary');
  return b;
}

export function padding(size: number): Buffer {
  const rem = size % BLOCK;
  return Buffer.alloc(rem === 0 ? 0 : BLOCK - rem);
}

/** A pax record "LEN key=value\n" (LEN counts the whole record). */
export function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len)
    len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

/** A pax extended header member (header + records + padding). */
export function paxMember(records: Record<string, string>, forPath: string): Buffer {
  const data = Buffer.from(
    Object.entries(records)
      .map(([k, v]) => paxRecord(k, v))
      .join(''),
    'utf8',
  );
  const base = forPath.split('/').pop() ?? 'x';
  return Buffer.concat([
    tarHeader({ path: `PaxHeader/${base}`.slice(0, 100), size: data.length, type: 'x' }),
    data,
    padding(data.length),
  ]);
}

/** Splits a path into ustar prefix + name, or undefined when it needs a pax path record. */
function splitName(p: string): { name: string; prefix?: string } | undefined {
  if (Buffer.byteLength(p) <= 100) return { name: p };
  for (let i = p.length - 1; i > 0; i--) {
    if (p[i] !== '/') continue;
    const prefix = p.slice(0, i);
    const name = p.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name) return { name, prefix };
  }
  return undefined;
}

/** Header bytes (pax member when needed, then the ustar header) for a regular file. */
export function fileHeader(p: string, size: number, mode: number, mtime: number): Buffer {
  const split = splitName(p);
  const pax: Record<string, string> = {};
  if (!split) pax.path = p;
  if (size > MAX_OCTAL_SIZE) pax.size = String(size);
  const ustar = tarHeader({
    path: split ? split.name : p.slice(-100).replace(/^\/+/, ''),
    ...(split?.prefix ? { prefix: split.prefix } : {}),
    size,
    mode,
    mtime,
  });
  return Object.keys(pax).length ? Buffer.concat([paxMember(pax, p), ustar]) : ustar;
}

/** The end-of-archive marker: two zero blocks. */
export const END_OF_ARCHIVE = Buffer.alloc(BLOCK * 2);
