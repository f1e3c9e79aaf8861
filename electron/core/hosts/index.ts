import { createHash } from 'node:crypto';
import { setMaxListeners } from 'node:events';
import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { z } from 'zod';
import type { CommandResultRow, DiscoveredHost, HostRow, TransferResultRow } from '../../../shared/api';
import { ConsoleError } from '../../../shared/errors';
import type { Clock } from '../clock';
import type { Db, SecretsVault } from '../store';
import { sitePolicy } from '../policy';
import { discoverHost } from './discovery';
import { SshPool } from './pool';
import { connectSsh, type CommandResult, type SshSession, type SshTarget } from './ssh';
import { downloadFile, hashLocal, uploadFile, type TransferProgress } from './transfer';

export { fingerprint, decideHostKey, FINGERPRINT, type HostKeyDecision } from './host-key';
export { connectSsh, hostKeyRefusal, type SshSession, type SshTarget, type CommandResult } from './ssh';
export { SshPool } from './pool';

type Host = z.infer<typeof HostRow>;

interface Row {
  id: number;
  name: string;
  address: string;
  port: number;
  user: string;
  labels: string;
  fingerprint: string | null;
  last_seen_at: string | null;
  key_secret: string | null;
  jump_host: string | null;
  auth: 'key' | 'agent' | 'password';
  facts: string | null;
  discovered_at: string | null;
}

const toHost = (r: Row): Host => ({
  name: r.name,
  address: r.address,
  port: r.port,
  user: r.user,
  labels: JSON.parse(r.labels) as Record<string, string>,
  fingerprint: r.fingerprint,
  lastSeenAt: r.last_seen_at,
  facts: r.facts ? (JSON.parse(r.facts) as Host['facts']) : null,
  discoveredAt: r.discovered_at,
  jump: r.jump_host,
  auth: r.auth,
});

/** The GPU host inventory: hosts, their pinned keys and their (encrypted) credentials. */
export class HostInventory {
  readonly pool: SshPool;

  constructor(
    private readonly db: Db,
    private readonly vault: SecretsVault,
    private readonly clock: Clock,
    pool?: SshPool,
  ) {
    this.pool = pool ?? new SshPool();
  }

  close(): void {
    this.pool.closeAll();
    for (const session of this.dedicated) session.close();
    this.dedicated.clear();
  }

  private readonly dedicated = new Set<SshSession>();

  /**
   * A connection of its own to a host (pinned key, stored credentials), outside the
   * pool: for long-lived channels such as terminals. Closed with the inventory.
   */
  async connect(name: string): Promise<SshSession> {
    const session = await connectSsh(this.target(this.row(name)));
    this.dedicated.add(session);
    return {
      hostKey: session.hostKey,
      get closed() {
        return session.closed;
      },
      exec: (command, options) => session.exec(command, options),
      sftp: () => session.sftp(),
      shell: (size) => session.shell(size),
      forward: (address, port) => session.forward(address, port),
      close: () => {
        this.dedicated.delete(session);
        session.close();
      },
    };
  }

  /**
   * Runs commands on one host through the pool (reconnecting with backoff after a dropped link);
   * a host that cannot be reached throws. For capabilities that drive a host step by step (MIG).
   */
  commandRunner(
    name: string,
    defaults: { timeoutMs: number } = { timeoutMs: 120_000 },
  ): {
    run(command: string, options?: { signal?: AbortSignal; timeoutMs?: number }): Promise<CommandResult>;
  } {
    const row = this.row(name);
    return {
      run: (command, options = {}) =>
        this.pool.with(this.target(row), async (session) => {
          const result = await session.exec(command, {
            timeoutMs: options.timeoutMs ?? defaults.timeoutMs,
            ...(options.signal ? { signal: options.signal } : {}),
          });
          this.db
            .prepare('UPDATE hosts SET last_seen_at = ? WHERE id = ?')
            .run(this.clock.now().toISOString(), row.id);
          return result;
        }),
    };
  }

  /** Host names whose labels include every given pair. */
  selectByLabels(labels: Record<string, string>): string[] {
    return this.list()
      .filter((h) => Object.entries(labels).every(([k, v]) => h.labels[k] === v))
      .map((h) => h.name);
  }

  /**
   * Replaces a pinned host key after it changed (host reinstalled): only with the new
   * fingerprint confirmed out of band, and only if the host really presents it.
   */
  async repin(name: string, fingerprint: string): Promise<{ host: Host; previous: string | null }> {
    const row = this.row(name);
    const session = await connectSsh({ ...this.target(row), pinned: null, expected: fingerprint });
    session.close();
    this.db
      .prepare('UPDATE hosts SET fingerprint = ?, pinned_at = ? WHERE id = ?')
      .run(fingerprint, this.clock.now().toISOString(), row.id);
    return { host: toHost(this.row(name)), previous: row.fingerprint };
  }

