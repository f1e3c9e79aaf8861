/**
 * Packaging the console (build/electron-builder.config.mjs, build/fuses.mjs, build/after-pack.mjs)
 * checked without Electron or electron-builder, neither of which can be had on a machine that
 * reaches only the package registries:
 *  - the configuration, loaded as electron-builder loads it, against electron-builder's own JSON
 *    schema (build/electron-builder.schema.json, app-builder-lib 26.17.0's scheme.json) and the
 *    rules of design.md §7: Linux AppImage/deb/rpm, no publish provider, asar, only out/ bundles,
 *    no source maps, the OpenAPI documents as extra resources;
 *  - the fuse settings, and the after-pack hook run for real (@electron/fuses) on a stand-in
 *    binary that carries an Electron fuse wire;
 *  - the bundles the build makes: no auto-update code anywhere.
 * Not run here: electron-builder itself (see docs/packaging.md).
 */
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { getCurrentFuseWire } from '@electron/fuses';
import { Ajv } from 'ajv';
import { parse as parseYaml } from 'yaml';
import { afterAll, describe, expect, it } from 'vitest';

const root = path.resolve(import.meta.dirname, '..', '..');
const load = async <T>(file: string): Promise<T> =>
  (await import(pathToFileURL(path.join(root, file)).href)) as T;

type Config = Record<string, unknown> & {
  files: string[];
  linux: { target: string[] } & Record<string, unknown>;
  extraResources: { from: string; to: string; filter?: string[] }[];
};
const configModule = await load<{ default: Config; ELECTRON_BUILDER_VERSION: string }>(
  'build/electron-builder.config.mjs',
);
const config = configModule.default;
const fuses = await load<{
  FUSES: Record<string, unknown>;
  fuseSettingsByName: () => Record<string, boolean>;
  checkFuseWire: (wire: Record<string, unknown>) => { problems: string[]; unset: number[] };
}>('build/fuses.mjs');
const afterPack = await load<{
  default: (context: unknown) => Promise<void>;
  applyFuses: (binary: string, log?: (m: string) => void) => Promise<{ unset: number[] }>;
  electronBinaryOf: (context: unknown) => string;
}>('build/after-pack.mjs');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  main: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
};

