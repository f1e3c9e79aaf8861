// The emulator as a process of its own (`node out/lab/k8s.mjs --state DIR [--nodes JSON]`), for
// `lab up`: it writes `<state>/k8s.json` ({ pid, url, port, kubeconfig }) once it listens, and
// stops on SIGTERM/SIGINT (what `lab down` sends). Usage errors exit 2, start failures 1.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { GpuNodeSpec } from './nodes';
import { startKubeEmulator } from './server';

export async function main(argv: string[]): Promise<number> {
  let stateDir: string | undefined;
  let nodes: GpuNodeSpec[] = [];
  let port: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = argv[i + 1];
    if (arg === '--state' && value) stateDir = argv[++i];
    else if (arg === '--nodes' && value) nodes = JSON.parse(argv[++i] as string) as GpuNodeSpec[];
    else if (arg === '--port' && value) port = Number(argv[++i]);
    else {
      process.stderr.write(
        `k8s: unknown or incomplete argument ${String(arg)}\nusage: k8s --state DIR [--nodes JSON] [--port N]\n`,
      );
      return 2;
    }
  }
  if (!stateDir) {
    process.stderr.write('k8s: --state DIR is required\n');
    return 2;
  }
  const k = await startKubeEmulator({ stateDir, nodes, ...(port ? { port } : {}) });
  const info = { pid: process.pid, url: k.url, port: k.port, kubeconfig: k.kubeconfigPath };
  writeFileSync(path.join(stateDir, 'k8s.json'), `${JSON.stringify(info, null, 2)}\n`, { mode: 0o600 });
  process.stdout.write(`${JSON.stringify(info)}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  await k.close();
  return 0;
}

// Run only as the entry point itself (out/lab/k8s.mjs or a bundle of this file).
if (process.argv[1] && /(^|\/)(k8s|daemon)\.m?[jt]s$/.test(process.argv[1])) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`k8s: ${String(e)}\n`);
      process.exit(1);
    },
  );
}
