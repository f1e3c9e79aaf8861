// The simulated site's GPU hosts (design.md §6): real OpenSSH sshd servers.
//
// Two modes:
//   netns     (root only) each host is Debian's /usr/sbin/sshd -D in its own network namespace
//             `enclab-<id>-<host>`, with its own address on a private /24 behind a bridge
//             `enclab-<id>` (the bridge holds .1; no default route, so traffic stays on this
//             machine), its own hostname (unshare --uts) and its own ed25519 host key. Sessions log
//             in as the dedicated unprivileged user `enclab` (created when missing), so root's
//             shell rc files are never involved.
//   loopback  each host is an sshd on its own 127.0.0.1 port. As root the login user is still
//             `enclab` (and each host still gets its own hostname). As a non-root user sshd can
//             only serve the invoking user, so the hosts log in as that user.
//
// Every host has `<stateDir>/hosts/<name>/bin` first on PATH (sshd_config `SetEnv PATH=…`, which
// covers exec channels; for PTY login shells, which reset PATH in /etc/profile, the `enclab`
// user's ~/.bash_profile puts `$ENCLAVE_LAB_BIN` first again). In it, `nvidia-smi` runs the lab
// simulator out/lab/nvidia-smi.mjs with ENCLAVE_LAB_GPU_STATE=<hosts/<name>/gpus.json>.
//
// Faults (labFault) are files in `<stateDir>/hosts/<name>/faults/`, read before each command by
// `$BASH_ENV` (sshd `SetEnv BASH_ENV=… SHLVL=1`: bash then sources it for every exec-channel
// command; login shells other than bash don't, so there only the wrappers apply faults) and by
// the wrappers in bin/ (which also covers PTY shells): slow, fail, drop; garble and `drop after`
// only by the nvidia-smi wrapper, around the simulator. Those four can be aimed at some commands
// (FaultTarget: a pattern, the Nth match). rotate-key, down and up act on the host's sshd directly.
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import {
  accessSync,
  chmodSync,
  chownSync,
  closeSync,
  constants,
  existsSync,
  openSync,
  readFileSync,
  readlinkSync,
  statSync,
} from 'node:fs';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { startLabKube } from './kube';
import { connect, createServer } from 'node:net';
import { userInfo } from 'node:os';
import path from 'node:path';
import {
  cmdlineOf,
  descendantsOf,
  isAlive,
  listProcesses,
  processesInNamespaceOf,
  processesWithEnv,
  run,
  stopPids,
} from './proc';

export type LabMode = 'netns' | 'loopback';
export type FaultKind = 'slow' | 'fail' | 'drop' | 'garble' | 'rotate-key' | 'down' | 'up' | 'clear';
export const FAULT_KINDS: readonly FaultKind[] = [
  'slow',
  'fail',
  'drop',
  'garble',
  'rotate-key',
  'down',
  'up',
  'clear',
];

/** The dedicated login user of the lab hosts when the lab runs as root. */
export const LAB_USER = 'enclab';
/** Every name the lab creates (namespaces, links, key comments) starts with this. */
export const LAB_PREFIX = 'enclab';
/** Exit status of the nvidia-smi wrapper when out/lab/nvidia-smi.mjs is missing (nvidia-smi's "driver not loaded"). */
export const SIMULATOR_MISSING_EXIT = 9;

const SSHD = '/usr/sbin/sshd';
const SSH_KEYGEN = 'ssh-keygen';

export interface LabUpOptions {
  hosts: number;
  stateDir: string;
  /** Default: netns as root, loopback otherwise. */
  mode?: LabMode;
  /** Repository root (for out/lab/nvidia-smi.mjs); default: found from this file. */
  repoRoot?: string;
  /**
   * Called once per host before its sshd starts, e.g. to write the GPU profile into
   * `host.gpuStateFile`; as root, that file is then handed to the login user (the simulator writes it).
   */
  seedHost?: (host: LabHost, index: number) => void | Promise<void>;
}

export interface LabHost {
  name: string;
  hostname: string;
  address: string;
  port: number;
  user: string;
  labels: { site: string; zone: string; rack: string };
  /** `SHA256:…` as `ssh-keygen -lf` prints it. */
  fingerprint: string;
  /** The host's public key line (`ssh-ed25519 AAAA… comment`). */
  hostPublicKey: string;
  /** PID of the listening sshd; 0 while the host is down. */
  pid: number;
  down: boolean;
  netns?: string;
  veth?: string;
  hostDir: string;
  binDir: string;
  gpuStateFile: string;
  sshdDir: string;
  sshdConfig: string;
  hostKeyFile: string;
}

export interface LabState {
  format: 'enclave-lab/1';
  id: string;
  /** `enclab-<id>`: the prefix of everything this lab creates. */
  prefix: string;
  mode: LabMode;
  /** Why this mode was used. */
  modeReason: string;
  user: string;
  stateDir: string;
  repoRoot: string;
  subnet?: string;
  bridge?: string;
  bridgeAddress?: string;
  operatorKey: string;
  operatorPublicKey: string;
  inventory: string;
  knownHosts: string;
  hosts: LabHost[];
  /**
   * The lab user's SSH password (root only): each sshd sees a private copy of /etc/shadow holding it,
   * bind-mounted in its own mount namespace, so the machine's real accounts never change. null as
   * non-root, where sshd cannot check passwords at all.
   */
  password: string | null;
  /** The private shadow file (root only). */
  shadowFile?: string;
  /** The kubeconfig (context `enclave-lab`) of the lab's Kubernetes API emulator, when it runs. */
  kubeconfig?: string;
  /** The emulator's URL (https://127.0.0.1:PORT). */
  kubeApiServer?: string;
  /** Things that work but not fully (e.g. the simulator unreadable by the lab user). */
  warnings: string[];
  createdAt: string;
  stoppedAt?: string;
}

