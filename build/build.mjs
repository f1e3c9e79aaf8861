// Builds everything the console runs from, into out/:
//   out/node/enclave.mjs        the CLI (and the browser harness behind `enclave serve`)
//   out/node/electron-main.mjs  the Electron main process (composition root)
//   out/node/core-process.mjs   the core inside Electron's utilityProcess
//   out/node/ledger-verify-worker.mjs  a worker thread for ledger verification
//   out/lab/lab.mjs, nvidia-smi.mjs, k8s.mjs  the simulated site (`npm run lab`), its GPU
//                               simulator and its Kubernetes API emulator daemon
//   out/preload/preload.cjs     the sandboxed preload (CommonJS: sandboxed preloads cannot be ESM)
//   out/renderer/               the React UI (Vite)
// With --quiet it builds only what is older than its sources, and says nothing
// when all is fresh (used by `npm run enclave`).
import { build } from 'esbuild';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const quiet = process.argv.includes('--quiet');
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const log = (m) => quiet || process.stderr.write(`${m}\n`);

function newest(paths) {
  let t = 0;
  const visit = (p) => {
    if (!existsSync(p)) return;
    const st = statSync(p);
    if (st.isDirectory()) for (const e of readdirSync(p)) visit(path.join(p, e));
    else t = Math.max(t, st.mtimeMs);
  };
  for (const p of paths) visit(path.join(root, p));
  return t;
}
function stale(stamp, sources) {
  const file = path.join(root, 'out', stamp);
  return !quiet || !existsSync(file) || statSync(file).mtimeMs < newest(sources);
}
function touch(stamp) {
  mkdirSync(path.join(root, 'out'), { recursive: true });
  writeFileSync(path.join(root, 'out', stamp), new Date().toISOString());
}

const common = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  logLevel: 'warning',
  define: { __ENCLAVE_VERSION__: JSON.stringify(version) },
  absWorkingDir: root,
};
// ESM bundles that pull in CommonJS packages need a real `require`.
const esmBanner = {
  js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);",
};

const nodeSources = ['shared', 'electron', 'offline-bundles', 'test/lab', 'package.json', 'build/build.mjs'];
if (stale('.node-stamp', nodeSources)) {
  const started = Date.now();
  await Promise.all([
    build({
      ...common,
      entryPoints: {
        enclave: 'electron/cli/main.ts',
        'core-process': 'electron/core/utility-main.ts',
        'ledger-verify-worker': 'electron/core/ledger/verify-worker.ts',
        'electron-main': 'electron/main/index.ts',
      },
      outdir: 'out/node',
      outExtension: { '.js': '.mjs' },
      format: 'esm',
      packages: 'external',
      banner: esmBanner,
    }),
    // The simulated site (test/lab): test infrastructure, never packaged with the app.
    build({
      ...common,
      entryPoints: {
        lab: 'test/lab/site/main.ts',
        'nvidia-smi': 'test/lab/nvidia-smi/main.ts',
        k8s: 'test/lab/k8s/daemon.ts',
      },
      outdir: 'out/lab',
      outExtension: { '.js': '.mjs' },
      format: 'esm',
      packages: 'external',
      banner: esmBanner,
    }),
    build({
      ...common,
      entryPoints: { preload: 'electron/preload/index.ts' },
      outdir: 'out/preload',
      outExtension: { '.js': '.cjs' },
      format: 'cjs',
      platform: 'browser',
      external: ['electron'],
    }),
  ]);
  // The official Kubernetes OpenAPI documents tenant objects are validated against, read at run
  // time next to the bundle (loadKubernetesSchemas) rather than bundled: they are megabytes.
  const schemas = path.join(root, 'electron/core/tenants/openapi');
  mkdirSync(path.join(root, 'out/node/openapi'), { recursive: true });
  for (const f of readdirSync(schemas))
    copyFileSync(path.join(schemas, f), path.join(root, 'out/node/openapi', f));
  touch('.node-stamp');
  log(`built the Node side in ${Date.now() - started} ms`);
}

const rendererSources = ['shared', 'renderer', 'vite.config.ts', 'package.json'];
if (stale('.renderer-stamp', rendererSources)) {
  const started = Date.now();
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: path.join(root, 'vite.config.ts'), logLevel: quiet ? 'error' : 'warn' });
  touch('.renderer-stamp');
  log(`built the renderer in ${Date.now() - started} ms`);
}
