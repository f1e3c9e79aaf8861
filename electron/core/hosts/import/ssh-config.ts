// OpenSSH ssh_config(5): the hosts an operator already reaches with `ssh NAME`. Each concrete
// `Host` alias becomes a host, with its settings resolved the way ssh resolves them: every
// matching block in file order, the first value obtained winning. Match and Include are not
// evaluated (they depend on the machine and the files around it), and the plan says so.
import {
  finishPlan,
  jumpFromProxyCommand,
  keyPath,
  parseJumpSpec,
  parsePort,
  readImportText,
} from './common';
import type { DraftHost, JumpSpec } from './common';
import { HostImportError, type ImportOptions, type ImportPlan, type SkippedEntry } from './types';

interface Setting {
  key: string;
  value: string;
  line: number;
}

interface Block {
  kind: 'global' | 'host' | 'match';
  /** Host patterns; for Match, the criteria as written. */
  patterns: string[];
  line: number;
  settings: Setting[];
}

/** One line's keyword and arguments: `Key Value`, `Key=Value`, `Key = "quoted value"`, `# comment`. */
function splitLine(
  raw: string,
  lineNo: number,
  fileName?: string,
): { key: string; args: string[] } | undefined {
  const text = raw.trim();
  if (!text || text.startsWith('#')) return undefined;
  const m = /^([^\s=]+)(?:\s*=\s*|\s+)(.*)$/.exec(text);
  if (!m) {
    throw new HostImportError(
      'ssh_config',
      `"${text.slice(0, 60)}" has a keyword but no value`,
      'Give the keyword a value ("HostName 10.0.0.5") or remove the line.',
      lineNo,
      fileName,
    );
  }
  const key = (m[1] as string).toLowerCase();
  if (!/^[a-z][a-z0-9]*$/.test(key)) {
    throw new HostImportError(
      'ssh_config',
      `"${text.slice(0, 60)}" is not an ssh_config line (a keyword then its value)`,
      'Check that this is an ssh_config file; fix or remove the line.',
      lineNo,
      fileName,
    );
  }
  const args: string[] = [];
  const rest = m[2] as string;
  const re = /"([^"]*)"|(\S+)/g;
  for (let w = re.exec(rest); w; w = re.exec(rest)) {
    if (w[2]?.startsWith('#')) break; // a trailing comment
    args.push(w[1] ?? w[2] ?? '');
  }
  if (args.length === 0 || (rest.match(/"/g) ?? []).length % 2 === 1) {
    throw new HostImportError(
      'ssh_config',
      `${m[1]} has ${args.length === 0 ? 'no value' : 'an unterminated quote'}`,
      'Give the keyword a value, quoting it when it has spaces.',
      lineNo,
      fileName,
    );
  }
  return { key, args };
}

function parseBlocks(text: string, fileName?: string): Block[] {
  const blocks: Block[] = [{ kind: 'global', patterns: ['*'], line: 0, settings: [] }];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = i + 1;
    const parsed = splitLine(raw, line, fileName);
    if (!parsed) return;
    const { key, args } = parsed;
    if (key === 'host') blocks.push({ kind: 'host', patterns: args, line, settings: [] });
    else if (key === 'match') blocks.push({ kind: 'match', patterns: args, line, settings: [] });
    else (blocks[blocks.length - 1] as Block).settings.push({ key, value: args.join(' '), line });
  });
  return blocks;
}

const isWildcard = (p: string) => /[*?]/.test(p) || p.startsWith('!');

function patternMatches(pattern: string, name: string): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, 'i').test(name);
}

/** ssh_config's Host rule: a negated pattern that matches excludes; otherwise any positive match. */
function blockMatches(block: Block, name: string): boolean {
  if (block.kind === 'global') return true;
  if (block.kind === 'match') return false;
  let matched = false;
  for (const p of block.patterns) {
    if (p.startsWith('!')) {
      if (patternMatches(p.slice(1), name)) return false;
    } else if (patternMatches(p, name)) matched = true;
  }
  return matched;
}

interface Obtained {
  value: string;
  line: number;
  /** Where it came from: a wildcard block, or the global section. */
  fromPattern: string | undefined;
}

