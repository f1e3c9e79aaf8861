// What every `enclave` command is made of, and the helpers several command groups share.
import { readFileSync } from 'node:fs';
import { UsageError } from './exit-codes';
import { interactive, promptLine } from './prompt';
import { openCliCore, type CliCore } from './session';

export interface CommandContext {
  dataDir: string;
  json: boolean;
  options: Record<string, string | boolean | string[] | undefined>;
  positionals: string[];
  /** Arguments after `--`. */
  rest: string[];
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

export async function withCore<T>(ctx: CommandContext, fn: (cli: CliCore) => Promise<T>): Promise<T> {
  const cli = await openCliCore(ctx.dataDir);
  try {
    return await fn(cli);
  } finally {
    cli.close();
  }
}

export const str = (v: string | boolean | string[] | undefined) => (typeof v === 'string' ? v : undefined);

/** The hosts a fleet command acts on: names given, `--all`, or `--label K=V`…. */
export async function hostSelection(
  ctx: CommandContext,
  cli: CliCore,
): Promise<{ labels: Record<string, string> } | { hosts: string[] }> {
  const labels = parseLabels(ctx.options.label);
  if (Object.keys(labels).length > 0) return { labels };
  const hosts =
    ctx.options.all === true ? (await cli.client.call('hosts.list', {})).map((h) => h.name) : ctx.positionals;
  if (hosts.length === 0) throw new UsageError('name the hosts, or use --all or --label K=V');
  return { hosts };
}

/** `--label K=V` (repeatable) as a record. */
export function parseLabels(option: CommandContext['options'][string]): Record<string, string> {
  const labels: Record<string, string> = {};
  for (const label of Array.isArray(option) ? option : []) {
    const [k, ...v] = label.split('=');
    if (!k || v.length === 0) throw new UsageError(`--label ${label}: use KEY=VALUE`);
    labels[k] = v.join('=');
  }
  return labels;
}

export function readText(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    throw new UsageError(`${what}: cannot read ${file}`);
  }
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  for (; n >= 1024 && i < units.length - 1; i++) n /= 1024;
  return `${i === 0 ? n : n.toFixed(1)} ${units[i]}`;
}

/** Asks before a change unless --yes; a script (no terminal, or --json) must say --yes. */
export async function confirm(ctx: CommandContext, question: string): Promise<boolean> {
  if (ctx.options.yes === true) return true;
  if (!interactive() || ctx.json) throw new UsageError('add --yes to apply without being asked');
  return /^y(es)?$/i.test(await promptLine(`${question} [y/N] `));
}
