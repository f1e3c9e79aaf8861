import type { Db } from '../store';

/**
 * Failed sign-ins per attempted operator name, kept in the database so that
 * separate CLI processes are limited too. After FREE_ATTEMPTS failures within
 * WINDOW, each further attempt waits 30 s, doubling, up to 15 minutes.
 */
export const FREE_ATTEMPTS = 5;
const WINDOW_MS = 15 * 60 * 1000;
const BASE_DELAY_MS = 30 * 1000;
const MAX_DELAY_MS = 15 * 60 * 1000;

/** Pure: when the next attempt is allowed, given the failure times (ms, ascending). */
export function lockedUntil(failures: readonly number[], now: number): number | undefined {
  const recent = failures.filter((t) => now - t < WINDOW_MS);
  if (recent.length < FREE_ATTEMPTS) return undefined;
  const delay = Math.min(BASE_DELAY_MS * 2 ** (recent.length - FREE_ATTEMPTS), MAX_DELAY_MS);
  const until = (recent.at(-1) as number) + delay;
  return until > now ? until : undefined;
}

export class SignInThrottle {
  constructor(private readonly db: Db) {}

  /** Seconds to wait before the next attempt for this name, or 0. */
  retryAfterSeconds(subject: string, now: Date): number {
    const times = (
      this.db.prepare('SELECT at FROM sign_in_failures WHERE subject = ? ORDER BY at').all(key(subject)) as {
        at: string;
      }[]
    ).map((r) => Date.parse(r.at));
    const until = lockedUntil(times, now.getTime());
    return until === undefined ? 0 : Math.ceil((until - now.getTime()) / 1000);
  }

  recordFailure(subject: string, now: Date): void {
    this.db
      .prepare('DELETE FROM sign_in_failures WHERE at < ?')
      .run(new Date(now.getTime() - 86_400_000).toISOString());
    this.db
      .prepare('INSERT INTO sign_in_failures (subject, at) VALUES (?, ?)')
      .run(key(subject), now.toISOString());
  }

  recordSuccess(subject: string): void {
    this.db.prepare('DELETE FROM sign_in_failures WHERE subject = ?').run(key(subject));
  }
}

const key = (subject: string) => subject.trim().toLowerCase().slice(0, 64);
