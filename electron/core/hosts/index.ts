import type { z } from 'zod';
import type { HostRow } from '../../../shared/api';
import type { Db } from '../store';

type Host = z.infer<typeof HostRow>;

/** The GPU host inventory. (SSH, pinning and discovery arrive with the hosts issue.) */
export function listHosts(db: Db): Host[] {
  const rows = db
    .prepare('SELECT name, address, port, user, labels, fingerprint, last_seen_at FROM hosts ORDER BY name')
    .all() as (Omit<Host, 'labels' | 'lastSeenAt'> & { labels: string; last_seen_at: string | null })[];
  return rows.map(({ labels, last_seen_at, ...rest }) => ({
    ...rest,
    labels: JSON.parse(labels) as Record<string, string>,
    lastSeenAt: last_seen_at,
  }));
}

export function countHosts(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM hosts').get() as { n: number }).n;
}
