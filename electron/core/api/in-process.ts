import type { EnvelopeChannel } from '../../../shared/client';
import type { Connection } from './connection';
import type { Dispatcher } from './dispatcher';

/**
 * The CLI's transport: the same envelopes as the others, serialised the same
 * way, but without a socket. Replies are delivered asynchronously like a real
 * channel so callers cannot depend on synchronous delivery.
 */
export function inProcessChannel(dispatcher: Dispatcher, connection: Connection): EnvelopeChannel {
  let receiver: ((text: string) => void) | undefined;
  return {
    send(text) {
      dispatcher.receive(connection, text, (envelope) => {
        const reply = JSON.stringify(envelope);
        queueMicrotask(() => receiver?.(reply));
      });
    },
    onMessage(receive) {
      receiver = receive;
      return () => {
        receiver = undefined;
      };
    },
  };
}
