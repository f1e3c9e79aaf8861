// Ansible inventories, INI and YAML (the `ini` and `yaml` inventory plugins): hosts, groups,
// `:children`, `:vars`, host ranges, and the connection variables the console can use. Group
// membership and the site/zone/rack/classification variables become labels. Jinja templates are
// not evaluated: a templated field is left out and the host's notes say so.
import {
  finishPlan,
  jumpFromProxyCommand,
  keyPath,
  parseJumpSpec,
  parsePort,
  parseYamlSafely,
  readImportText,
  shellWords,
} from './common';
import type { DraftHost, JumpSpec } from './common';
import {
  HostImportError,
  type ImportFormat,
  type ImportOptions,
  type ImportPlan,
  type SkippedEntry,
} from './types';

type Vars = Record<string, unknown>;

interface Group {
  name: string;
  /** Direct members, in file order. */
  hosts: string[];
  children: string[];
  vars: Vars;
}

interface HostEntry {
  name: string;
  line?: number;
  port?: number;
  vars: Vars;
}

/** What both syntaxes parse into, before Ansible's variable precedence is applied. */
class Inventory {
  readonly groups = new Map<string, Group>();
  readonly hosts = new Map<string, HostEntry>();
  group(name: string): Group {
    let g = this.groups.get(name);
    if (!g) {
      g = { name, hosts: [], children: [], vars: {} };
      this.groups.set(name, g);
    }
    return g;
  }
  addHost(group: string, name: string, vars: Vars, line?: number, port?: number): void {
    const h = this.hosts.get(name) ?? { name, vars: {}, ...(line !== undefined ? { line } : {}) };
    Object.assign(h.vars, vars);
    if (port !== undefined) h.port = port;
    this.hosts.set(name, h);
    const g = this.group(group);
    if (!g.hosts.includes(name)) g.hosts.push(name);
  }
}

/** Variables that become labels, as the operator's inventories name them. */
const LABEL_VARS = ['site', 'zone', 'rack', 'classification'];
/** Past this many hosts a range is a typo (gpu[1:100000]), not a site. */
const MAX_RANGE_HOSTS = 10_000;

/**
 * Ansible's host ranges: `gpu[01:16].example` (zero-padded when the start is), `node[a:f]`,
 * `gpu[1:9:2]`; several ranges in one name multiply.
 */
export function expandHostRange(pattern: string): string[] | string {
  const m = /^(.*?)\[([^\]]*)\](.*)$/.exec(pattern);
  if (!m) return [pattern];
  const [, head = '', body = '', tail = ''] = m;
  const parts = body.split(':');
  const [beg = '', end = '', stepText] = parts;
  if (parts.length < 2 || parts.length > 3 || !beg || !end)
    return `range [${body}] is not [start:end] or [start:end:step]`;
  const step = stepText === undefined ? 1 : Number(stepText);
  if (!Number.isInteger(step) || step < 1) return `range [${body}] has a bad step`;
  const items: string[] = [];
  if (/^\d+$/.test(beg) && /^\d+$/.test(end)) {
    const width = beg.length > 1 && beg.startsWith('0') ? beg.length : 0;
    if (width && end.length !== width) return `range [${body}]: start and end must have the same width`;
    const from = Number(beg);
    const to = Number(end);
    if (from > to) return `range [${body}] ends before it starts`;
    if ((to - from) / step >= MAX_RANGE_HOSTS)
      return `range [${body}] has more than ${MAX_RANGE_HOSTS} hosts`;
    for (let i = from; i <= to; i += step) items.push(String(i).padStart(width, '0'));
  } else if (/^[a-z]$/i.test(beg) && /^[a-z]$/i.test(end)) {
    const from = beg.charCodeAt(0);
    const to = end.charCodeAt(0);
    if (from > to) return `range [${body}] ends before it starts`;
    for (let i = from; i <= to; i += step) items.push(String.fromCharCode(i));
  } else return `range [${body}] is neither numbers nor single letters`;
  const rest = expandHostRange(tail);
  if (typeof rest === 'string') return rest;
  if (items.length * rest.length > MAX_RANGE_HOSTS)
    return `ranges in ${pattern} make more than ${MAX_RANGE_HOSTS} hosts`;
  return items.flatMap((i) => rest.map((r) => `${head}${i}${r}`));
}

/** `host`, `host:port` or `[v6]:port` as an inventory names it. */
function splitHostPort(pattern: string): { host: string; port?: string } {
  const v6 = /^\[([^\]]+:[^\]]*)\](?::(\d+))?$/.exec(pattern);
  if (v6) return v6[2] ? { host: v6[1] as string, port: v6[2] } : { host: v6[1] as string };
  // Range brackets hold colons too (`gpu[01:16]:2222`): only a colon outside them is a port.
  const outside = pattern.replace(/\[[^\]]*\]/g, '');
  if ((outside.match(/:/g) ?? []).length === 1) {
    const at = pattern.lastIndexOf(':');
    return { host: pattern.slice(0, at), port: pattern.slice(at + 1) };
  }
  return { host: pattern };
}