  list(): Host[] {
    return (this.db.prepare('SELECT * FROM hosts ORDER BY name').all() as Row[]).map(toHost);
  }

  count(): number {
    return this.db.prepare('SELECT count(*) FROM hosts').pluck().get() as number;
  }

  private row(name: string): Row {
    const row = this.db.prepare('SELECT * FROM hosts WHERE name = ?').get(name) as Row | undefined;
    if (!row)
      throw new ConsoleError('NOT_FOUND', `there is no host named ${name}`, {
        hint: 'see enclave hosts list',
      });
    return row;
  }

  /**
   * Connects once to confirm and pin the host key, then stores the host. Without
   * a confirmed fingerprint it refuses, naming the fingerprint the host presented.
   */
  async add(input: {
    name: string;
    address: string;
    port: number;
    user: string;
    auth: 'key' | 'agent' | 'password';
    privateKey?: string | undefined;
    password?: string | undefined;
    fingerprint?: string | undefined;
    labels: Record<string, string>;
    /** An inventory host to reach this one through (a bastion). */
    jump?: string | undefined;
  }): Promise<Host> {
    if (this.db.prepare('SELECT 1 FROM hosts WHERE name = ?').get(input.name)) {
      throw new ConsoleError('CONFLICT', `a host named ${input.name} is already in the inventory`);
    }
    const target: SshTarget = {
      name: input.name,
      address: input.address,
      port: input.port,
      user: input.user,
      ...(input.auth === 'agent'
        ? this.credentials({ name: input.name, auth: 'agent', key_secret: null })
        : input.auth === 'password'
          ? { password: this.passwordAllowed(input.name, input.password ?? '') }
          : { privateKey: Buffer.from(input.privateKey ?? '') }),
      pinned: null,
      ...(input.fingerprint ? { expected: input.fingerprint } : {}),
      ...(input.jump ? { jump: this.target(this.row(input.jump), 1) } : {}),
    };
    const session = await connectSsh(target);
    session.close();
    const pinned = session.hostKey;
    if (pinned.verdict !== 'pin') throw new ConsoleError('INTERNAL', 'the host key was not pinned');
    const now = this.clock.now().toISOString();
    // The key or password, encrypted; key_secret names whichever the host logs in with.
    const credential =
      input.auth === 'key' ? input.privateKey : input.auth === 'password' ? input.password : undefined;
    const secretName = credential ? `host-${input.auth}:${input.name}` : null;
    this.db.transaction(() => {
      if (secretName && credential) this.vault.put(secretName, Buffer.from(credential));
      this.db
        .prepare(
          `INSERT INTO hosts (name, address, port, user, labels, fingerprint, last_seen_at, created_at, key_secret, pinned_at, jump_host, auth)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(
          input.name,
          input.address,
          input.port,
          input.user,
          JSON.stringify(input.labels),
          pinned.fingerprint,
          now,
          now,
          secretName,
          now,
          input.jump ?? null,
          input.auth,
        );
    })();
    return toHost(this.row(input.name));
  }

  /**
   * Reads each host's facts and GPUs and stores them; a host whose outputs do not parse
   * keeps what was stored before, and its result names the command and the line.
   */
  async discover(
    names: readonly string[],
    options: { concurrency: number },
  ): Promise<z.infer<typeof DiscoveredHost>[]> {
    const rows = names.map((n) => this.row(n));
    return this.eachHost(rows, options.concurrency, async (row) => {
      try {
        const found = await this.pool.with(this.target(row), (session) => discoverHost(session, row.name));
        const now = this.clock.now().toISOString();
        this.db.transaction(() => {
          // A GPU is in one host: the same UUID recorded elsewhere is a mistake to report, not to overwrite.
          const owner = this.db
            .prepare(
              'SELECT h.name FROM gpus g JOIN hosts h ON h.id = g.host_id WHERE g.uuid = ? AND g.host_id != ?',
            )
            .pluck();
          for (const g of found.gpus) {
            const other = owner.get(g.uuid, row.id) as string | undefined;
            if (other) {
              throw new ConsoleError(
                'CONFLICT',
                `${row.name}: GPU ${g.uuid} is already recorded on ${other}`,
                {
                  hint: `if the GPU moved, discover ${other} again first; otherwise the two hosts report the same GPU`,
                },
              );
            }
          }
          this.db
            .prepare('UPDATE hosts SET facts = ?, discovered_at = ?, last_seen_at = ? WHERE id = ?')
            .run(JSON.stringify(found.facts), now, now, row.id);
          // What a MIG read saw of a GPU stays with it (same UUID) until the next MIG read.
          const migRead = new Map(
            (
              this.db
                .prepare('SELECT uuid, mig_layout, mig_read_at FROM gpus WHERE host_id = ?')
                .all(row.id) as { uuid: string; mig_layout: string | null; mig_read_at: string | null }[]
            ).map((r) => [r.uuid, r]),
          );
          this.db.prepare('DELETE FROM gpus WHERE host_id = ?').run(row.id);
          const insert = this.db.prepare(
            `INSERT INTO gpus (host_id, idx, uuid, model, memory_mib, mig_mode, mig_pending, bus_id, driver_version, mig_devices,
                               mig_layout, mig_read_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          );
          for (const g of found.gpus) {
            insert.run(
              row.id,
              g.index,
              g.uuid,
              g.model,
              g.memoryMiB,
              g.migMode,
              g.migPending,
              g.busId,
              g.driverVersion,
              g.migDevices,
              migRead.get(g.uuid)?.mig_layout ?? null,
              migRead.get(g.uuid)?.mig_read_at ?? null,
            );
          }
        })();
        return { host: row.name, ...found, error: null };
      } catch (error) {
        return {
          host: row.name,
          facts: null,
          gpus: [],
          error: error instanceof Error ? error.message : String(error),
        };
      }
    });
  }

  /** A password login goes ahead only while the site policy allows it (checked at every connection). */
  private passwordAllowed(name: string, password: string): string {
    if (!sitePolicy(this.db).allowPasswordLogin) {
      throw new ConsoleError(
        'FORBIDDEN',
        `${name} logs in with a password, and the site policy does not allow it`,
        {
          hint: 'use a key or the ssh-agent; a security officer can allow passwords (enclave policy set --allow-password-login on)',
        },
      );
    }
    return password;
  }

  /** How to log in to a host: its stored key or password, or the workstation's ssh-agent. */
  private credentials(
    row: Pick<Row, 'name' | 'auth' | 'key_secret'>,
  ): { privateKey: Buffer } | { agent: string } | { password: string } {
    if (row.auth === 'agent') {
      const agent = process.env.SSH_AUTH_SOCK;
      if (!agent) {
        throw new ConsoleError('FAILED', `${row.name} logs in through an ssh-agent, and none is reachable`, {
          hint: 'start ssh-agent, add the key (ssh-add), and start the console with SSH_AUTH_SOCK set',
        });
      }
      return { agent };
    }
    const stored = row.key_secret ? this.vault.get(row.key_secret) : undefined;
    if (!stored) throw new ConsoleError('FAILED', `no credentials are stored for ${row.name}`);
    if (row.auth === 'password') return { password: this.passwordAllowed(row.name, stored.toString('utf8')) };
    return { privateKey: stored };
  }

  private target(row: Row, hops = 0): SshTarget {
    if (row.jump_host && hops > 0) {
      throw new ConsoleError(
        'FAILED',
        `${row.name} is itself reached through ${row.jump_host}: chains of jump hosts are not supported`,
      );
    }
    return {
      name: row.name,
      address: row.address,
      port: row.port,
      user: row.user,
      ...this.credentials(row),
      pinned: row.fingerprint,
      ...(row.jump_host ? { jump: this.target(this.row(row.jump_host), hops + 1) } : {}),
    };
  }

  /** `work` on each host, `concurrency` at a time, results in the hosts' order. */
  private async eachHost<T>(rows: Row[], concurrency: number, work: (row: Row) => Promise<T>): Promise<T[]> {
    const results: T[] = new Array(rows.length);
    let next = 0;
    const worker = async () => {
      while (next < rows.length) {
        const i = next++;
        results[i] = await work(rows[i] as Row);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, rows.length) }, worker));
    return results;
  }

  /** Runs one command on each host, `concurrency` at a time; a host that fails never stops the others. */
  async run(
    names: readonly string[],
    command: string,
    options: {
      timeoutMs: number;
      concurrency: number;
      signal?: AbortSignal;
      /** Output as it arrives, per host. */
      onOutput?: (host: string, stream: 'stdout' | 'stderr', text: string) => void;
    },
  ): Promise<z.infer<typeof CommandResultRow>[]> {
    const rows = names.map((n) => this.row(n)); // unknown names refuse the whole run before anything starts
    // One cancel signal watches every host's command at once.
    if (options.signal) setMaxListeners(rows.length + 10, options.signal);
    return this.eachHost(rows, options.concurrency, (row) => this.runOne(row, command, options));
  }

  /**
   * Copies one workstation file to each host over SFTP, `concurrency` at a time. The file is hashed
   * here first (a missing or unreadable file refuses before any host is contacted); each host's copy
   * must hash the same before it takes the target name.
   */
  async upload(
    names: readonly string[],
    options: {
      localPath: string;
      remotePath: string;
      mode?: number | undefined;
      concurrency: number;
      signal?: AbortSignal;
      onProgress?: OnTransferProgress;
    },
  ): Promise<{ sha256: string; bytes: number; results: TransferRow[] }> {
    const rows = names.map((n) => this.row(n));
    const { size } = await stat(options.localPath).catch(() => {
      throw new ConsoleError('NOT_FOUND', `there is no file ${options.localPath} on this workstation`);
    });
    const digest = await hashLocal(options.localPath, options.signal);
    if (options.signal) setMaxListeners(rows.length + 10, options.signal);
    const results = await this.eachHost(rows, options.concurrency, (row) =>
      this.transferOne(
        row,
        options.localPath,
        options.remotePath,
        (session, onProgress) =>
          uploadFile(session, {
            localPath: options.localPath,
            remotePath: options.remotePath,
            host: row.name,
            ...(options.mode !== undefined ? { mode: options.mode } : {}),
            ...(options.signal ? { signal: options.signal } : {}),
            onProgress,
          }),
        options.onProgress,
      ),
    );
    return { sha256: digest, bytes: size, results };
  }

  /** Copies one file from a host to the workstation, checked against the hash the host computes. */
  async download(
    name: string,
    options: {
      remotePath: string;
      localPath: string;
      overwrite: boolean;
      signal?: AbortSignal;
      onProgress?: OnTransferProgress;
    },
  ): Promise<TransferRow> {
    const row = this.row(name);
    if (!options.overwrite && existsSync(options.localPath)) {
      throw new ConsoleError('CONFLICT', `${options.localPath} already exists on this workstation`, {
        hint: 'choose another path, or allow overwriting it',
      });
    }
    return this.transferOne(
      row,
      options.localPath,
      options.remotePath,
      (session, onProgress) =>
        downloadFile(session, {
          remotePath: options.remotePath,
          localPath: options.localPath,
          host: row.name,
          ...(options.signal ? { signal: options.signal } : {}),
          onProgress,
        }),
      options.onProgress,
    );
  }

  /** One host's transfer as a result row: a failure is reported in the row, never thrown. */
  private async transferOne(
    row: Row,
    localPath: string,
    remotePath: string,
    transfer: (
      session: SshSession,
      onProgress: (p: TransferProgress) => void,
    ) => Promise<{ bytes: number; sha256: string }>,
    onProgress: OnTransferProgress | undefined,
  ): Promise<TransferRow> {
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    try {
      const done = await this.pool.with(this.target(row), (session) =>
        transfer(session, (p) => onProgress?.(row.name, p)),
      );
      return {
        host: row.name,
        localPath,
        remotePath,
        bytes: done.bytes,
        sha256: done.sha256,
        durationMs: elapsed(),
        error: null,
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        host: row.name,
        localPath,
        remotePath,
        bytes: 0,
        sha256: null,
        durationMs: elapsed(),
        error: message,
      };
    }
  }

  private async runOne(
    row: Row,
    command: string,
    options: {
      timeoutMs: number;
      signal?: AbortSignal;
      onOutput?: (host: string, stream: 'stdout' | 'stderr', text: string) => void;
    },
  ): Promise<z.infer<typeof CommandResultRow>> {
    const started = performance.now();
    const base = {
      host: row.name,
      exitCode: null,
      signal: null,
      stdout: '',
      stderr: '',
      stdoutSha256: sha256(''),
    };
    try {
      if (options.signal?.aborted) throw new ConsoleError('CANCELLED', 'cancelled before it started');
      const target = this.target(row);
      return await this.pool.with(target, async (session) => {
        const { onOutput } = options;
        const result = await session.exec(command, {
          timeoutMs: options.timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
          ...(onOutput
            ? { onData: (stream: 'stdout' | 'stderr', text: string) => onOutput(row.name, stream, text) }
            : {}),
        });
        this.db
          .prepare('UPDATE hosts SET last_seen_at = ? WHERE id = ?')
          .run(this.clock.now().toISOString(), row.id);
        return {
          ...result,
          host: row.name,
          stdoutSha256: sha256(result.stdout),
          durationMs: Math.round(performance.now() - started),
          error: null,
        };
      });
    } catch (error) {
      const message = error instanceof ConsoleError ? error.message : String(error);
      return { ...base, durationMs: Math.round(performance.now() - started), error: message };
    }
  }
}

type TransferRow = z.infer<typeof TransferResultRow>;
type OnTransferProgress = (host: string, progress: TransferProgress) => void;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
