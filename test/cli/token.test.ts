import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { decodeJwt, decodeProtectedHeader } from 'jose';
import { main } from '../../src/cli/main';
import { token } from '../../src/cli/token';
import { loadConfig } from '../../src/config';
import { createTokenVerifier } from '../../src/identity';
import { runCli } from '../support/cli';

const DEMO_CONFIG = path.resolve(__dirname, '..', '..', 'datagate.yaml');

/** Runs the command with stdout and stderr captured (the command prints; it must not throw). */
const run = (argv: string[], entry: (argv: string[]) => Promise<number> = token) => runCli(entry, argv);

/** The user the gateway sees for a token, with the real verifier and the deployment's identity settings. */
async function verify(tokenText: string, configFile = DEMO_CONFIG) {
  const { config, dir } = loadConfig(configFile);
  return createTokenVerifier(config.identity, dir).verify(tokenText);
}

describe('datagate token, on the demo deployment', () => {
  test('mints a token the gateway maps to alice, her role and her attributes; only the token on stdout', async () => {
    const r = await run(['alice', '--config', DEMO_CONFIG]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+\n$/);
    expect(r.stderr).toMatch(/^# alice: roles sales_rep; expires \d{4}-\d\d-\d\dT[\d:.]+Z; use: -H "authorization: Bearer \$TOKEN"\n$/);

    const user = await verify(r.stdout.trim());
    expect(user).toEqual({ id: 'alice', roles: ['sales_rep'], attributes: { employeeId: 1, region: 'EU', team: 'sales' } });

    const claims = decodeJwt(r.stdout.trim());
    expect(decodeProtectedHeader(r.stdout.trim()).alg).toBe('HS256');
    expect(claims).toMatchObject({ sub: 'alice', name: expect.any(String), iss: 'datagate-demo', aud: 'datagate' });
    expect(claims.exp! - claims.iat!).toBe(8 * 3600);
  });

  test('every user of users.yaml gets a token for its one role', async () => {
    const expected: Record<string, { roles: string[]; attributes: Record<string, unknown> }> = {
      alice: { roles: ['sales_rep'], attributes: { employeeId: 1, region: 'EU', team: 'sales' } },
      bob: { roles: ['marketing'], attributes: { region: 'EU', team: 'marketing' } },
      carol: { roles: ['analyst'], attributes: { team: 'finance' } },
      dave: { roles: ['auditor'], attributes: { team: 'compliance' } },
      erin: { roles: ['admin'], attributes: { team: 'platform' } },
    };
    for (const [name, want] of Object.entries(expected)) {
      const r = await run([name, '--config', DEMO_CONFIG]);
      expect(r.code).toBe(0);
      expect(await verify(r.stdout.trim())).toEqual({ id: name, ...want });
    }
  });

  test('is wired into main()', async () => {
    const r = await run(['token', 'carol', '--config', DEMO_CONFIG], main);
    expect(r.code).toBe(0);
    expect((await verify(r.stdout.trim())).roles).toEqual(['analyst']);
    const help = await run(['--help'], main);
    expect(help.stdout).toContain('token <user>');
  });

  test('--ttl 1s gives exp = iat + 1', async () => {
    const r = await run(['alice', '--config', DEMO_CONFIG, '--ttl', '1s']);
    expect(r.code).toBe(0);
    const claims = decodeJwt(r.stdout.trim());
    expect(claims.exp).toBe(claims.iat! + 1);
    expect((await verify(r.stdout.trim())).id).toBe('alice');
  });

  test('a malformed or too short --ttl is refused', async () => {
    const bad = await run(['alice', '--config', DEMO_CONFIG, '--ttl', 'soon']);
    expect(bad).toMatchObject({ code: 1, stdout: '' });
    expect(bad.stderr).toContain('--ttl must be a duration such as 30m, 8h or 7d, found "soon"');
    const short = await run(['alice', '--config', DEMO_CONFIG, '--ttl', '10ms']);
    expect(short).toMatchObject({ code: 1, stdout: '' });
    expect(short.stderr).toContain('--ttl must be at least 1s');
  });

  test('an unknown user fails and lists the known ones', async () => {
    const r = await run(['mallory', '--config', DEMO_CONFIG]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toBe('unknown user "mallory": users.yaml declares alice, bob, carol, dave, erin\n');
  });

  test('no user named: says so, with the usage', async () => {
    const r = await run(['--config', DEMO_CONFIG]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toContain('which user? name one');
    expect(r.stderr).toContain('usage: datagate token <user>');
  });
});

describe('datagate token, on other deployments', () => {
  let dir: string;
  let n = 0;
  const SECRET = 'a-test-secret-of-at-least-32-characters-0123';
  const USERS = [
    'ann: { sub: ann, roles: [analyst, auditor], team: finance, regions: [EU, NA] }',
    'nobody: { sub: nobody, roles: [] }',
    '',
  ].join('\n');

  /** A deployment folder with datagate.yaml (`identity` as given) and users.yaml. */
  function deployment(identity: string[], users: string | null = USERS): string {
    const d = path.join(dir, `d${++n}`);
    mkdirSync(d);
    writeFileSync(path.join(d, 'datagate.yaml'), ['sources: {}', 'identity:', ...identity.map((l) => `  ${l}`), ''].join('\n'));
    if (users !== null) writeFileSync(path.join(d, 'users.yaml'), users);
    return path.join(d, 'datagate.yaml');
  }

  beforeAll(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'datagate-token-'));
  });
  afterAll(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('--role narrows a multi-role token to one role the user holds', async () => {
    const config = deployment([`jwt: { secret: ${SECRET} }`, 'claims: { attributes: { team: team, regions: regions } }', 'users: users.yaml']);
    const both = await run(['ann', '--config', config]);
    expect(both.code).toBe(0);
    expect(both.stderr).toContain('# ann: roles analyst, auditor;');
    expect(await verify(both.stdout.trim(), config)).toEqual({ id: 'ann', roles: ['analyst', 'auditor'], attributes: { team: 'finance', regions: ['EU', 'NA'] } });
    // No issuer or audience configured: none in the token.
    expect(decodeJwt(both.stdout.trim())).not.toHaveProperty('iss');
    expect(decodeJwt(both.stdout.trim())).not.toHaveProperty('aud');

    const narrowed = await run(['ann', '--config', config, '--role', 'auditor']);
    expect(narrowed.code).toBe(0);
    expect(narrowed.stderr).toContain('# ann: roles auditor;');
    expect((await verify(narrowed.stdout.trim(), config)).roles).toEqual(['auditor']);
  });

  test('--role refuses a role the user does not hold', async () => {
    const config = deployment([`jwt: { secret: ${SECRET} }`, 'users: users.yaml']);
    const r = await run(['ann', '--config', config, '--role', 'admin']);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toContain('ann does not hold role "admin" (roles: analyst, auditor)');
    const demo = await run(['alice', '--config', DEMO_CONFIG, '--role', 'admin']);
    expect(demo).toMatchObject({ code: 1, stdout: '' });
    expect(demo.stderr).toContain('alice does not hold role "admin" (roles: sales_rep)');
  });

  test('signs with the HS algorithm the gateway accepts', async () => {
    const config = deployment([`jwt: { algorithms: [HS384], secret: ${SECRET} }`, 'users: users.yaml']);
    const r = await run(['ann', '--config', config]);
    expect(r.code).toBe(0);
    expect(decodeProtectedHeader(r.stdout.trim()).alg).toBe('HS384');
    expect((await verify(r.stdout.trim(), config)).id).toBe('ann');
  });

  test('a public-key (RS256) deployment is refused: the CLI cannot mint for it', async () => {
    writeFileSync(path.join(dir, 'jwks.json'), JSON.stringify({ keys: [] }));
    const config = deployment(['jwt: { algorithms: [RS256], jwksFile: ../jwks.json }', 'users: users.yaml']);
    const r = await run(['ann', '--config', config]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toContain('accepts RS256 tokens (identity.jwt.algorithms)');
    expect(r.stderr).toContain('datagate token cannot mint them');
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  test('no secret, or no users file configured, is said plainly', async () => {
    const noSecret = await run(['ann', '--config', deployment(['users: users.yaml'])]);
    expect(noSecret).toMatchObject({ code: 1, stdout: '' });
    expect(noSecret.stderr).toContain('sets no identity.jwt.secret');

    const noUsers = await run(['ann', '--config', deployment([`jwt: { secret: ${SECRET} }`])]);
    expect(noUsers).toMatchObject({ code: 1, stdout: '' });
    expect(noUsers.stderr).toContain('names no users file (identity.users)');
  });

  test('a missing or malformed users file is reported with file and line', async () => {
    const missing = await run(['ann', '--config', deployment([`jwt: { secret: ${SECRET} }`, 'users: users.yaml'], null)]);
    expect(missing).toMatchObject({ code: 1, stdout: '' });
    expect(missing.stderr).toContain('users.yaml');
    expect(missing.stderr).toContain('file not found');

    const config = deployment(
      [`jwt: { secret: ${SECRET} }`, 'users: users.yaml'],
      ['ann: { sub: ann, roles: analyst }', 'bo: { roles: [x], exp: 1, org: { nested: true } }', ''].join('\n'),
    );
    const r = await run(['ann', '--config', config]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toMatch(/users\.yaml:1 at ann\.roles: expected array, found string/);
    expect(r.stderr).toMatch(/users\.yaml:2 at bo\.sub: expected string/);
    expect(r.stderr).toMatch(/users\.yaml:2 at bo\.exp: "exp" is set when a token is minted/);
    expect(r.stderr).toMatch(/users\.yaml:2 at bo\.org: expected a string, number, boolean, null or a list of them/);
  });

  test('a broken datagate.yaml is reported, not thrown', async () => {
    const config = deployment(['jwt: { secret: too-short }', 'users: users.yaml']);
    const r = await run(['ann', '--config', config]);
    expect(r).toMatchObject({ code: 1, stdout: '' });
    expect(r.stderr).toContain('a JWT secret needs at least 32 characters');
  });
});