const isRoot = () => typeof process.getuid === 'function' && process.getuid() === 0;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Single-quotes a string for POSIX sh. */
export function shQuote(s: string): string {
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function findRepoRoot(): string {
  let dir = import.meta.dirname;
  for (;;) {
    if (existsSync(path.join(dir, 'package.json')) && existsSync(path.join(dir, 'test', 'lab'))) return dir;
    const up = path.dirname(dir);
    if (up === dir) return path.resolve(import.meta.dirname, '../../..');
    dir = up;
  }
}

function requireTool(file: string, pkg: string): void {
  const candidates = file.includes('/')
    ? [file]
    : ['/usr/bin', '/bin', '/usr/sbin', '/sbin'].map((d) => `${d}/${file}`);
  if (!candidates.some((c) => existsSync(c))) {
    throw new Error(`${file} not found: install the Debian package ${pkg} (apt-get install ${pkg})`);
  }
}

async function readState(stateDir: string): Promise<LabState> {
  const file = path.join(path.resolve(stateDir), 'lab.json');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(
      `no lab in ${stateDir} (${file} is missing): start one with \`lab up --state ${stateDir}\``,
    );
  }
  return JSON.parse(text) as LabState;
}

async function writeState(state: LabState): Promise<void> {
  const file = path.join(state.stateDir, 'lab.json');
  // A temporary name of its own, so writes that overlap (faults on two hosts at once) never collide.
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(tmp, file);
}

// ---------------------------------------------------------------------------------------------
// Users, subnets, names

async function ensureLabUser(): Promise<{ uid: number; gid: number; home: string }> {
  const lookup = async () => {
    const passwd = await readFile('/etc/passwd', 'utf8');
    const line = passwd.split('\n').find((l) => l.startsWith(`${LAB_USER}:`));
    if (!line) return undefined;
    const f = line.split(':');
    return { uid: Number(f[2]), gid: Number(f[3]), home: f[5] ?? `/home/${LAB_USER}`, shell: f[6] ?? '' };
  };
  let user = await lookup();
  if (!user) {
    requireTool('useradd', 'passwd');
    try {
      await run('useradd', [
        '--system',
        '--create-home',
        '--shell',
        '/bin/bash',
        '--comment',
        'Enclave lab hosts',
        LAB_USER,
      ]);
    } catch (e) {
      // Another lab may have created it at the same moment.
      if (!(await lookup())) throw e;
    }
    user = await lookup();
    if (!user) throw new Error(`could not create the lab user ${LAB_USER}`);
  }
  // With `UsePAM no`, sshd refuses accounts whose password is locked ('!'): '*' means "no password".
  const shadow = await readFile('/etc/shadow', 'utf8').catch(() => '');
  const entry = shadow.split('\n').find((l) => l.startsWith(`${LAB_USER}:`));
  if (entry && entry.split(':')[1] !== '*') await run('usermod', ['-p', '*', LAB_USER]);
  if (user.shell !== '/bin/bash') await run('usermod', ['-s', '/bin/bash', LAB_USER]);
  await mkdir(user.home, { recursive: true });
  const profile = [
    '# Written by the Enclave lab (test/lab/site): /etc/profile resets PATH for login shells,',
    "# so put the lab host's bin directory (sshd_config SetEnv ENCLAVE_LAB_BIN) first again.",
    'if [ -f "$HOME/.profile" ]; then . "$HOME/.profile"; fi',
    'if [ -n "${ENCLAVE_LAB_BIN-}" ]; then PATH="$ENCLAVE_LAB_BIN:$PATH"; export PATH; fi',
    '',
  ].join('\n');
  const profileFile = path.join(user.home, '.bash_profile');
  if ((await readFile(profileFile, 'utf8').catch(() => '')) !== profile) {
    await writeFile(profileFile, profile, { mode: 0o644 });
    chownSync(profileFile, user.uid, user.gid);
  }
  return user;
}

/**
 * A copy of /etc/shadow in which the lab user has `password` (SHA-512 crypt, as passwd writes it).
 * Only the lab's sshds see it, bind-mounted over /etc/shadow in their own mount namespaces.
 */
async function writePrivateShadow(password: string, file: string): Promise<void> {
  requireTool('openssl', 'openssl');
  const hash = (await run('openssl', ['passwd', '-6', '-stdin'], `${password}\n`)).stdout.trim();
  const lines = (await readFile('/etc/shadow', 'utf8')).split('\n').map((line) => {
    const f = line.split(':');
    if (f[0] !== LAB_USER) return line;
    f[1] = hash;
    return f.join(':');
  });
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await writeFile(file, lines.join('\n'), { mode: 0o600 });
}

/** Checks that `user` (not root) can reach `dir`: every ancestor must be searchable by others. */
function assertReachable(dir: string, what: string): void {
  let d = dir;
  for (;;) {
    const st = statSync(d);
    if ((st.mode & 0o001) === 0) {
      throw new Error(
        `${what} ${dir} is not reachable by the lab user ${LAB_USER}: ${d} has mode ` +
          `${(st.mode & 0o777).toString(8)} (others need +x); use a state dir under /tmp or chmod o+x ${d}`,
      );
    }
    const up = path.dirname(d);
    if (up === d) return;
    d = up;
  }
}

interface Route {
  dst: string;
}

function parseCidr(cidr: string): { base: number; bits: number } | undefined {
  const [addr, bitsText] = cidr.split('/');
  const parts = (addr ?? '').split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
  const bits = bitsText === undefined ? 32 : Number(bitsText);
  const value = parts.reduce((a, p) => a * 256 + p, 0);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return { base: (value & mask) >>> 0, bits };
}

function overlaps(a: string, b: string): boolean {
  const x = parseCidr(a);
  const y = parseCidr(b);
  if (!x || !y) return false;
  const bits = Math.min(x.bits, y.bits);
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (x.base & mask) >>> 0 === (y.base & mask) >>> 0;
}

