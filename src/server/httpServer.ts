import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { describeError, isDatagateError, scrubValues } from '../errors';
import { createRequestContext, createRequestDeadline, type RequestDeadline, type Runtime } from '../graph';
import type { Governance } from '../governance';
import { AuthenticationError, type TokenVerifier, type User } from '../identity';
import type { GatewayContext } from '../../resolvers/context';
import { auditRefusedRequest } from './plugins/audit';
import { logs, type Logger } from './logger';
import type { RequestMetrics } from './plugins/metrics';
import { healthBody } from './readiness';
import { httpGraphQLRequestOf, INVALID_JSON, parseBody, readBody, writeHTTPGraphQLResponse, writeJsonLine } from './nodeHttpApollo';
import type { RequestGuards } from './limits/requestGuards';
import type { RoleServers } from './roleServers';

export type RouteHandler = (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>;

export interface HttpOptions {
  /** Largest request body accepted, in bytes (default 100 KB: enough for any real query, far below Apollo's 50 MB). */
  maxBodyBytes: number;
  governance: Governance;
  /** Other routes by exact path (`/metrics`, `/ready`); `/graphql` and `/health` are built in. */
  routes?: ReadonlyMap<string, RouteHandler>;
  /** Per role set limits, allow-list and CORS (limits/requestGuards); `maxBodyBytes` is then its readCap. */
  guards?: RequestGuards;
  /** GET/HEAD of any other path (the web console's files and client routes); without it, and for other methods, 404. */
  fallback?: RouteHandler;
  /** The access log (one info line per GraphQL request; probes and scrapes at debug) and internal errors. */
  log?: Logger;
  /** Counts requests refused before Apollo (401, 403, 413, bad JSON); the metrics plugin counts the rest. */
  metrics?: RequestMetrics;
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, requestId?: string): void {
  const s = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(s), ...(requestId ? { 'x-request-id': requestId } : {}) });
  res.end(s);
}

const errorBody = (message: string, code: string) => ({ errors: [{ message, extensions: { code } }] });

/** Header that narrows a request to one of its token's roles. */
export const ROLE_HEADER = 'x-datagate-role';

/**
 * The gateway's HTTP handler: its routes, then for /graphql the caller (token, roles, grants), the
 * role set's guards, and Apollo through the lean node:http integration (nodeHttpApollo.ts) or, for a
 * query Apollo already knows, the fast pipeline (fastPipeline.ts).
 */
