import type http from 'node:http';
import { csvFormat } from './export/csvFormat';
import { prepareExportQuery, AFTER_VARIABLE, PAGE_ALIAS, type ExportQuery } from './export/exportQuery';
import { ExportShapeError } from './export/ExportShapeError';
import { ROLE_HEADER, sendJson, type RouteHandler } from './httpServer';
import { readBody } from './nodeHttpApollo';

/** Request headers a page request carries over from the caller: who asks, as which role, under which id. */
const FORWARDED = ['authorization', ROLE_HEADER, 'x-request-id'] as const;

/** A bearer token's characters (RFC 6750 b64token), as the HTTP handler reads the Authorization header. */
const TOKEN = /^[A-Za-z0-9\-_.~+/]+=*$/;

const problem = (message: string, code: string, extra: Record<string, unknown> = {}) => ({ errors: [{ message, extensions: { code, ...extra } }] });

interface Answer {
  status: number;
  body: { data?: Record<string, unknown> | null; errors?: { message: string; extensions?: Record<string, unknown> }[] };
}

/**
 * `POST /export.csv` with `{ query, variables?, filename? }` (JSON) and the caller's token: the rows
 * of the query's one root field as CSV, streamed. A connection is followed page by page; each page
 * is an ordinary request to this gateway's own /graphql over loopback with the caller's headers, so
 * authentication, the role's schema, policies, masks, limits and the audit record are exactly those
 * of the screen; only one page is held in memory at a time, and a slow client slows the paging
 * (backpressure). Problems found before the first byte answer JSON with a status; a failure after
 * that aborts the response, so a download never looks complete when it is not.
 *
 * A browser download (the console's) cannot set an Authorization header, so the same request also
 * comes as an HTML form (`application/x-www-form-urlencoded`: fields query, variables as JSON text,
 * filename, operationName and token) that the browser saves to disk as it arrives, never holding
 * the file in memory. The token travels in the POST body, like the header, and never in a URL (which
 * lands in access logs and browser history): a token in this route's query string is refused.
 */
