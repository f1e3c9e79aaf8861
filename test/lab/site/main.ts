// CLI for the lab's GPU hosts:
//   up [--hosts N] [--state DIR] [--loopback|--netns] [--json]
//   down --state DIR [--json]
//   fault --state DIR HOST KIND [VALUE] [--match ERE] [--nth N] [--count N|all] [--json]
//         KIND: slow [s] | fail [msg] | drop [s] | garble | rotate-key | down | up | clear
//   status --state DIR [--json]
// Exit codes: 0 done, 1 failed, 2 usage error. `main(argv)` is exported for the `enclave lab` command.
import { seedDefaultGpus } from './gpu-profiles';
import { realpathSync } from 'node:fs';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { FAULT_KINDS, labDown, labFault, labStatus, labUp, type LabMode, type LabState } from './index';

const USAGE = `usage:
  lab up [--hosts N] [--state DIR] [--loopback|--netns] [--json]
  lab down --state DIR [--json]
  lab fault --state DIR HOST KIND [VALUE] [--match ERE] [--nth N] [--count N|all] [--json]
      (KIND: ${FAULT_KINDS.join(', ')}; --match/--nth/--count aim slow, fail, drop and garble at some commands)
  lab status --state DIR [--json]`;

class UsageError extends Error {}

interface Parsed {
  positional: string[];
  flags: Map<string, string | true>;
}

function parse(argv: string[]): Parsed {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  const withValue = new Set(['--hosts', '--state', '--match', '--nth', '--count']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg.startsWith('--')) {
      const [name, inline] = arg.split('=', 2) as [string, string | undefined];
      if (withValue.has(name)) {
        const v = inline ?? argv[++i];
        if (v === undefined) throw new UsageError(`${name} needs a value`);
        flags.set(name, v);
      } else if (['--json', '--loopback', '--netns', '--help'].includes(name)) {
        flags.set(name, true);
      } else {
        throw new UsageError(`unknown option ${name}`);
      }
    } else {
      positional.push(arg);
    }
  }
  return { positional, flags };
}

function summary(state: LabState): string {
  const lines = [
    `lab ${state.prefix} up in ${state.mode} mode (${state.modeReason})`,
    `  state dir:     ${state.stateDir}`,
    `  inventory:     ${state.inventory}`,
    `  operator key:  ${state.operatorKey}`,
    `  known_hosts:   ${state.knownHosts}`,
    ...(state.kubeconfig ? [`  kubeconfig:    ${state.kubeconfig} (${state.kubeApiServer ?? ''})`] : []),
    ...(state.subnet ? [`  network:       ${state.subnet} on bridge ${state.bridge}`] : []),
  ];
  for (const h of state.hosts) {
    lines.push(
      `  ${h.name.padEnd(6)} ${`${h.user}@${h.address}:${h.port}`.padEnd(30)} ${h.down ? 'down' : `pid ${h.pid}`}  ${h.fingerprint}`,
    );
  }
  for (const w of state.warnings) lines.push(`  warning: ${w}`);
  lines.push(
    `  connect:       ssh -i ${state.operatorKey} -o UserKnownHostsFile=${state.knownHosts} -p PORT USER@ADDRESS`,
  );
  return lines.join('\n');
}

function stateDirOf(flags: Parsed['flags'], required: boolean): string | undefined {
  const v = flags.get('--state');
  if (typeof v === 'string') return v;
  if (process.env.ENCLAVE_LAB_STATE_DIR) return process.env.ENCLAVE_LAB_STATE_DIR;
  if (required) throw new UsageError('--state DIR is required (or set ENCLAVE_LAB_STATE_DIR)');
  return undefined;
}

export async function main(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(s),
): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parse(argv);
  } catch (e) {
    process.stderr.write(`lab: ${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const { positional, flags } = parsed;
  const json = flags.has('--json');
  const [command, ...rest] = positional;
  if (flags.has('--help') || !command) {
    out(`${USAGE}\n`);
    return command || flags.has('--help') ? 0 : 2;
  }
  try {
    switch (command) {
      case 'up': {
        const hostsText = flags.get('--hosts');
        const hosts = typeof hostsText === 'string' ? Number(hostsText) : 3;
        if (!Number.isInteger(hosts) || hosts < 1)
          throw new UsageError(`--hosts takes a positive number (got ${hostsText})`);
        if (flags.has('--loopback') && flags.has('--netns'))
          throw new UsageError('--loopback and --netns exclude each other');
        const mode: LabMode | undefined = flags.has('--loopback')
          ? 'loopback'
          : flags.has('--netns')
            ? 'netns'
            : undefined;
        const stateDir = stateDirOf(flags, false) ?? (await mkdtemp(path.join(tmpdir(), 'enclave-lab-')));
        const state = await labUp({ hosts, stateDir, seedHost: seedDefaultGpus, ...(mode ? { mode } : {}) });
        out(json ? `${JSON.stringify(state, null, 2)}\n` : `${summary(state)}\n`);
        return 0;
      }
      case 'down': {
        const stateDir = stateDirOf(flags, true) as string;
        const result = await labDown(stateDir);
        out(
          json
            ? `${JSON.stringify(result, null, 2)}\n`
            : `lab in ${stateDir} down: ${result.stopped} processes stopped${result.removed.length ? `, removed ${result.removed.join(', ')}` : ''}\n`,
        );
        return 0;
      }
      case 'fault': {
        const stateDir = stateDirOf(flags, true) as string;
        const [host, kind, value] = rest;
        if (!host || !kind) throw new UsageError('fault needs HOST and KIND');
        const whole = (name: string): number | undefined => {
          const v = flags.get(name);
          if (v === undefined) return undefined;
          if (name === '--count' && v === 'all') return Infinity;
          if (typeof v !== 'string' || !/^[1-9][0-9]*$/.test(v))
            throw new UsageError(`${name} takes a whole number`);
          return Number(v);
        };
        const match = flags.get('--match');
        const nth = whole('--nth');
        const count = whole('--count');
        const target = {
          ...(typeof match === 'string' ? { match } : {}),
          ...(nth !== undefined ? { nth } : {}),
          ...(count !== undefined ? { count } : {}),
        };
        const result = await labFault(
          stateDir,
          host,
          kind,
          value,
          Object.keys(target).length ? target : undefined,
        );
        out(
          json
            ? `${JSON.stringify(result, null, 2)}\n`
            : `${result.host}: ${result.kind}: ${result.detail}\n`,
        );
        return 0;
      }
      case 'status': {
        const state = await labStatus(stateDirOf(flags, true) as string);
        out(
          json
            ? `${JSON.stringify(state, null, 2)}\n`
            : `${summary(state)}${state.stoppedAt ? `\n  (stopped ${state.stoppedAt})` : ''}\n`,
        );
        return 0;
      }
      default:
        throw new UsageError(`unknown command ${command}`);
    }
  } catch (e) {
    if (e instanceof UsageError) {
      process.stderr.write(`lab: ${e.message}\n${USAGE}\n`);
      return 2;
    }
    process.stderr.write(`lab: ${(e as Error).message}\n`);
    return 1;
  }
}

// Run only as the entry point itself (`node out/…/lab.mjs`), never when bundled into another CLI.
const self = realpathSync(fileURLToPath(import.meta.url));
const invoked = process.argv[1] ? realpathSync(process.argv[1]) : '';
if (invoked === self && /^(main|lab)\./.test(path.basename(self))) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`lab: ${String(e)}\n`);
      process.exit(1);
    },
  );
}
