import { HeaderMap, type ApolloServer, type BaseContext, type HTTPGraphQLRequest, type HTTPGraphQLResponse } from '@apollo/server';
import type http from 'node:http';

/**
 * Apollo Server on node:http without a framework (PERFORMANCE-NOTES: Express cost 0.16-0.32 ms a
 * request here): the three steps of an integration, used by the gateway's handler (httpServer.ts)
 * and held to Apollo's published integration test suite (test/server/apolloIntegration.test.ts)
 * through `createApolloHandler`, which composes them for any Apollo Server.
 */

/** What a body that does not parse as JSON is answered (400): Apollo's test suite knows it by "Invalid JSON". */
export const INVALID_JSON = 'Invalid JSON: the request body does not parse';

/** The request body as text, or null when it is larger than `max` bytes (declared or sent). */
export function readBody(req: http.IncomingMessage, max: number): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > max) return resolve(null);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > max) {
        resolve(null);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The body Apollo reads: JSON for JSON content types (as express.json() parses it), the text otherwise. Throws SyntaxError on bad JSON. */
export function parseBody(text: string, contentType: string | undefined): unknown {
  const type = contentType ?? '';
  if (type.startsWith('application/json') || type.startsWith('application/graphql-response+json')) return text.length ? JSON.parse(text) : undefined;
  return text;
}

/** Apollo's view of the request. */
export function httpGraphQLRequestOf(req: http.IncomingMessage, body: unknown, search: string): HTTPGraphQLRequest {
  const headers = new HeaderMap();
  for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers.set(k, Array.isArray(v) ? v.join(', ') : v);
  return { method: req.method?.toUpperCase() ?? 'GET', headers, search, body };
}

/** Writes Apollo's answer: one `end()` with content-length for a complete body, chunks as they come otherwise. */
export async function writeHTTPGraphQLResponse(res: http.ServerResponse, result: HTTPGraphQLResponse, extraHeaders: Record<string, string> = {}): Promise<void> {
  const out = headersOf(result.headers, extraHeaders);
  if (result.body.kind === 'complete') {
    // Encoded once: Apollo's answer is a two-part string (JSON + newline) that measuring its bytes would
    // flatten into a copy, and writing it would encode it into a second one.
    const bytes = Buffer.from(result.body.string, 'utf8');
    out['content-length'] = String(bytes.length);
    res.writeHead(result.status ?? 200, out);
    res.end(bytes);
    return;
  }
  res.writeHead(result.status ?? 200, out);
  for await (const chunk of result.body.asyncIterator) res.write(chunk);
  res.end();
}

/**
 * Writes a JSON answer as Apollo writes its own (the JSON text, then a newline) from the JSON text
 * alone: encoded straight into the buffer that is sent, where `json + '\n'` would first be copied
 * into one flat string (a 20 KB copy per answer for a page of 200 rows).
 */
export function writeJsonLine(res: http.ServerResponse, status: number, headers: Iterable<[string, string]>, json: string, extraHeaders: Record<string, string> = {}): void {
  const out = headersOf(headers, extraHeaders);
  const n = Buffer.byteLength(json, 'utf8');
  const bytes = Buffer.allocUnsafe(n + 1);
  bytes.write(json, 0, 'utf8');
  bytes[n] = 0x0a;
  out['content-length'] = String(n + 1);
  res.writeHead(status, out);
  res.end(bytes);
}

/** The answer's headers for writeHead: the caller's own first, then Apollo's. */
function headersOf(headers: Iterable<[string, string]>, extra: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = { ...extra };
  for (const [k, v] of headers) out[k] = v;
  return out;
}

/** A request handler serving one Apollo Server at every path: the integration without the gateway's own concerns. */
export function createApolloHandler<C extends BaseContext>(
  server: ApolloServer<C>,
  o: { context: (req: http.IncomingMessage, res: http.ServerResponse) => Promise<C>; maxBodyBytes?: number },
) {
  return async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    try {
      const q = req.url?.indexOf('?') ?? -1;
      const search = q >= 0 ? req.url!.slice(q) : '';
      let body: unknown;
      if (req.method === 'POST') {
        const text = await readBody(req, o.maxBodyBytes ?? 100 * 1024);
        if (text === null) return sendText(res, 413, 'request body too large');
        try {
          body = parseBody(text, req.headers['content-type']);
        } catch {
          return sendText(res, 400, INVALID_JSON);
        }
      }
      const result = await server.executeHTTPGraphQLRequest({ httpGraphQLRequest: httpGraphQLRequestOf(req, body, search), context: () => o.context(req, res) });
      await writeHTTPGraphQLResponse(res, result);
    } catch {
      if (!res.headersSent) sendText(res, 500, 'internal error');
      else res.destroy();
    }
  };
}

function sendText(res: http.ServerResponse, status: number, text: string): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
