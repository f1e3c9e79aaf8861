// Host importers (electron/core/hosts/import): ssh_config + known_hosts, Ansible INI and YAML,
// and the lab's inventory.yaml, each from a realistic file to a concrete plan, plus the bad
// inputs an operator will eventually hand them. Fingerprints are cross-checked with ssh-keygen.
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  detectImportFormat,
  expandHostRange,
  hashKnownHostName,
  HostImportError,
  importAnsibleIni,
  importAnsibleYaml,
  importHosts,
  importLabInventory,
  importSshConfig,
  type ImportedHost,
  type ImportPlan,
} from '../../electron/core/hosts/import/index';

const FIXTURES = path.resolve(import.meta.dirname, '../fixtures/host-import');
const fixture = (name: string) => readFileSync(path.join(FIXTURES, name), 'utf8');
const HOME = '/home/op';
const KEY = '/home/op/.ssh/enclave_ed25519';

/** What `ssh-keygen -lf` says a public key (or every key of a known_hosts file) hashes to. */
function sshKeygenFingerprints(file: string): string[] {
  return execFileSync('ssh-keygen', ['-lf', file], { encoding: 'utf8' })
    .trim()
    .split('\n')
    .map((l) => l.split(' ')[1] as string);
}
const keyFingerprint = (name: string) => sshKeygenFingerprints(path.join(FIXTURES, 'keys', `${name}.pub`))[0];

const scratch = mkdtempSync(path.join(tmpdir(), 'host-import-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Runs a function expected to throw a HostImportError and returns it. */
function importError(fn: () => unknown): HostImportError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(HostImportError);
    return e as HostImportError;
  }
  throw new Error('expected a HostImportError');
}

const byName = (plan: ImportPlan) => Object.fromEntries(plan.hosts.map((h) => [h.name, h]));

