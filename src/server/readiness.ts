import type http from 'node:http';
import { isDatagateError } from '../errors';
import type { AuditLog, AuditStatus } from '../governance';
import type { SourceAdapter } from '../sources';
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

/** One part's answer to a readiness ping: a reason (code and safe message) when it failed. */
export interface PartStatus {
  readonly ok: boolean;
  readonly ms: number;
  readonly reason?: string;
}

export interface ReadinessOptions {
  audit: AuditLog;
  sources: ReadonlyMap<string, SourceAdapter>;
  store: { ping(): Promise<void> };
  /** The store failing makes the replica unready unless the audit log is told to serve without it. */
  storeRequired: boolean;
  /** A part that has not answered by then counts as failed (default 1 s). */
  pingTimeoutMs?: number;
  /** How long one round of pings answers every probe (default 1 s): a scraper cannot flood the sources. */
  cacheMs?: number;
  /** True once the gateway is closing: unready at once, so a load balancer stops sending. */
  closing?: () => boolean;
}

/** Why a ping failed, safe to show: our classified errors' messages, else the error's class only. */
function reasonOf(e: unknown): string {
  if (isDatagateError(e)) return `${e.code}: ${e.message}`;
  if (e instanceof PingTimeout) return e.message;
  return `${(e as Error)?.name ?? 'Error'}${(e as { code?: unknown })?.code ? ` ${String((e as { code?: unknown }).code)}` : ''}`;
}

class PingTimeout extends Error {}

async function pingWithin(ping: () => Promise<void>, ms: number): Promise<PartStatus> {
  const started = performance.now();
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      ping(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new PingTimeout(`no answer within ${ms} ms`)), ms);
      }),
    ]);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (e) {
    return { ok: false, ms: Math.round(performance.now() - started), reason: reasonOf(e) };
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `GET /ready` is readiness: every source and the metadata store are pinged in parallel (a short
 * timeout each; one round answers every probe for `cacheMs`), and the audit log's status is read.
 * 503 with the reason per failing part while a source or the store fails, or while this replica
 * refuses reads (audit store failed in `refuse` mode), or while it shuts down; 200 otherwise.
 */
export function readyRoute(opts: ReadinessOptions) {
  const timeout = opts.pingTimeoutMs ?? 1000;
  const cacheMs = opts.cacheMs ?? 1000;
  /**
   * The last round of pings. Probes arriving while it runs share it; a round where every part answered
   * serves probes for `cacheMs`; a round with a failure serves only while it runs, so a recovered part
   * shows at once (a failing source costs little to ask again: its breaker answers without connecting,
   * a refused connection is cheap, and a silent one is asked once per `pingTimeoutMs` at most).
   */
  let last: { at: number; done: boolean; ok: boolean; result: Promise<{ sources: Record<string, PartStatus>; store: PartStatus }> } | undefined;
  const probe = () => {
    const now = performance.now();
    if (!last || (last.done && (!last.ok || now - last.at > cacheMs))) {
      const round: NonNullable<typeof last> = { at: now, done: false, ok: false, result: undefined! };
      round.result = (async () => {
        const [store, ...sources] = await Promise.all([pingWithin(() => opts.store.ping(), timeout), ...[...opts.sources.values()].map((s) => pingWithin(() => s.ping(), timeout))]);
        round.done = true;
        round.ok = store.ok && sources.every((p) => p.ok);
        round.at = performance.now();
        return { store, sources: Object.fromEntries([...opts.sources.keys()].map((name, i) => [name, sources[i]])) };
      })();
      last = round;
    }
    return last.result;
  };
  return async (_req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    if (opts.closing?.()) return sendJson(res, 503, { status: 'shutting down', reasons: ['the gateway is shutting down'] });
    const { sources, store } = await probe();
    const s = opts.audit.status();
    const refusing = opts.audit.refusing;
    const reasons: string[] = [];
    for (const [name, p] of Object.entries(sources)) if (!p.ok) reasons.push(`source ${name}: ${p.reason}`);
    if (!store.ok && opts.storeRequired) reasons.push(`metadata store: ${store.reason}`);
    if (refusing) reasons.push('audit: reads are refused while the audit log cannot be written');
    const status = refusing ? 'refusing' : reasons.length ? 'unavailable' : s.ok && store.ok ? 'ready' : 'degraded';
    sendJson(res, reasons.length ? 503 : 200, { status, ...(reasons.length ? { reasons } : {}), sources, store, audit: auditBody(s) });
  };
}
