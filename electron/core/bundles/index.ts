import type { z } from 'zod';
import type { BundleRow } from '../../../shared/api';
import type { Db } from '../store';

/** Offline bundles installed on this workstation. */
export function listBundles(db: Db): z.infer<typeof BundleRow>[] {
  return db
    .prepare(
      'SELECT name, kind, version, sha256, installed_at AS installedAt FROM bundles ORDER BY name, version',
    )
    .all() as z.infer<typeof BundleRow>[];
}

export function countBundles(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM bundles').get() as { n: number }).n;
}
