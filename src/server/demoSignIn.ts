import type { LoadedConfig } from '../config';
import { mintUserToken, readDevUsers, TokenMintError } from '../identity';
import { sendJson, type RouteHandler } from './httpServer';

/** Lifetime of a token the console's demo sign-in mints. */
const TTL_SECONDS = 8 * 3600;

const problem = (status: number, message: string, code: string) => ({ status, body: { errors: [{ message, extensions: { code } }] } });

/** Why this deployment mints no tokens for the console, or null when it does (identity.users and an HS secret: a development deployment). */
function refusal(loaded: LoadedConfig) {
  const { identity } = loaded.config;
  if (!identity.users || !identity.jwt.secret)
    return problem(404, 'this gateway has no demo users (identity.users with identity.jwt.secret): sign in with a token from your identity provider', 'NO_DEMO_USERS');
  return null;
}

/**
 * The console's demo sign-in, for development deployments only: `GET /console/demo-users` lists the
 * users of identity.users (name, display name, roles); `POST /console/demo-token` with `{ "user" }`
 * mints that user's token as `datagate token` does. Without identity.users and a shared secret both
 * answer 404, so a production deployment (which drops `users`) mints nothing.
 */
export function demoSignInRoutes(loaded: LoadedConfig): [string, RouteHandler][] {
  const users: RouteHandler = (req, res) => {
    const no = refusal(loaded);
    if (no) return sendJson(res, no.status, no.body);
    const { users: all } = readDevUsers(loaded);
    sendJson(res, 200, {
      users: Object.entries(all).map(([name, claims]) => ({ name, displayName: typeof claims.name === 'string' ? claims.name : name, roles: claims.roles })),
    });
  };
  const token: RouteHandler = async (req, res) => {
    const no = refusal(loaded);
    if (no) return sendJson(res, no.status, no.body);
    if (req.method !== 'POST') return sendJson(res, 405, problem(405, 'send POST with { "user": "<name>" }', 'METHOD_NOT_ALLOWED').body);
    let user: unknown;
    try {
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const c of req) {
        size += (c as Buffer).length;
        if (size > 4096) return sendJson(res, 413, problem(413, 'body too large', 'PAYLOAD_TOO_LARGE').body);
        chunks.push(c as Buffer);
      }
      user = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { user?: unknown }).user;
    } catch {
      return sendJson(res, 400, problem(400, 'send JSON { "user": "<name>" }', 'BAD_REQUEST').body);
    }
    if (typeof user !== 'string') return sendJson(res, 400, problem(400, 'which user? send { "user": "<name>" }', 'BAD_REQUEST').body);
    try {
      const t = await mintUserToken(loaded, user, TTL_SECONDS);
      sendJson(res, 200, { token: t.token, roles: t.roles, expires: t.expires.toISOString() });
    } catch (e) {
      if (e instanceof TokenMintError) return sendJson(res, 400, problem(400, e.message, 'BAD_REQUEST').body);
      throw e;
    }
  };
  return [
    ['/console/demo-users', users],
    ['/console/demo-token', token],
  ];
}