/** Every setting for `alias`, first value obtained winning, plus the values it shadowed. */
function resolve(blocks: Block[], alias: string) {
  const values = new Map<string, Obtained>();
  const identityFiles: Obtained[] = [];
  const shadowed: string[] = [];
  for (const block of blocks) {
    if (!blockMatches(block, alias)) continue;
    const own =
      block.kind === 'host' && block.patterns.some((p) => !isWildcard(p) && p.toLowerCase() === alias);
    const fromPattern = own
      ? undefined
      : block.kind === 'global'
        ? '(top of file)'
        : `Host ${block.patterns.join(' ')}`;
    for (const s of block.settings) {
      if (s.key === 'identityfile') {
        identityFiles.push({ value: s.value, line: s.line, fromPattern });
        continue;
      }
      // ProxyJump and ProxyCommand are one setting: whichever comes first wins.
      const key = s.key === 'proxycommand' ? 'proxyjump' : s.key;
      const first = values.get(key);
      if (!first) values.set(key, { value: s.value, line: s.line, fromPattern });
      else if (own && first.fromPattern && first.value !== s.value) {
        shadowed.push(
          `${s.key} "${s.value}" (line ${s.line}) is overridden by "${first.value}" from ${first.fromPattern} (line ${first.line}), as ssh does; move that block after this host if that is not meant`,
        );
      }
    }
  }
  const get = (key: string) => values.get(key);
  const proxy = blocks
    .flatMap((b) => (blockMatches(b, alias) ? b.settings : []))
    .find((s) => s.key === 'proxyjump' || s.key === 'proxycommand');
  return { get, identityFiles, shadowed, proxyKind: proxy?.key };
}

/** Expands the `%` tokens an importer can know; says which it cannot. */
function expandTokens(
  value: string,
  tokens: Record<string, string | undefined>,
): { value: string; unknown: string[] } {
  const unknown: string[] = [];
  const out = value.replace(/%(.)/g, (all, t: string) => {
    if (t === '%') return '%';
    const v = tokens[t];
    if (v === undefined) {
      unknown.push(all);
      return all;
    }
    return v;
  });
  return { value: out, unknown };
}

