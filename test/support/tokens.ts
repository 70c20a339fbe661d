import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SignJWT } from 'jose';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';
import { TEST_JWT_SECRET } from './fixture';

export interface TokenOptions {
  secret?: string;
  issuer?: string;
  audience?: string;
  /** Seconds from now; negative for an expired token. */
  expiresIn?: number;
  notBefore?: number;
  alg?: 'HS256' | 'HS384';
}

/** A token as the identity provider of TEST_IDENTITY would sign it: claims plus iss, aud, iat, exp. */
export async function mintToken(claims: Record<string, unknown>, o: TokenOptions = {}): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  let jwt = new SignJWT(claims)
    .setProtectedHeader({ alg: o.alg ?? 'HS256' })
    .setIssuedAt(now)
    .setIssuer(o.issuer ?? 'datagate-test')
    .setAudience(o.audience ?? 'datagate')
    .setExpirationTime(now + (o.expiresIn ?? 600));
  if (o.notBefore !== undefined) jwt = jwt.setNotBefore(now + o.notBefore);
  return jwt.sign(new TextEncoder().encode(o.secret ?? TEST_JWT_SECRET));
}

export const bearer = (token: string) => ({ authorization: `Bearer ${token}` });

/** A token for one of the demo's users (users.yaml), signed as `datagate token <user>` signs it. */
export async function demoToken(user: string, configFile = path.join(__dirname, '../../datagate.yaml')): Promise<string> {
  const { config, dir } = loadConfig(configFile, {});
  const users = parse(readFileSync(path.resolve(dir, config.identity.users!), 'utf8')) as Record<string, Record<string, unknown>>;
  if (!users[user]) throw new Error(`no demo user ${user}`);
  return mintToken(users[user], { secret: config.identity.jwt.secret, issuer: config.identity.jwt.issuer, audience: config.identity.jwt.audience });
}
