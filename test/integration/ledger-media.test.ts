import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { verifyExport } from '../../electron/core/ledger/export-verify';
import { exportTestLedger, openTestLedger, sampleRecord, type TestLedger } from '../support/ledger';

/**
 * Exports onto real loop-mounted ext4 images, as the removable medium.
 * Needs root (losetup, mount); elsewhere these tests are skipped and say so.
 */
const isRoot = process.getuid?.() === 0;
const hasTools = ['losetup', 'mkfs.ext4', 'mount', 'umount'].every(
  (t) => spawnSync('which', [t]).status === 0,
);
const reason = !isRoot
  ? 'not root: losetup and mount need root'
  : !hasTools
    ? 'losetup/mkfs.ext4/mount missing'
    : '';
if (reason) console.log(`ledger-media: loop-mounted ext4 export tests skipped here: ${reason}`);

interface Medium {
  mountPoint: string;
  cleanup(): void;
}

function loopMedium(sizeMiB: number): Medium {
  const dir = mkdtempSync(path.join(tmpdir(), 'enclave-loop-'));
  const image = path.join(dir, 'medium.img');
  const mountPoint = path.join(dir, 'mnt');
  mkdirSync(mountPoint);
  execFileSync('truncate', ['-s', `${sizeMiB}M`, image]);
  execFileSync('mkfs.ext4', ['-q', '-F', '-m', '0', '-L', 'AUDIT', image]);
  const device = execFileSync('losetup', ['--find', '--show', image]).toString().trim();
  execFileSync('mount', [device, mountPoint]);
  return {
    mountPoint,
    cleanup() {
      spawnSync('umount', [mountPoint]);
      spawnSync('losetup', ['-d', device]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

let t: TestLedger | undefined;
let medium: Medium | undefined;
afterEach(() => {
  medium?.cleanup();
  medium = undefined;
  t?.close();
  t = undefined;
});

const doExport = (l: TestLedger, to: string, onProgress?: () => void) =>
  exportTestLedger(l, to, { full: true, ...(onProgress ? { onProgress } : {}) });

describe.skipIf(reason !== '')(
  `export to loop-mounted ext4 media${reason ? ` (skipped: ${reason})` : ''}`,
  () => {
    it('writes, reads back with direct I/O, and verifies after a remount', async () => {
      t = await openTestLedger();
      t.ledger.appendBatch(Array.from({ length: 500 }, (_, i) => sampleRecord(i)));
      medium = loopMedium(16);
      const result = await doExport(t, medium.mountPoint);
      expect(result.readBack).toBe('direct-io');
      // Remount so nothing can come from the page cache, then verify.
      execFileSync('umount', [medium.mountPoint]);
      const image = path.join(path.dirname(medium.mountPoint), 'medium.img');
      execFileSync('mount', ['-o', 'loop,ro', image, medium.mountPoint]);
      expect(verifyExport(result.folder, { key: t.signer.verifierKey })).toMatchObject({ ok: true, to: 500 });
    });

    it('refuses a medium that is too small, clearly, leaving nothing behind', async () => {
      t = await openTestLedger();
      for (let i = 0; i < 10; i++)
        t.ledger.appendBatch(Array.from({ length: 1000 }, (_, j) => sampleRecord(i * 1000 + j)));
      medium = loopMedium(2);
      await expect(doExport(t, medium.mountPoint)).rejects.toThrow(
        /not enough space on .*: the export needs \d+ bytes, \d+ are free/,
      );
      expect(readdirSync(medium.mountPoint).filter((f) => f.startsWith('enclave-audit'))).toEqual([]);
    });

    it('fails clearly when the medium fills up mid-export, and leaves nothing that verifies', async () => {
      t = await openTestLedger();
      for (let i = 0; i < 30; i++)
        t.ledger.appendBatch(Array.from({ length: 1000 }, (_, j) => sampleRecord(i * 1000 + j)));
      medium = loopMedium(32);
      const mp = medium.mountPoint;
      let filled = false;
      const fill = () => {
        if (filled) return;
        filled = true; // another writer takes the rest of the medium while the export runs
        const free = statfsSync(mp).bavail * statfsSync(mp).bsize;
        execFileSync('fallocate', ['-l', String(free), path.join(mp, 'other-data')]);
      };
      await expect(doExport(t, mp, fill)).rejects.toThrow(
        /the medium at .* is full; the export was not completed/,
      );
      const left = readdirSync(mp).filter((f) => f.startsWith('enclave-audit'));
      for (const f of left) expect(verifyExport(path.join(mp, f)).ok).toBe(false);
      expect(left).toEqual([]);
    });
  },
);
