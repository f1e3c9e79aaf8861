#!/usr/bin/env node
/**
 * `enclave`: the console without windows. Every command goes through the same
 * dispatcher as the UI, as a signed-in operator, and is audited the same way.
 */
import { parseArgs } from 'node:util';
import { ConsoleError } from '../../shared/errors';
import { resolveDataDir } from '../core';
import { COMMANDS, type Command, type CommandContext } from './commands';
import { EXIT, exitCodeFor, UsageError } from './exit-codes';

const GLOBAL_OPTIONS = ['data-dir', 'json', 'yes', 'help'];
const BOOLEAN_OPTIONS = new Set([
  'json',
  'yes',
  'help',
  'full',
  'all',
  'loopback',
  'netns',
  'agent',
  'password',
  'overwrite',
  'recorded',
  'force',
  'no-kubeconfig-exec',
  'replace',
  'no-wait',
]);
/** Options that may be given more than once (`--label site=north --label rack=r7`). */
const MULTIPLE_OPTIONS = new Set(['label', 'model', 'allow-kubeconfig-exec', 'context']);

function help(): string {
  const width = Math.max(...COMMANDS.map((c) => c.usage.length));
  return [
    'Usage: enclave [--data-dir DIR] [--json] COMMAND …',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.usage.padEnd(width)}  ${c.summary}`),
    '',
    'Options for every command:',
    '  --data-dir DIR  the data directory (else ENCLAVE_DATA_DIR, else $XDG_DATA_HOME/enclave-console)',
    '  --json          machine-readable output',
    '  --yes           do not ask for confirmation',
    '',
    'Sign-in: ENCLAVE_OPERATOR and ENCLAVE_PASSPHRASE, or prompts on a terminal.',
    'Exit codes: 0 done, 1 failed, 2 usage error, 3 refused by verification or policy.',
  ].join('\n');
}

function findCommand(positionals: string[]): Command | undefined {
  return COMMANDS.filter((c) => c.words.every((w, i) => positionals[i] === w)).sort(
    (a, b) => b.words.length - a.words.length,
  )[0];
}

export async function main(argv: string[]): Promise<number> {
  const allOptions = new Set([...GLOBAL_OPTIONS, ...COMMANDS.flatMap((c) => c.options)]);
  // Words after `--` are the remote command of `hosts run`, never options of ours.
  const dashes = argv.indexOf('--');
  const rest = dashes >= 0 ? argv.slice(dashes + 1) : [];
  const own = dashes >= 0 ? argv.slice(0, dashes) : argv;
  let json = own.includes('--json');
  try {
    const { values, positionals } = parseArgs({
      args: own,
      allowPositionals: true,
      strict: true,
      options: Object.fromEntries(
        [...allOptions].map(
          (name) =>
            [
              name,
              {
                type: BOOLEAN_OPTIONS.has(name) ? 'boolean' : 'string',
                multiple: MULTIPLE_OPTIONS.has(name),
              },
            ] as const,
        ),
      ),
    });
    json = values.json === true;
    if (positionals.length === 0 || positionals[0] === 'help') {
      process.stdout.write(`${help()}\n`);
      return positionals.length === 0 && !values.help ? EXIT.usage : EXIT.done;
    }
    const command = findCommand(positionals);
    if (!command) throw new UsageError(`unknown command "${positionals.join(' ')}"; see enclave --help`);
    if (values.help) {
      process.stdout.write(`Usage: enclave ${command.usage}\n${command.summary}\n`);
      return EXIT.done;
    }
    const extra = Object.keys(values).filter(
      (k) => !GLOBAL_OPTIONS.includes(k) && !command.options.includes(k),
    );
    if (extra.length)
      throw new UsageError(`${command.words.join(' ')} does not take --${extra.join(', --')}`);
    const code = await command.run({
      dataDir: resolveDataDir(typeof values['data-dir'] === 'string' ? values['data-dir'] : undefined),
      json,
      options: values as CommandContext['options'],
      positionals: positionals.slice(command.words.length),
      rest,
      print: (text) => {
        process.stdout.write(`${text}\n`);
      },
    });
    return typeof code === 'number' ? code : EXIT.done;
  } catch (error) {
    return report(error, json);
  }
}

function report(error: unknown, json: boolean): number {
  let body: { code: string; message: string; hint?: string };
  let exit: number;
  if (error instanceof ConsoleError) {
    body = error.toBody();
    exit = exitCodeFor(error.code);
  } else if (
    error instanceof UsageError ||
    (error as { code?: string })?.code?.startsWith?.('ERR_PARSE_ARGS')
  ) {
    body = { code: 'USAGE', message: (error as Error).message, hint: 'see enclave --help' };
    exit = EXIT.usage;
  } else {
    body = { code: 'FAILED', message: error instanceof Error ? error.message : String(error) };
    exit = EXIT.failed;
  }
  if (json) process.stdout.write(`${JSON.stringify({ error: body })}\n`);
  process.stderr.write(`enclave: ${body.message}\n`);
  if (body.hint) process.stderr.write(`  ${body.hint}\n`);
  for (const issue of (body as { issues?: { path: string; message: string }[] }).issues ?? []) {
    process.stderr.write(`  ${issue.path}: ${issue.message}\n`);
  }
  return exit;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`enclave: ${String(error)}\n`);
    process.exitCode = EXIT.failed;
  },
);