export function importSshConfig(input: string | Uint8Array, options: ImportOptions = {}): ImportPlan {
  const text = readImportText(input, 'ssh_config', options.fileName);
  const blocks = parseBlocks(text, options.fileName);
  const skipped: SkippedEntry[] = [];
  const unevaluated: string[] = [];
  for (const b of blocks) {
    if (b.kind === 'match') {
      unevaluated.push(`Match at line ${b.line}`);
      skipped.push({
        name: `Match ${b.patterns.join(' ')}`,
        reason: `Match blocks are not evaluated (line ${b.line}); their settings were applied to no host — write them as Host blocks to import them`,
      });
    }
    for (const s of b.settings.filter((s) => s.key === 'include')) {
      unevaluated.push(`Include at line ${s.line}`);
      skipped.push({
        name: `Include ${s.value}`,
        reason: `Include is not followed (line ${s.line}); import ${s.value} as well if it defines hosts`,
      });
    }
  }

  // Concrete aliases, in order of first appearance; wildcard patterns only give defaults.
  // ssh matches names case-insensitively, so `GPU01` and `gpu01` are one host.
  const aliases = new Map<string, { written: string; line: number }>();
  for (const b of blocks) {
    if (b.kind !== 'host') continue;
    for (const p of b.patterns) {
      if (!isWildcard(p) && !aliases.has(p.toLowerCase()))
        aliases.set(p.toLowerCase(), { written: p, line: b.line });
    }
  }

  const drafts: DraftHost[] = [];
  for (const [alias, { written, line }] of aliases) {
    const skip = (reason: string, at = line) =>
      skipped.push({ name: written, reason: `${reason} (line ${at})` });
    const r = resolve(blocks, alias);
    const notes: string[] = [...r.shadowed];
    if (unevaluated.length)
      notes.push(`not evaluated: ${unevaluated.join(', ')}; check this host's settings`);

    const user = r.get('user')?.value;
    const hostName = expandTokens(r.get('hostname')?.value ?? alias, { h: alias, n: alias });
    if (hostName.unknown.length) {
      skip(`HostName "${hostName.value}" uses ${hostName.unknown.join(' ')}, which only ssh can expand`);
      continue;
    }
    let port: number | undefined;
    const portSetting = r.get('port');
    if (portSetting) {
      const p = parsePort(portSetting.value);
      if (typeof p === 'string') {
        skip(p, portSetting.line);
        continue;
      }
      port = p;
    }

    let keyFile: string | undefined;
    const identities = r.identityFiles.filter((f) => f.value.toLowerCase() !== 'none');
    if (identities[0]) {
      const t = expandTokens(identities[0].value, {
        h: hostName.value,
        n: alias,
        r: user,
        d: options.homeDir,
      });
      if (t.unknown.length)
        notes.push(`key file "${t.value}" uses ${t.unknown.join(' ')}, which only ssh can expand`);
      keyFile = keyPath(t.value, options.homeDir, notes);
      if (identities.length > 1) {
        notes.push(
          `ssh would also try ${identities
            .slice(1)
            .map((f) => f.value)
            .join(', ')}; imported the first key only`,
        );
      }
    }

    let jump: JumpSpec | undefined;
    const proxy = r.get('proxyjump');
    if (proxy && proxy.value.toLowerCase() !== 'none') {
      const spec =
        r.proxyKind === 'proxycommand' ? jumpFromProxyCommand(proxy.value) : parseJumpSpec(proxy.value);
      if (typeof spec === 'string') {
        skip(spec);
        continue;
      }
      // A bastion named by its alias is reached with that alias's settings.
      const via = resolve(blocks, spec.address.toLowerCase());
      const viaProxy = via.get('proxyjump');
      if (viaProxy && viaProxy.value.toLowerCase() !== 'none') {
        skip(
          `its bastion ${spec.address} is itself reached through ${viaProxy.value} (line ${viaProxy.line}); the console supports one bastion — exclude the bastion from that block ("Host * !${spec.address}")`,
        );
        continue;
      }
      const viaPort = via.get('port');
      const jumpPort = spec.port ?? (viaPort ? parsePort(viaPort.value) : undefined);
      if (typeof jumpPort === 'string') {
        skip(`its bastion ${spec.address}: ${jumpPort}`);
        continue;
      }
      jump = { address: via.get('hostname')?.value.replace(/%h/g, spec.address) ?? spec.address };
      if (jumpPort !== undefined) jump.port = jumpPort;
      const jumpUser = spec.user ?? via.get('user')?.value;
      if (jumpUser) jump.user = jumpUser;
      const viaKey = via.identityFiles[0]?.value;
      if (viaKey && keyPath(viaKey, options.homeDir, []) !== keyFile) {
        notes.push(
          `the bastion ${spec.address} uses key ${viaKey}; the console uses this host's key for both hops`,
        );
      }
    }

    const draft: DraftHost = { sourceName: written, line, address: hostName.value, labels: {}, notes };
    if (port !== undefined) draft.port = port;
    if (user) draft.user = user;
    if (keyFile) draft.keyFile = keyFile;
    if (jump) draft.jump = jump;
    const alias2 = r.get('hostkeyalias')?.value;
    if (alias2) draft.hostKeyNames = [alias2];
    drafts.push(draft);
  }

  // Several aliases for one login (`Host gpu-03 gpu-03.north.example` with one HostName) are
  // one host: the first alias imports, the others are noted.
  const unique: DraftHost[] = [];
  for (const d of drafts) {
    const same = unique.find(
      (u) =>
        u.address === d.address &&
        (u.port ?? 22) === (d.port ?? 22) &&
        u.user === d.user &&
        JSON.stringify(u.jump) === JSON.stringify(d.jump),
    );
    if (same) same.notes.push(`also reachable as "ssh ${d.sourceName}" (line ${d.line}); imported once`);
    else unique.push(d);
  }

  if (unique.length === 0 && skipped.length === 0) {
    throw new HostImportError(
      'ssh_config',
      'no hosts: the file has no Host block naming a concrete host (Host * only gives defaults)',
      'Add a "Host NAME" block with its HostName, or pass the ssh_config that defines the hosts.',
      undefined,
      options.fileName,
    );
  }
  return finishPlan(unique, skipped, options);
}
