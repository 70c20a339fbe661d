import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createLocalJWKSet, createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import type { IdentityConfig } from '../config';
import { DatagateError, ErrorCode } from '../errors';
import type { AttributeValue, User } from './User';

/** A token that does not prove who the caller is; `reason` is safe to show (it never describes the key). */
export class AuthenticationError extends DatagateError {
  constructor(readonly reason: string) {
    super(ErrorCode.UNAUTHENTICATED, `invalid token: ${reason}`, { reason });
    this.name = 'AuthenticationError';
  }
}

export interface TokenVerifier {
  /** Verifies signature, algorithm, exp, nbf, iss and aud, then maps the claims to a user. */
  verify(token: string): Promise<User>;
  readonly anonymous: User;
}

function reasonOf(e: unknown): string {
  if (e instanceof errors.JWTExpired) return 'expired';
  if (e instanceof errors.JWTClaimValidationFailed) {
    if (e.claim === 'nbf') return 'not yet valid';
    if (e.claim === 'aud') return 'wrong audience';
    if (e.claim === 'iss') return 'wrong issuer';
    return `claim ${e.claim} is not valid`;
  }
  if (e instanceof errors.JWSSignatureVerificationFailed) return 'bad signature';
  if (e instanceof errors.JOSEAlgNotAllowed) return 'signature algorithm not allowed';
  if (e instanceof errors.JWKSNoMatchingKey) return 'signed by an unknown key';
  return 'malformed token';
}

function claim(payload: JWTPayload, pathInPayload: string): unknown {
  let v: unknown = payload;
  for (const k of pathInPayload.split('.')) {
    if (v === null || typeof v !== 'object' || !Object.prototype.hasOwnProperty.call(v, k)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

const isPrimitive = (v: unknown): v is string | number | boolean => ['string', 'number', 'boolean'].includes(typeof v);

/** `dir`: the folder of datagate.yaml, for a relative `jwksFile`. */
export function createTokenVerifier(cfg: IdentityConfig, dir: string): TokenVerifier {
  const { jwt, claims } = cfg;
  const symmetric = jwt.algorithms.some((a) => a.startsWith('HS'));
  const asymmetric = jwt.algorithms.some((a) => !a.startsWith('HS'));
  if (symmetric && asymmetric) throw new Error('identity.jwt.algorithms mixes HS* with public-key algorithms: that allows algorithm confusion; choose one kind');
  let key: Uint8Array | JWTVerifyGetKey;
  if (symmetric) {
    if (!jwt.secret) throw new Error('identity.jwt.secret is required for HS* algorithms');
    key = new TextEncoder().encode(jwt.secret);
  } else if (jwt.jwksFile) {
    key = createLocalJWKSet(JSON.parse(readFileSync(path.resolve(dir, jwt.jwksFile), 'utf8')));
  } else if (jwt.jwksUrl) {
    key = createRemoteJWKSet(new URL(jwt.jwksUrl));
  } else throw new Error('identity.jwt needs jwksFile or jwksUrl for public-key algorithms');

  const toUser = (payload: JWTPayload): User => {
    const id = claim(payload, claims.id);
    if (typeof id !== 'string' && typeof id !== 'number') throw new AuthenticationError(`claim ${claims.id} (the user id) is missing`);
    const rawRoles = claim(payload, claims.roles);
    const roles = rawRoles === undefined ? [] : Array.isArray(rawRoles) ? rawRoles : [rawRoles];
    if (!roles.every((r) => typeof r === 'string')) throw new AuthenticationError(`claim ${claims.roles} must be a role name or a list of them`);
    const attributes: Record<string, AttributeValue> = {};
    for (const [name, at] of Object.entries(claims.attributes)) {
      const v = claim(payload, at);
      if (v === undefined) continue;
      if (v === null || isPrimitive(v) || (Array.isArray(v) && v.every(isPrimitive))) attributes[name] = v as AttributeValue;
      else throw new AuthenticationError(`claim ${at} must be a value or a list of values`);
    }
    return Object.freeze({ id: String(id), roles: Object.freeze([...new Set(roles as string[])]), attributes: Object.freeze(attributes) });
  };

  const tolerance = Math.round(jwt.clockTolerance / 1000) * 1000;
  // A client sends the same token with every request until it expires, and checking its signature
  // (WebCrypto HMAC or RSA/EC) was a tenth of a request's CPU: a token verified once is kept, with
  // its exp and nbf checked again on every use. Keys from a JWKS can be rotated or withdrawn, so
  // those entries are re-verified after a minute; a shared secret only changes with a restart.
  const cache = new Map<string, VerifiedToken>();
  const keepMs = symmetric ? 10 * 60_000 : 60_000;

  return {
    anonymous: Object.freeze({ id: null, roles: Object.freeze([cfg.anonymousRole]), attributes: Object.freeze({}) }),
    async verify(token) {
      const now = Date.now();
      const hit = cache.get(token);
      if (hit && now < hit.until) {
        if (hit.exp !== undefined && now >= hit.exp + tolerance) {
          cache.delete(token);
          throw new AuthenticationError('expired');
        }
        return hit.user;
      }
      if (hit) cache.delete(token);
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key as Uint8Array, {
          algorithms: jwt.algorithms,
          issuer: jwt.issuer,
          audience: jwt.audience,
          clockTolerance: tolerance / 1000,
        }));
      } catch (e) {
        throw new AuthenticationError(reasonOf(e));
      }
      const user = toUser(payload);
      const exp = typeof payload.exp === 'number' ? payload.exp * 1000 : undefined;
      if (cache.size >= MAX_CACHED_TOKENS) cache.delete(cache.keys().next().value!);
      cache.set(token, { user, exp, until: Math.min(now + keepMs, exp === undefined ? Infinity : exp + tolerance) });
      return user;
    },
  };
}

/** Verified tokens kept at most (oldest dropped first): a few MB at worst. */
const MAX_CACHED_TOKENS = 10_000;

interface VerifiedToken {
  readonly user: User;
  /** The token's exp in ms, checked on every use. */
  readonly exp?: number;
  /** When the entry must be verified again. */
  readonly until: number;
}