/** Picks a 10.x.y.0/24 that no route or address on this machine overlaps (default route excepted). */
async function pickSubnet(): Promise<string> {
  const routes = JSON.parse(
    (await run('ip', ['-j', '-4', 'route', 'show', 'table', 'all'])).stdout || '[]',
  ) as Route[];
  const addrs = JSON.parse((await run('ip', ['-j', '-4', 'addr'])).stdout || '[]') as {
    addr_info?: { local: string; prefixlen: number }[];
  }[];
  const taken = [
    ...routes.map((r) => r.dst).filter((d) => d && d !== 'default' && d !== '0.0.0.0/0'),
    ...addrs.flatMap((a) => (a.addr_info ?? []).map((i) => `${i.local}/${i.prefixlen}`)),
  ];
  for (let attempt = 0; attempt < 200; attempt++) {
    const [b, c] = randomBytes(2);
    // 10.160.0.0 – 10.223.255.0: away from the 10.0–10.159 ranges sites and container runtimes favour.
    const subnet = `10.${160 + ((b ?? 0) % 64)}.${c ?? 0}.0/24`;
    if (!taken.some((t) => overlaps(t, subnet))) return subnet;
  }
  throw new Error('could not find a free 10.x.y.0/24 for the lab network');
}

async function pickId(): Promise<string> {
  const links = (await run('ip', ['-o', 'link']).catch(() => ({ stdout: '' }))).stdout;
  const netns = (await run('ip', ['netns', 'list']).catch(() => ({ stdout: '' }))).stdout;
  for (;;) {
    const id = randomBytes(2).toString('hex');
    if (!links.includes(`${LAB_PREFIX}-${id}`) && !netns.includes(`${LAB_PREFIX}-${id}`)) return id;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

async function fingerprintOf(publicKeyFile: string): Promise<string> {
  const { stdout } = await run(SSH_KEYGEN, ['-lf', publicKeyFile]);
  const fp = stdout.trim().split(/\s+/)[1];
  if (!fp?.startsWith('SHA256:'))
    throw new Error(`ssh-keygen -lf ${publicKeyFile}: unexpected output ${stdout}`);
  return fp;
}

async function newKey(file: string, comment: string): Promise<void> {
  await rm(file, { force: true });
  await rm(`${file}.pub`, { force: true });
  await run(SSH_KEYGEN, ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
}

// ---------------------------------------------------------------------------------------------
// Per-host files

function sshdConfigText(state: LabState, host: LabHost): string {
  const q = (s: string) => `"${s}"`;
  const env = [
    `PATH=${host.binDir}:/usr/local/bin:/usr/bin:/bin`,
    `BASH_ENV=${path.join(host.hostDir, 'lab-env.sh')}`,
    // bash started by sshd for `-c CMD` sources ~/.bashrc instead of $BASH_ENV, but only at shell
    // level 1; starting it at level 2 makes it read $BASH_ENV (bash's run_startup_files).
    'SHLVL=1',
    `ENCLAVE_LAB_BIN=${host.binDir}`,
    `ENCLAVE_LAB_HOST=${host.name}`,
    `ENCLAVE_LAB_HOST_DIR=${host.hostDir}`,
    `ENCLAVE_LAB_STATE=${state.stateDir}`,
    `ENCLAVE_LAB_GPU_STATE=${host.gpuStateFile}`,
  ];
  return [
    `# Enclave lab host ${host.name} (lab ${state.prefix}, ${state.mode} mode). Written by test/lab/site.`,
    `Port ${host.port}`,
    `ListenAddress ${host.address}`,
    `HostKey ${q(host.hostKeyFile)}`,
    `PidFile ${q(path.join(host.sshdDir, 'sshd.pid'))}`,
    `AuthorizedKeysFile ${q(path.join(host.hostDir, 'authorized_keys'))}`,
    `AllowUsers ${state.user}`,
    'StrictModes no',
    'PermitRootLogin no',
    'PubkeyAuthentication yes',
    // Root labs check passwords against their private shadow copy (see LabState.password).
    `PasswordAuthentication ${state.password !== null ? 'yes' : 'no'}`,
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'UseDNS no',
    'PrintMotd no',
    'PrintLastLog no',
    'AcceptEnv LANG LC_*',
    `SetEnv ${env.map(q).join(' ')}`,
    'Subsystem sftp internal-sftp',
    'MaxStartups 200:30:400',
    'MaxSessions 50',
    'LogLevel ERROR',
    '',
  ].join('\n');
}

/** Shell functions shared by $BASH_ENV and the bin/ wrappers: apply this host's fault files. */
function faultScript(): string {
  return `# Enclave lab: fault injection (test/lab/site). Sourced before commands on a lab host.
# $1: the host's state dir. Files in $1/faults: slow (seconds), fail (message), drop (seconds, or
# "after": the nvidia-smi wrapper cuts the link once the simulator has run), garble (a line the
# nvidia-smi wrapper inserts into the simulator's output). A fault may be targeted: <kind>.match
# holds an extended regex the command line must match, <kind>.from/<kind>.to the matching
# commands (counted from 1 in <kind>.seen) it fires on, 0 in .to meaning "no end".
enclab_session_pid() {
  p=$$
  while [ "$p" -gt 1 ]; do
    if [ "$(cat /proc/$p/comm 2>/dev/null)" = sshd ]; then echo "$p"; return 0; fi
    p=$(sed 's/^.*) //' /proc/$p/stat 2>/dev/null | cut -d' ' -f2)
    [ -n "$p" ] || return 1
  done
  return 1
}
# enclab_fault_hits KIND COMMAND: whether the fault KIND is set and applies to this command line.
enclab_fault_hits() {
  f="$d/$1"
  [ -f "$f" ] || return 1
  [ -f "$f.match" ] || [ -f "$f.from" ] || return 0
  if [ -f "$f.match" ]; then
    printf '%s\\n' "$2" | grep -Eq -- "$(cat "$f.match")" || return 1
  fi
  # Count matching commands one at a time (concurrent sessions on one host).
  if command -v flock >/dev/null 2>&1; then exec 9>>"$f.lock"; flock 9; fi
  n=$(( $(cat "$f.seen" 2>/dev/null || echo 0) + 1 ))
  printf '%s\\n' "$n" >"$f.seen.$$" && mv -f "$f.seen.$$" "$f.seen"
  exec 9>&-
  from=$(cat "$f.from" 2>/dev/null || echo 1)
  to=$(cat "$f.to" 2>/dev/null || echo 0)
  [ "$n" -ge "$from" ] || return 1
  [ "$to" -eq 0 ] || [ "$n" -le "$to" ] || return 1
  return 0
}
# enclab_cut_session: kill this session's sshd child, which holds the connection (ssh exits 255).
enclab_cut_session() {
  s=$(enclab_session_pid)
  [ -n "$s" ] && kill -9 "$s"
  exit 255
}
enclab_apply_faults() {
  d="$1/faults"
  c="\${2-}"
  [ -d "$d" ] || return 0
  if enclab_fault_hits slow "$c"; then sleep "$(cat "$d/slow")"; fi
  if [ -f "$d/drop" ] && [ "$(cat "$d/drop")" != after ] && enclab_fault_hits drop "$c"; then
    w=$(cat "$d/drop")
    if [ "$w" = 0 ]; then enclab_cut_session; fi
    s=$(enclab_session_pid)
    if [ -n "$s" ]; then
      t=$(sed 's/^.*) //' /proc/$s/stat | cut -d' ' -f20)
      # Cut the connection mid-command: kill this session's sshd child once it has run a while.
      ( sleep "$w"
        [ "$(sed 's/^.*) //' /proc/$s/stat 2>/dev/null | cut -d' ' -f20)" = "$t" ] && kill -9 "$s"
      ) </dev/null >/dev/null 2>&1 &
    fi
  fi
  if enclab_fault_hits fail "$c"; then
    cat "$d/fail" >&2
    exit 1
  fi
  return 0
}
`;
}

function envScript(state: LabState, host: LabHost): string {
  return `# Enclave lab host ${host.name}: bash sources this ($BASH_ENV) before every exec-channel command.
if [ -z "\${ENCLAVE_LAB_FAULTS_DONE-}" ]; then
  export ENCLAVE_LAB_FAULTS_DONE=1
  . ${shQuote(path.join(state.stateDir, 'lab-faults.sh'))}
  enclab_apply_faults ${shQuote(host.hostDir)} "\${BASH_EXECUTION_STRING-}"
fi
`;
}

function nvidiaSmiWrapper(state: LabState, host: LabHost): string {
  const sim = path.join(state.repoRoot, 'out', 'lab', 'nvidia-smi.mjs');
  const env = `ENCLAVE_LAB_HOST=${shQuote(host.name)} ENCLAVE_LAB_GPU_STATE=${shQuote(host.gpuStateFile)}`;
  return `#!/bin/sh
# Enclave lab host ${host.name}: nvidia-smi is the lab simulator (out/lab/nvidia-smi.mjs).
. ${shQuote(path.join(state.stateDir, 'lab-faults.sh'))}
if [ -z "\${ENCLAVE_LAB_FAULTS_DONE-}" ]; then
  export ENCLAVE_LAB_FAULTS_DONE=1
  enclab_apply_faults ${shQuote(host.hostDir)} "nvidia-smi $*"
fi
sim=${shQuote(sim)}
if [ ! -f "$sim" ]; then
  echo 'nvidia-smi: lab simulator not built' >&2
  exit ${SIMULATOR_MISSING_EXIT}
fi
d=${shQuote(path.join(host.hostDir, 'faults'))}
# Faults that act on what the simulator printed: a garbled line, or the link cut once it has run.
if [ -f "$d/garble" ] && enclab_fault_hits garble "nvidia-smi $*"; then
  junk=$(cat "$d/garble")
  out=$(${env} ${shQuote(process.execPath)} "$sim" "$@")
  rc=$?
  printf '%s\\n' "$out" | awk -v junk="$junk" 'NR == 2 { print junk } { print } END { if (NR < 2) print junk }'
  exit $rc
fi
if [ -f "$d/drop" ] && [ "$(cat "$d/drop")" = after ] && enclab_fault_hits drop "nvidia-smi $*"; then
  ${env} ${shQuote(process.execPath)} "$sim" "$@" >/dev/null 2>&1
  enclab_cut_session
fi
${env} exec ${shQuote(process.execPath)} "$sim" "$@"
`;
}

function inventoryYaml(state: LabState): string {
  const s = (v: string) => JSON.stringify(v);
  const lines = [
    '# Enclave lab inventory, written by `lab up` (test/lab/site). Import with `enclave hosts import`.',
    `# Mode: ${state.mode} (${state.modeReason}).`,
    'lab:',
    `  id: ${s(state.id)}`,
    `  mode: ${state.mode}`,
    `  stateDir: ${s(state.stateDir)}`,
    `  operatorKey: ${s(state.operatorKey)}`,
    `  knownHosts: ${s(state.knownHosts)}`,
    ...(state.subnet ? [`  subnet: ${s(state.subnet)}`] : []),
    'hosts:',
  ];
  for (const h of state.hosts) {
    lines.push(
      `  - name: ${s(h.name)}`,
      `    address: ${s(h.address)}`,
      `    port: ${h.port}`,
      `    user: ${s(h.user)}`,
      `    keyFile: ${s(state.operatorKey)}`,
      `    hostname: ${s(h.hostname)}`,
      `    fingerprint: ${s(h.fingerprint)}`,
      `    hostKey: ${s(h.hostPublicKey.split(' ').slice(0, 2).join(' '))}`,
      '    labels:',
      `      site: ${s(h.labels.site)}`,
      `      zone: ${s(h.labels.zone)}`,
      `      rack: ${s(h.labels.rack)}`,
    );
  }
  return `${lines.join('\n')}\n`;
}

/** known_hosts lines (`addr` for port 22, `[addr]:port` otherwise) for the hosts' current keys. */
export function knownHostsText(hosts: Pick<LabHost, 'address' | 'port' | 'hostPublicKey'>[]): string {
  return hosts
    .map((h) => {
      const where = h.port === 22 ? h.address : `[${h.address}]:${h.port}`;
      return `${where} ${h.hostPublicKey.split(' ').slice(0, 2).join(' ')}\n`;
    })
    .join('');
}

async function writeInventory(state: LabState): Promise<void> {
  await writeFile(state.inventory, inventoryYaml(state));
  await writeFile(state.knownHosts, knownHostsText(state.hosts));
}

// ---------------------------------------------------------------------------------------------
// sshd processes

function listenerPids(host: LabHost): number[] {
  return listProcesses()
    .filter((p) => p.cmdline.includes(SSHD) && p.cmdline.includes(host.sshdConfig))
    .map((p) => p.pid);
}

/** Every process that belongs to one host: its sshd, sessions and their commands. */
async function hostProcesses(state: LabState, host: LabHost): Promise<number[]> {
  const procs = listProcesses();
  const roots = procs
    .filter((p) => p.cmdline.includes(SSHD) && p.cmdline.includes(host.sshdConfig))
    .map((p) => p.pid);
  if (host.pid && isAlive(host.pid) && cmdlineOf(host.pid)?.includes(host.sshdConfig)) roots.push(host.pid);
  const pids = [...roots, ...descendantsOf(roots, procs)];
  if (state.mode === 'netns' && host.netns) {
    const out = await run('ip', ['netns', 'pids', host.netns]).catch(() => ({ stdout: '' }));
    pids.push(...out.stdout.split(/\s+/).filter(Boolean).map(Number));
  } else if (isRoot()) {
    // Loopback as root: the host's own UTS namespace holds its sshd and sessions.
    for (const root of roots) {
      if (readUtsIsPrivate(root)) pids.push(...processesInNamespaceOf(root, 'uts', procs));
    }
  }
  pids.push(...processesWithEnv(`ENCLAVE_LAB_HOST_DIR=${host.hostDir}`, procs));
  return [...new Set(pids)];
}

function readUtsIsPrivate(pid: number): boolean {
  try {
    return readlinkSync(`/proc/${pid}/ns/uts`) !== readlinkSync('/proc/self/ns/uts');
  } catch {
    return false;
  }
}

async function waitReady(host: LabHost, pid: number, errLog: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: host.address, port: host.port });
      socket.setTimeout(500);
      socket.once('data', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
      socket.once('timeout', () => {
        socket.destroy();
        resolve(false);
      });
    });
    if (ok) return;
    if (!isAlive(pid) || Date.now() > deadline) {
      const log = (await readFile(errLog, 'utf8').catch(() => '')).trim().split('\n').slice(-5).join('\n');
      throw new Error(
        `lab host ${host.name}: sshd did not start on ${host.address}:${host.port}` +
          `${isAlive(pid) ? ' (timed out)' : ' (it exited)'}${log ? `:\n${log}` : ''}`,
      );
    }
    await sleep(30);
  }
}

