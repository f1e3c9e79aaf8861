import { execFileSync } from 'node:child_process';
import path from 'node:path';

/** Tests that spawn the CLI or the harness need out/; build what is stale (fast when fresh). */
export default function setup(): void {
  execFileSync(process.execPath, [path.resolve(import.meta.dirname, '../../build/build.mjs'), '--quiet'], {
    stdio: 'inherit',
  });
}
