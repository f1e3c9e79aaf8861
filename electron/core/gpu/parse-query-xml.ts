// `nvidia-smi -q -x` (mig.md §5.4): driver and CUDA versions, MIG modes and MIG devices per GPU.
//
// Why the XML and not the text `-q` for the CUDA version: §5.4 documents the XML element
// (`<cuda_version>12.9</cuda_version>`) from real captures, while the text form's layout is only
// partly captured (its MIG Devices section is [U]). XML tags are not translated, not padded to a
// column and not reflowed, and a truncated capture is certain to leave an element unclosed, so a
// cut or garbled output cannot pass for a complete one. `--query-gpu` has no CUDA-version field on
// the drivers §5.3 covers.
import { ParseError, classifyMessage, splitLines } from './parse-error';
import type { MigMode } from './parse-query-gpu';

export const QUERY_XML_COMMAND = 'nvidia-smi -q -x';

export interface XmlMigDevice {
  index: number;
  giId: number;
  ciId: number;
  /** `<fb_memory_usage><total>` of the MIG device, MiB. */
  memoryMiB: number;
  multiprocessors: number;
}

export interface XmlGpu {
  /** The `id` attribute of `<gpu>`: the PCI bus ID. */
  busId: string;
  name: string;
  uuid: string;
  migCurrent: MigMode;
  migPending: MigMode;
  migDevices: XmlMigDevice[];
}

export interface QueryXml {
  driverVersion: string;
  cudaVersion: string;
  /** `<attached_gpus>`: every GPU of the host, even when `-i` selected fewer. */
  attachedGpus: number;
  gpus: XmlGpu[];
}

/** An element of the (small, regular) XML nvidia-smi writes. */
interface XmlElement {
  name: string;
  attributes: Record<string, string>;
  children: XmlElement[];
  /** Concatenated text content (trimmed); only meaningful for leaf elements. */
  text: string;
  /** Line of the start tag, and its text, for messages. */
  n: number;
  line: string;
  /** Where the text content began (to blame stray text in a container element). */
  textAt: number;
}

const NAME = '[A-Za-z_][\\w.-]*';
const TOKEN = new RegExp(
  [
    '<\\?[\\s\\S]*?\\?>', // declaration
    '<!DOCTYPE[^>]*>',
    '<!--[\\s\\S]*?-->',
    `</${NAME}\\s*>`,
    `<${NAME}(?:\\s+${NAME}\\s*=\\s*"[^"<]*")*\\s*/?>`,
    '[^<]+', // text
  ]
    .map((p) => `(${p})`)
    .join('|'),
  'y',
);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