async function startSshd(state: LabState, host: LabHost): Promise<number> {
  const errLog = path.join(host.sshdDir, 'sshd.log');
  const sshdArgs = [SSHD, '-D', '-f', host.sshdConfig, '-E', errLog];
  // As root: its own hostname (UTS namespace) and its own /etc/shadow (a private mount namespace).
  const shadow = state.shadowFile ?? '';
  const withHostname = [
    '/bin/sh',
    '-c',
    'hostname "$1" || exit 1; if [ -n "$2" ]; then mount --bind "$2" /etc/shadow || exit 1; fi; shift 2; exec "$@"',
    'sh',
    host.hostname,
    shadow,
    ...sshdArgs,
  ];
  const unshare = ['unshare', '--uts', ...(shadow ? ['--mount', '--propagation', 'private'] : []), '--'];
  let argv: string[];
  if (state.mode === 'netns') argv = ['ip', 'netns', 'exec', host.netns ?? '', ...unshare, ...withHostname];
  else if (isRoot()) argv = [...unshare, ...withHostname];
  else argv = sshdArgs;
  const fd = openSync(errLog, 'a', 0o600);
  try {
    const child = spawn(argv[0] as string, argv.slice(1), { detached: true, stdio: ['ignore', fd, fd] });
    child.on('error', () => undefined);
    child.unref();
    const pid = child.pid;
    if (!pid) throw new Error(`lab host ${host.name}: could not start ${argv[0]}`);
    await waitReady(host, pid, errLog);
    return pid;
  } finally {
    closeSync(fd);
  }
}

