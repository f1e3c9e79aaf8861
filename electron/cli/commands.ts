import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AuditEntryView } from '../../shared/api';
import { alreadyInitialised } from '../core/identity';
import { startHarness } from '../server';
import { UsageError } from './exit-codes';
import { openCliCore, readPassphrase, signIn, type CliCore } from './session';
import { formatFields, formatTable } from './table';

export interface CommandContext {
  dataDir: string;
  json: boolean;
  options: Record<string, string | boolean | undefined>;
  positionals: string[];
  print(text: string): void;
}

export interface Command {
  /** Words after `enclave`, e.g. ['audit', 'list']. */
  words: string[];
  usage: string;
  summary: string;
  /** Options this command accepts besides --data-dir, --json and --help. */
  options: string[];
  run(ctx: CommandContext): Promise<number | void>;
}

async function withCore<T>(ctx: CommandContext, fn: (cli: CliCore) => Promise<T>): Promise<T> {
  const cli = await openCliCore(ctx.dataDir);
  try {
    return await fn(cli);
  } finally {
    cli.close();
  }
}

const str = (v: string | boolean | undefined) => (typeof v === 'string' ? v : undefined);

/** "24h", "7d", "30m" ago, or an ISO time. */
export function parseSince(value: string, now = new Date()): string {
  const m = /^(\d+)([smhd])$/.exec(value);
  if (m) {
    const unit = { s: 1e3, m: 6e4, h: 36e5, d: 864e5 }[m[2] as 's' | 'm' | 'h' | 'd'];
    return new Date(now.getTime() - Number(m[1]) * unit).toISOString();
  }
  const t = Date.parse(value);
  if (Number.isNaN(t))
    throw new UsageError(`--since ${value}: use an ISO time (2026-11-29T10:00:00Z) or 30m, 24h, 7d`);
  return new Date(t).toISOString();
}

export const COMMANDS: Command[] = [
  {
    words: ['init'],
    usage: 'init --admin NAME [--display-name TEXT]',
    summary: 'Set up a new data directory with its first administrator.',
    options: ['admin', 'display-name'],
    async run(ctx) {
      const name = str(ctx.options.admin);
      if (!name) throw new UsageError('init needs --admin NAME (the first administrator)');
      return withCore(ctx, async (cli) => {
        const status = await cli.client.call('session.status', {});
        // Refuse before asking for a passphrase that would not be used.
        if (status.initialised) throw alreadyInitialised();
        const passphrase = await readPassphrase(`Passphrase for ${name} (12+ characters): `, true);
        const session = await cli.client.call('setup.createFirstAdmin', {
          name,
          displayName: str(ctx.options['display-name']) ?? name,
          passphrase,
        });
        const info = await cli.client.call('system.info', {});
        if (ctx.json) ctx.print(JSON.stringify({ ...info, admin: session.operator.name }, null, 2));
        else {
          ctx.print(`Initialised ${info.dataDir}`);
          ctx.print(
            formatFields([
              ['administrator', `${session.operator.name} (${session.operator.displayName})`],
              ['workstation id', info.workstationId ?? '-'],
              ['schema version', String(info.schemaVersion)],
            ]),
          );
          ctx.print('Next: `enclave serve` to open the console in a browser, or start the desktop app.');
        }
      });
    },
  },
  {
    words: ['info'],
    usage: 'info',
    summary: 'Version, data directory, schema version and workstation id.',
    options: [],
    async run(ctx) {
      return withCore(ctx, async (cli) => {
        const info = await cli.client.call('system.info', {});
        if (ctx.json) return ctx.print(JSON.stringify(info, null, 2));
        ctx.print(
          formatFields([
            ['version', info.version],
            ['data directory', info.dataDir],
            ['schema version', String(info.schemaVersion)],
            ['workstation id', info.workstationId ?? '(not initialised: run `enclave init --admin NAME`)'],
            ['secrets key', info.secretsProtection],
            ['runtime', info.runtime],
          ]),
        );
      });
    },
  },
  {
    words: ['serve'],
    usage: 'serve [--port N]',
    summary: 'Serve the console to a browser on 127.0.0.1, protected by a one-time token.',
    options: ['port'],
    async run(ctx) {
      const port = Number(str(ctx.options.port) ?? '0');
      if (!Number.isInteger(port) || port < 0 || port > 65535)
        throw new UsageError('--port takes 0–65535 (0: any free port)');
      const cli = await openCliCore(ctx.dataDir);
      const staticDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'renderer');
      const harness = await startHarness({ core: cli.core, port, staticDir });
      if (ctx.json) ctx.print(JSON.stringify({ url: harness.url, port: harness.port }));
      else {
        ctx.print(`Enclave Console is serving on ${harness.url}`);
        ctx.print(
          'Open that URL in a browser on this machine; the token in it changes at every launch. Ctrl+C stops.',
        );
      }
      await new Promise<void>((resolve) => {
        const stop = () => resolve();
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
      await harness.close();
      cli.close();
    },
  },
  {
    words: ['audit', 'list'],
    usage: 'audit list [--operator U] [--since T] [--procedure P] [--outcome ok|denied|error] [--limit N]',
    summary: 'Audit entries, newest first.',
    options: ['operator', 'since', 'procedure', 'outcome', 'limit'],
    async run(ctx) {
      const outcome = str(ctx.options.outcome);
      if (outcome !== undefined && !['ok', 'denied', 'error'].includes(outcome)) {
        throw new UsageError('--outcome is one of ok, denied, error');
      }
      const since = str(ctx.options.since);
      const operator = str(ctx.options.operator);
      const procedure = str(ctx.options.procedure);
      const filter = {
        limit: Number(str(ctx.options.limit) ?? '500'),
        ...(operator ? { operator } : {}),
        ...(procedure ? { procedure } : {}),
        ...(outcome ? { outcome: outcome as AuditEntryView['outcome'] } : {}),
        ...(since ? { since: parseSince(since) } : {}),
      };
      return withCore(ctx, async (cli) => {
        await signIn(cli);
        const { entries, total } = await cli.client.call('audit.list', filter);
        if (ctx.json) return ctx.print(JSON.stringify({ entries, total }, null, 2));
        ctx.print(
          formatTable(
            ['SEQ', 'TIME', 'OPERATOR', 'ACTION', 'TARGET', 'OUTCOME'],
            entries.map((e) => [
              String(e.seq),
              e.at,
              e.operator ?? '-',
              e.procedure,
              e.target ?? '-',
              e.outcome + (e.error ? `: ${e.error}` : ''),
            ]),
          ),
        );
        ctx.print(`${entries.length} of ${total} entries`);
      });
    },
  },
];
