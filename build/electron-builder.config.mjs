// electron-builder configuration for the Linux packages of the console: AppImage, deb and rpm
// (`npm run package`, on a connected machine; docs/packaging.md says what that downloads).
//
// Air-gapped by design: no publish provider (so no app-update.yml and no latest-linux.yml, and
// electron-updater is not a dependency), no auto-update and no telemetry. A new console version
// enters an enclave only as a signed console-upgrade bundle (electron/core/bundles/console-upgrade.ts).
// test/unit/packaging.test.ts checks this file against electron-builder's own JSON schema
// (build/electron-builder.schema.json, app-builder-lib 26.17.0's scheme.json) and the rules above.
import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));

/** The electron-builder version `npm run package` runs (through npx; it is not a devDependency). */
export const ELECTRON_BUILDER_VERSION = '26.17.0';

/** @type {import('app-builder-lib').Configuration} */
const config = {
  appId: 'org.enclave.console',
  productName: 'Enclave Console',
  executableName: 'enclave-console',
  copyright: 'Enclave Console authors',
  electronVersion: pkg.devDependencies.electron,
  directories: { output: 'dist', buildResources: 'build' },
  // Only the built bundles: the Electron main process, the utilityProcess core, the preload and
  // the renderer. Not the simulated site (out/lab), the test and benchmark bundles, the Kubernetes
  // OpenAPI documents (extraResources below) or any source map (they embed the sources).
  files: [
    'out/node/**',
    'out/preload/**',
    'out/renderer/**',
    '!out/node/openapi/**',
    '!out/**/*.map',
    '!**/*.map',
    '!out/.*-stamp',
  ],
  // The official Kubernetes OpenAPI documents tenants are validated against, as plain files in
  // resources/openapi (process.resourcesPath) beside app.asar.
  extraResources: [{ from: 'out/node/openapi', to: 'openapi', filter: ['*.json'] }],
  asar: true,
  // Native modules (better-sqlite3, ssh2 and its optional cpu-features) are rebuilt for Electron's
  // ABI by @electron/rebuild (electron-builder 26 uses @electron/rebuild ^4) before packing, and
  // kept outside the archive (a .node file cannot be loaded from inside app.asar).
  npmRebuild: true,
  nodeGypRebuild: false,
  buildDependenciesFromSource: false,
  asarUnpack: ['**/*.node'],
  afterPack: './build/after-pack.mjs',
  // No update channel, no publishing anywhere.
  publish: null,
  detectUpdateChannel: false,
  generateUpdatesFilesForAllChannels: false,
  // deb needs a homepage and a maintainer e-mail.
  extraMetadata: {
    homepage: 'https://enclave-console.invalid/',
    author: { name: 'Enclave Console authors', email: 'maintainers@enclave-console.invalid' },
  },
  linux: {
    target: ['AppImage', 'deb', 'rpm'],
    category: 'System',
    maintainer: 'Enclave Console authors <maintainers@enclave-console.invalid>',
    vendor: 'Enclave Console authors',
    synopsis: pkg.description,
    description: pkg.description,
    artifactName: '${name}-${version}-${arch}.${ext}',
  },
  appImage: { artifactName: '${name}-${version}-${arch}.${ext}' },
  deb: {
    artifactName: '${name}_${version}_${arch}.${ext}',
    priority: 'optional',
    packageCategory: 'admin',
  },
  rpm: { artifactName: '${name}-${version}.${arch}.${ext}' },
};

export default config;
