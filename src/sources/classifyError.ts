import { DatagateError, ErrorCode, isDatagateError } from '../errors';

const UNAVAILABLE_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EHOSTUNREACH', 'ETIMEDOUT', 'EPIPE', 'PROTOCOL_CONNECTION_LOST', 'ER_CON_COUNT_ERROR', '57P01', '57P03', '53300', 'SQLITE_CANTOPEN']);
// Server-side statement timeouts, and the drivers' own guards (mysql2's `timeout`; pg's `query_timeout`, which has no code).
const TIMEOUT_CODES = new Set(['57014', 'ER_QUERY_TIMEOUT', 'ER_STATEMENT_TIMEOUT', 'ER_QUERY_INTERRUPTED', 'PROTOCOL_SEQUENCE_TIMEOUT']);
const TIMEOUT_ERRNOS = new Set([1969, 3024, 1317]);
const AUTH_CODES = new Set(['28P01', '28000', 'ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', '3D000', 'ER_BAD_DB_ERROR']);

/**
 * Driver error → safe DatagateError. The driver's message (which may hold SQL text, values or
 * a connection string) stays in `cause` for the server log and never reaches a client.
 */
export function classifySourceError(source: string, e: unknown): DatagateError {
  if (isDatagateError(e)) return e;
  const err = e as { code?: string; errno?: number; name?: string; message?: string };
  const code = err?.code ?? '';
  const msg = err?.message ?? '';
  if (TIMEOUT_CODES.has(code) || TIMEOUT_ERRNOS.has(err?.errno ?? -1) || msg === 'Query read timeout')
    return new DatagateError(ErrorCode.SOURCE_TIMEOUT, `source "${source}" did not answer within its statement timeout`, { source }, { cause: e });
  if (AUTH_CODES.has(code))
    return new DatagateError(ErrorCode.SOURCE_AUTH_FAILED, `source "${source}" refused the gateway's credentials or database; check its url in datagate.yaml`, { source }, { cause: e });
  // KnexTimeoutError: no pooled connection could be had within connectTimeout.
  if (UNAVAILABLE_CODES.has(code) || err?.name === 'KnexTimeoutError' || /connect|terminat|closed|Connection lost/i.test(msg))
    return new DatagateError(ErrorCode.SOURCE_UNAVAILABLE, `source "${source}" is unavailable; its other data and other sources still answer`, { source }, { cause: e });
  return new DatagateError(ErrorCode.SOURCE_QUERY_FAILED, `source "${source}" could not run the query (error id in the server log)`, { source }, { cause: e });
}
