import type http from 'node:http';

export interface CorsConfig {
  readonly origins: readonly string[];
  readonly credentials: boolean;
  readonly maxAge: number;
}

const ALLOW_HEADERS = 'authorization, content-type, x-datagate-role, x-request-id, apollo-require-preflight, x-apollo-operation-name';

/**
 * CORS for the configured origins only. Every answer varies by Origin (a cache must not hand one
 * origin's answer to another); an allowed origin is echoed, or `*` when any is allowed (never with
 * credentials). A preflight from another origin gets 403 and no CORS header, so the browser stops there.
 * Returns true when it answered the request (a preflight).
 */
export function applyCors(cors: CorsConfig, req: http.IncomingMessage, res: http.ServerResponse): boolean {
  if (!cors.origins.length) return false;
  res.setHeader('vary', 'Origin');
  const origin = req.headers.origin;
  const any = cors.origins.includes('*');
  const allowed = typeof origin === 'string' && (any || cors.origins.includes(origin));
  if (allowed) {
    res.setHeader('access-control-allow-origin', any && !cors.credentials ? '*' : origin);
    if (cors.credentials) res.setHeader('access-control-allow-credentials', 'true');
    res.setHeader('access-control-expose-headers', 'x-request-id');
  }
  if (req.method !== 'OPTIONS') return false;
  if (!allowed) {
    res.writeHead(403, { 'content-length': '0' });
    res.end();
    return true;
  }
  res.writeHead(204, {
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-allow-headers': ALLOW_HEADERS,
    'access-control-max-age': String(cors.maxAge),
    'content-length': '0',
  });
  res.end();
  return true;
}