async function stopHost(state: LabState, host: LabHost): Promise<void> {
  await stopPids(await hostProcesses(state, host));
}

// ---------------------------------------------------------------------------------------------
// Public API

/** Starts a lab of `hosts` sshd hosts and writes lab.json, inventory.yaml, known_hosts and the operator key into stateDir. */
export async function labUp(options: LabUpOptions): Promise<LabState> {
  const stateDir = path.resolve(options.stateDir);
  const count = options.hosts;
  if (!Number.isInteger(count) || count < 1 || count > 200)
    throw new Error(`--hosts must be 1–200 (got ${count})`);
  requireTool(SSHD, 'openssh-server');
  requireTool(SSH_KEYGEN, 'openssh-client');
  const root = isRoot();
  if (options.mode === 'netns' && !root) {
    throw new Error(
      'netns mode needs root (network namespaces, veths, a bridge); run as root or use --loopback',
    );
  }
  await mkdir(stateDir, { recursive: true });
  if (existsSync(path.join(stateDir, 'lab.json'))) {
    const old = await readState(stateDir).catch(() => undefined);
    if (old && !old.stoppedAt) {
      throw new Error(
        `a lab is already up in ${stateDir} (${old.prefix}): run \`lab down --state ${stateDir}\` first`,
      );
    }
  }

  let mode: LabMode;
  let modeReason: string;
  if (options.mode) {
    mode = options.mode;
    modeReason = 'requested';
  } else if (root) {
    mode = 'netns';
    modeReason = 'running as root';
  } else {
    mode = 'loopback';
    modeReason = 'not root: sshd serves only the invoking user, on 127.0.0.1 ports';
  }
  if (mode === 'netns' || root) {
    requireTool('ip', 'iproute2');
    requireTool('unshare', 'util-linux');
  }

  const id = await pickId();
  const prefix = `${LAB_PREFIX}-${id}`;
  const labUser = root ? await ensureLabUser() : undefined;
  const user = root ? LAB_USER : userInfo().username;
  if (root) {
    assertReachable(stateDir, 'state dir');
    const st = statSync(stateDir);
    if ((st.mode & 0o005) !== 0o005) chmodSync(stateDir, (st.mode & 0o777) | 0o055);
    await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  }

  const state: LabState = {
    format: 'enclave-lab/1',
    id,
    prefix,
    mode,
    modeReason,
    user,
    stateDir,
    repoRoot: options.repoRoot ? path.resolve(options.repoRoot) : findRepoRoot(),
    operatorKey: path.join(stateDir, 'operator_ed25519'),
    operatorPublicKey: path.join(stateDir, 'operator_ed25519.pub'),
    inventory: path.join(stateDir, 'inventory.yaml'),
    knownHosts: path.join(stateDir, 'known_hosts'),
    hosts: [],
    password: root ? randomBytes(12).toString('base64url') : null,
    ...(root ? { shadowFile: path.join(stateDir, 'sshd', 'shadow') } : {}),
    warnings: [],
    createdAt: new Date().toISOString(),
  };
  if (mode === 'netns') {
    state.subnet = await pickSubnet();
    state.bridge = prefix;
    state.bridgeAddress = state.subnet.replace(/\.0\/24$/, '.1');
  }
  // Written before anything is created, so `labDown` can clean up after a crash at any point.
  await writeState(state);

  try {
    await newKey(state.operatorKey, `${prefix}-operator`);
    chmodSync(state.operatorKey, 0o600);
    const operatorPub = await readFile(state.operatorPublicKey, 'utf8');
    await writeFile(path.join(stateDir, 'lab-faults.sh'), faultScript(), { mode: 0o644 });
    if (state.password !== null && state.shadowFile)
      await writePrivateShadow(state.password, state.shadowFile);

    if (mode === 'netns') {
      const br = state.bridge as string;
      await run('ip', ['link', 'add', br, 'type', 'bridge']);
      await run('ip', ['addr', 'add', `${state.bridgeAddress}/24`, 'dev', br]);
      await run('ip', ['link', 'set', br, 'up']);
    }

    const width = String(count).length < 2 ? 2 : String(count).length;
    for (let i = 0; i < count; i++) {
      const name = `gpu${String(i + 1).padStart(width, '0')}`;
      const hostDir = path.join(stateDir, 'hosts', name);
      const sshdDir = path.join(stateDir, 'sshd', name);
      state.hosts.push({
        name,
        hostname: root ? name : machineHostname(),
        address: mode === 'netns' ? (state.subnet as string).replace(/\.0\/24$/, `.${11 + i}`) : '127.0.0.1',
        port: mode === 'netns' ? 22 : await freePort(),
        user,
        labels: {
          site: prefix,
          zone: `zone-${String.fromCharCode(97 + (i % 2))}`,
          rack: `rack-${Math.floor(i / 4) + 1}`,
        },
        fingerprint: '',
        hostPublicKey: '',
        pid: 0,
        down: false,
        ...(mode === 'netns' ? { netns: `${prefix}-${name}`, veth: `${prefix}v${i + 1}` } : {}),
        hostDir,
        binDir: path.join(hostDir, 'bin'),
        gpuStateFile: path.join(hostDir, 'gpus.json'),
        sshdDir,
        sshdConfig: path.join(sshdDir, 'sshd_config'),
        hostKeyFile: path.join(sshdDir, 'ssh_host_ed25519_key'),
      });
    }
    await writeState(state);

    await Promise.all(
      state.hosts.map(async (host) => {
        await mkdir(host.binDir, { recursive: true });
        await mkdir(path.join(host.hostDir, 'faults'), { recursive: true });
        await mkdir(host.sshdDir, { recursive: true, mode: 0o700 });
        await newKey(host.hostKeyFile, `${prefix}-${host.name}`);
        host.hostPublicKey = (await readFile(`${host.hostKeyFile}.pub`, 'utf8')).trim();
        host.fingerprint = await fingerprintOf(`${host.hostKeyFile}.pub`);
        await writeFile(path.join(host.hostDir, 'authorized_keys'), operatorPub, { mode: 0o644 });
        await writeFile(path.join(host.hostDir, 'lab-env.sh'), envScript(state, host), { mode: 0o644 });
        await writeFile(path.join(host.binDir, 'nvidia-smi'), nvidiaSmiWrapper(state, host), { mode: 0o755 });
        await writeFile(host.sshdConfig, sshdConfigText(state, host), { mode: 0o600 });
        if (labUser) {
          // The host's "filesystem" belongs to its login user (the simulator writes gpus.json).
          for (const p of [host.hostDir, host.binDir, path.join(host.hostDir, 'faults')]) {
            chownSync(p, labUser.uid, labUser.gid);
          }
        }
        if (mode === 'netns') {
          const ns = host.netns as string;
          const veth = host.veth as string;
          await run('ip', ['netns', 'add', ns]);
          await run('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', ns]);
          await run('ip', ['link', 'set', veth, 'master', state.bridge as string, 'up']);
          await run('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
          await run('ip', ['-n', ns, 'addr', 'add', `${host.address}/24`, 'dev', 'eth0']);
          await run('ip', ['-n', ns, 'link', 'set', 'eth0', 'up']);
        }
      }),
    );
    if (labUser && !canRead(state.repoRoot)) {
      state.warnings.push(`the lab user ${LAB_USER} cannot read ${state.repoRoot}: nvidia-smi will fail`);
    }
    if (options.seedHost) {
      for (const [index, host] of state.hosts.entries()) {
        await options.seedHost(host, index);
        if (labUser && existsSync(host.gpuStateFile)) chownSync(host.gpuStateFile, labUser.uid, labUser.gid);
      }
    }
    await writeState(state);
    await Promise.all(
      state.hosts.map(async (host) => {
        host.pid = await startSshd(state, host);
      }),
    );
    await writeState(state);
    await writeInventory(state);
    // The Kubernetes API emulator with one node per host; the SSH lab works without it.
    try {
      const kube = await startLabKube(state);
      state.kubeconfig = kube.kubeconfig;
      state.kubeApiServer = kube.url;
    } catch (error) {
      state.warnings.push(`no Kubernetes API emulator: ${(error as Error).message}`);
    }
    await writeState(state);
    return state;
  } catch (error) {
    await labDown(stateDir).catch(() => undefined);
    throw error;
  }
}