describe('ssh_config + known_hosts', () => {
  const UNEVALUATED = "not evaluated: Include at line 3, Match at line 50; check this host's settings";
  const BASTION = { address: 'bastion.north.example', port: 2222, user: 'jump' };

  it('imports the enclave: bastion, wildcards in file order, aliases, ProxyJump and ProxyCommand', () => {
    const plan = importSshConfig(fixture('enclave.ssh_config'), {
      homeDir: HOME,
      knownHosts: fixture('enclave.known_hosts'),
    });
    expect(plan.hosts).toEqual<ImportedHost[]>([
      {
        name: 'bastion',
        address: 'bastion.north.example',
        port: 2222,
        user: 'jump',
        labels: {},
        keyFile: KEY,
        fingerprint: 'SHA256:8iq8Dl/gLDDILTpVNJS7ozCBEtmQyJX+xQYBfsjD/W4',
        notes: [
          UNEVALUATED,
          `known_hosts line 3 trusts host certificates from CA SHA256:zplc+1ZZU3xd39NAW3vskEM6D9kcbnagyqCNfFlLwP0; the console pins the host's own key, so confirm its fingerprint on first connection`,
        ],
      },
      {
        name: 'gpu-01',
        address: '10.20.0.11',
        port: 22,
        user: 'ops',
        labels: {},
        keyFile: KEY,
        fingerprint: 'SHA256:vHo8wc3bFvxlM8L0YqwPPXMed3qf543a5urxr0LFUvs',
        jump: BASTION,
        notes: [UNEVALUATED],
      },
      {
        name: 'gpu-02',
        address: '10.20.0.12',
        port: 2200,
        user: 'ops',
        labels: {},
        keyFile: KEY,
        // From the `[10.20.0.12]:2200` line: a key for port 22 would be another host's.
        fingerprint: 'SHA256:RLTp1blVnDqqfZgDZ7oUk+Vd4Ax9uCGB0AiDPRBvgLU',
        jump: BASTION,
        notes: [UNEVALUATED],
      },
      {
        name: 'gpu-03',
        address: '10.20.0.13',
        port: 22,
        // `Host gpu-*` comes first, so its User wins over this host's own `User root`.
        user: 'ops',
        labels: {},
        keyFile: KEY,
        fingerprint: 'SHA256:MVGRKxEH0SQWh3DqltzfsB1tRQHQJ4y0HUVIPB75fDY',
        jump: BASTION,
        notes: [
          'named gpu-03 (from "GPU-03", not a DNS label)',
          'user "root" (line 29) is overridden by "ops" from Host gpu-* !gpu-legacy (line 16), as ssh does; move that block after this host if that is not meant',
          UNEVALUATED,
          'also reachable as "ssh gpu-03.north.example" (line 26); imported once',
          'pinned the ed25519 host key; known_hosts also has rsa, ecdsa',
        ],
      },
      {
        name: 'legacy',
        address: '10.30.0.9',
        port: 22,
        user: 'ops',
        labels: {},
        keyFile: KEY,
        fingerprint: 'SHA256:DuWOgSYLHfcPyOwuZnUy/VwpO2+OMiegvOWo+fR57sM',
        jump: BASTION,
        notes: [UNEVALUATED],
      },
    ]);
    expect(plan.skipped).toEqual([
      {
        name: 'Include ~/.ssh/config.d/*.conf',
        reason: 'Include is not followed (line 3); import ~/.ssh/config.d/*.conf as well if it defines hosts',
      },
      {
        name: 'Match host 10.50.*',
        reason:
          'Match blocks are not evaluated (line 50); their settings were applied to no host — write them as Host blocks to import them',
      },
      {
        name: 'deep',
        reason:
          'ProxyJump "bastion,inner.north.example" is a chain of jump hosts; the console supports one bastion (line 41)',
      },
      { name: 'gpu-99', reason: 'port 70000 is out of range (1-65535) (line 48)' },
      {
        name: 'known_hosts line 12',
        reason:
          '"line" is not a host key type (ssh-ed25519, ecdsa-sha2-nistp256, ssh-rsa…); the line was ignored',
      },
      {
        name: 'storage',
        reason:
          'its host key SHA256:5VJ7EDTZAxr4HWmLnViAwnhQDqN5W7qb37qGHRXUZWM (known_hosts line 9) is marked @revoked; re-key the host and confirm the new fingerprint (line 31)',
      },
    ]);
  });

  it('computes the fingerprints ssh-keygen -lf prints for the same keys', () => {
    const plan = byName(
      importSshConfig(fixture('enclave.ssh_config'), { knownHosts: fixture('enclave.known_hosts') }),
    );
    expect(plan.bastion?.fingerprint).toBe(keyFingerprint('bastion'));
    expect(plan['gpu-01']?.fingerprint).toBe(keyFingerprint('gpu-01'));
    expect(plan['gpu-02']?.fingerprint).toBe(keyFingerprint('gpu-02'));
    expect(plan['gpu-03']?.fingerprint).toBe(keyFingerprint('gpu-03'));
    expect(plan.legacy?.fingerprint).toBe(keyFingerprint('legacy'));
    // Every valid line of the fixture, as ssh-keygen reads the whole file.
    const file = path.join(scratch, 'valid.known_hosts');
    writeFileSync(file, fixture('enclave.known_hosts').replace(/^this line.*\n/m, ''));
    expect(sshKeygenFingerprints(file)).toContain(keyFingerprint('gpu-03-ecdsa'));
    expect(sshKeygenFingerprints(file)).toContain(keyFingerprint('gpu-03-rsa'));
  });

  it('matches names hashed by ssh-keygen -H (plain and [host]:port), as OpenSSH does', () => {
    const file = path.join(scratch, 'hashed.known_hosts');
    const plain = fixture('enclave.known_hosts').replace(/^this line.*\n/m, '');
    writeFileSync(file, plain);
    execFileSync('ssh-keygen', ['-q', '-H', '-f', file], { stdio: 'ignore' });
    const hashed = readFileSync(file, 'utf8');
    const hashedLines = hashed.split('\n').filter((l) => l.startsWith('|1|'));
    expect(hashedLines.length).toBe(9); // the bastion's two names become two lines
    expect(hashed).not.toContain('10.20.0.12');

    // Our hashing of a name with ssh-keygen's salt gives ssh-keygen's line.
    const [salt] = /^\|1\|([^|]+)\|/.exec(hashedLines[0] as string)?.slice(1) ?? [];
    expect(hashKnownHostName('[bastion.north.example]:2222', Buffer.from(salt as string, 'base64'))).toBe(
      (hashedLines[0] as string).split(' ')[0],
    );

    const fromPlain = importSshConfig(fixture('enclave.ssh_config'), { knownHosts: plain });
    const fromHashed = importSshConfig(fixture('enclave.ssh_config'), { knownHosts: hashed });
    // Same hosts and keys; only known_hosts line numbers differ (ssh-keygen splits name lists).
    const keys = (p: ImportPlan) => p.hosts.map((h) => [h.name, h.fingerprint]);
    expect(keys(fromHashed)).toEqual(keys(fromPlain));
    expect(keys(fromHashed).filter(([, fp]) => fp).length).toBe(5);
    expect(fromHashed.skipped.map((s) => s.name)).toEqual(fromPlain.skipped.map((s) => s.name));
  });

  it('resolves a ProxyJump alias through its own block, and `none` turns the jump off', () => {
    const plan = importSshConfig(
      [
        'Host jump-*',
        '  User bastion-user',
        'Host jump-a',
        '  HostName 192.0.2.10',
        '  Port 2022',
        'Host inner',
        '  HostName 10.0.0.5',
        '  User ops',
        '  ProxyJump jump-a',
        'Host direct',
        '  HostName 10.0.0.6',
        '  User ops',
        '  ProxyJump none',
        'Host loop',
        '  HostName 10.0.0.7',
        '  User ops',
        '  ProxyJump loop',
        'Host * !jump-a',
        '  ProxyJump jump-a',
      ].join('\n'),
    );
    expect(byName(plan).inner?.jump).toEqual({ address: '192.0.2.10', port: 2022, user: 'bastion-user' });
    expect(byName(plan).direct?.jump).toBeUndefined();
    expect(byName(plan)['jump-a']?.jump).toBeUndefined();
    // A bastion that is itself reached through a jump is a chain: skipped, saying how to fix it.
    expect(plan.skipped).toEqual([
      {
        name: 'loop',
        reason:
          'its bastion loop is itself reached through loop (line 17); the console supports one bastion — exclude the bastion from that block ("Host * !loop") (line 14)',
      },
    ]);
  });

  it('keeps a ~/ key path, with a note, when no home directory is given; uses the local user when given', () => {
    const text = 'Host gpu7\n  HostName 10.1.1.7\n  IdentityFile ~/.ssh/id_ed25519\n';
    expect(importSshConfig(text).skipped).toEqual([
      {
        name: 'gpu7',
        reason: 'no user is given; add one to the file or pass the user to log in as (line 1)',
      },
    ]);
    const plan = importSshConfig(text, { defaultUser: 'alice' });
    expect(plan.hosts).toEqual([
      {
        name: 'gpu7',
        address: '10.1.1.7',
        port: 22,
        user: 'alice',
        labels: {},
        keyFile: '~/.ssh/id_ed25519',
        notes: [
          'key file "~/.ssh/id_ed25519" is relative to a home directory that was not given; expand it before use',
          'no user is given; using alice, as ssh would',
        ],
      },
    ]);
  });

  it('takes Key=Value, quotes, trailing comments and any keyword case', () => {
    const plan = importSshConfig('HOST gpu8\n  hostname = "10.1.1.8"  # rack 3\n  USER=ops\n  port=2022\n');
    expect(plan.hosts[0]).toMatchObject({ name: 'gpu8', address: '10.1.1.8', user: 'ops', port: 2022 });
  });
});

