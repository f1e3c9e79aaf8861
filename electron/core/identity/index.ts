export { Identity, alreadyInitialised } from './identity';
export { operatorRow, type OperatorRecord } from './operators';
export {
  sessionView,
  isExpired,
  expiresAt,
  ledgerOperator,
  type Session,
  SESSION_IDLE_MS,
  SESSION_MAX_MS,
} from './session';
export { lockedUntil, FREE_ATTEMPTS } from './rate-limit';
