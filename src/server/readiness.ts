import type http from 'node:http';
import type { AuditLog, AuditStatus } from '../governance';
import { sendJson } from './httpServer';

/** The audit log's status as the HTTP probes show it (no secrets: lastError is a class of failure). */
function auditBody(s: AuditStatus) {
  return { ok: s.ok, mode: s.mode, queued: s.queued, written: s.written, dropped: s.dropped, failedWrites: s.failedWrites, lastError: s.lastError, since: s.since.toISOString() };
}

/**
 * `GET /health` is liveness: 200 while the process serves HTTP, `status: degraded` with the audit
 * log's details when its store fails (restarting would not fix a store that is down).
 */
export function healthBody(audit: AuditLog) {
  const s = audit.status();
  return { status: s.ok ? 'ok' : 'degraded', audit: auditBody(s) };
}

/**
 * `GET /ready` is readiness: 503 while this replica refuses reads (audit store failed in `refuse`
 * mode), so a load balancer sends traffic elsewhere; 200 otherwise, `serve` mode included.
 */
export function readyRoute(audit: AuditLog) {
  return (_req: http.IncomingMessage, res: http.ServerResponse): void => {
    const s = audit.status();
    const refusing = audit.refusing;
    sendJson(res, refusing ? 503 : 200, { status: refusing ? 'refusing' : s.ok ? 'ready' : 'degraded', audit: auditBody(s) });
  };
}