/** Decodes the five XML entities and numeric references; a bare `&` is malformed (null). */
function decode(s: string): string | null {
  if (/&(?!(?:amp|lt|gt|quot|apos|#\d{1,6});)/.test(s)) return null;
  return s.replace(/&(amp|lt|gt|quot|apos|#\d{1,6});/g, (_m, e: string) =>
    e.startsWith('#') ? String.fromCodePoint(Math.min(Number(e.slice(1)), 0x10ffff)) : (ENTITIES[e] ?? ''),
  );
}

/** Parses the document into a tree; stray text between elements or a missing end tag throws. */
function parseXml(cmd: string, text: string): XmlElement {
  const src = text.replace(/\r\n?/g, '\n');
  const sourceLines = src.split('\n');
  const starts = [0];
  for (let k = src.indexOf('\n'); k >= 0; k = src.indexOf('\n', k + 1)) starts.push(k + 1);
  const lineAt = (offset: number): { n: number; line: string } => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { n: lo + 1, line: (sourceLines[lo] ?? '').replace(/[ \t]+$/, '') };
  };
  const fail = (offset: number, reason: string): ParseError => {
    const { n, line } = lineAt(offset);
    return new ParseError(cmd, n, line, reason);
  };
  const stack: XmlElement[] = [];
  let root: XmlElement | null = null;
  TOKEN.lastIndex = 0;
  let pos = 0;
  while (pos < src.length) {
    TOKEN.lastIndex = pos;
    const m = TOKEN.exec(src);
    if (!m) throw fail(pos, 'is not well-formed XML');
    const [token, decl, doctype, comment, end, start, textToken] = m;
    const at = pos;
    pos += token.length;
    if (comment !== undefined) continue;
    if (decl !== undefined || doctype !== undefined) {
      if (root !== null || stack.length > 0) throw fail(at, 'has a declaration inside the document');
      continue;
    }
    const top = stack[stack.length - 1];
    if (textToken !== undefined) {
      if (textToken.trim() === '') continue;
      if (!top) throw fail(at + textToken.search(/\S/), 'has text outside the document element');
      const value = decode(textToken.trim());
      if (value === null) throw fail(at, 'has a malformed character reference');
      if (top.children.length > 0 || top.text !== '')
        throw fail(at + textToken.search(/\S/), `has stray text inside <${top.name}>`);
      top.text = value;
      top.textAt = at + textToken.search(/\S/);
      continue;
    }
    if (end !== undefined) {
      const name = end.slice(2).replace(/[\s>]+$/, '');
      if (!top || top.name !== name)
        throw fail(
          at,
          top
            ? `closes </${name}> where </${top.name}> should be`
            : `closes </${name}> that was never opened`,
        );
      stack.pop();
      continue;
    }
    if (start !== undefined) {
      if (root !== null && stack.length === 0) throw fail(at, 'has a second document element');
      const nameMatch = new RegExp(`^<(${NAME})`).exec(start);
      const attributes: Record<string, string> = {};
      for (const a of start.matchAll(new RegExp(`\\s(${NAME})\\s*=\\s*"([^"<]*)"`, 'g')))
        attributes[a[1] ?? ''] = decode(a[2] ?? '') ?? '';
      const el: XmlElement = {
        name: nameMatch?.[1] ?? '',
        attributes,
        children: [],
        text: '',
        ...lineAt(at),
        textAt: 0,
      };
      if (top) {
        if (top.text !== '') throw fail(top.textAt, `has stray text inside <${top.name}>`);
        top.children.push(el);
      } else root = el;
      if (!start.endsWith('/>')) stack.push(el);
    }
  }
  const open = stack[stack.length - 1];
  if (open) {
    const lastLine = sourceLines
      .map((l, k) => ({ n: k + 1, l: l.replace(/[ \t]+$/, '') }))
      .filter((x) => x.l !== '')
      .pop();
    throw new ParseError(
      cmd,
      lastLine?.n ?? 1,
      lastLine?.l ?? '',
      `ends the output inside <${open.name}> (truncated)`,
    );
  }
  if (!root) throw new ParseError(cmd, 1, sourceLines[0] ?? '', 'has no document element');
  return root;
}

function child(cmd: string, el: XmlElement, name: string): XmlElement {
  const found = el.children.filter((c) => c.name === name);
  const only = found[0];
  if (!only) throw new ParseError(cmd, el.n, el.line, `has no <${name}> inside <${el.name}>`);
  if (found.length > 1) {
    const second = found[1] ?? only;
    throw new ParseError(cmd, second.n, second.line, `has a second <${name}> inside <${el.name}>`);
  }
  return only;
}

function leaf(cmd: string, el: XmlElement, name: string, pattern: RegExp, what: string): string {
  const c = child(cmd, el, name);
  if (c.children.length > 0 || !pattern.test(c.text))
    throw new ParseError(cmd, c.n, c.line, `has ${JSON.stringify(c.text)} where ${what} should be`);
  return c.text;
}

const INT = /^\d+$/;
const MIB = /^(\d+) MiB$/;

function xmlMigMode(cmd: string, el: XmlElement, name: string): MigMode {
  const v = leaf(
    cmd,
    el,
    name,
    /^(Enabled|Disabled|N\/A|\[N\/A\]|\[Not Supported\])$/,
    'Enabled, Disabled or N/A',
  );
  return v === 'Enabled' ? 'enabled' : v === 'Disabled' ? 'disabled' : 'unsupported';
}

/** Parses `nvidia-smi -q -x` into versions and per-GPU MIG state (§5.4). */
export function parseQueryXml(text: string): QueryXml {
  const cmd = QUERY_XML_COMMAND;
  const lines = splitLines(text);
  classifyMessage(cmd, lines, []);
  const root = parseXml(cmd, text);
  if (root.name !== 'nvidia_smi_log')
    throw new ParseError(cmd, root.n, root.line, 'has a document element other than <nvidia_smi_log>');
  const driverVersion = leaf(cmd, root, 'driver_version', /^\d+\.\d+(?:\.\d+)?$/, 'a driver version');
  const cudaVersion = leaf(cmd, root, 'cuda_version', /^\d+\.\d+$/, 'a CUDA version');
  const attachedGpus = Number(leaf(cmd, root, 'attached_gpus', INT, 'a GPU count'));
  const gpus = root.children
    .filter((c) => c.name === 'gpu')
    .map((g): XmlGpu => {
      const busId = g.attributes.id ?? '';
      if (!/^[0-9a-fA-F]{4,8}:[0-9a-fA-F]{2}:[0-9a-fA-F]{2}\.[0-7]$/.test(busId))
        throw new ParseError(cmd, g.n, g.line, 'has no PCI bus ID in <gpu id="...">');
      const mode = child(cmd, g, 'mig_mode');
      const devices = child(cmd, g, 'mig_devices');
      // No MIG devices: the element holds the text `None` (§5.4).
      if (devices.children.length === 0 && devices.text !== 'None')
        throw new ParseError(
          cmd,
          devices.n,
          devices.line,
          'has <mig_devices> that is neither None nor a list',
        );
      const migDevices = devices.children.map((d): XmlMigDevice => {
        if (d.name !== 'mig_device')
          throw new ParseError(cmd, d.n, d.line, `has <${d.name}> inside <mig_devices>`);
        const fb = child(cmd, d, 'fb_memory_usage');
        const shared = child(cmd, child(cmd, d, 'device_attributes'), 'shared');
        return {
          index: Number(leaf(cmd, d, 'index', INT, 'a MIG device index')),
          giId: Number(leaf(cmd, d, 'gpu_instance_id', INT, 'a GPU instance ID')),
          ciId: Number(leaf(cmd, d, 'compute_instance_id', INT, 'a compute instance ID')),
          memoryMiB: Number(MIB.exec(leaf(cmd, fb, 'total', MIB, 'a size in MiB'))?.[1]),
          multiprocessors: Number(leaf(cmd, shared, 'multiprocessor_count', INT, 'an SM count')),
        };
      });
      return {
        busId,
        name: leaf(cmd, g, 'product_name', /^\S.*$/, 'a product name'),
        uuid: leaf(
          cmd,
          g,
          'uuid',
          /^GPU-[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/,
          'a GPU UUID',
        ),
        migCurrent: xmlMigMode(cmd, mode, 'current_mig'),
        migPending: xmlMigMode(cmd, mode, 'pending_mig'),
        migDevices,
      };
    });
  return { driverVersion, cudaVersion, attachedGpus, gpus };
}