describe('Ansible inventories', () => {
  const JUMP = { address: 'bastion.north.example', port: 2222, user: 'jump' };
  const gpuA100 = (n: string): ImportedHost => ({
    name: `gpu${n}`,
    address: `gpu${n}.north.example`,
    port: 22,
    user: 'ops',
    labels: {
      group: 'gpu_a100',
      groups: 'gpu,gpu_a100',
      site: 'north',
      zone: 'zone-a',
      rack: 'r1', // the host's own var wins over [gpu:vars] rack=r0
      classification: 'restricted',
    },
    keyFile: KEY,
    jump: JUMP,
    notes: [`named gpu${n} (from "gpu${n}.north.example", not a DNS label)`],
  });
  const EXPECTED_HOSTS: ImportedHost[] = [
    {
      name: 'bastion',
      address: 'bastion.north.example',
      port: 2222,
      user: 'jump',
      labels: { group: 'bastion', classification: 'restricted' },
      keyFile: KEY,
      notes: [
        'named bastion (from "bastion.north.example", not a DNS label)',
        'site is a template ("{{ site_name }}"), which is not evaluated; left out',
      ],
    },
    gpuA100('01'),
    gpuA100('02'),
    gpuA100('03'),
    {
      name: 'gpu06',
      address: '10.20.0.16',
      port: 2200,
      user: 'ops',
      // gpu_h100 is deeper than gpu, so its rack=r7 wins, as in Ansible.
      labels: {
        group: 'gpu_h100',
        groups: 'gpu,gpu_h100',
        site: 'north',
        rack: 'r7',
        classification: 'restricted',
      },
      keyFile: KEY,
      jump: JUMP,
      notes: ['named gpu06 (from "gpu06.north.example", not a DNS label)'],
    },
  ];
  const TEMPLATED =
    'no usable address: ansible_host is a template ("10.20.0.{{ gpu_index }}"), which is not evaluated; left out';

  it('imports the INI inventory: children, ranges, group and host vars, ProxyJump in common args', () => {
    const plan = importAnsibleIni(fixture('enclave-inventory.ini'), { homeDir: HOME });
    expect(plan.hosts).toEqual(EXPECTED_HOSTS);
    expect(plan.skipped).toEqual([
      { name: 'gpu04.north.example', reason: `${TEMPLATED} (line 15)` },
      { name: 'gpu05.north.example', reason: `${TEMPLATED} (line 15)` },
      { name: 'localhost', reason: 'ansible_connection=local: not reached over SSH (line 30)' },
    ]);
  });

  it('imports the same inventory written in YAML to the same hosts', () => {
    const plan = importAnsibleYaml(fixture('enclave-inventory.yaml'), { homeDir: HOME });
    expect(plan.hosts).toEqual(EXPECTED_HOSTS);
    expect(plan.skipped).toEqual([
      { name: 'gpu04.north.example', reason: TEMPLATED },
      { name: 'gpu05.north.example', reason: TEMPLATED },
      { name: 'localhost', reason: 'ansible_connection=local: not reached over SSH' },
    ]);
  });

  it.each([
    ['gpu[01:03].x', ['gpu01.x', 'gpu02.x', 'gpu03.x']],
    ['gpu[8:10]', ['gpu8', 'gpu9', 'gpu10']],
    ['n[a:c]', ['na', 'nb', 'nc']],
    ['g[1:5:2]', ['g1', 'g3', 'g5']],
    ['r[1:2]-g[a:b]', ['r1-ga', 'r1-gb', 'r2-ga', 'r2-gb']],
    ['gpu[3:1]', 'range [3:1] ends before it starts'],
    ['gpu[1:100000]', 'range [1:100000] has more than 10000 hosts'],
  ])('expands %s', (pattern, expected) => expect(expandHostRange(pattern)).toEqual(expected));

  it('reads the jump host from -J, -o ProxyJump and a ProxyCommand ssh -W', () => {
    const plan = importAnsibleIni(
      [
        '[gpu]',
        "a ansible_host=10.0.0.1 ansible_user=ops ansible_ssh_common_args='-J ops@b1:2201'",
        'b ansible_host=10.0.0.2 ansible_user=ops ansible_ssh_common_args="-o \'ProxyJump b2\'"',
        `c ansible_host=10.0.0.3 ansible_user=ops ansible_ssh_common_args='-o ProxyCommand="ssh -W %h:%p -q jump@b3"'`,
        "d ansible_host=10.0.0.4 ansible_user=ops ansible_ssh_extra_args='-J x@b4,y@b5'",
      ].join('\n'),
      { defaultUser: 'op' },
    );
    const hosts = byName(plan);
    expect(hosts.a?.jump).toEqual({ address: 'b1', port: 2201, user: 'ops' });
    expect(hosts.b?.jump).toEqual({ address: 'b2', port: 22, user: 'op' });
    expect(hosts.c?.jump).toEqual({ address: 'b3', port: 22, user: 'jump' });
    expect(plan.skipped).toEqual([
      {
        name: 'd',
        reason: 'ProxyJump "x@b4,y@b5" is a chain of jump hosts; the console supports one bastion (line 5)',
      },
    ]);
  });

  it('gives colliding short names their long form instead of dropping a host', () => {
    const plan = importAnsibleIni('gpu01.north ansible_user=ops\ngpu01.south ansible_user=ops\n');
    expect(plan.hosts.map((h) => h.name)).toEqual(['gpu01-north', 'gpu01-south']);
  });
});

