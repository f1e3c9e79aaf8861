// Helpers every importer shares: reading the text safely, host names, ports, jump hosts, and the
// final checks that turn draft hosts into a plan (so no format can import a host the console
// would refuse later).
import { parseDocument } from 'yaml';
import { FINGERPRINT } from '../host-key';
import { lookupHostKeys, parseKnownHosts, type KnownHosts } from './known-hosts';
import {
  HostImportError,
  type ImportFormat,
  type ImportOptions,
  type ImportPlan,
  type ImportedHost,
  type JumpHost,
  type SkippedEntry,
} from './types';

/** Host inventories are kilobytes; anything this large is the wrong file. */
export const MAX_IMPORT_BYTES = 8 * 1024 * 1024;

/**
 * Decodes the file as UTF-8 text, refusing binary data up front: a parser fed a binary file
 * would otherwise report a confusing syntax error, or worse, find a "host" in it.
 */
export function readImportText(input: string | Uint8Array, format: ImportFormat, fileName?: string): string {
  let text: string;
  if (typeof input === 'string') text = input;
  else {
    if (input.byteLength > MAX_IMPORT_BYTES) throw tooLarge(format, input.byteLength, fileName);
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(input);
    } catch {
      throw new HostImportError(
        format,
        'the file is not UTF-8 text (it looks binary)',
        'Pass the text inventory file itself, not an archive or a database.',
        undefined,
        fileName,
      );
    }
  }
  if (text.length > MAX_IMPORT_BYTES) throw tooLarge(format, text.length, fileName);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  // NUL and other C0 controls (except tab, CR, LF, FF) never appear in these text formats.
  // eslint-disable-next-line no-control-regex -- finding control characters is the point
  const bad = /[\u0000-\u0008\u000b\u000e-\u001f\u007f\ufffd]/.exec(text);
  if (bad) {
    const line = text.slice(0, bad.index).split('\n').length;
    throw new HostImportError(
      format,
      `the file contains binary data (byte 0x${(bad[0].codePointAt(0) ?? 0).toString(16).padStart(2, '0')})`,
      'Pass the text inventory file itself, not an archive, a database or an encrypted vault.',
      line,
      fileName,
    );
  }
  return text;
}

function tooLarge(format: ImportFormat, size: number, fileName?: string): HostImportError {
  return new HostImportError(
    format,
    `the file is ${size} bytes, more than the ${MAX_IMPORT_BYTES} an inventory can be`,
    'Check that this is the inventory file; split a very large one.',
    undefined,
    fileName,
  );
}

const DNS_LABEL = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Lower-case letters, digits and '-', at most 63: what the inventory accepts as a name. */
export function isDnsLabel(name: string): boolean {
  return name.length <= 63 && DNS_LABEL.test(name);
}

function sanitize(name: string): string | undefined {
  const s = name
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63)
    .replace(/-+$/, '');
  return s || undefined;
}

/**
 * Candidate DNS-label names for a source name, best first: the first label of a domain name
 * (`gpu01.example.org` → `gpu01`), then the whole name with '-' (`gpu01-example-org`) for when the
 * short one collides. IP addresses only have the long form.
 */
export function nameCandidates(source: string): string[] {
  if (isDnsLabel(source)) return [source];
  const whole = sanitize(source);
  const isAddress = IPV4.test(source) || source.includes(':');
  const first = isAddress ? undefined : sanitize(source.split('.')[0] ?? '');
  return [...new Set([first, whole].filter((n): n is string => n !== undefined))];
}

/** Parses a TCP port, or says what is wrong with it. */
export function parsePort(value: string | number): number | string {
  const text = String(value).trim();
  if (!/^\d+$/.test(text)) return `port "${text}" is not a number`;
  const port = Number(text);
  if (port < 1 || port > 65535) return `port ${port} is out of range (1-65535)`;
  return port;
}

export interface JumpSpec {
  address: string;
  port?: number;
  user?: string;
}

/**
 * Parses one ProxyJump hop: `[user@]host[:port]`, `[user@][v6addr]:port` or
 * `ssh://[user@]host[:port]`. Returns a string saying what is wrong when it is not one hop.
 */
export function parseJumpSpec(spec: string): JumpSpec | string {
  let s = spec.trim();
  if (s.includes(',')) return `ProxyJump "${s}" is a chain of jump hosts; the console supports one bastion`;
  if (s.startsWith('ssh://')) s = s.slice('ssh://'.length).replace(/\/$/, '');
  let user: string | undefined;
  const at = s.lastIndexOf('@');
  if (at >= 0) {
    user = s.slice(0, at);
    s = s.slice(at + 1);
  }
  let address = s;
  let portText: string | undefined;
  const v6 = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
  if (v6) {
    address = v6[1] ?? '';
    portText = v6[2];
  } else if ((s.match(/:/g) ?? []).length === 1) {
    [address, portText] = s.split(':') as [string, string];
  }
  if (!address || /\s/.test(address) || user === '')
    return `ProxyJump "${spec.trim()}" is not [user@]host[:port]`;
  const out: JumpSpec = { address };
  if (user) out.user = user;
  if (portText !== undefined) {
    const port = parsePort(portText);
    if (typeof port === 'string') return `ProxyJump "${spec.trim()}": ${port}`;
    out.port = port;
  }
  return out;
}

