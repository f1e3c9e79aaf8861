import type { z } from 'zod';
import type { GpuRow } from '../../../shared/api';
import type { Db } from '../store';

/** GPUs last discovered on the inventory hosts. */
export function listGpus(db: Db): z.infer<typeof GpuRow>[] {
  return db
    .prepare(
      `SELECT h.name AS host, g.idx AS "index", g.uuid, g.model, g.memory_mib AS memoryMiB, g.mig_mode AS migMode,
              g.mig_pending AS migPending, g.bus_id AS busId, g.driver_version AS driverVersion, g.mig_devices AS migDevices
       FROM gpus g JOIN hosts h ON h.id = g.host_id ORDER BY h.name, g.idx`,
    )
    .all() as z.infer<typeof GpuRow>[];
}

export function countGpus(db: Db): number {
  return (db.prepare('SELECT count(*) AS n FROM gpus').get() as { n: number }).n;
}

// Pure parsers of the nvidia-smi outputs discovery reads (mig.md §5).
export * from './nvidia-smi';
