export {
  Dispatcher,
  MAX_CALLS_PER_CONNECTION,
  type Handlers,
  type Handler,
  type CallContext,
  type Logger,
} from './dispatcher';
export { newConnection, closeConnection, type Connection, type TransportKind } from './connection';
export { inProcessChannel } from './in-process';
export { createHandlers, type CoreServices } from './handlers';
export { serveMessagePort, type MessagePortLike } from './message-port';