describe('lab inventory', () => {
  it('imports the fixture copy of a lab inventory', () => {
    const plan = importLabInventory(fixture('lab-inventory.yaml'));
    expect(plan).toEqual<ImportPlan>({
      hosts: [
        {
          name: 'gpu01',
          address: '10.211.194.11',
          port: 22,
          user: 'enclab',
          keyFile: '/tmp/imp/lab/operator_ed25519',
          fingerprint: 'SHA256:guyQRPKiyWX3/APpnS45qVF8Hagh6l72PbqRlQ24GQU',
          labels: { site: 'enclab-043c', zone: 'zone-a', rack: 'rack-1' },
          notes: [],
        },
        {
          name: 'gpu02',
          address: '10.211.194.12',
          port: 22,
          user: 'enclab',
          keyFile: '/tmp/imp/lab/operator_ed25519',
          fingerprint: 'SHA256:+6RAvmGCfgYJWFYs36/yRDqMqkfjYE4NhaKCm99ziUM',
          labels: { site: 'enclab-043c', zone: 'zone-b', rack: 'rack-1' },
          notes: [],
        },
      ],
      skipped: [],
    });
  });

  it('refuses a host whose fingerprint is not its hostKey, and one known_hosts disagrees with', () => {
    const text = fixture('lab-inventory.yaml');
    const edited = text.replace('SHA256:guyQRPKiyWX3', 'SHA256:AAAAAAAAAAAA');
    expect(importLabInventory(edited).skipped).toEqual([
      {
        name: 'gpu01',
        reason:
          'its fingerprint SHA256:AAAAAAAAAAAA/APpnS45qVF8Hagh6l72PbqRlQ24GQU is not the one of its hostKey; the file was edited or is corrupt — run lab up again',
      },
    ]);
    const otherKey = fixture('keys/gpu-01.pub').split(' ').slice(0, 2).join(' ');
    const plan = importLabInventory(text, { knownHosts: `10.211.194.12 ${otherKey}\n` });
    expect(plan.hosts.map((h) => h.name)).toEqual(['gpu01']);
    expect(plan.skipped[0]?.reason).toContain('confirm the right one out of band');
  });

  const SSHD = '/usr/sbin/sshd';
  const LAB_CLI = path.resolve(import.meta.dirname, '../../out/lab/lab.mjs');
  const labMissing = !existsSync(SSHD)
    ? `${SSHD} is missing (apt-get install openssh-server)`
    : !existsSync(LAB_CLI)
      ? 'the lab is not built (npm run build)'
      : '';
  if (labMissing) console.log(`host-import: the real-lab import skipped here: ${labMissing}`);
  it.skipIf(Boolean(labMissing))(
    `imports the inventory a real \`lab up\` writes, fingerprints matching ssh-keygen -lf on its known_hosts${labMissing ? ` (skipped: ${labMissing})` : ''}`,
    () => {
      const parent = mkdtempSync(path.join(tmpdir(), 'host-import-lab-'));
      chmodSync(parent, 0o711); // the lab's unprivileged login user must reach the state dir as root
      const state = path.join(parent, 'lab');
      try {
        execFileSync(process.execPath, [LAB_CLI, 'up', '--hosts', '2', '--state', state], {
          stdio: 'ignore',
        });
        const knownHosts = path.join(state, 'known_hosts');
        const plan = importHosts(readFileSync(path.join(state, 'inventory.yaml')), {
          fileName: 'inventory.yaml',
          knownHosts: readFileSync(knownHosts, 'utf8'),
        });
        expect(plan.skipped).toEqual([]);
        expect(plan.hosts.map((h) => h.name)).toEqual(['gpu01', 'gpu02']);
        expect(plan.hosts.map((h) => h.fingerprint)).toEqual(sshKeygenFingerprints(knownHosts));
        for (const h of plan.hosts) {
          expect(h).toMatchObject({ keyFile: path.join(state, 'operator_ed25519'), notes: [] });
          expect(Object.keys(h.labels).sort()).toEqual(['rack', 'site', 'zone']);
        }
      } finally {
        execFileSync(process.execPath, [LAB_CLI, 'down', '--state', state], { stdio: 'ignore' });
        rmSync(parent, { recursive: true, force: true });
      }
    },
    120_000,
  );
});