/** Splits a command line the way a POSIX shell would for plain words and quotes (no expansion). */
export function shellWords(text: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (c === "'") {
      const end = text.indexOf("'", i + 1);
      word = (word ?? '') + text.slice(i + 1, end < 0 ? undefined : end);
      i = end < 0 ? text.length : end;
    } else if (c === '"') {
      let j = i + 1;
      let part = '';
      while (j < text.length && text[j] !== '"') {
        if (text[j] === '\\' && j + 1 < text.length) j++;
        part += text[j];
        j++;
      }
      word = (word ?? '') + part;
      i = j;
    } else if (c === '\\' && i + 1 < text.length) {
      word = (word ?? '') + text[++i];
    } else if (/\s/.test(c)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else word = (word ?? '') + c;
  }
  if (word !== undefined) words.push(word);
  return words;
}

/**
 * The bastion of a `ProxyCommand ssh … -W %h:%p … bastion` (the pre-ProxyJump idiom), or a string
 * saying why the command is not one the console can follow.
 */
export function jumpFromProxyCommand(command: string): JumpSpec | string {
  const words = shellWords(command);
  const why = `ProxyCommand "${command}" is not "ssh -W %h:%p bastion"; the console supports ProxyJump only`;
  if (!/(^|\/)ssh$/.test(words[0] ?? '') || !words.includes('-W')) return why;
  let user: string | undefined;
  let port: number | undefined;
  let dest: string | undefined;
  for (let i = 1; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '-W') {
      if (!/^%h:%p$/.test(words[++i] ?? '')) return why;
    } else if (w === '-p' || w === '-l') {
      const v = words[++i] ?? '';
      if (w === '-l') user = v;
      else {
        const p = parsePort(v);
        if (typeof p === 'string') return `${why}: ${p}`;
        port = p;
      }
    } else if (/^-[qTNAaxCv46]+$/.test(w)) continue;
    else if (w.startsWith('-'))
      return why; // an option we do not model (-o, -i, -F…)
    else if (dest === undefined) dest = w;
    else return why;
  }
  if (!dest) return why;
  const spec = parseJumpSpec(dest);
  if (typeof spec === 'string') return spec;
  if (user) spec.user = user;
  if (port) spec.port = port;
  return spec;
}

/** A host as an importer found it, before the shared checks. */
export interface DraftHost {
  /** The name in the source file (an ssh alias, an Ansible inventory name). */
  sourceName: string;
  line?: number;
  address?: string;
  port?: number;
  user?: string;
  labels: Record<string, string>;
  keyFile?: string;
  fingerprint?: string;
  jump?: JumpSpec;
  notes: string[];
  /** Names its key is recorded under in known_hosts (HostKeyAlias); default: its address. */
  hostKeyNames?: string[];
}

/** Expands a leading `~/` when the home directory is known; otherwise keeps it and says so. */
export function keyPath(path: string, homeDir: string | undefined, notes: string[]): string {
  if (!path.startsWith('~/') && path !== '~') return path;
  if (homeDir) return `${homeDir.replace(/\/+$/, '')}${path.slice(1)}`;
  notes.push(`key file "${path}" is relative to a home directory that was not given; expand it before use`);
  return path;
}

const MAX_USER = 32;
const MAX_ADDRESS = 253;
const MAX_LABEL_KEY = 64;
const MAX_LABEL_VALUE = 256;

function where(d: DraftHost): string {
  return d.line !== undefined ? ` (line ${d.line})` : '';
}

/**
 * The checks every format shares. A host the console could not add (no address, no user, a name
 * taken twice, a revoked host key) is skipped with its reason, so the rest of the file imports.
 */
