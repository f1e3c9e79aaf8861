// electron-builder afterPack hook (build/electron-builder.config.mjs): flips the Electron fuses of
// build/fuses.mjs in the packaged binary, then reads the fuse wire back and fails the packaging
// when any fuse is not as configured. Runs once per platform/arch, before the targets are made.
import path from 'node:path';
import { flipFuses, getCurrentFuseWire } from '@electron/fuses';
import { FUSES, checkFuseWire } from './fuses.mjs';

/** The Electron binary inside electron-builder's unpacked app directory. */
export function electronBinaryOf(context) {
  const { appOutDir, electronPlatformName, packager } = context;
  if (electronPlatformName === 'darwin' || electronPlatformName === 'mas') {
    return path.join(appOutDir, `${packager.appInfo.productFilename}.app`);
  }
  if (electronPlatformName === 'win32')
    return path.join(appOutDir, `${packager.appInfo.productFilename}.exe`);
  return path.join(appOutDir, packager.executableName);
}

/** Flips and checks the fuses of the binary at `binary`; returns what it found. */
export async function applyFuses(binary, log = (m) => process.stderr.write(`${m}\n`)) {
  await flipFuses(binary, FUSES);
  const { problems, unset } = checkFuseWire(await getCurrentFuseWire(binary));
  if (problems.length) throw new Error(`fuses not set in ${binary}: ${problems.join('; ')}`);
  if (unset.length) {
    log(
      `  • fuses at index ${unset.join(', ')} are newer than @electron/fuses knows; left at Electron's default`,
    );
  }
  log(`  • Electron fuses set and read back in ${path.basename(binary)}`);
  return { binary, unset };
}

export default async function afterPack(context) {
  await applyFuses(electronBinaryOf(context));
}
