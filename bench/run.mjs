// `npm run bench [-- NAME…]`: bundles bench/NAME.ts and runs it in its own Node
// process (so memory figures are its own). Each writes bench/results/NAME.json
// and NAME.md (a readable table, peer tool side by side).
import { build } from 'esbuild';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const available = readdirSync(import.meta.dirname)
  .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
  .map((f) => f.slice(0, -3));
const wanted = process.argv.slice(2).filter((a) => !a.startsWith('-'));
const names = wanted.length ? wanted : available;
const { version } = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
let failed = false;
for (const name of names) {
  if (!available.includes(name)) {
    console.error(`no benchmark "${name}"; available: ${available.join(', ')}`);
    process.exit(2);
  }
  const outfile = path.join(root, 'out', 'bench', `${name}.mjs`);
  await build({
    entryPoints: [path.join(import.meta.dirname, `${name}.ts`)],
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    packages: 'external',
    outfile,
    define: { __ENCLAVE_VERSION__: JSON.stringify(version) },
    banner: {
      js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
    },
    logLevel: 'warning',
  });
  console.log(`\n=== bench ${name}`);
  const run = spawnSync(process.execPath, ['--expose-gc', outfile], { stdio: 'inherit', cwd: root });
  if (run.status !== 0) failed = true;
}
process.exit(failed ? 1 : 0);
