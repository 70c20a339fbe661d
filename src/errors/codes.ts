/**
 * Every error a client can see carries one of these codes in `extensions.code`.
 * Anything that is not a DatagateError is masked as INTERNAL_SERVER_ERROR with a logged id.
 */
export const ErrorCode = {
  BAD_CONFIG: 'BAD_CONFIG',
  BAD_MODEL: 'BAD_MODEL',
  BAD_POLICY: 'BAD_POLICY',
  BAD_USER_INPUT: 'BAD_USER_INPUT',
  UNAUTHENTICATED: 'UNAUTHENTICATED',
  FORBIDDEN: 'FORBIDDEN',
  /** An access request (or other governance record) that does not exist, or that the caller may not see. */
  NOT_FOUND: 'NOT_FOUND',
  /** A state change that lost a race or no longer applies (a request already decided). */
  CONFLICT: 'CONFLICT',
  LIMIT_EXCEEDED: 'LIMIT_EXCEEDED',
  BAD_CURSOR: 'BAD_CURSOR',
  SOURCE_UNAVAILABLE: 'SOURCE_UNAVAILABLE',
  SOURCE_TIMEOUT: 'SOURCE_TIMEOUT',
  SOURCE_AUTH_FAILED: 'SOURCE_AUTH_FAILED',
  SOURCE_QUERY_FAILED: 'SOURCE_QUERY_FAILED',
  /** More statements wait for the source's connections than its `maxQueue`, or every connection stayed busy past `connectTimeout`. */
  SOURCE_BUSY: 'SOURCE_BUSY',
  /** The source's circuit breaker is open after repeated connection failures: refused at once, no connection tried. */
  SOURCE_CIRCUIT_OPEN: 'SOURCE_CIRCUIT_OPEN',
  /** The request ran past `limits.requestTimeout`: its statements still running were cancelled. */
  REQUEST_TIMEOUT: 'REQUEST_TIMEOUT',
  /** The client went away before the answer: the request's running statements were cancelled. */
  REQUEST_CANCELLED: 'REQUEST_CANCELLED',
  UNSUPPORTED: 'UNSUPPORTED',
  /** The audit log cannot write its records and `audit.onStoreFailure` is `refuse`: no unrecorded reads. */
  AUDIT_UNAVAILABLE: 'AUDIT_UNAVAILABLE',
  INTERNAL: 'INTERNAL_SERVER_ERROR',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];
