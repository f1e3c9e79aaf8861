import { describe, expect, it } from 'vitest';
import { removableFromLsblk } from '../../electron/core/media';

/** lsblk --json output as util-linux 2.38 (Debian 12) prints it, trimmed to the columns asked for. */
const LSBLK = JSON.stringify({
  blockdevices: [
    {
      name: 'vda',
      path: '/dev/vda',
      rm: false,
      hotplug: false,
      tran: null,
      label: null,
      fstype: 'ext4',
      mountpoints: ['/'],
    },
    {
      name: 'sda',
      path: '/dev/sda',
      rm: true,
      hotplug: true,
      tran: 'usb',
      label: null,
      fstype: null,
      mountpoints: [null],
      children: [
        {
          name: 'sda1',
          path: '/dev/sda1',
          rm: true,
          hotplug: true,
          tran: null,
          label: 'AUDIT',
          fstype: 'vfat',
          mountpoints: ['/media/op/AUDIT'],
        },
        {
          name: 'sda2',
          path: '/dev/sda2',
          rm: true,
          hotplug: true,
          tran: null,
          label: null,
          fstype: 'ext4',
          mountpoints: [null],
        },
      ],
    },
    {
      name: 'sdb',
      path: '/dev/sdb',
      rm: false,
      hotplug: true,
      tran: 'sata',
      label: 'HOTSWAP',
      fstype: 'ext4',
      mountpoints: ['/mnt/bay1', '/srv/bay1'],
    },
    {
      name: 'loop0',
      path: '/dev/loop0',
      rm: false,
      hotplug: false,
      tran: null,
      label: null,
      fstype: 'ext4',
      mountpoints: ['/tmp/x'],
    },
  ],
});

describe('removable media detection', () => {
  it('lists mounted filesystems on removable or hot-plugged devices, inheriting from their disk', () => {
    expect(removableFromLsblk(LSBLK)).toEqual([
      {
        mountPoint: '/media/op/AUDIT',
        device: '/dev/sda1',
        label: 'AUDIT',
        fsType: 'vfat',
        transport: 'usb',
        removable: true,
      },
      {
        mountPoint: '/mnt/bay1',
        device: '/dev/sdb',
        label: 'HOTSWAP',
        fsType: 'ext4',
        transport: 'sata',
        removable: true,
      },
      {
        mountPoint: '/srv/bay1',
        device: '/dev/sdb',
        label: 'HOTSWAP',
        fsType: 'ext4',
        transport: 'sata',
        removable: true,
      },
    ]);
  });

  it('understands older lsblk (single mountpoint, "1"/"0" strings)', () => {
    const old = JSON.stringify({
      blockdevices: [
        {
          name: 'sdc',
          rm: '1',
          hotplug: '0',
          tran: 'usb',
          label: 'X',
          fstype: 'exfat',
          mountpoint: '/media/x',
        },
      ],
    });
    expect(removableFromLsblk(old)).toEqual([
      {
        mountPoint: '/media/x',
        device: '/dev/sdc',
        label: 'X',
        fsType: 'exfat',
        transport: 'usb',
        removable: true,
      },
    ]);
  });

  it('finds nothing on a machine without removable media', () => {
    expect(removableFromLsblk(JSON.stringify({ blockdevices: [] }))).toEqual([]);
  });
});
