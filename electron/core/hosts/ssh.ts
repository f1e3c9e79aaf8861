import type { Duplex } from 'node:stream';
import ssh2 from 'ssh2';
import { ConsoleError } from '../../../shared/errors';
import { decideHostKey, fingerprint, type HostKeyDecision } from './host-key';

/**
 * One SSH connection to a GPU host with a pinned host key. ssh2 calls the host
 * verifier during key exchange, before any authentication, so no credential
 * is ever sent to a host whose key was not confirmed.
 */
export interface SshTarget {
  /** The bastion this host is reached through, itself a pinned host. */
  jump?: SshTarget;
  name: string;
  address: string;
  port: number;
  user: string;
  /** A private key, `agent`: the path of an ssh-agent socket, or a password (where policy allows). */
  privateKey?: Buffer;
  agent?: string;
  password?: string;
  pinned: string | null;
  expected?: string;
}

export interface SshSession {
  /** The host key decision that let the connection through ('trusted' or 'pin'). */
  hostKey: HostKeyDecision;
  /** True once the connection has ended, for whatever reason. */
  readonly closed: boolean;
  exec(
    command: string,
    options?: {
      timeoutMs?: number;
      signal?: AbortSignal;
      onData?: (stream: 'stdout' | 'stderr', text: string) => void;
    },
  ): Promise<CommandResult>;
  /** An SFTP channel on this connection (ssh2's SFTPWrapper: fastPut, fastGet, stat…). */
  sftp(): Promise<ssh2.SFTPWrapper>;
  /** A TCP stream from this host to another (`ssh -J`): how a bastion reaches the hosts behind it. */
  forward(address: string, port: number): Promise<Duplex>;
  /** An interactive shell on a PTY (TERM xterm-256color) on this connection. */
  shell(size: { cols: number; rows: number }): Promise<ssh2.ClientChannel>;
  close(): void;
}

