import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT, type JWTPayload } from 'jose';
import { configSchema } from '../../src/config';
import { AuthenticationError, createTokenVerifier } from '../../src/identity';

const SECRET = 'a-test-secret-that-is-long-enough-123456';
const NOW = () => Math.floor(Date.now() / 1000);

function identity(over: Record<string, unknown> = {}) {
  return configSchema.parse({
    sources: {},
    identity: {
      jwt: { algorithms: ['HS256'], secret: SECRET, issuer: 'https://idp.example.com', audience: 'datagate', ...over },
      claims: { id: 'sub', roles: 'roles', attributes: { region: 'region', employeeId: 'emp.id' } },
    },
  }).identity;
}

function hs(payload: JWTPayload, opts: { alg?: string; secret?: string; iss?: string; aud?: string; exp?: number; nbf?: number } = {}) {
  let t = new SignJWT(payload).setProtectedHeader({ alg: opts.alg ?? 'HS256' }).setIssuedAt().setIssuer(opts.iss ?? 'https://idp.example.com').setAudience(opts.aud ?? 'datagate');
  t = t.setExpirationTime(opts.exp ?? NOW() + 600);
  if (opts.nbf) t = t.setNotBefore(opts.nbf);
  return t.sign(new TextEncoder().encode(opts.secret ?? SECRET));
}

async function reason(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(AuthenticationError);
    expect((e as Error).message).not.toContain(SECRET);
    return (e as AuthenticationError).reason;
  }
  throw new Error('expected the token to be refused');
}

describe('HS256 tokens', () => {
  const v = createTokenVerifier(identity(), '.');

  test('a valid token maps claims to the user: id, roles, attributes by path', async () => {
    const user = await v.verify(await hs({ sub: 'alice', roles: ['sales_rep', 'employee', 'sales_rep'], region: 'EU', emp: { id: 7 } }));
    expect(user).toEqual({ id: 'alice', roles: ['sales_rep', 'employee'], attributes: { region: 'EU', employeeId: 7 } });
  });

  test('a token verified once is kept: the same user, its expiry still checked on every use', async () => {
    const strict = createTokenVerifier(identity({ clockTolerance: 0 }), '.');
    const token = await hs({ sub: 'carol', roles: ['analyst'] }, { exp: NOW() + 2 });
    const first = await strict.verify(token);
    expect(await strict.verify(token)).toBe(first);
    // A different token (one character changed) is verified on its own and refused.
    const tampered = token.slice(0, -2) + (token.endsWith('AA') ? 'BB' : 'AA');
    expect(await reason(strict.verify(tampered))).toBe('bad signature');
    await new Promise((r) => setTimeout(r, (NOW() + 2) * 1000 - Date.now() + 50));
    expect(await reason(strict.verify(token))).toBe('expired');
    expect(await reason(strict.verify(token))).toBe('expired');
  });

  test('a single role string is a list of one; no anonymous user has an id', async () => {
    expect((await v.verify(await hs({ sub: 'bob', roles: 'marketing' }))).roles).toEqual(['marketing']);
    expect(v.anonymous).toEqual({ id: null, roles: ['anonymous'], attributes: {} });
  });

  test.each([
    ['expired', () => hs({ sub: 'a' }, { exp: NOW() - 3600 })],
    ['not yet valid', () => hs({ sub: 'a' }, { nbf: NOW() + 3600 })],
    ['wrong audience', () => hs({ sub: 'a' }, { aud: 'someone-else' })],
    ['wrong issuer', () => hs({ sub: 'a' }, { iss: 'https://evil.example.com' })],
    ['bad signature', () => hs({ sub: 'a' }, { secret: 'another-secret-that-is-long-enough-99999' })],
    ['signature algorithm not allowed', () => hs({ sub: 'a' }, { alg: 'HS384' })],
    ['malformed token', async () => 'not.a.jwt'],
  ])('refused: %s', async (why, make) => {
    expect(await reason(v.verify(await make()))).toBe(why);
  });

  test('alg "none" is refused', async () => {
    const unsigned = new UnsecuredJWT({ sub: 'erin', roles: ['admin'] }).setIssuer('https://idp.example.com').setAudience('datagate').setExpirationTime('10m').encode();
    expect(await reason(v.verify(unsigned))).toMatch(/not allowed|malformed/);
  });

  test('claims that are objects, or a missing id, are refused', async () => {
    expect(await reason(v.verify(await hs({ sub: 'a', region: { $ne: 'x' } })))).toBe('claim region must be a value or a list of values');
    expect(await reason(v.verify(await hs({ roles: ['admin'] })))).toBe('claim sub (the user id) is missing');
  });
});

describe('RS256 tokens from a JWKS file', () => {
  test('a valid token verifies; an HS256 token made with the public key (algorithm confusion) does not', async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    const dir = mkdtempSync(path.join(os.tmpdir(), 'dg-jwks-'));
    writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [jwk] }));
    const v = createTokenVerifier(identity({ algorithms: ['RS256'], secret: undefined, jwksFile: 'jwks.json' }), dir);
    const token = await new SignJWT({ sub: 'carol', roles: ['analyst'] })
      .setProtectedHeader({ alg: 'RS256', kid: 'k1' })
      .setIssuer('https://idp.example.com')
      .setAudience('datagate')
      .setExpirationTime('10m')
      .sign(privateKey);
    expect((await v.verify(token)).id).toBe('carol');
    const confused = await hs({ sub: 'erin', roles: ['admin'] }, { secret: JSON.stringify(jwk) });
    expect(await reason(v.verify(confused))).toBe('signature algorithm not allowed');
    const { privateKey: other } = await generateKeyPair('RS256');
    const unknownKey = await new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'RS256', kid: 'k2' }).setIssuer('https://idp.example.com').setAudience('datagate').setExpirationTime('10m').sign(other);
    expect(await reason(v.verify(unknownKey))).toBe('signed by an unknown key');
  });

  test('mixing HS and public-key algorithms is refused at start-up', () => {
    expect(() => createTokenVerifier(identity({ algorithms: ['HS256', 'RS256'] }), '.')).toThrow(/algorithm confusion/);
  });
});

describe('ES256 tokens from a JWKS URL', () => {
  test('keys are fetched from the identity provider; a token signed by another key is refused', async () => {
    const { publicKey, privateKey } = await generateKeyPair('ES256');
    const jwk = { ...(await exportJWK(publicKey)), kid: 'e1', alg: 'ES256', use: 'sig' };
    let fetches = 0;
    const server = http.createServer((_req, res) => {
      fetches++;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const { port } = server.address() as AddressInfo;
      const v = createTokenVerifier(identity({ algorithms: ['ES256'], secret: undefined, jwksUrl: `http://127.0.0.1:${port}/jwks.json` }), '.');
      const sign = (key: CryptoKey | Uint8Array, kid: string) =>
        new SignJWT({ sub: 'ann', roles: ['analyst'], region: 'EU' }).setProtectedHeader({ alg: 'ES256', kid }).setIssuer('https://idp.example.com').setAudience('datagate').setExpirationTime('10m').sign(key);
      const user = await v.verify(await sign(privateKey, 'e1'));
      expect(user).toEqual({ id: 'ann', roles: ['analyst'], attributes: { region: 'EU' } });
      expect(fetches).toBeGreaterThanOrEqual(1);
      const { privateKey: other } = await generateKeyPair('ES256');
      expect(await reason(v.verify(await sign(other, 'e1')))).toBe('bad signature');
    } finally {
      server.close();
    }
  });
});
