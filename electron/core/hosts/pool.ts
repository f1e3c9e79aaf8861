import { connectSsh, SshConnectError, type SshSession, type SshTarget } from './ssh';

/**
 * SSH connections kept per host and reused across commands: keepalives (set on
 * the connection), a bounded number of commands per host at once, bounded
 * reconnects with backoff for transient failures, and idle connections closed.
 * A host-key refusal or a rejected login is never retried.
 */
export interface PoolOptions {
  /** Commands running at once on one host (sshd's MaxSessions defaults to 10). */
  perHost?: number;
  /** Close a connection idle this long. */
  idleMs?: number;
  /** Waits before each retry of a transient connection failure. */
  backoffMs?: readonly number[];
  connectTimeoutMs?: number;
  connect?: typeof connectSsh;
}

interface Entry {
  session: Promise<SshSession> | undefined;
  fingerprint: string | null;
  busy: number;
  waiting: (() => void)[];
  idle: NodeJS.Timeout | undefined;
}

export class SshPool {
  private readonly entries = new Map<string, Entry>();
  private readonly perHost: number;
  private readonly idleMs: number;
  private readonly backoffMs: readonly number[];
  private readonly connect: typeof connectSsh;
  private readonly connectTimeoutMs: number;

  constructor(options: PoolOptions = {}) {
    this.perHost = options.perHost ?? 4;
    this.idleMs = options.idleMs ?? 60_000;
    this.backoffMs = options.backoffMs ?? [250, 1000];
    this.connect = options.connect ?? connectSsh;
    this.connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  }

  /** Runs `work` with a connection to `target`, waiting for a free slot on that host first. */
  async with<T>(target: SshTarget, work: (session: SshSession) => Promise<T>): Promise<T> {
    const key = `${target.name}@${target.address}:${target.port}`;
    let entry = this.entries.get(key);
    if (!entry) {
      entry = { session: undefined, fingerprint: target.pinned, busy: 0, waiting: [], idle: undefined };
      this.entries.set(key, entry);
    }
    const slot = entry;
    if (slot.busy >= this.perHost) await new Promise<void>((resolve) => slot.waiting.push(resolve));
    slot.busy++;
    if (slot.idle) clearTimeout(slot.idle);
    slot.idle = undefined;
    try {
      const session = await this.session(slot, target);
      return await work(session);
    } finally {
      slot.busy--;
      slot.waiting.shift()?.();
      if (slot.busy === 0) slot.idle = setTimeout(() => this.drop(key), this.idleMs).unref();
    }
  }

  private async session(entry: Entry, target: SshTarget): Promise<SshSession> {
    // A pin that changed (re-pinned by an admin) or a dropped connection means a new one.
    const current = entry.session && (await entry.session.catch(() => undefined));
    if (current && !current.closed && entry.fingerprint === target.pinned) return current;
    current?.close();
    entry.fingerprint = target.pinned;
    entry.session = this.connectWithRetry(target);
    entry.session.catch(() => {
      entry.session = undefined; // the next command tries afresh
    });
    return entry.session;
  }

  private async connectWithRetry(target: SshTarget): Promise<SshSession> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.connect(target, { timeoutMs: this.connectTimeoutMs });
      } catch (error) {
        const wait = this.backoffMs[attempt];
        if (!(error instanceof SshConnectError) || !error.transient || wait === undefined) throw error;
        await new Promise((resolve) => setTimeout(resolve, wait));
      }
    }
  }

  private drop(key: string): void {
    const entry = this.entries.get(key);
    if (!entry || entry.busy > 0) return;
    this.entries.delete(key);
    void entry.session?.then((s) => s.close()).catch(() => undefined);
  }

  /** Closes every connection (at shutdown; the CLI exits only once its sockets are closed). */
  closeAll(): void {
    for (const key of [...this.entries.keys()]) {
      const entry = this.entries.get(key);
      if (entry?.idle) clearTimeout(entry.idle);
      this.entries.delete(key);
      void entry?.session?.then((s) => s.close()).catch(() => undefined);
    }
  }
}