function canRead(dir: string): boolean {
  try {
    assertReachable(dir, 'repository');
    accessSync(dir, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

function machineHostname(): string {
  try {
    return readFileSync('/proc/sys/kernel/hostname', 'utf8').trim();
  } catch {
    return 'localhost';
  }
}

/** Stops every process of the lab and removes its namespaces, veths and bridge (and routes with them). Works after a crash. */
export async function labDown(stateDirArg: string): Promise<{ stopped: number; removed: string[] }> {
  const stateDir = path.resolve(stateDirArg);
  const state = await readState(stateDir);
  const removed: string[] = [];
  // 1. Processes: each host's sshd and sessions, plus anything left with this lab's environment.
  let pids: number[] = [];
  for (const host of state.hosts) pids.push(...(await hostProcesses(state, host)));
  const procs = listProcesses();
  pids.push(...procs.filter((p) => p.cmdline.includes(path.join(stateDir, 'sshd') + '/')).map((p) => p.pid));
  pids.push(...processesWithEnv(`ENCLAVE_LAB_STATE=${stateDir}`, procs));
  pids = [...new Set(pids)];
  await stopPids(pids);

  // 2. Network: namespaces and links with this lab's prefix (recorded or not).
  if (isRoot()) {
    const netnsOut = (await run('ip', ['netns', 'list']).catch(() => ({ stdout: '' }))).stdout;
    const namespaces = new Set(state.hosts.map((h) => h.netns).filter((n): n is string => !!n));
    for (const line of netnsOut.split('\n')) {
      const name = line.trim().split(/\s+/)[0];
      if (name?.startsWith(`${state.prefix}-`)) namespaces.add(name);
    }
    for (const ns of namespaces) {
      const inside = (await run('ip', ['netns', 'pids', ns]).catch(() => ({ stdout: '' }))).stdout;
      await stopPids(inside.split(/\s+/).filter(Boolean).map(Number));
      if (netnsOut.includes(ns)) {
        await run('ip', ['netns', 'del', ns]).catch(() => undefined);
        removed.push(`netns ${ns}`);
      }
    }
    const links = JSON.parse(
      (await run('ip', ['-j', 'link']).catch(() => ({ stdout: '[]' }))).stdout || '[]',
    ) as {
      ifname: string;
    }[];
    const ours = links
      .map((l) => l.ifname)
      .filter((n) => n === state.prefix || n.startsWith(`${state.prefix}v`));
    // veths first (deleting one end removes its peer), then the bridge (its route goes with it).
    ours.sort((a, b) => (a === state.prefix ? 1 : 0) - (b === state.prefix ? 1 : 0));
    for (const link of ours) {
      await run('ip', ['link', 'del', link]).catch(() => undefined);
      removed.push(`link ${link}`);
    }
    // Namespaces are freed asynchronously; wait until their veth ends are gone too.
    const deadline = Date.now() + 3000;
    while (Date.now() < deadline) {
      const now = (await run('ip', ['-o', 'link']).catch(() => ({ stdout: '' }))).stdout;
      if (!now.includes(state.prefix)) break;
      await sleep(50);
    }
  }
  for (const host of state.hosts) {
    host.pid = 0;
    host.down = true;
  }
  state.stoppedAt = new Date().toISOString();
  await writeState(state);
  return { stopped: pids.length, removed };
}

export interface FaultResult {
  host: string;
  kind: FaultKind;
  detail: string;
  previousFingerprint?: string;
  fingerprint?: string;
}

/**
 * Aims slow, fail, drop or garble at some commands only (default: every command, as before).
 * Commands are matched by their command line as the host's shell received it (`nvidia-smi mig -i 0
 * -cgi 9:4`), and counted per host from 1 as they match.
 */
export interface FaultTarget {
  /** An extended regular expression (grep -E) the command line must match. */
  match?: string;
  /** Fire on the nth matching command (default 1)… */
  nth?: number;
  /** …and on this many in all from there (default: 1 when nth is given, else every one; Infinity: every one from nth on). */
  count?: number;
}

const TARGETABLE: readonly FaultKind[] = ['slow', 'fail', 'drop', 'garble'];
const TARGET_FILES = ['match', 'from', 'to', 'seen', 'lock'] as const;

async function clearFault(faults: string, kind: FaultKind): Promise<void> {
  await rm(path.join(faults, kind), { force: true });
  for (const f of TARGET_FILES) await rm(path.join(faults, `${kind}.${f}`), { force: true });
}

async function writeFault(
  faults: string,
  kind: FaultKind,
  value: string,
  target?: FaultTarget,
): Promise<string> {
  await clearFault(faults, kind);
  let aimed = '';
  if (target && (target.match !== undefined || target.nth !== undefined || target.count !== undefined)) {
    const from = target.nth ?? 1;
    const count = target.count ?? (target.nth !== undefined ? 1 : Infinity);
    if (!Number.isInteger(from) || from < 1)
      throw new Error(`nth must be a whole number from 1 (got ${from})`);
    if (count !== Infinity && (!Number.isInteger(count) || count < 1))
      throw new Error(`count must be a whole number from 1, or Infinity (got ${count})`);
    const to = count === Infinity ? 0 : from + count - 1;
    if (target.match !== undefined)
      await writeFile(path.join(faults, `${kind}.match`), `${target.match}\n`, { mode: 0o644 });
    await writeFile(path.join(faults, `${kind}.from`), `${from}\n`, { mode: 0o644 });
    await writeFile(path.join(faults, `${kind}.to`), `${to}\n`, { mode: 0o644 });
    const which = target.match !== undefined ? `matching /${target.match}/` : 'counted';
    aimed = ` (commands ${which}: ${to === 0 ? `number ${from} on` : from === to ? `number ${from} only` : `numbers ${from} to ${to}`})`;
  }
  // Written last: the fault is armed only once its target is in place.
  await writeFile(path.join(faults, kind), `${value}\n`, { mode: 0o644 });
  return aimed;
}

/** How many commands a targeted fault has matched on a host so far (0 before the first). */
export async function labFaultSeen(stateDirArg: string, hostName: string, kind: FaultKind): Promise<number> {
  const state = await readState(path.resolve(stateDirArg));
  const host = state.hosts.find((h) => h.name === hostName);
  if (!host) throw new Error(`no host ${hostName} in the lab`);
  const text = await readFile(path.join(host.hostDir, 'faults', `${kind}.seen`), 'utf8').catch(() => '0');
  return Number(text.trim()) || 0;
}

/**
 * Injects (or clears) a fault on one running host:
 *   slow [seconds=3]  every command sleeps first;  fail [message]  commands exit 1 with the message;
 *   drop [seconds=1]  the session's sshd is killed that long into each command (ssh exits 255);
 *     0 kills it before the command runs, `after` once nvidia-smi has run (its output is lost);
 *   garble [line]     nvidia-smi prints this line (default `@@ garbled by the enclave lab @@`) as its
 *                     second line, the rest of its output unchanged;
 *   rotate-key        new host key, sshd restarted;  down / up  stop / start the host's sshd;
 *   clear             removes slow, fail, drop and garble.
 * slow, fail, drop and garble can be aimed at some commands only (`target`).
 */
export function labFault(
  stateDirArg: string,
  hostName: string,
  kind: string,
  value?: string,
  target?: FaultTarget,
): Promise<FaultResult> {
  // One at a time per lab: each reads lab.json, changes its host and writes it back.
  const stateDir = path.resolve(stateDirArg);
  const queued = (faultQueues.get(stateDir) ?? Promise.resolve()).then(() =>
    injectFault(stateDir, hostName, kind, value, target),
  );
  faultQueues.set(
    stateDir,
    queued.catch(() => undefined),
  );
  return queued;
}

const faultQueues = new Map<string, Promise<unknown>>();

async function injectFault(
  stateDir: string,
  hostName: string,
  kind: string,
  value: string | undefined,
  target: FaultTarget | undefined,
): Promise<FaultResult> {
  const state = await readState(stateDir);
  if (state.stoppedAt) throw new Error(`the lab in ${stateDir} is down: start one with \`lab up\``);
  const host = state.hosts.find((h) => h.name === hostName);
  if (!host)
    throw new Error(`no host ${hostName} in the lab (hosts: ${state.hosts.map((h) => h.name).join(', ')})`);
  if (!(FAULT_KINDS as readonly string[]).includes(kind)) {
    throw new Error(`unknown fault ${kind}: use one of ${FAULT_KINDS.join(', ')}`);
  }
  if (target && !TARGETABLE.includes(kind as FaultKind))
    throw new Error(`only ${TARGETABLE.join(', ')} can be aimed at some commands (not ${kind})`);
  const faults = path.join(host.hostDir, 'faults');
  const number = (fallback: number) => {
    const n = value === undefined ? fallback : Number(value);
    if (!Number.isFinite(n) || n < 0) throw new Error(`${kind} takes a number of seconds (got ${value})`);
    return n;
  };
  const result: FaultResult = { host: host.name, kind: kind as FaultKind, detail: '' };
  switch (kind as FaultKind) {
    case 'slow': {
      const n = number(3);
      const aimed = await writeFault(faults, 'slow', String(n), target);
      result.detail = `commands sleep ${n} s first${aimed}`;
      break;
    }
    case 'fail': {
      const message = value ?? `${host.name}: injected failure (enclave lab)`;
      const aimed = await writeFault(faults, 'fail', message, target);
      result.detail = `commands exit 1: ${message}${aimed}`;
      break;
    }
    case 'drop': {
      const n = value === 'after' ? 'after' : number(1);
      const aimed = await writeFault(faults, 'drop', String(n), target);
      result.detail =
        n === 'after'
          ? `connections are cut once nvidia-smi has run, before its output is sent${aimed}`
          : n === 0
            ? `connections are cut before each command runs${aimed}`
            : `connections are cut ${n} s into each command${aimed}`;
      break;
    }
    case 'garble': {
      const line = value ?? '@@ garbled by the enclave lab @@';
      if (line.includes('\n')) throw new Error('garble takes a single line');
      const aimed = await writeFault(faults, 'garble', line, target);
      result.detail = `nvidia-smi prints ${JSON.stringify(line)} as its second line${aimed}`;
      break;
    }
    case 'clear':
      for (const f of TARGETABLE) await clearFault(faults, f);
      result.detail = 'slow, fail, drop and garble cleared';
      break;
    case 'down':
      await stopHost(state, host);
      host.pid = 0;
      host.down = true;
      result.detail = `sshd stopped (${host.address}:${host.port} refuses connections)`;
      break;
    case 'up':
      if (!host.down && host.pid && isAlive(host.pid)) {
        result.detail = 'already up';
        break;
      }
      for (const pid of listenerPids(host)) await stopPids([pid]);
      host.pid = await startSshd(state, host);
      host.down = false;
      result.detail = `sshd started (pid ${host.pid})`;
      break;
    case 'rotate-key': {
      result.previousFingerprint = host.fingerprint;
      const tmp = path.join(host.sshdDir, 'ssh_host_ed25519_key.new');
      await newKey(tmp, `${state.prefix}-${host.name}-rotated-${Date.now()}`);
      await rename(`${tmp}.pub`, `${host.hostKeyFile}.pub`);
      await rename(tmp, host.hostKeyFile);
      host.hostPublicKey = (await readFile(`${host.hostKeyFile}.pub`, 'utf8')).trim();
      host.fingerprint = await fingerprintOf(`${host.hostKeyFile}.pub`);
      result.fingerprint = host.fingerprint;
      if (!host.down) {
        // Restart only the listener: established sessions keep running, as after a real restart.
        await stopPids(listenerPids(host));
        host.pid = await startSshd(state, host);
      }
      result.detail = `host key rotated: ${result.previousFingerprint} -> ${result.fingerprint}`;
      break;
    }
  }
  await writeState(state);
  await writeInventory(state);
  return result;
}

/** The lab's state as recorded in lab.json. */
export function labStatus(stateDir: string): Promise<LabState> {
  return readState(stateDir);
}
