export { AuditLog, describeError, type AuditLogOptions, type AuditStatus, type AuditWriter, type AuditLogger } from './AuditLog';
