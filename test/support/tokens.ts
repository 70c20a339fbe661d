import { SignJWT } from 'jose';
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