export function createHttpHandler(servers: RoleServers, runtime: Runtime, verifier: TokenVerifier, opts: HttpOptions) {
  /** The caller: a verified token's user, or the anonymous user without a token. Throws AuthenticationError. */
  const authenticate = async (req: http.IncomingMessage): Promise<User> => {
    const header = req.headers.authorization;
    if (header === undefined || header === '') return verifier.anonymous;
    const m = /^Bearer +([A-Za-z0-9\-_.~+/]+=*)$/i.exec(header);
    if (!m) throw new AuthenticationError('malformed Authorization header; send "Authorization: Bearer <token>"');
    return verifier.verify(m[1]);
  };
  let inFlight = 0;
  let drained: (() => void) | undefined;
  const handler = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    inFlight++;
    try {
      await handle(req, res);
    } finally {
      if (--inFlight === 0) drained?.();
    }
  };
  /** Resolves once no request is being handled (true), or after `graceMs` (false). */
  const drain = (graceMs: number) =>
    new Promise<boolean>((resolve) => {
      if (inFlight === 0) return resolve(true);
      const timer = setTimeout(() => resolve(false), graceMs);
      drained = () => {
        clearTimeout(timer);
        resolve(true);
      };
    });
  const log = opts.log;
  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const startedMs = performance.now();
    const q = req.url?.indexOf('?') ?? -1;
    const path = q >= 0 ? req.url!.slice(0, q) : (req.url ?? '/');
    const search = q >= 0 ? req.url!.slice(q) : '';
    const requestId = (typeof req.headers['x-request-id'] === 'string' && /^[\w.-]{1,64}$/.test(req.headers['x-request-id']) ? req.headers['x-request-id'] : undefined) ?? randomUUID();
    /** The request's context once built: the metrics plugin files its operation and role set under it. */
    let ctx: GatewayContext | undefined;
    /** A request answered before Apollo: counted here, with the operation its body names. */
    let refused: { outcome: string; body: unknown } | undefined;
    /** limits.requestTimeout, and the client going away: both cancel the request's running statements. */
    let deadline: RequestDeadline | undefined;
    try {
      if (path === '/health') return sendJson(res, 200, healthBody(opts.governance.audit));
      const route = opts.routes?.get(path);
      if (route) return await route(req, res);
      if (path !== '/graphql' && opts.fallback && (req.method === 'GET' || req.method === 'HEAD')) return await opts.fallback(req, res);
      if (path !== '/graphql') return sendJson(res, 404, errorBody(`no route ${path}; the GraphQL endpoint is /graphql`, 'NOT_FOUND'));
      if (opts.guards?.cors(req, res)) return;
      let body: unknown = undefined;
      let raw = '';
      if (req.method === 'POST') {
        const text = await readBody(req, opts.maxBodyBytes);
        raw = text ?? '';
        if (text === null) {
          refused = { outcome: 'rejected', body: undefined };
          return sendJson(res, 413, errorBody(`request body larger than ${opts.maxBodyBytes} bytes`, 'PAYLOAD_TOO_LARGE'), requestId);
        }
        try {
          body = parseBody(text, req.headers['content-type']);
        } catch {
          refused = { outcome: 'rejected', body: undefined };
          return sendJson(res, 400, errorBody(INVALID_JSON, 'BAD_REQUEST'), requestId);
        }
      }
      let access, user: User | undefined;
      try {
        user = await authenticate(req);
        const requested = req.headers[ROLE_HEADER];
        const roles = runtime.policy.rolesFor(user, typeof requested === 'string' && requested !== '' ? requested : undefined);
        // Grants from approved access requests are the user's own: they join whichever roles the request runs as.
        const granted = opts.governance.access.grantRolesFor(user, new Date());
        access = runtime.policy.access(user, granted.length ? [...roles, ...granted] : roles);
      } catch (e) {
        if (e instanceof AuthenticationError || isDatagateError(e))
          auditRefusedRequest(opts.governance.audit, { requestId, at: new Date(), startedMs, code: e.code, message: e.message, body, userId: user?.id ?? null });
        if (e instanceof AuthenticationError) {
          refused = { outcome: 'denied', body };
          res.setHeader('www-authenticate', `Bearer error="invalid_token", error_description="${e.reason.replace(/"/g, "'")}"`);
          return sendJson(res, 401, { errors: [{ message: e.message, extensions: { code: e.code, reason: e.reason } }] }, requestId);
        }
        if (isDatagateError(e)) {
          refused = { outcome: 'denied', body };
          return sendJson(res, 403, errorBody(e.message, e.code), requestId);
        }
        throw e;
      }
      const guard = opts.guards?.forView(access.view);
      const admitted = guard?.admit({ method: req.method ?? 'GET', body, search, bytes: () => Buffer.byteLength(raw) }) ?? { ok: true, body, search };
      if (!admitted.ok) {
        // The refused body may be the very thing refused (too long): the record keeps its operation name only.
        const named = { operationName: (body as { operationName?: unknown } | undefined)?.operationName };
        auditRefusedRequest(opts.governance.audit, { requestId, at: new Date(), startedMs, code: admitted.code, message: admitted.message, body: named, userId: user.id });
        refused = { outcome: 'rejected', body: named };
        return sendJson(res, admitted.status, errorBody(admitted.message, admitted.code), requestId);
      }
      const { signal } = (deadline = createRequestDeadline(runtime.limits.requestTimeout));
      res.once('close', () => {
        if (!res.writableFinished) deadline?.cancel();
      });
      const server = await servers.forView(access.view);
      const context = () => (ctx = Object.assign(createRequestContext(guard?.runtime ?? runtime, requestId, user, access, signal), { governance: opts.governance }) as GatewayContext);
      if (req.method === 'POST') {
        const fast = await server.fast.run(admitted.body, req.headers.accept, context);
        if (fast) return writeJsonLine(res, fast.status, fast.headers, fast.json, { 'x-request-id': requestId });
      }
      // Anything the fast pipeline declined (it had not run or recorded anything): Apollo, with a fresh context.
      const result = await server.apollo.executeHTTPGraphQLRequest({ httpGraphQLRequest: httpGraphQLRequestOf(req, admitted.body, admitted.search), context: async () => context() });
      await writeHTTPGraphQLResponse(res, result, { 'x-request-id': requestId });
    } catch (e) {
      log?.({ level: 'error', requestId, errorId: requestId, msg: `internal error: ${scrubValues(e instanceof Error ? e.message : String(e))}`, error: describeError(e) });
      if (!res.headersSent) sendJson(res, 500, { errors: [{ message: `internal error (id ${requestId})`, extensions: { code: 'INTERNAL_SERVER_ERROR', errorId: requestId } }] }, requestId);
      else res.destroy();
    } finally {
      deadline?.done();
      // The answer is out: drop the request's loaders (and the rows they hold). Any object of the request
      // that outlived a young-generation GC keeps what it references alive until the next full GC;
      // cutting the rows loose here keeps them out of the old generation (Q2: ~4% less CPU per request).
      ctx?.loaders.clear();
      const seconds = (performance.now() - startedMs) / 1000;
      let summary = ctx && opts.metrics?.summaries.get(ctx.trace);
      if (refused && opts.metrics) summary = opts.metrics.observe(operationNameOf(refused.body), '(none)', refused.outcome, seconds);
      // Probes, scrapes and the console's files come often: debug, not info.
      const level = path === '/graphql' ? 'info' : 'debug';
      if (log && logs(log, level))
        log({
          level,
          msg: 'request',
          requestId,
          method: req.method,
          path,
          status: res.statusCode,
          ms: Math.round(seconds * 1e6) / 1000,
          ...(summary ? { operation: summary.operation, roleSet: summary.roleSet, outcome: summary.outcome } : {}),
        });
    }
  };
  return { handler, drain };
}

/** The operation a refused request's body names (`operationName`, else the query's first `query Name`), for its metric label. */
function operationNameOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null;
  const b = body as { operationName?: unknown; query?: unknown };
  if (typeof b.operationName === 'string' && /^[_A-Za-z]\w*$/.test(b.operationName)) return b.operationName;
  return typeof b.query === 'string' ? (/^\s*(?:query|mutation|subscription)\s+([_A-Za-z]\w*)/.exec(b.query)?.[1] ?? null) : null;
}
