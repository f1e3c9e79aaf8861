/**
 * Sandboxed preload, bundled to out/preload/preload.cjs: it may only require('electron'). It asks
 * main for its end of a MessageChannel to the core and exposes two named functions on
 * window.enclave, never ipcRenderer itself.
 */
import { contextBridge, ipcRenderer } from 'electron';
import { MAX_ENVELOPE_CHARS } from '../../shared/limits';
import type { EnclaveBridge } from './bridge';

/** Envelopes held until the port arrives; a renderer that floods a dead channel gets an error. */
const MAX_QUEUED = 1_000;

let port: MessagePort | null = null;
const outbox: string[] = [];
const receivers = new Set<(text: string) => void>();

ipcRenderer.once('enclave:port', (event) => {
  const received = event.ports[0];
  if (received === undefined) return;
  received.onmessage = (message: MessageEvent<unknown>) => {
    if (typeof message.data !== 'string') return;
    for (const receive of receivers) receive(message.data);
  };
  for (const text of outbox.splice(0)) received.postMessage(text);
  port = received;
});
ipcRenderer.send('enclave:connect');

const bridge: EnclaveBridge = {
  postEnvelope(text: string): void {
    if (typeof text !== 'string') throw new TypeError('postEnvelope takes a string');
    if (text.length > MAX_ENVELOPE_CHARS)
      throw new RangeError(`envelope over ${MAX_ENVELOPE_CHARS} characters`);
    if (port !== null) port.postMessage(text);
    else if (outbox.length < MAX_QUEUED) outbox.push(text);
    else throw new Error('the console core is not connected');
  },
  onEnvelope(callback: (text: string) => void): () => void {
    if (typeof callback !== 'function') throw new TypeError('onEnvelope takes a function');
    // Wrap it so the same callback registered twice gets two independent subscriptions.
    const receiver = (text: string): void => callback(text);
    receivers.add(receiver);
    return () => void receivers.delete(receiver);
  },
};

contextBridge.exposeInMainWorld('enclave', bridge);
