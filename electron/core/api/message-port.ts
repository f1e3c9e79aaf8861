import type { Dispatcher } from './dispatcher';
import { closeConnection, newConnection } from './connection';

/** The shape of Electron's MessagePortMain that the core uses. */
export interface MessagePortLike {
  on(event: 'message', listener: (e: { data: unknown }) => void): void;
  on(event: 'close', listener: () => void): void;
  postMessage(message: unknown): void;
  start(): void;
}

/** Serves one renderer connection over a MessagePort: text envelopes in, text envelopes out. */
export function serveMessagePort(dispatcher: Dispatcher, port: MessagePortLike): void {
  const connection = newConnection('electron');
  port.on('message', (e) =>
    dispatcher.receive(connection, e.data, (envelope) => port.postMessage(JSON.stringify(envelope))),
  );
  port.on('close', () => closeConnection(connection));
  port.start();
}