export function csvExportRoute(opts: { maxBodyBytes: number }): RouteHandler {
  return async (req, res) => {
    const search = new URL(req.url ?? '/', 'http://x').searchParams;
    if (search.has('token') || search.has('access_token'))
      return sendJson(res, 400, problem('a token in a URL ends up in access logs and browser history: send it as Authorization: Bearer, or as the form field token in the POST body', 'TOKEN_IN_URL'));
    if (req.method !== 'POST') {
      res.setHeader('allow', 'POST');
      return sendJson(res, 405, problem('send POST /export.csv with a JSON body { "query": "...", "variables": {...} } and your token as Authorization: Bearer', 'METHOD_NOT_ALLOWED'));
    }
    const text = await readBody(req, opts.maxBodyBytes);
    if (text === null) return sendJson(res, 413, problem(`request body larger than ${opts.maxBodyBytes} bytes`, 'PAYLOAD_TOO_LARGE'));
    let input: { query?: unknown; variables?: unknown; filename?: unknown; operationName?: unknown };
    let formToken: string | undefined;
    if (String(req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded')) {
      const form = new URLSearchParams(text);
      formToken = form.get('token') || undefined;
      let variables: unknown;
      try {
        variables = form.get('variables') ? JSON.parse(form.get('variables')!) : undefined;
      } catch {
        return sendJson(res, 400, problem('the form field variables is not JSON: send an object such as {"region":"EU"}', 'BAD_REQUEST'));
      }
      input = { query: form.get('query') ?? undefined, variables, filename: form.get('filename') ?? undefined, operationName: form.get('operationName') ?? undefined };
    } else {
      try {
        input = JSON.parse(text);
      } catch {
        return sendJson(res, 400, problem('the body is not JSON: send { "query": "...", "variables": {...} } with content-type application/json', 'BAD_REQUEST'));
      }
    }
    if (typeof input?.query !== 'string' || !input.query.trim()) return sendJson(res, 400, problem('which rows? send { "query": "query { customersConnection(first: 500) { edges { node { id name } } } }" }', 'BAD_REQUEST'));
    if (formToken !== undefined) {
      if (req.headers.authorization) return sendJson(res, 400, problem('send the token once: as the Authorization header or as the form field token, not both', 'BAD_REQUEST'));
      // The header's own grammar: anything else would reach /graphql as a malformed header and be refused as one.
      if (!TOKEN.test(formToken)) return sendJson(res, 401, problem('invalid token: the form field token is not a token; sign in again', 'UNAUTHENTICATED', { reason: 'malformed' }));
    }
    const variables = input.variables && typeof input.variables === 'object' && !Array.isArray(input.variables) ? (input.variables as Record<string, unknown>) : {};
    let q: ExportQuery;
    try {
      q = prepareExportQuery(input.query, variables);
    } catch (e) {
      if (e instanceof ExportShapeError) return sendJson(res, 400, problem(e.message, 'BAD_EXPORT_QUERY'));
      throw e;
    }
    const filename = safeFilename(typeof input.filename === 'string' ? input.filename : q.rootKey);
    const rowsAt = q.connection ? `${q.rootKey}.${q.connection.rows === 'edges' ? 'edges.node' : 'nodes'}` : q.rootKey;
    const format = csvFormat(q.columns, rowsAt);
    const endpoint = loopbackUrl(req);
    const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json' };
    for (const h of FORWARDED) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    if (formToken !== undefined) headers.authorization = `Bearer ${formToken}`;
    const page = async (after: string | null): Promise<Answer> => {
      const r = await fetch(endpoint, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: q.text, variables: q.connection ? { ...variables, [AFTER_VARIABLE]: after } : variables, operationName: input.operationName ?? undefined }),
      });
      return { status: r.status, body: (await r.json()) as Answer['body'] };
    };

    let gone = false;
    res.on('close', () => (gone = !res.writableFinished));
    let after = q.connection?.after ?? null;
    let first = true;
    try {
      for (;;) {
        const answer = await page(after);
        const refused = answer.status !== 200 || answer.body.errors?.length;
        if (refused) {
          if (first) return sendJson(res, answer.status === 200 ? 400 : answer.status, answer.body);
          throw new Error(`page after ${after} failed: ${answer.body.errors?.[0]?.message ?? answer.status}`);
        }
        const root = answer.body.data?.[q.rootKey] as Record<string, unknown> | unknown[] | null | undefined;
        let lines: string;
        try {
          lines = format.lines(rowsOf(root, q.connection?.rows));
        } catch (e) {
          if (first && e instanceof ExportShapeError) return sendJson(res, 400, problem(e.message, 'BAD_EXPORT_QUERY'));
          throw e;
        }
        if (first) {
          res.writeHead(200, {
            'content-type': 'text/csv; charset=utf-8',
            'content-disposition': `attachment; filename="${filename}.csv"`,
            'cache-control': 'no-store',
            'x-content-type-options': 'nosniff',
          });
          first = false;
          if (!(await write(res, format.header + lines))) return;
        } else if (!(await write(res, lines))) return;
        if (gone) return;
        if (!q.connection) break;
        const info = (root as Record<string, unknown> | null)?.[PAGE_ALIAS] as { endCursor: string | null; hasNextPage: boolean } | undefined;
        if (!info?.hasNextPage || !info.endCursor) break;
        after = info.endCursor;
      }
      res.end();
    } catch (e) {
      if (!res.headersSent) return sendJson(res, 502, problem(`the export could not read its first page: ${(e as Error).message}`, 'EXPORT_FAILED'));
      res.destroy(e as Error);
    }
  };
}

/** Writes and waits for the client to take it; false once the client has gone. */
async function write(res: http.ServerResponse, text: string): Promise<boolean> {
  if (res.destroyed) return false;
  if (text && !res.write(text)) {
    // Both listeners go once either fires: a long download waits for 'drain' many times, and
    // events.once left its 'close' (and 'error') listener behind each time.
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }
  return !res.destroyed;
}

function rowsOf(root: Record<string, unknown> | unknown[] | null | undefined, connection: 'edges' | 'nodes' | undefined): unknown[] {
  if (root === null || root === undefined) return [];
  if (connection === 'edges') return ((root as Record<string, unknown>).edges as { node: unknown }[]).map((e) => e.node);
  if (connection === 'nodes') return (root as Record<string, unknown>).nodes as unknown[];
  return Array.isArray(root) ? root : [root];
}

/** This gateway's own /graphql, at the address the request came in on. */
function loopbackUrl(req: http.IncomingMessage): string {
  const addr = req.socket.localAddress ?? '127.0.0.1';
  const host = addr.includes(':') ? `[${addr}]` : addr;
  return `http://${host}:${req.socket.localPort}/graphql`;
}

function safeFilename(name: string): string {
  return name.replace(/\.csv$/i, '').replace(/[^\w.-]+/g, '_').slice(0, 100) || 'export';
}
