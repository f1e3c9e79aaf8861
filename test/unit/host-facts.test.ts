// Host facts (issue 4 "Discovery"): FACTS_COMMAND run on this machine and parsed back, hand-written
// captures of a TDX guest, an SEV-SNP host and a GH200 (aarch64) host, and refused garbles.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ParseError } from '../../electron/core/gpu';
import { FACTS_COMMAND, FACTS_SSH_COMMAND, parseHostFacts } from '../../electron/core/hosts/facts';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/host-facts');

function fixture(name: string): string {
  return readFileSync(path.join(FIXTURES, name), 'utf8');
}

function expectParseError(text: string, lineNumber: number, reason?: string): ParseError {
  let caught: unknown;
  try {
    parseHostFacts(text);
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ParseError);
  const err = caught as ParseError;
  expect(err.message.startsWith(`host facts: line ${lineNumber} `), err.message).toBe(true);
  if (reason) expect(err.message).toContain(reason);
  return err;
}

function capture(): string {
  return execFileSync('sh', ['-c', FACTS_COMMAND], { encoding: 'utf8' });
}

describe('FACTS_COMMAND', () => {
  it('is one line of POSIX sh with nothing interpolated', () => {
    expect(FACTS_COMMAND).not.toContain('\n');
    expect(FACTS_COMMAND).not.toMatch(/\$\{|\$\(|`/);
    // dash is the POSIX reference shell on Debian; -n parses without running.
    execFileSync('sh', ['-n', '-c', FACTS_COMMAND]);
  });

  it('prints facts of this machine that match what Node sees', () => {
    const facts = parseHostFacts(capture());
    expect(facts.hostname).toBe(os.hostname());
    expect(facts.kernel).toBe(os.release());
    expect(facts.arch).toBe(os.machine());
    expect(facts.cpuCount).toBe(os.cpus().length);
    expect(facts.memoryMiB).toBe(Math.floor(os.totalmem() / 1024 / 1024));
    expect(facts.cpuModel).toBe(os.cpus()[0]?.model.trim());
    const pretty = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(readFileSync('/etc/os-release', 'utf8'))?.[1];
    expect(facts.os).toBe(pretty ?? 'Linux');
    const flags =
      /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim().split(/\s+/) ?? [];
    expect(facts.tee).toEqual({
      sevSnp: flags.includes('sev_snp'),
      tdx: flags.includes('tdx_guest') || flags.includes('tdx_host_platform') || flags.includes('tdx'),
    });
  });

  it('prints the same through the ssh wrapper (sh -c with the script quoted)', () => {
    expect(execFileSync('sh', ['-c', FACTS_SSH_COMMAND], { encoding: 'utf8' })).toBe(capture());
  });
});

describe('parseHostFacts', () => {
  it('reads a TDX guest', () => {
    expect(parseHostFacts(fixture('tdx-guest.txt'))).toEqual({
      hostname: 'td-guest-07',
      os: 'Ubuntu 24.04.1 LTS',
      kernel: '6.8.0-1014-intel',
      arch: 'x86_64',
      cpuModel: 'Intel(R) Xeon(R) Platinum 8480+',
      cpuCount: 32,
      tee: { sevSnp: false, tdx: true },
      memoryMiB: 128800,
    });
  });

  it('reads an SEV-SNP host', () => {
    expect(parseHostFacts(fixture('sev-snp-host.txt'))).toEqual({
      hostname: 'snp-host-a',
      os: 'Ubuntu 24.04.2 LTS',
      kernel: '6.11.0-snp-host-5a8f1c',
      arch: 'x86_64',
      cpuModel: 'AMD EPYC 9654 96-Core Processor',
      cpuCount: 384,
      tee: { sevSnp: true, tdx: false },
      memoryMiB: 1547800,
    });
  });

  it('reads a GH200 host (aarch64: model from CPU implementer/part, no TEE flags)', () => {
    expect(parseHostFacts(fixture('gh200-aarch64.txt'))).toEqual({
      hostname: 'gh200-lab-3',
      os: 'Ubuntu 22.04.5 LTS',
      kernel: '6.8.0-1013-nvidia-64k',
      arch: 'aarch64',
      cpuModel: 'Neoverse-V2',
      cpuCount: 72,
      tee: { sevSnp: false, tdx: false },
      memoryMiB: 486632,
    });
  });

  it('tolerates CRLF, trailing spaces and shell-rc noise before the start marker', () => {
    const text = fixture('tdx-guest.txt');
    const noisy = `Welcome to td-guest-07\r\n${text.replace(/\n/g, ' \r\n')}`;
    expect(parseHostFacts(noisy)).toEqual(parseHostFacts(text));
  });

  it('uses "Linux" when os-release has no PRETTY_NAME (os-release(5) default)', () => {
    const text = fixture('tdx-guest.txt').replace('"Ubuntu 24.04.1 LTS"\n', '');
    expect(parseHostFacts(text).os).toBe('Linux');
  });

  it('refuses a truncated capture, naming its last line', () => {
    const ls = fixture('sev-snp-host.txt').trimEnd().split('\n');
    for (let keep = 1; keep < ls.length; keep++) expectParseError(ls.slice(0, keep).join('\n'), keep);
    expectParseError(ls.slice(0, -1).join('\n'), ls.length - 1, 'before the end marker (truncated)');
    // Cut mid-line inside MemTotal.
    const cut = ls.slice(0, -2).join('\n') + '\nMemTotal:       15849';
    expectParseError(cut, ls.length - 1);
  });

  it('refuses an inserted line, sections out of order and a missing start marker', () => {
    const ls = fixture('tdx-guest.txt').trimEnd().split('\n');
    for (let at = 1; at <= ls.length; at++) {
      const garbled = [...ls.slice(0, at), 'Segmentation fault', ...ls.slice(at)].join('\n');
      expectParseError(garbled, at + 1);
    }
    const swapped = [...ls];
    [swapped[1], swapped[3]] = [swapped[3] ?? '', swapped[1] ?? ''];
    expectParseError(swapped.join('\n'), 2, 'is not the marker expected here');
    expectParseError(ls.slice(1).join('\n'), ls.length - 1, 'without the start marker');
    expectParseError(fixture('tdx-guest.txt').replace('131891740 kB', '131.891.740 kB'), ls.length - 1);
  });
});
