// The lab's Kubernetes API emulator in a process of its own, for benchmarks: its CPU is not the
// measured side's. Prints one JSON line {url, token, caPem, kubeconfig} when listening; stops on
// SIGTERM or when stdin closes.
import { startKubeEmulator } from '../test/lab/k8s/server';

const stateDir = process.argv[2];
if (!stateDir) throw new Error('usage: k8s-emulator STATE_DIR [NODES_JSON]');
const nodes = process.argv[3] ? (JSON.parse(process.argv[3]) as unknown[]) : undefined;
const k = await startKubeEmulator({ stateDir, ...(nodes ? { nodes } : {}) } as Parameters<
  typeof startKubeEmulator
>[0]);
process.stdout.write(
  `${JSON.stringify({ url: k.url, token: k.token, caPem: k.caPem, kubeconfig: k.kubeconfig })}\n`,
);
const stop = () => void k.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.stdin.on('end', stop);
process.stdin.resume();
