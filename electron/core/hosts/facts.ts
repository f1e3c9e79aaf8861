// Host facts for discovery (issue 4 "Discovery"): one fixed POSIX sh command prints the facts
// between stable markers; parseHostFacts reads them back. Pure: text in, facts or a ParseError out.
import { ParseError, splitLines } from '../gpu/parse-error';
import type { Line } from '../gpu/parse-error';

/** The name ParseErrors use for this command. */
export const FACTS_COMMAND_NAME = 'host facts';

/**
 * The facts command: POSIX sh, one line, no interpolation (a constant; nothing from the operator
 * or the inventory ever reaches it). Sections, in order:
 *   @@hostname    `uname -n` (what gethostname(2) returns)
 *   @@uname       `uname -srm`: kernel name, release, machine
 *   @@os-release  PRETTY_NAME from /etc/os-release, else /usr/lib/os-release (os-release(5))
 *   @@cpuinfo     the first `model name`, `flags` (x86), `Features`, `CPU implementer`, `CPU part`
 *                 (Arm) lines of /proc/cpuinfo, then `processors : <count of processor lines>`
 *   @@meminfo     the MemTotal line of /proc/meminfo
 *   @@end         printed last, so a cut capture is always recognised
 * Only the first flags line is printed: on a 192-CPU host all of them would be ~300 kB.
 */
export const FACTS_COMMAND = [
  'LC_ALL=C',
  'export LC_ALL',
  "echo '@@enclave-facts 1'",
  "echo '@@hostname'",
  'uname -n',
  "echo '@@uname'",
  'uname -srm',
  "echo '@@os-release'",
  'if [ -r /etc/os-release ]; then f=/etc/os-release; else f=/usr/lib/os-release; fi',
  `sed -n 's/^PRETTY_NAME=//p' "$f" 2>/dev/null`,
  "echo '@@cpuinfo'",
  `awk '{ k = $0; sub(/[ \\t]*:.*/, "", k) } k == "processor" { n++ } (k == "model name" || k == "flags" || k == "Features" || k == "CPU implementer" || k == "CPU part") && !(k in seen) { seen[k] = 1; print } END { print "processors\\t: " n + 0 }' /proc/cpuinfo`,
  "echo '@@meminfo'",
  "sed -n '/^MemTotal:/{p;q;}' /proc/meminfo",
  "echo '@@end'",
].join('; ');

/** FACTS_COMMAND wrapped for `ssh host <command>`, so a non-POSIX login shell (fish, csh) still runs it in sh. */
export const FACTS_SSH_COMMAND = `sh -c '${FACTS_COMMAND.replace(/'/g, `'\\''`)}'`;

export interface HostFacts {
  hostname: string;
  /** PRETTY_NAME (`Ubuntu 24.04.1 LTS`); `Linux` when unset, as os-release(5) specifies. */
  os: string;
  /** Kernel release (`6.8.0-45-generic`). */
  kernel: string;
  /** Machine (`x86_64`, `aarch64`). */
  arch: string;
  cpuModel: string;
  /** Online logical CPUs (processor entries in /proc/cpuinfo). */
  cpuCount: number;
  /** Confidential-computing CPU features seen in the /proc/cpuinfo flags. */
  tee: { sevSnp: boolean; tdx: boolean };
  /** MemTotal, MiB (rounded down). */
  memoryMiB: number;
}

const SECTIONS = ['hostname', 'uname', 'os-release', 'cpuinfo', 'meminfo'] as const;
type Section = (typeof SECTIONS)[number];

/** Arm CPU parts seen on GPU hosts (implementer 0x41 = Arm Ltd); others print as numbers. */
const ARM_PARTS: Record<string, string> = {
  '0xd0c': 'Neoverse-N1',
  '0xd40': 'Neoverse-V1',
  '0xd49': 'Neoverse-N2',
  '0xd4f': 'Neoverse-V2',
};

/** os-release(5) value: unquoted, or in double/single quotes with shell backslash escapes. */
function osReleaseValue(raw: string): string | null {
  const dq = /^"((?:[^"\\]|\\.)*)"$/.exec(raw);
  if (dq) return (dq[1] ?? '').replace(/\\(.)/g, '$1');
  const sq = /^'([^']*)'$/.exec(raw);
  if (sq) return sq[1] ?? '';
  return /^[^\s"'`$\\]*$/.test(raw) ? raw : null;
}

/**
 * Parses what FACTS_COMMAND printed. Lines before the start marker (a chatty shell rc file) are
 * skipped; everything from it on must fit the grammar, sections in order, ending with `@@end`.
 */
