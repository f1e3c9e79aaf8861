// Electron fuses the packaged console is built with (design.md §7): flipped in the Electron binary
// by build/after-pack.mjs, after electron-builder has copied it and before any target (AppImage,
// deb, rpm) is made from the unpacked app. Kept here, apart from the hook, so a unit test checks
// them without Electron (test/unit/packaging.test.ts).
import { FuseV1Options, FuseVersion } from '@electron/fuses';

/**
 * The fuse settings. Every fuse @electron/fuses 1.8 knows is set explicitly; a fuse that newer
 * Electron binaries add beyond those keeps Electron's default (after-pack.mjs reports it).
 *
 * - RunAsNode off: ELECTRON_RUN_AS_NODE cannot turn the binary into a plain Node.
 * - NODE_OPTIONS off and the --inspect family off: no code or debugger injected from the
 *   environment or the command line.
 * - Cookie encryption on: Chromium's cookie store is encrypted with the OS key (safeStorage).
 * - Embedded ASAR integrity on and only load the app from app.asar: the app code is the archive
 *   that was packaged, checked against the hash embedded at packaging (Electron documents the
 *   integrity check for macOS and Windows; on Linux the archive-only rule holds either way).
 * - The browser-process V8 snapshot and the file:// protocol's extra privileges are not used.
 */
export const FUSES = Object.freeze({
  version: FuseVersion.V1,
  resetAdHocDarwinSignature: false,
  [FuseV1Options.RunAsNode]: false,
  [FuseV1Options.EnableCookieEncryption]: true,
  [FuseV1Options.EnableNodeOptionsEnvironmentVariable]: false,
  [FuseV1Options.EnableNodeCliInspectArguments]: false,
  [FuseV1Options.EnableEmbeddedAsarIntegrityValidation]: true,
  [FuseV1Options.OnlyLoadAppFromAsar]: true,
  [FuseV1Options.LoadBrowserProcessSpecificV8Snapshot]: false,
  [FuseV1Options.GrantFileProtocolExtraPrivileges]: false,
});

const isFuseKey = (key) => /^\d+$/.test(key);

/** The fuse settings by name, for messages and documentation. */
export function fuseSettingsByName() {
  return Object.fromEntries(
    Object.entries(FUSES)
      .filter(([key]) => isFuseKey(key))
      .map(([key, value]) => [FuseV1Options[Number(key)], value]),
  );
}

/** Byte values in the fuse wire (@electron/fuses' FuseState): '0' off, '1' on. */
const DISABLE = 0x30;
const ENABLE = 0x31;

/**
 * Compares a fuse wire read back from a binary (getCurrentFuseWire) with FUSES: one message per
 * fuse that is not as configured (none when all are), and the indexes of the fuses the binary has
 * that FUSES does not set.
 */
export function checkFuseWire(wire) {
  const problems = [];
  for (const [key, wanted] of Object.entries(FUSES)) {
    if (!isFuseKey(key)) continue;
    const actual = wire[key];
    const expected = wanted ? ENABLE : DISABLE;
    if (actual !== expected) {
      const shown = actual === undefined ? 'missing' : `'${String.fromCharCode(actual)}'`;
      problems.push(`${FuseV1Options[Number(key)]} is ${shown}, expected '${String.fromCharCode(expected)}'`);
    }
  }
  const unset = Object.keys(wire)
    .filter((key) => isFuseKey(key) && !(key in FUSES))
    .map(Number);
  return { problems, unset };
}