export function finishPlan(drafts: DraftHost[], skipped: SkippedEntry[], options: ImportOptions): ImportPlan {
  let known: KnownHosts | undefined;
  if (options.knownHosts !== undefined) {
    known = parseKnownHosts(options.knownHosts);
    for (const p of known.problems) skipped.push({ name: `known_hosts line ${p.line}`, reason: p.reason });
  }
  const ready: { draft: DraftHost; host: Omit<ImportedHost, 'name'> }[] = [];
  for (const d of drafts) {
    const reason = (r: string) => skipped.push({ name: d.sourceName, reason: `${r}${where(d)}` });
    const notes = [...d.notes];
    if (!d.address) {
      reason('no address (HostName / ansible_host / address) is given');
      continue;
    }
    if (d.address.length > MAX_ADDRESS || /[\s/@]/.test(d.address)) {
      reason(`address "${d.address}" is not a host name or IP address`);
      continue;
    }
    let user = d.user;
    if (!user && options.defaultUser) {
      user = options.defaultUser;
      notes.push(`no user is given; using ${user}, as ssh would`);
    }
    if (!user) {
      reason('no user is given; add one to the file or pass the user to log in as');
      continue;
    }
    if (user.length > MAX_USER || /[\s@:]/.test(user)) {
      reason(`user "${user}" is not a login name`);
      continue;
    }
    const badLabel = Object.entries(d.labels).find(
      ([k, v]) => !k || k.length > MAX_LABEL_KEY || v.length > MAX_LABEL_VALUE,
    );
    if (badLabel) {
      reason(`label "${badLabel[0].slice(0, 80)}" is longer than a label can be (key 64, value 256)`);
      continue;
    }
    let jump: JumpHost | undefined;
    if (d.jump) {
      const jumpUser = d.jump.user ?? options.defaultUser;
      if (!jumpUser) {
        reason(`the bastion ${d.jump.address} has no user; give one as user@host`);
        continue;
      }
      if (!d.jump.user) notes.push(`bastion ${d.jump.address} has no user; using ${jumpUser}, as ssh would`);
      jump = { address: d.jump.address, port: d.jump.port ?? 22, user: jumpUser };
    }
    const port = d.port ?? 22;
    let fingerprint = d.fingerprint;
    if (fingerprint !== undefined && !FINGERPRINT.test(fingerprint)) {
      reason(`fingerprint "${fingerprint}" is not an OpenSSH SHA256 fingerprint`);
      continue;
    }
    if (known) {
      const found = lookupHostKeys(known, d.hostKeyNames ?? [d.address], port);
      notes.push(...found.notes);
      if (found.revokedOnly) {
        reason(found.revokedOnly);
        continue;
      }
      if (found.fingerprint) {
        if (fingerprint && fingerprint !== found.fingerprint) {
          reason(
            `the file gives host key ${fingerprint} but known_hosts has ${found.fingerprint}; confirm the right one out of band`,
          );
          continue;
        }
        fingerprint = found.fingerprint;
      }
    }
    const host: Omit<ImportedHost, 'name'> = { address: d.address, port, user, labels: d.labels, notes };
    if (d.keyFile) host.keyFile = d.keyFile;
    if (fingerprint) host.fingerprint = fingerprint;
    if (jump) host.jump = jump;
    ready.push({ draft: d, host });
  }

  // Names: the short form unless two hosts would share it, then the long form; a name that is
  // still taken twice is a real duplicate and the later one is skipped.
  const shortUse = new Map<string, Set<string>>();
  for (const { draft } of ready) {
    const first = nameCandidates(draft.sourceName)[0];
    if (first) shortUse.set(first, (shortUse.get(first) ?? new Set()).add(draft.sourceName));
  }
  const taken = new Map<string, DraftHost>();
  const hosts: ImportedHost[] = [];
  for (const { draft, host } of ready) {
    const candidates = nameCandidates(draft.sourceName);
    const name = candidates.find((c, i) => i > 0 || (shortUse.get(c)?.size ?? 0) <= 1) ?? candidates[0];
    if (!name) {
      skipped.push({
        name: draft.sourceName,
        reason: `no host name can be made from "${draft.sourceName}" (use letters and digits)${where(draft)}`,
      });
      continue;
    }
    const previous = taken.get(name);
    if (previous) {
      skipped.push({
        name: draft.sourceName,
        reason: `duplicate host name "${name}" (also ${previous.sourceName}${where(previous)})${where(draft)}`,
      });
      continue;
    }
    taken.set(name, draft);
    if (name !== draft.sourceName)
      host.notes.unshift(`named ${name} (from "${draft.sourceName}", not a DNS label)`);
    hosts.push({ name, ...host });
  }
  return { hosts, skipped };
}

/** Aliases a YAML file may expand; more means a "billion laughs" file, not an inventory. */
export const MAX_YAML_ALIASES = 200;

/**
 * Parses one YAML document with the `yaml` package's guards on: duplicate keys and syntax errors
 * are errors with their line, and alias expansion is capped.
 */
export function parseYamlSafely(text: string, format: ImportFormat, fileName?: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  const error = doc.errors[0];
  if (error) {
    throw new HostImportError(
      format,
      `not valid YAML: ${error.message.split('\n')[0]}`,
      'Fix the YAML at that line (a linter such as yamllint shows it), then import again.',
      error.linePos?.[0].line,
      fileName,
    );
  }
  try {
    return doc.toJS({ maxAliasCount: MAX_YAML_ALIASES });
  } catch (e) {
    throw new HostImportError(
      format,
      `the YAML expands its aliases too many times (${(e as Error).message})`,
      'This is not an inventory an operator wrote; check where the file came from.',
      undefined,
      fileName,
    );
  }
}
