export type { Governance } from './Governance';
export * from './access';
export { AuditLog, describeError, type AuditLogOptions, type AuditStatus, type AuditWriter, type AuditLogger } from './audit';
export * from './catalog';