const tmp = mkdtempSync(path.join(tmpdir(), 'enclave-packaging-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('electron-builder configuration', () => {
  it('is valid against electron-builder 26.17.0 own JSON schema', () => {
    const schema = JSON.parse(
      readFileSync(path.join(root, 'build/electron-builder.schema.json'), 'utf8'),
    ) as object;
    const ajv = new Ajv({ strict: false, allErrors: true });
    const validate = ajv.compile(schema);
    const ok = validate(config);
    expect(validate.errors ?? [], JSON.stringify(validate.errors, null, 2)).toEqual([]);
    expect(ok).toBe(true);
    // The schema catches a misspelt key (additionalProperties: false).
    expect(validate({ ...config, pubish: null })).toBe(false);
  });

  it('names the application', () => {
    expect(config.appId).toBe('org.enclave.console');
    expect(config.productName).toBe('Enclave Console');
    expect(config.executableName).toBe('enclave-console');
    expect(config.electronVersion).toBe(pkg.devDependencies.electron);
  });

  it('builds Linux AppImage, deb and rpm, and no other platform', () => {
    expect([...config.linux.target].sort()).toEqual(['AppImage', 'deb', 'rpm']);
    for (const other of ['mac', 'win', 'mas', 'dmg', 'nsis', 'snap', 'flatpak', 'appx', 'squirrelWindows'])
      expect(config, other).not.toHaveProperty(other);
    // deb refuses to build without a homepage and a maintainer e-mail.
    expect(config.linux.maintainer).toMatch(/<[^@\s]+@[^>\s]+>/);
    expect((config.extraMetadata as { homepage?: string }).homepage).toMatch(/^https:\/\//);
  });

  it('has no publish provider and no update channel anywhere', () => {
    expect(config.publish).toBeNull();
    expect(config.detectUpdateChannel).toBe(false);
    expect(config.generateUpdatesFilesForAllChannels).toBe(false);
    const nested = (value: unknown, trail: string): void => {
      if (value === null || typeof value !== 'object') return;
      for (const [k, v] of Object.entries(value)) {
        if (k === 'publish' && trail !== '') expect(v, `${trail}.publish`).toBeNull();
        nested(v, `${trail}.${k}`);
      }
    };
    nested(config, '');
    expect(JSON.stringify(config)).not.toMatch(/github|s3|spaces|keygen|snapStore|bitbucket|generic/i);
    expect(Object.keys({ ...pkg.dependencies, ...pkg.devDependencies })).not.toContain('electron-updater');
  });

  it('packs only the built bundles into app.asar, with no source maps', () => {
    expect(config.asar).toBe(true);
    const include = config.files.filter((f) => !f.startsWith('!'));
    const exclude = config.files.filter((f) => f.startsWith('!'));
    expect(include.length).toBeGreaterThan(0);
    for (const f of include) expect(f, 'every included pattern lies under out/').toMatch(/^out\/[^.]/);
    // Not the simulated site, the test bundles or the benchmarks.
    for (const f of include) expect(f).not.toMatch(/^out\/(lab|test|bench)\b/);
    expect(exclude).toContain('!**/*.map');
    expect(exclude).toContain('!out/node/openapi/**');
    // The main bundle itself is packed.
    expect(include.some((f) => f === 'out/node/**')).toBe(true);
    expect(pkg.main).toBe('out/node/electron-main.mjs');
  });

  it('ships the Kubernetes OpenAPI documents as extra resources', () => {
    expect(config.extraResources).toEqual([{ from: 'out/node/openapi', to: 'openapi', filter: ['*.json'] }]);
    const built = readdirSync(path.join(root, 'out/node/openapi'));
    expect(built.length).toBeGreaterThan(0);
    for (const f of built) expect(f).toMatch(/\.json$/);
  });

  it('rebuilds native modules for Electron and keeps them outside the archive', () => {
    expect(config.npmRebuild).toBe(true);
    expect(config.asarUnpack).toContain('**/*.node');
    expect(pkg.dependencies).toHaveProperty('better-sqlite3');
  });

  it('sets fuses in one place: the after-pack hook, not electron-builder electronFuses', () => {
    expect(config.afterPack).toBe('./build/after-pack.mjs');
    expect(config).not.toHaveProperty('electronFuses');
  });

  it('is what `npm run package` runs, with a pinned electron-builder', () => {
    const script = pkg.scripts.package ?? '';
    expect(script).toContain(`npx --yes electron-builder@${configModule.ELECTRON_BUILDER_VERSION} `);
    expect(configModule.ELECTRON_BUILDER_VERSION).toMatch(/^\d+\.\d+\.\d+$/);
    expect(script).toContain('--config build/electron-builder.config.mjs');
    expect(script).toContain('--linux AppImage deb rpm');
    expect(script).toMatch(/^node build\/build\.mjs && /);
    // electron-builder is not installed by `npm ci` (its tools are downloads anyway).
    expect(pkg.devDependencies).not.toHaveProperty('electron-builder');
  });
});

/** A stand-in for the Electron binary: not runnable as Electron, but carrying a fuse wire. */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
function fakeElectron(file: string, wire: string): string {
  const bytes = Buffer.concat([
    Buffer.from('\x7fELF stand-in\n'),
    Buffer.from(SENTINEL),
    Buffer.from([1, wire.length]),
    Buffer.from(wire),
    Buffer.from('\ntrailer\n'),
  ]);
  writeFileSync(file, bytes);
  chmodSync(file, 0o755);
  return file;
}

describe('Electron fuses', () => {
  it('are the settings of design.md §7', () => {
    expect(fuses.fuseSettingsByName()).toEqual({
      RunAsNode: false,
      EnableCookieEncryption: true,
      EnableNodeOptionsEnvironmentVariable: false,
      EnableNodeCliInspectArguments: false,
      EnableEmbeddedAsarIntegrityValidation: true,
      OnlyLoadAppFromAsar: true,
      LoadBrowserProcessSpecificV8Snapshot: false,
      GrantFileProtocolExtraPrivileges: false,
    });
    expect(Object.isFrozen(fuses.FUSES)).toBe(true);
  });

  it('are flipped by the after-pack hook and read back (stand-in binary with a 9-fuse wire)', async () => {
    const appOutDir = path.join(tmp, 'linux-unpacked');
    mkdirSync(appOutDir, { recursive: true });
    // Electron's defaults: RunAsNode, NODE_OPTIONS and --inspect on, the rest off; a 9th fuse
    // (newer than @electron/fuses 1.8) on.
    const binary = fakeElectron(path.join(appOutDir, 'enclave-console'), '101100011');
    const context = {
      appOutDir,
      electronPlatformName: 'linux',
      packager: { executableName: 'enclave-console', appInfo: { productFilename: 'Enclave Console' } },
    };
    expect(afterPack.electronBinaryOf(context)).toBe(binary);
    await afterPack.default(context);
    const wire = (await getCurrentFuseWire(binary)) as unknown as Record<string, number>;
    const states = Array.from({ length: 9 }, (_, i) => String.fromCharCode(wire[i] ?? 0)).join('');
    expect(states).toBe('010011001');
    expect(fuses.checkFuseWire(wire)).toEqual({ problems: [], unset: [8] });
    // The rest of the file is untouched.
    const bytes = readFileSync(binary);
    expect(bytes.subarray(0, 14).toString()).toBe('\x7fELF stand-in\n');
    expect(bytes.subarray(-9).toString()).toBe('\ntrailer\n');
  });

  it('fail the packaging when the binary has no fuse wire', async () => {
    const file = path.join(tmp, 'no-wire');
    writeFileSync(file, 'not electron');
    await expect(afterPack.applyFuses(file, () => {})).rejects.toThrow(/sentinel/);
  });

  it('reports each fuse that is not as configured', () => {
    const file = fakeElectron(path.join(tmp, 'defaults'), '10110001');
    return getCurrentFuseWire(file).then((wire) => {
      const { problems } = fuses.checkFuseWire(wire as unknown as Record<string, unknown>);
      expect(problems).toEqual([
        "RunAsNode is '1', expected '0'",
        "EnableCookieEncryption is '0', expected '1'",
        "EnableNodeOptionsEnvironmentVariable is '1', expected '0'",
        "EnableNodeCliInspectArguments is '1', expected '0'",
        "EnableEmbeddedAsarIntegrityValidation is '0', expected '1'",
        "OnlyLoadAppFromAsar is '0', expected '1'",
        "GrantFileProtocolExtraPrivileges is '1', expected '0'",
      ]);
    });
  });

  it('refuse a wire too short for the settings', async () => {
    const file = fakeElectron(path.join(tmp, 'short'), '0101');
    await expect(afterPack.applyFuses(file, () => {})).rejects.toThrow(/not long enough/);
  });
});

describe('no auto-update in what is packaged', () => {
  const UPDATE_CODE =
    /electron-updater|autoUpdater|checkForUpdates|app-update\.yml|update-electron-app|latest-linux\.yml|squirrel/i;

  it('the main process, core and preload bundles contain no update code', () => {
    for (const file of [
      'out/node/electron-main.mjs',
      'out/node/core-process.mjs',
      'out/preload/preload.cjs',
    ]) {
      const text = readFileSync(path.join(root, file), 'utf8');
      expect(text.length, file).toBeGreaterThan(0);
      expect(text, file).not.toMatch(UPDATE_CODE);
    }
  });

  it('the shell sources never reach for autoUpdater', () => {
    const dir = path.join(root, 'electron/main');
    const files = readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile());
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) {
      const file = path.join(f.parentPath, f.name);
      expect(readFileSync(file, 'utf8'), file).not.toMatch(UPDATE_CODE);
    }
  });
});

