import { safeStorage, utilityProcess, type MessagePortMain, type UtilityProcess } from 'electron';
import type { CoreToMain, MainToCore } from '../core/utility-protocol';
import { keyringStatus, shouldRestart } from './policy';

export interface CoreProcessOptions {
  modulePath: string;
  dataDir: string;
  /** The core came back after a crash: windows must reconnect (their old ports are dead). */
  onRestarted(): void;
  /** The core cannot run; the message is for the operator. */
  onFatal(message: string): void;
}

type Keyring = { available: boolean; backend: string };

/** Linux names its keyring backends; macOS and Windows always use the OS store when available. */
function keyringBackend(): string {
  if (process.platform === 'linux') return safeStorage.getSelectedStorageBackend();
  return process.platform === 'darwin' ? 'keychain' : 'dpapi';
}

/**
 * The core's utilityProcess: starts it, answers its keyring requests, hands it renderer ports and
 * restarts it after an unexpected exit. Envelopes never pass through here.
 */
export class CoreProcess {
  private child: UtilityProcess | null = null;
  private ready = false;
  private stopping = false;
  private keyring: Keyring = { available: false, backend: 'unknown' };
  private readonly crashes: number[] = [];
  private readonly waiting: { port: MessagePortMain; origin: string }[] = [];

  constructor(private readonly options: CoreProcessOptions) {}

  /** Call after `ready`: safeStorage reports its backend only then. */
  async start(): Promise<void> {
    const available = await safeStorage.isAsyncEncryptionAvailable().catch(() => false);
    this.keyring = keyringStatus(process.platform, available, keyringBackend());
    this.spawn();
  }

  /** Hands the core one end of a renderer's channel; held until the core says it is ready. */
  connect(port: MessagePortMain, origin: string): void {
    if (this.child !== null && this.ready) this.post({ type: 'connect', origin }, [port]);
    else this.waiting.push({ port, origin });
  }

  stop(): void {
    this.stopping = true;
    this.child?.kill();
  }

  private spawn(): void {
    this.ready = false;
    const child = utilityProcess.fork(this.options.modulePath, [], { serviceName: 'Enclave Console core' });
    this.child = child;
    child.on('message', (message: CoreToMain) => void this.receive(child, message));
    child.on('exit', (code) => this.exited(child, code));
    this.post({ type: 'start', dataDir: this.options.dataDir, keyring: this.keyring });
  }

  private post(message: MainToCore, transfer: MessagePortMain[] = []): void {
    this.child?.postMessage(message, transfer);
  }

  private async receive(child: UtilityProcess, message: CoreToMain): Promise<void> {
    if (child !== this.child) return;
    switch (message.type) {
      case 'ready':
        this.ready = true;
        for (const { port, origin } of this.waiting.splice(0)) this.post({ type: 'connect', origin }, [port]);
        return;
      case 'fatal':
        // A fatal start-up error (unreadable database, failed migration) would only recur on restart.
        this.stopping = true;
        this.options.onFatal(message.message);
        return;
      case 'keyring.encrypt':
      case 'keyring.decrypt': {
        const reply = await this.keyringOp(message);
        // A restarted core numbers its requests afresh: never answer it with the old one's reply.
        if (child === this.child) child.postMessage(reply);
        return;
      }
    }
  }

  /** The data is opaque base64 text: encrypt returns the ciphertext as base64, decrypt reverses it. */
  private async keyringOp(message: Extract<CoreToMain, { id: number }>): Promise<MainToCore> {
    const id = message.id;
    if (!this.keyring.available) {
      return {
        type: 'keyring.result',
        id,
        ok: false,
        error: `no OS keyring (backend ${this.keyring.backend})`,
      };
    }
    try {
      const data =
        message.type === 'keyring.encrypt'
          ? (await safeStorage.encryptStringAsync(message.data)).toString('base64')
          : (await safeStorage.decryptStringAsync(Buffer.from(message.data, 'base64'))).result;
      return { type: 'keyring.result', id, ok: true, data };
    } catch (error) {
      return {
        type: 'keyring.result',
        id,
        ok: false,
        error: error instanceof Error ? error.message : String(error),
      };
    }
  }

  private exited(child: UtilityProcess, code: number): void {
    if (child !== this.child) return;
    this.child = null;
    this.ready = false;
    if (this.stopping) return;
    const now = Date.now();
    if (!shouldRestart(this.crashes, now)) {
      this.options.onFatal(
        `The console core stopped unexpectedly (exit code ${code}) several times in a minute.`,
      );
      return;
    }
    this.crashes.push(now);
    console.error(`[enclave] core exited with code ${code}; restarting`);
    this.spawn();
    this.options.onRestarted();
  }
}
