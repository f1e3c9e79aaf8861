export { SqliteAuditSink, type AuditSink, type AuditRecord } from './audit-sink';
