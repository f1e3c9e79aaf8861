import { ConsoleClient } from '../../shared/client';
import { ConsoleError } from '../../shared/errors';
import { inProcessChannel, newConnection, openConsole, type ConsoleCore } from '../core';
import { interactive, promptHidden, promptLine } from './prompt';
import { UsageError } from './exit-codes';

/** The core opened in this process, with a client that goes through the dispatcher like any window. */
export interface CliCore {
  core: ConsoleCore;
  client: ConsoleClient;
  close(): void;
}

export async function openCliCore(
  dataDir: string,
  options: { recordLifecycle?: boolean } = {},
): Promise<CliCore> {
  const core = await openConsole({ dataDir, ...options });
  const client = new ConsoleClient(inProcessChannel(core.dispatcher, newConnection('cli')));
  return {
    core,
    client,
    close() {
      client.close();
      core.close();
    },
  };
}

/** ENCLAVE_PASSPHRASE, else a hidden prompt on a terminal. */
export async function readPassphrase(question: string, confirm = false): Promise<string> {
  const fromEnv = process.env.ENCLAVE_PASSPHRASE;
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  if (!interactive()) {
    throw new UsageError(
      'no passphrase: set ENCLAVE_PASSPHRASE or run the command in a terminal to be asked',
    );
  }
  const first = await promptHidden(question);
  if (confirm && (await promptHidden('Repeat the passphrase: ')) !== first) {
    throw new UsageError('the two passphrases differ; run the command again');
  }
  return first;
}

/** Signs the CLI's connection in as ENCLAVE_OPERATOR (or asks), like the sign-in screen does. */
export async function signIn(cli: CliCore): Promise<void> {
  const status = await cli.client.call('session.status', {});
  if (!status.initialised) {
    throw new ConsoleError('CONFLICT', 'this data directory has no operators yet', {
      hint: 'run `enclave init --admin NAME` first (or pass the right --data-dir)',
    });
  }
  let operator = process.env.ENCLAVE_OPERATOR;
  if (!operator) {
    if (!interactive()) {
      throw new UsageError('no operator: set ENCLAVE_OPERATOR and ENCLAVE_PASSPHRASE, or run in a terminal');
    }
    operator = await promptLine('Operator: ');
  }
  const passphrase = await readPassphrase(`Passphrase for ${operator}: `);
  await cli.client.call('session.signIn', { operator, passphrase });
}