describe('recognising the kind of file', () => {
  it.each([
    ['enclave.ssh_config', 'ssh_config'],
    ['enclave-inventory.ini', 'ansible-ini'],
    ['enclave-inventory.yaml', 'ansible-yaml'],
    ['lab-inventory.yaml', 'lab-inventory'],
  ])('%s is %s', (file, format) => {
    expect(detectImportFormat(fixture(file))).toBe(format);
    expect(importHosts(fixture(file), { homeDir: HOME, defaultUser: 'op' }).hosts.length).toBeGreaterThan(0);
  });
  it('takes ungrouped INI host lines as Ansible', () =>
    expect(detectImportFormat('gpu01 ansible_host=10.0.0.1\n')).toBe('ansible-ini'));
});

describe('bad input', () => {
  it('refuses binary data, naming the file kind and the line', () => {
    const png = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d]);
    expect(importError(() => importHosts(png, { fileName: 'hosts.png' })).message).toBe(
      'host file (hosts.png): the file is not UTF-8 text (it looks binary)',
    );
    const e = importError(() => importAnsibleIni('[gpu]\ngpu01\n\u0000\u0001garbage'));
    expect(e.message).toBe('Ansible INI inventory (line 3): the file contains binary data (byte 0x00)');
    expect(e.hint).toMatch(/text inventory file/);
    expect(e.code).toBe('BAD_REQUEST');
  });

  it('refuses a YAML alias bomb without expanding it', () => {
    const bomb = [
      'a: &a ["x","x","x","x","x","x","x","x","x"]',
      'b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]',
      'c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]',
      'd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]',
      'e: &e [*d,*d,*d,*d,*d,*d,*d,*d,*d]',
      'f: &f [*e,*e,*e,*e,*e,*e,*e,*e,*e]',
      'all:',
      '  hosts:',
      '    gpu01: { zone: *f }',
    ].join('\n');
    const e = importError(() => importAnsibleYaml(bomb, { fileName: 'inventory.yaml' }));
    expect(e.message).toMatch(
      /^Ansible YAML inventory \(inventory.yaml\): the YAML expands its aliases too many times/,
    );
  });

  it.each([
    [
      'a host line with a bare word',
      '[gpu]\ngpu01 ansible_host\n',
      2,
      /"ansible_host" after host gpu01 is not name=value/,
    ],
    ['an unclosed section', '[gpu\ngpu01\n', 1, /"\[gpu" is not a section header/],
    ['an unknown section kind', '[gpu:hosts]\ngpu01\n', 1, /section \[gpu:hosts\] is not :vars or :children/],
    ['a vars line without =', '[gpu:vars]\nrack r1\n', 2, /"rack r1" is not name=value/],
    ['a bad range', '[gpu]\ngpu[1-4]\n', 2, /range \[1-4\] is not \[start:end\]/],
  ])('refuses an INI inventory with %s, naming the line', (_what, text, line, message) => {
    const e = importError(() => importAnsibleIni(text, { fileName: 'hosts.ini' }));
    expect(e.line).toBe(line);
    expect(e.message).toMatch(`Ansible INI inventory (hosts.ini line ${line}): `);
    expect(e.message).toMatch(message);
    expect(e.hint).toBeTruthy();
  });

  it.each([
    ['a syntax error', 'all:\n  hosts:\n    gpu01: {zone: [\n', /not valid YAML/],
    [
      'a duplicate key',
      'all:\n  hosts:\n    gpu01:\n    gpu01:\n',
      /not valid YAML: Map keys must be unique/,
    ],
    [
      'a key a group cannot have',
      'all:\n  host:\n    gpu01:\n',
      /all has "host"; a group has only hosts, vars and children/,
    ],
    ['a list of hosts', 'all:\n  hosts:\n    - gpu01\n', /all.hosts is not a mapping of host names/],
    ['no hosts at all', 'all:\n  vars:\n    x: 1\n', /no hosts: the inventory defines no host/],
  ])('refuses an Ansible YAML inventory with %s', (_what, text, message) => {
    expect(importError(() => importAnsibleYaml(text)).message).toMatch(message);
  });

  it('refuses ssh_config lines that fit no grammar, and a file with no concrete host', () => {
    const e = importError(() => importSshConfig('Host gpu1\n  HostName\n', { fileName: 'config' }));
    expect(e.message).toBe('ssh_config (config line 2): "HostName" has a keyword but no value');
    expect(importError(() => importSshConfig('Host *\n  User ops\n')).message).toMatch(/no hosts/);
    expect(importError(() => importHosts('# only a comment\n')).message).toBe('host file: the file is empty');
  });

  it('skips a host without an address, duplicate names and a port out of range, importing the rest', () => {
    const lab = [
      'lab:',
      '  id: "x"',
      'hosts:',
      '  - name: gpu01',
      '    address: 10.0.0.1',
      '    user: enclab',
      '  - name: gpu01',
      '    address: 10.0.0.2',
      '    user: enclab',
      '  - name: gpu02',
      '    user: enclab',
      '  - name: gpu03',
      '    address: 10.0.0.3',
      '    port: 65536',
      '    user: enclab',
      '  - address: 10.0.0.4',
    ].join('\n');
    const plan = importLabInventory(lab);
    expect(plan.hosts.map((h) => [h.name, h.address])).toEqual([['gpu01', '10.0.0.1']]);
    expect(plan.skipped).toEqual([
      { name: 'gpu03', reason: 'port 65536 is out of range (1-65535)' },
      { name: 'hosts[4]', reason: 'has no name' },
      { name: 'gpu02', reason: 'no address (HostName / ansible_host / address) is given' },
      { name: 'gpu01', reason: 'duplicate host name "gpu01" (also gpu01)' },
    ]);
    const ini = importAnsibleIni('[gpu]\ngpu01 ansible_user=ops ansible_port=0\ngpu02 ansible_user=ops\n');
    expect(ini.skipped).toEqual([
      { name: 'gpu01', reason: 'ansible_port: port 0 is out of range (1-65535) (line 2)' },
    ]);
    expect(ini.hosts.map((h) => h.name)).toEqual(['gpu02']);
  });

  it('reports a name it cannot turn into a DNS label', () => {
    const plan = importAnsibleIni('"_" ansible_host=10.0.0.1 ansible_user=ops\n');
    expect(plan.skipped).toEqual([
      { name: '_', reason: 'no host name can be made from "_" (use letters and digits) (line 1)' },
    ]);
  });
});
