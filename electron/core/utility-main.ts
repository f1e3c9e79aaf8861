/**
 * Entry of the core inside Electron's utilityProcess. The main process sends
 * `start` once, then one `connect` with a MessagePort per renderer; every
 * envelope from a port goes to the same dispatcher the harness and CLI use.
 * This file does not import 'electron': it only sees `process.parentPort`.
 */
import { ConsoleError } from '../../shared/errors';
import { serveMessagePort, type MessagePortLike } from './api';
import { openConsole, type ConsoleCore } from './index';
import { KeyringWitness } from './ledger';
import type { OsKeyring } from './store';
import type { CoreToMain, MainToCore } from './utility-protocol';

interface ParentPort {
  on(event: 'message', listener: (e: { data: MainToCore; ports: MessagePortLike[] }) => void): void;
  postMessage(message: CoreToMain): void;
}

const parentPort = (process as unknown as { parentPort?: ParentPort }).parentPort;
if (!parentPort) {
  process.stderr.write('enclave core: this entry runs only inside Electron utilityProcess\n');
  process.exit(2);
}

/** safeStorage lives in the main process; ask it over the parent port. */
function keyringThroughMain(port: ParentPort): { keyring: OsKeyring; settle(m: MainToCore): void } {
  let next = 1;
  const waiting = new Map<number, { resolve(b: Buffer): void; reject(e: Error): void }>();
  const ask = (type: 'keyring.encrypt' | 'keyring.decrypt', data: Buffer) =>
    new Promise<Buffer>((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      port.postMessage({ type, id, data: data.toString('base64') });
    });
  return {
    keyring: { encrypt: (b) => ask('keyring.encrypt', b), decrypt: (b) => ask('keyring.decrypt', b) },
    settle(m) {
      if (m.type !== 'keyring.result') return;
      const w = waiting.get(m.id);
      waiting.delete(m.id);
      if (m.ok) w?.resolve(Buffer.from(m.data, 'base64'));
      else w?.reject(new Error(m.error));
    },
  };
}

const bridge = keyringThroughMain(parentPort);
let core: Promise<ConsoleCore> | undefined;

parentPort.on('message', ({ data, ports }) => {
  if (data.type === 'keyring.result') {
    bridge.settle(data);
  } else if (data.type === 'start' && !core) {
    core = openConsole({
      dataDir: data.dataDir,
      recordLifecycle: true,
      ...(data.keyring.available ? { keyring: bridge.keyring } : {}),
      // A real keyring (never basic_text) also keeps a copy of the newest checkpoint.
      ...(data.keyring.available && KeyringWitness.available() ? { checkpointInKeyring: {} } : {}),
    });
    core.then(
      (opened) => {
        // Record the stop and write the outside checkpoint copy when the shell ends us.
        process.once('exit', () => opened.close());
        process.once('SIGTERM', () => process.exit(0));
        parentPort.postMessage({ type: 'ready' });
      },
      (error: unknown) => {
        const message =
          error instanceof ConsoleError || error instanceof Error ? error.message : String(error);
        parentPort.postMessage({ type: 'fatal', message });
      },
    );
  } else if (data.type === 'connect' && core && ports[0]) {
    const port = ports[0];
    void core.then(({ dispatcher }) => serveMessagePort(dispatcher, port));
  }
});
