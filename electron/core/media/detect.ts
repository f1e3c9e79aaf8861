import { execFile } from 'node:child_process';
import { readFileSync, statfsSync } from 'node:fs';

/**
 * Removable media on Linux: mounted filesystems whose block device (or its
 * parent disk) is removable or hot-plugged — from lsblk (RM, HOTPLUG, TRAN)
 * with /proc/self/mountinfo and sysfs as the fallback.
 */
export interface Medium {
  mountPoint: string;
  device: string;
  label: string | null;
  fsType: string | null;
  transport: string | null;
  removable: boolean;
  freeBytes: number;
  totalBytes: number;
}

interface LsblkDevice {
  name: string;
  path?: string;
  rm?: boolean | string;
  hotplug?: boolean | string;
  tran?: string | null;
  label?: string | null;
  fstype?: string | null;
  mountpoints?: (string | null)[];
  mountpoint?: string | null;
  children?: LsblkDevice[];
}

const truthy = (v: boolean | string | undefined) => v === true || v === '1';

/** Pure: the removable, mounted filesystems in lsblk's JSON. Children inherit RM/HOTPLUG/TRAN from their disk. */
export function removableFromLsblk(json: string): Omit<Medium, 'freeBytes' | 'totalBytes'>[] {
  const parsed = JSON.parse(json) as { blockdevices?: LsblkDevice[] };
  const out: Omit<Medium, 'freeBytes' | 'totalBytes'>[] = [];
  const visit = (d: LsblkDevice, parent: { removable: boolean; transport: string | null }) => {
    const removable = parent.removable || truthy(d.rm) || truthy(d.hotplug) || d.tran === 'usb';
    const transport = d.tran ?? parent.transport;
    const mounts = (d.mountpoints ?? [d.mountpoint ?? null]).filter((m): m is string => !!m);
    if (removable) {
      for (const mountPoint of mounts) {
        out.push({
          mountPoint,
          device: d.path ?? `/dev/${d.name}`,
          label: d.label ?? null,
          fsType: d.fstype ?? null,
          transport,
          removable: true,
        });
      }
    }
    for (const child of d.children ?? []) visit(child, { removable, transport });
  };
  for (const d of parsed.blockdevices ?? []) visit(d, { removable: false, transport: null });
  return out;
}

export function freeSpace(dir: string): { freeBytes: number; totalBytes: number } {
  const s = statfsSync(dir);
  return { freeBytes: s.bavail * s.bsize, totalBytes: s.blocks * s.bsize };
}

function lsblk(): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile(
      'lsblk',
      ['--json', '--output', 'NAME,PATH,RM,HOTPLUG,TRAN,LABEL,FSTYPE,MOUNTPOINTS'],
      { timeout: 5000 },
      (error, stdout) => (error ? reject(error) : resolve(stdout)),
    ),
  );
}

/** Fallback without lsblk: sysfs `removable` for each mounted /dev/sdX-like device. */
function fromSysfs(): Omit<Medium, 'freeBytes' | 'totalBytes'>[] {
  const out: Omit<Medium, 'freeBytes' | 'totalBytes'>[] = [];
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const fields = line.split(' ');
    const sep = fields.indexOf('-');
    const source = fields[sep + 2];
    const mountPoint = fields[4];
    if (!source?.startsWith('/dev/') || !mountPoint) continue;
    const disk = source.slice(5).replace(/p?\d+$/, '');
    try {
      if (readFileSync(`/sys/block/${disk}/removable`, 'utf8').trim() === '1') {
        out.push({
          mountPoint,
          device: source,
          label: null,
          fsType: fields[sep + 1] ?? null,
          transport: null,
          removable: true,
        });
      }
    } catch {
      // not a block device we can classify
    }
  }
  return out;
}

export async function detectRemovableMedia(): Promise<Medium[]> {
  let found: Omit<Medium, 'freeBytes' | 'totalBytes'>[];
  try {
    found = removableFromLsblk(await lsblk());
  } catch {
    found = fromSysfs();
  }
  return found.flatMap((m) => {
    try {
      return [{ ...m, ...freeSpace(m.mountPoint) }];
    } catch {
      return []; // unmounted between listing and asking
    }
  });
}
