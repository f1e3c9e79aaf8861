// `npm start`: the desktop console. Electron's binary is fetched from GitHub the
// first time it is needed; where that cannot happen (an air-gapped or
// registry-only machine), say so and point at the browser harness instead.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const require = createRequire(import.meta.url);
let electron;
try {
  electron = require('electron'); // the path of the binary; downloads it on first use
} catch (error) {
  process.stderr.write(
    [
      'The Electron binary is not available on this machine, so the desktop window cannot start.',
      `(${String(error.message ?? error).split('\n')[0]})`,
      'Open the same console in a browser instead:  npm run serve',
      'or provide a binary: ELECTRON_OVERRIDE_DIST_PATH=/path/to/electron-dist npm start',
      '',
    ].join('\n'),
  );
  process.exit(1);
}
const child = spawn(electron, [path.join(root, 'out/node/electron-main.mjs'), ...process.argv.slice(2)], {
  stdio: 'inherit',
});
child.on('exit', (code) => process.exit(code ?? 1));
