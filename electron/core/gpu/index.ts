import type { z } from 'zod';
import type { GpuRow } from '../../../shared/api';
import type { GpuMigState } from '../../../shared/mig/layout';
import type { Db } from '../store';

/** GPUs last discovered on the inventory hosts. */
export function listGpus(db: Db): z.infer<typeof GpuRow>[] {
  const rows = db
    .prepare(
      `SELECT h.name AS host, g.idx AS "index", g.uuid, g.model, g.memory_mib AS memoryMiB, g.mig_mode AS migMode,
              g.mig_pending AS migPending, g.bus_id AS busId, g.driver_version AS driverVersion, g.mig_devices AS migDevices,
              g.mig_layout AS migLayout, g.mig_read_at AS migReadAt
       FROM gpus g JOIN hosts h ON h.id = g.host_id ORDER BY h.name, g.idx`,
    )
    .all() as (Omit<z.infer<typeof GpuRow>, 'gpuInstances'> & { migLayout: string | null })[];
  return rows.map(({ migLayout, ...g }) => ({
    ...g,
    gpuInstances: migLayout ? (JSON.parse(migLayout) as z.infer<typeof GpuRow>['gpuInstances']) : null,
  }));
}

/**
 * Keeps what a MIG read saw of each GPU of a host (mode, GPU instances, MIG devices) with the
 * discovered GPUs, so fleet views can count slots without reading every host again.
 */
export function rememberMigRead(db: Db, host: string, gpus: readonly GpuMigState[], at: string): void {
  const update = db.prepare(
    `UPDATE gpus SET mig_mode = ?, mig_pending = ?, mig_devices = ?, mig_layout = ?, mig_read_at = ?
     WHERE uuid = ? AND host_id = (SELECT id FROM hosts WHERE name = ?) AND mig_mode != 'unsupported'`,
  );
  db.transaction(() => {
    for (const g of gpus) {
      update.run(
        g.migCurrent ? 'enabled' : 'disabled',
        g.migPending ? 'enabled' : 'disabled',
        g.gpuInstances.reduce((n, gi) => n + gi.computeInstances.length, 0),
        JSON.stringify(g.gpuInstances.map((gi) => ({ profile: gi.profile, start: gi.start, size: gi.size }))),
        at,
        g.uuid,
        host,
      );
    }
  })();
}

export function countGpus(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM gpus').get() as { n: number }).n;
}

// Pure parsers of the nvidia-smi outputs discovery reads (mig.md §5).
export * from './nvidia-smi';