/** Hosts named by one inventory line or key, or what is wrong with it. */
function hostsOf(pattern: string): { names: string[]; port?: number } | string {
  const { host, port } = splitHostPort(pattern);
  const names = expandHostRange(host);
  if (typeof names === 'string') return names;
  if (port === undefined) return { names };
  const p = parsePort(port);
  return typeof p === 'string' ? p : { names, port: p };
}

/** An INI value: Ansible strips matching quotes. */
function unquote(v: string): string {
  const t = v.trim();
  return /^(["']).*\1$/.test(t) ? t.slice(1, -1) : t;
}

export function parseAnsibleIni(text: string, fileName?: string): Inventory {
  const inv = new Inventory();
  const fail = (line: number, problem: string, hint: string): never => {
    throw new HostImportError('ansible-ini', problem, hint, line, fileName);
  };
  let section: { group: string; kind: 'hosts' | 'vars' | 'children' } = { group: 'ungrouped', kind: 'hosts' };
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const t = raw.trim();
    if (!t || t.startsWith('#') || t.startsWith(';')) return;
    if (t.startsWith('[')) {
      const m = /^\[([^\]:\s]+)(?::([a-z]+))?\]\s*(?:[#;].*)?$/.exec(t);
      if (!m)
        fail(
          line,
          `"${t.slice(0, 60)}" is not a section header`,
          'Write [group], [group:vars] or [group:children].',
        );
      const kind = m?.[2] ?? 'hosts';
      if (m?.[2] !== undefined && kind !== 'vars' && kind !== 'children') {
        fail(
          line,
          `section [${m?.[1]}:${kind}] is not :vars or :children`,
          'Use [group:vars] or [group:children].',
        );
      }
      section = { group: m?.[1] ?? '', kind: kind as 'hosts' | 'vars' | 'children' };
      inv.group(section.group);
      return;
    }
    const words = shellWords(t.replace(/\s+#.*$/, ''));
    if (section.kind === 'children') {
      if (words.length !== 1 || !/^[\w.-]+$/.test(words[0] ?? '')) {
        fail(
          line,
          `"${t.slice(0, 60)}" is not a group name`,
          `List one child group per line under [${section.group}:children].`,
        );
      }
      const child = words[0] as string;
      inv.group(child);
      const g = inv.group(section.group);
      if (!g.children.includes(child)) g.children.push(child);
      return;
    }
    if (section.kind === 'vars') {
      const m = /^([A-Za-z_]\w*)\s*=\s*(.*)$/.exec(t);
      if (!m)
        fail(
          line,
          `"${t.slice(0, 60)}" is not name=value`,
          `Write one variable per line under [${section.group}:vars].`,
        );
      inv.group(section.group).vars[m?.[1] ?? ''] = unquote(m?.[2] ?? '');
      return;
    }
    const [pattern = '', ...assignments] = words;
    const vars: Vars = {};
    for (const a of assignments) {
      const m = /^([A-Za-z_]\w*)=(.*)$/s.exec(a);
      if (!m) {
        fail(
          line,
          `"${a.slice(0, 60)}" after host ${pattern} is not name=value`,
          'Host lines are "HOST [name=value …]"; quote values that contain spaces.',
        );
      }
      vars[m?.[1] ?? ''] = m?.[2] ?? '';
    }
    const hosts = hostsOf(pattern);
    if (typeof hosts === 'string') fail(line, `host ${pattern}: ${hosts}`, 'Fix the host pattern.');
    const { names, port } = hosts as { names: string[]; port?: number };
    for (const name of names) inv.addHost(section.group, name, vars, line, port);
  });
  return inv;
}

const GROUP_KEYS = new Set(['hosts', 'vars', 'children']);

export function parseAnsibleYaml(text: string, fileName?: string): Inventory {
  const data = parseYamlSafely(text, 'ansible-yaml', fileName);
  const fail = (problem: string, hint: string): never => {
    throw new HostImportError('ansible-yaml', problem, hint, undefined, fileName);
  };
  const isMap = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!isMap(data))
    fail('the top level is not a mapping of groups', 'Start the file with "all:" and its hosts/children.');
  const inv = new Inventory();
  const walk = (name: string, body: unknown, path: string, depth: number): void => {
    if (depth > 64) fail(`groups nest more than 64 deep at ${path}`, 'Check the children for a loop.');
    inv.group(name);
    if (body === null || body === undefined) return;
    if (!isMap(body))
      fail(`${path} is not a mapping with hosts, vars or children`, 'Indent the group\'s "hosts:" under it.');
    const group = body as Record<string, unknown>;
    for (const key of Object.keys(group)) {
      if (!GROUP_KEYS.has(key))
        fail(
          `${path} has "${key}"; a group has only hosts, vars and children`,
          `Move "${key}" under hosts or vars.`,
        );
    }
    if (group.vars !== undefined && group.vars !== null) {
      if (!isMap(group.vars)) fail(`${path}.vars is not a mapping`, 'Write vars as name: value.');
      Object.assign(inv.group(name).vars, group.vars);
    }
    if (group.hosts !== undefined && group.hosts !== null) {
      if (!isMap(group.hosts))
        fail(
          `${path}.hosts is not a mapping of host names`,
          'Write hosts as "name:" keys (a list is not allowed).',
        );
      for (const [pattern, vars] of Object.entries(group.hosts as Record<string, unknown>)) {
        if (vars !== null && vars !== undefined && !isMap(vars))
          fail(
            `${path}.hosts.${pattern} is not a mapping of variables`,
            'Write host variables as name: value.',
          );
        const hosts = hostsOf(pattern);
        if (typeof hosts === 'string') fail(`${path}.hosts.${pattern}: ${hosts}`, 'Fix the host pattern.');
        const { names, port } = hosts as { names: string[]; port?: number };
        for (const h of names) inv.addHost(name, h, (vars ?? {}) as Vars, undefined, port);
      }
    }
    if (group.children !== undefined && group.children !== null) {
      if (!isMap(group.children))
        fail(`${path}.children is not a mapping of groups`, 'Write children as "group:" keys.');
      for (const [child, childBody] of Object.entries(group.children as Record<string, unknown>)) {
        const g = inv.group(name);
        if (!g.children.includes(child)) g.children.push(child);
        walk(child, childBody, `${path}.children.${child}`, depth + 1);
      }
    }
  };
  for (const [name, body] of Object.entries(data as Record<string, unknown>)) walk(name, body, name, 0);
  return inv;
}

const templated = (v: string) => v.includes('{{') || v.includes('{%');

/** The ProxyJump hidden in ansible_ssh_common_args / ansible_ssh_extra_args, if any. */
function jumpFromSshArgs(args: string): JumpSpec | string | undefined {
  const words = shellWords(args);
  for (let i = 0; i < words.length; i++) {
    const w = words[i] as string;
    if (w === '-J') return parseJumpSpec(words[i + 1] ?? '');
    if (w.startsWith('-J')) return parseJumpSpec(w.slice(2));
    let option: string | undefined;
    if (w === '-o') option = words[++i];
    else if (w.startsWith('-o')) option = w.slice(2);
    if (option === undefined) continue;
    const m = /^(\w+)\s*[= ]\s*(.*)$/s.exec(option.trim());
    const key = m?.[1]?.toLowerCase();
    if (key === 'proxyjump')
      return m?.[2]?.toLowerCase() === 'none' ? undefined : parseJumpSpec(m?.[2] ?? '');
    if (key === 'proxycommand')
      return m?.[2]?.toLowerCase() === 'none' ? undefined : jumpFromProxyCommand(m?.[2] ?? '');
  }
  return undefined;
}

/** Ansible's precedence: `all`, then groups by depth and name, then the host's own vars. */
function effectiveVars(inv: Inventory, host: HostEntry): { vars: Vars; direct: string[]; all: string[] } {
  const depth = new Map<string, number>();
  const parents = new Map<string, string[]>();
  for (const g of inv.groups.values())
    for (const c of g.children) parents.set(c, [...(parents.get(c) ?? []), g.name]);
  const depthOf = (name: string, seen: Set<string>): number => {
    const known = depth.get(name);
    if (known !== undefined) return known;
    if (name === 'all' || seen.has(name)) return 0;
    seen.add(name);
    const d = 1 + Math.max(0, ...(parents.get(name) ?? []).map((p) => depthOf(p, seen)));
    depth.set(name, d);
    return d;
  };
  const direct = [...inv.groups.values()].filter((g) => g.hosts.includes(host.name)).map((g) => g.name);
  const member = new Set<string>();
  const climb = (name: string) => {
    if (member.has(name)) return;
    member.add(name);
    for (const p of parents.get(name) ?? []) climb(p);
  };
  direct.forEach(climb);
  member.add('all');
  const ordered = [...member].sort(
    (a, b) => depthOf(a, new Set()) - depthOf(b, new Set()) || a.localeCompare(b),
  );
  const vars: Vars = {};
  for (const g of ordered) Object.assign(vars, inv.groups.get(g)?.vars ?? {});
  Object.assign(vars, host.vars);
  // `all` and `ungrouped` say nothing about a host. The direct groups keep file order (the first
  // is the `group` label); the full list is sorted so INI and YAML give the same label.
  const named = (gs: Iterable<string>) => [...gs].filter((g) => g !== 'all' && g !== 'ungrouped');
  return { vars, direct: named(direct), all: named(member).sort() };
}

function toDrafts(inv: Inventory, options: ImportOptions, skipped: SkippedEntry[]): DraftHost[] {
  const drafts: DraftHost[] = [];
  for (const host of inv.hosts.values()) {
    const at = host.line !== undefined ? ` (line ${host.line})` : '';
    const skip = (reason: string) => skipped.push({ name: host.name, reason: `${reason}${at}` });
    const { vars, direct, all } = effectiveVars(inv, host);
    const notes: string[] = [];
    /** A variable as text; a templated or structured value is left out, with a note. */
    const text = (...names: string[]): string | undefined => {
      for (const n of names) {
        const v = vars[n];
        if (v === undefined || v === null) continue;
        if (typeof v === 'object') {
          notes.push(`${n} is not a plain value; left out`);
          return undefined;
        }
        const s = String(v);
        if (templated(s)) {
          notes.push(`${n} is a template ("${s.slice(0, 80)}"), which is not evaluated; left out`);
          return undefined;
        }
        return s;
      }
      return undefined;
    };
    const connection = text('ansible_connection');
    if (connection && connection !== 'ssh' && connection !== 'paramiko' && connection !== 'smart') {
      skip(`ansible_connection=${connection}: not reached over SSH`);
      continue;
    }
    const hasAddressVar = vars.ansible_host !== undefined || vars.ansible_ssh_host !== undefined;
    const address = hasAddressVar ? text('ansible_host', 'ansible_ssh_host') : host.name;
    if (!address) {
      skip(`no usable address: ${notes.at(-1) ?? 'ansible_host is empty'}`);
      continue;
    }
    const draft: DraftHost = { sourceName: host.name, address, labels: {}, notes };
    if (host.line !== undefined) draft.line = host.line;
    const portText = text('ansible_port', 'ansible_ssh_port');
    if (portText !== undefined) {
      const p = parsePort(portText);
      if (typeof p === 'string') {
        skip(`ansible_port: ${p}`);
        continue;
      }
      draft.port = p;
    } else if (host.port !== undefined) draft.port = host.port;
    const user = text('ansible_user', 'ansible_ssh_user');
    if (user) draft.user = user;
    const key = text('ansible_ssh_private_key_file', 'ansible_private_key_file');
    if (key) draft.keyFile = keyPath(key, options.homeDir, notes);
    let jump: JumpSpec | string | undefined;
    for (const argsVar of ['ansible_ssh_common_args', 'ansible_ssh_extra_args']) {
      const args = text(argsVar);
      if (args && jump === undefined) jump = jumpFromSshArgs(args);
    }
    if (typeof jump === 'string') {
      skip(jump);
      continue;
    }
    if (jump) draft.jump = jump;
    if (direct[0]) draft.labels.group = direct[0];
    if (all.length > 1) {
      const joined = all.join(',');
      if (joined.length <= 256) draft.labels.groups = joined;
      else notes.push(`member of ${all.length} groups, too many for a label; kept group=${direct[0]}`);
    }
    for (const label of LABEL_VARS) {
      const v = text(label);
      if (v !== undefined) draft.labels[label] = v;
    }
    drafts.push(draft);
  }
  return drafts;
}

function planOf(inv: Inventory, format: ImportFormat, options: ImportOptions): ImportPlan {
  if (inv.hosts.size === 0) {
    throw new HostImportError(
      format,
      'no hosts: the inventory defines no host',
      'Pass the inventory that lists the hosts (ansible-inventory -i FILE --list shows what Ansible sees).',
      undefined,
      options.fileName,
    );
  }
  const skipped: SkippedEntry[] = [];
  return finishPlan(toDrafts(inv, options, skipped), skipped, options);
}

export function importAnsibleIni(input: string | Uint8Array, options: ImportOptions = {}): ImportPlan {
  const text = readImportText(input, 'ansible-ini', options.fileName);
  return planOf(parseAnsibleIni(text, options.fileName), 'ansible-ini', options);
}

export function importAnsibleYaml(input: string | Uint8Array, options: ImportOptions = {}): ImportPlan {
  const text = readImportText(input, 'ansible-yaml', options.fileName);
  return planOf(parseAnsibleYaml(text, options.fileName), 'ansible-yaml', options);
}