describe('bundle recipes (offline-bundles/recipes)', () => {
  const dir = path.join(root, 'offline-bundles/recipes');
  const recipes = readdirSync(dir).filter((f) => f.endsWith('.yaml'));

  it('there are recipes for the GPU Operator, the NVIDIA driver, files and the console upgrade', () => {
    expect(recipes.some((f) => f.startsWith('gpu-operator-'))).toBe(true);
    expect(recipes.some((f) => f.startsWith('nvidia-driver-'))).toBe(true);
    expect(recipes.some((f) => f.startsWith('console-upgrade'))).toBe(true);
    expect(recipes.length).toBeGreaterThanOrEqual(4);
  });

  it.each(recipes)('%s follows the recipe format of the README', (file) => {
    const recipe = parseYaml(readFileSync(path.join(dir, file), 'utf8')) as Record<string, unknown>;
    expect(recipe.recipe).toBe(1);
    expect(['files', 'host-packages', 'k8s-manifests', 'oci-images', 'console-upgrade']).toContain(
      recipe.kind,
    );
    expect(recipe.name).toMatch(/^[a-z0-9][a-z0-9.-]*$/);
    expect(String(recipe.version)).toMatch(/^\S+$/);
    const sources = recipe.sources as { id: string; url?: string; sha256?: string; path?: string }[];
    expect(Array.isArray(sources) && sources.length > 0).toBe(true);
    const ids = new Set<string>();
    for (const s of sources) {
      expect(s.id).toMatch(/^[a-z0-9][a-z0-9-]*$/);
      expect(ids.has(s.id), `duplicate source ${s.id}`).toBe(false);
      ids.add(s.id);
      // A URL is data: https only; a pinned digest when the recipe can know it.
      if (s.url !== undefined) expect(s.url).toMatch(/^https:\/\//);
      if (s.sha256 !== undefined) expect(s.sha256).toMatch(/^[0-9a-f]{64}$|^\$\{[a-z_]+\}$/);
    }
    const steps = (recipe.payload as { steps: Record<string, unknown>[] }).steps;
    expect(steps.length).toBeGreaterThan(0);
    for (const step of steps) {
      const [op] = Object.keys(step);
      expect(['fetch', 'copy', 'helm-template', 'oci-pull', 'write', 'from-package-output']).toContain(op);
      const body = step[op!] as { source?: string; to?: string };
      if (body.source !== undefined)
        expect(ids.has(body.source), `${op} refers to ${body.source}`).toBe(true);
      if (body.to !== undefined) {
        expect(body.to).not.toMatch(/^\/|(^|\/)\.\.(\/|$)/);
      }
    }
  });
});
