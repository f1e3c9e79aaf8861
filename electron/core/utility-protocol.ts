/**
 * Messages between the Electron main process and the core's utilityProcess
 * (over process.parentPort). Envelopes for the renderer never travel here: the
 * main process hands each window one end of a MessageChannel and the core the
 * other, so main only wires and never sees operator traffic.
 */

/** main -> core */
export type MainToCore =
  /** Sent once at start. `keyring` says whether Electron's safeStorage is backed by a real OS keyring. */
  | { type: 'start'; dataDir: string; keyring: { available: boolean; backend: string } }
  /** Carries one MessagePortMain in `ports[0]`: a new renderer connection. */
  | { type: 'connect'; origin: string }
  /** Answer to a CoreToMain keyring request. */
  | { type: 'keyring.result'; id: number; ok: true; data: string }
  | { type: 'keyring.result'; id: number; ok: false; error: string };

/** core -> main */
export type CoreToMain =
  | { type: 'ready' }
  | { type: 'fatal'; message: string }
  /** Ask main to encrypt/decrypt a small blob (base64) with safeStorage. */
  | { type: 'keyring.encrypt'; id: number; data: string }
  | { type: 'keyring.decrypt'; id: number; data: string };