export function parseHostFacts(text: string): HostFacts {
  const cmd = FACTS_COMMAND_NAME;
  const lines = splitLines(text);
  const startAt = lines.findIndex((l) => l.text === '@@enclave-facts 1');
  const last = lines[lines.length - 1] ?? { n: 1, text: '' };
  if (startAt < 0)
    throw new ParseError(cmd, last.n, last.text, 'ends without the start marker "@@enclave-facts 1"');
  const body = lines.slice(startAt + 1);
  const sections = new Map<Section, Line[]>();
  let current: Line[] | null = null;
  let expected = 0;
  let ended = false;
  for (const line of body) {
    if (ended) throw new ParseError(cmd, line.n, line.text, 'follows the end marker');
    if (line.text.startsWith('@@')) {
      const name = line.text.slice(2);
      if (name === 'end' && expected === SECTIONS.length) {
        ended = true;
        continue;
      }
      const want = SECTIONS[expected];
      if (name !== want)
        throw new ParseError(
          cmd,
          line.n,
          line.text,
          `is not the marker expected here ("@@${want ?? 'end'}")`,
        );
      current = [];
      sections.set(want, current);
      expected++;
      continue;
    }
    if (!current) throw new ParseError(cmd, line.n, line.text, 'comes before the first section marker');
    current.push(line);
  }
  if (!ended)
    throw new ParseError(cmd, last.n, last.text, 'ends the output before the end marker (truncated)');

  const section = (s: Section): Line[] => sections.get(s) ?? [];
  const markerOf = (s: Section): Line | undefined => body.find((l) => l.text === `@@${s}`);
  /** The section's lines, each checked against its grammar first (so the garbled line is blamed). */
  const checked = (
    s: Section,
    fits: RegExp | ((t: string) => boolean),
    what: string,
    most: number,
  ): Line[] => {
    const ls = section(s);
    const ok = typeof fits === 'function' ? fits : (t: string): boolean => fits.test(t);
    for (const l of ls) if (!ok(l.text)) throw new ParseError(cmd, l.n, l.text, `is not ${what}`);
    const extra = ls[most];
    if (extra) throw new ParseError(cmd, extra.n, extra.text, `is a second line in the ${s} section`);
    return ls;
  };
  const single = (s: Section, pattern: RegExp, what: string): Line => {
    const [only] = checked(s, pattern, what, 1);
    if (!only) {
      const m = markerOf(s) ?? last;
      throw new ParseError(cmd, m.n, m.text, `starts an empty ${s} section`);
    }
    return only;
  };

  const host = single('hostname', /^[A-Za-z0-9_][A-Za-z0-9_.-]*$/, 'a host name');
  const unameLine = single('uname', /^[\w.+~-]+ [\w.+~-]+ [\w.+~-]+$/, '"<kernel name> <release> <machine>"');
  const uname = unameLine.text.split(' ');

  let os = 'Linux';
  const [osLine] = checked('os-release', (t) => osReleaseValue(t) !== null, 'an os-release value', 1);
  const pretty = osLine ? osReleaseValue(osLine.text) : null;
  if (pretty) os = pretty;

  const cpu = new Map<string, Line>();
  let cpuCount: number | null = null;
  for (const line of section('cpuinfo')) {
    const m = /^(model name|flags|Features|CPU implementer|CPU part|processors)\s*:\s?(.*)$/.exec(line.text);
    if (!m || cpu.has(m[1] ?? '') || cpuCount !== null)
      throw new ParseError(cmd, line.n, line.text, 'is not a /proc/cpuinfo line the facts command prints');
    if (m[1] === 'processors') {
      if (!/^\d+$/.test(m[2] ?? '') || Number(m[2]) === 0)
        throw new ParseError(cmd, line.n, line.text, 'does not count the processors');
      cpuCount = Number(m[2]);
    } else cpu.set(m[1] ?? '', line);
  }
  if (cpuCount === null) {
    const m = markerOf('meminfo') ?? last;
    throw new ParseError(cmd, m.n, m.text, 'follows a cpuinfo section without its processor count');
  }
  const value = (k: string): string | undefined => {
    const l = cpu.get(k);
    return l ? l.text.replace(/^[^:]*:\s?/, '').trim() : undefined;
  };
  let cpuModel = value('model name');
  if (cpuModel === undefined || cpuModel === '') {
    const implementer = value('CPU implementer');
    const part = value('CPU part');
    if (implementer && part)
      cpuModel = implementer === '0x41' ? (ARM_PARTS[part] ?? `Arm ${part}`) : `${implementer}/${part}`;
  }
  if (!cpuModel) {
    const m = markerOf('cpuinfo') ?? last;
    throw new ParseError(cmd, m.n, m.text, 'starts a cpuinfo section without a CPU model');
  }
  // TEE flags (x86 `flags`): AMD SEV-SNP `sev_snp`; Intel TDX `tdx_guest` inside a TD guest,
  // `tdx_host_platform` on a TDX-enabled host (Linux 6.x), `tdx` on older out-of-tree kernels.
  const flags = new Set((value('flags') ?? '').split(/\s+/));

  const memLine = single('meminfo', /^MemTotal:\s+\d+ kB$/, '"MemTotal: <n> kB"');
  const memKiB = Number(/(\d+) kB$/.exec(memLine.text)?.[1]);

  return {
    hostname: host.text,
    os,
    kernel: uname[1] ?? '',
    arch: uname[2] ?? '',
    cpuModel,
    cpuCount,
    tee: {
      sevSnp: flags.has('sev_snp'),
      tdx: flags.has('tdx_guest') || flags.has('tdx_host_platform') || flags.has('tdx'),
    },
    memoryMiB: Math.floor(memKiB / 1024),
  };
}