export interface CommandResult {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

const MAX_OUTPUT = 8 * 1024 * 1024;

/** A connection that could not be set up; `transient` ones (refused, timed out) are worth retrying. */
export class SshConnectError extends ConsoleError {
  constructor(
    readonly transient: boolean,
    message: string,
    hint: string,
  ) {
    super('FAILED', message, { hint });
  }
}

export function hostKeyRefusal(name: string, d: HostKeyDecision): ConsoleError | undefined {
  switch (d.verdict) {
    case 'unconfirmed':
      return new ConsoleError(
        'CONFLICT',
        `the host key of ${name} is not confirmed yet: it presented ${d.presented}`,
        {
          hint: `check that fingerprint out of band (on the host: ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub), then add the host again with --fingerprint ${d.presented}`,
        },
      );
    case 'mismatch':
      return new ConsoleError(
        'FORBIDDEN',
        `${name} presented ${d.presented}, not the confirmed ${d.expected}`,
        {
          hint: 'nothing was sent to it; check the address and the fingerprint before trying again',
        },
      );
    case 'changed':
      return new ConsoleError(
        'FORBIDDEN',
        `the host key of ${name} has CHANGED: pinned ${d.pinned}, now ${d.presented}`,
        {
          hint: 'nothing was sent to it. If the host was reinstalled, an administrator can re-pin the new key after checking it out of band',
        },
      );
    default:
      return undefined;
  }
}

/**
 * Connects to a host — through its jump host (bastion) first when it has one,
 * as `ssh -J` does: the bastion's own pinned key is checked, then the target's
 * over a stream the bastion forwards. Closing the session closes both.
 */
export async function connectSsh(
  target: SshTarget,
  options: { timeoutMs?: number } = {},
): Promise<SshSession> {
  if (!target.jump) return connectDirect(target, options);
  const bastion = await connectSsh(target.jump, options);
  try {
    const sock = await bastion.forward(target.address, target.port);
    const session = await connectDirect(target, options, sock, () => bastion.close());
    return session;
  } catch (error) {
    bastion.close();
    if (error instanceof ConsoleError) throw error;
    throw new SshConnectError(
      true,
      `${target.jump.name} could not reach ${target.name} (${target.address}:${target.port}): ${(error as Error).message}`,
      `check that ${target.jump.name} can reach that address and allows TCP forwarding`,
    );
  }
}

function connectDirect(
  target: SshTarget,
  options: { timeoutMs?: number },
  sock?: Duplex,
  onClose?: () => void,
): Promise<SshSession> {
  return new Promise((resolve, reject) => {
    const client = new ssh2.Client();
    let decision: HostKeyDecision | undefined;
    let settled = false;
    let closed = false;
    client.on('close', () => {
      closed = true;
      onClose?.();
    });
    const fail = (error: ConsoleError) => {
      if (settled) return;
      settled = true;
      client.end();
      reject(error);
    };
    client.on('ready', () => {
      settled = true;
      resolve({
        hostKey: decision as HostKeyDecision,
        get closed() {
          return closed;
        },
        exec: (command, o) => exec(client, command, o),
        sftp: () =>
          new Promise((res, rej) =>
            client.sftp((error, sftp) =>
              error
                ? rej(new ConsoleError('FAILED', `SFTP is not available on ${target.name}: ${error.message}`))
                : res(sftp),
            ),
          ),
        shell: (size) => openShell(client, size),
        forward: (address, port) =>
          new Promise((res, rej) =>
            client.forwardOut('127.0.0.1', 0, address, port, (error, stream) =>
              error ? rej(error) : res(stream),
            ),
          ),
        close: () => client.end(),
      });
    });
    client.on('error', (error: Error & { level?: string }) => {
      const refusal = decision && hostKeyRefusal(target.name, decision);
      if (refusal) return fail(refusal);
      const authentication = error.level === 'client-authentication';
      fail(
        new SshConnectError(
          !authentication,
          authentication
            ? `${target.name} (${target.address}:${target.port}) refused the login as ${target.user}: ${error.message}`
            : `cannot reach ${target.name} (${target.address}:${target.port}): ${error.message}`,
          authentication
            ? target.password !== undefined
              ? `the host refused the password for user ${target.user}, or does not take passwords (sshd PasswordAuthentication)`
              : `the host refused the key for user ${target.user}; check its authorized_keys`
            : 'check that the host is up and the address and port are right',
        ),
      );
    });
    client.connect({
      ...(sock ? { sock } : { host: target.address, port: target.port }),
      username: target.user,
      ...(target.privateKey ? { privateKey: target.privateKey } : {}),
      ...(target.agent ? { agent: target.agent } : {}),
      ...(target.password !== undefined ? { password: target.password } : {}),
      readyTimeout: options.timeoutMs ?? 10_000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      hostVerifier: (key: Buffer) => {
        decision = decideHostKey({
          pinned: target.pinned,
          expected: target.expected,
          presented: fingerprint(key),
        });
        return decision.verdict === 'trusted' || decision.verdict === 'pin';
      },
    });
  });
}

/** Opens a PTY shell channel: ssh2's `client.shell({term, cols, rows})`. */
export function openShell(
  client: InstanceType<typeof ssh2.Client>,
  size: { cols: number; rows: number },
): Promise<ssh2.ClientChannel> {
  return new Promise((resolve, reject) => {
    client.shell({ term: 'xterm-256color', cols: size.cols, rows: size.rows }, (error, stream) =>
      error
        ? reject(new ConsoleError('FAILED', `could not start a shell: ${error.message}`))
        : resolve(stream),
    );
  });
}

function exec(
  client: InstanceType<typeof ssh2.Client>,
  command: string,
  options: {
    timeoutMs?: number;
    signal?: AbortSignal;
    onData?: (stream: 'stdout' | 'stderr', text: string) => void;
  } = {},
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    client.exec(command, (error, stream) => {
      if (error) return reject(new ConsoleError('FAILED', `could not start the command: ${error.message}`));
      let stdout = '';
      let stderr = '';
      // Every way the command can end settles once and removes the listeners it added
      // (a pooled connection runs many commands).
      const settle = (outcome: () => void) => {
        clearTimeout(timer);
        client.removeListener('close', dropped);
        options.signal?.removeEventListener('abort', cancelled);
        outcome();
      };
      const timer = setTimeout(() => {
        stream.close();
        settle(() =>
          reject(new ConsoleError('FAILED', `the command did not finish within ${options.timeoutMs} ms`)),
        );
      }, options.timeoutMs ?? 60_000);
      // A connection lost mid-command (host rebooted, cable pulled) must not look like success.
      const dropped = () =>
        settle(() =>
          reject(new ConsoleError('FAILED', 'the connection dropped before the command finished')),
        );
      const cancelled = () => {
        stream.close();
        settle(() => reject(new ConsoleError('CANCELLED', 'the command was cancelled')));
      };
      client.once('close', dropped);
      options.signal?.addEventListener('abort', cancelled, { once: true });
      // One decoder per stream, so a multi-byte character split across packets stays whole.
      const out = new TextDecoder();
      const err = new TextDecoder();
      stream.on('data', (d: Buffer) => {
        const text = out.decode(d, { stream: true });
        if (stdout.length < MAX_OUTPUT) stdout += text;
        options.onData?.('stdout', text);
      });
      stream.stderr.on('data', (d: Buffer) => {
        const text = err.decode(d, { stream: true });
        if (stderr.length < MAX_OUTPUT) stderr += text;
        options.onData?.('stderr', text);
      });
      stream.on('close', (code: number | null | undefined, signal: string | null | undefined) => {
        if (code === undefined && signal === undefined) return dropped();
        settle(() => resolve({ exitCode: code ?? null, signal: signal ?? null, stdout, stderr }));
      });
    });
  });
}
