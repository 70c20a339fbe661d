export { openStore, redactUrl, DEFAULT_SQLITE_FILE, type MetadataStore, type OpenStoreOptions, type StoreKind, type StoreLogger } from './openStore';
export { migrations, migrationSource, migratorConfig, type StoreMigration } from './migrations';
export {
  ACCESS_REQUEST_STATUSES,
  TRANSITION_FROM,
  createAccessRequest,
  getAccessRequest,
  listAccessRequests,
  listAccessRequestEvents,
  transitionAccessRequest,
  expireDueAccessRequests,
  lastAccessEventId,
  type AccessRequest,
  type AccessRequestStatus,
  type AccessRequestEvent,
  type AccessRequestFilter,
  type AccessTransition,
  type TransitionResult,
  type NewAccessRequest,
  type RequestedAccess,
  type ApprovedAccess,
  type DeniedAccess,
  type ExpiredAccess,
  type RevokedAccess,
} from './accessRequests';
export { listActiveGrants, type Grant } from './grants';
export { insertAuditRecords, listAuditRecords, type AuditRecord, type NewAuditRecord, type AuditFilter, type AuditPage, type AuditOutcome } from './auditRecords';
export { insertQualityResult, insertQualityResults, latestQualityResults, qualityHistory, type QualityResult, type NewQualityResult } from './qualityResults';
