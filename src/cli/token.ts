import path from 'node:path';
import { parseArgs } from 'node:util';
import { command, CliFailure, onePositional, parseOrFail } from './command';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { loadConfig, parseDuration, readYamlFile, validateYaml, type LoadedConfig } from '../config';
import { ConfigError } from '../errors';

const USAGE = `usage: datagate token <user> [--config datagate.yaml] [--ttl 8h] [--role ROLE]

Mints a development token for a user of the users file that datagate.yaml names in identity.users,
signed with identity.jwt.secret. Prints only the token, so that TOKEN=$(npx datagate token alice) works.
  --config   deployment file (default: $DATAGATE_CONFIG or datagate.yaml)
  --ttl      lifetime of the token: 30m, 8h, 7d… (default 8h)
  --role     put only this one of the user's roles in the token`;

const primitive = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const claimValue = z.union([primitive, z.array(z.union([z.string(), z.number(), z.boolean()]))], {
  error: 'expected a string, number, boolean, null or a list of them (a claim a policy can use)',
});
/** Claims `datagate token` sets itself when minting: a users file may not set them. */
const minted = Object.fromEntries(
  ['iss', 'aud', 'iat', 'exp', 'nbf', 'jti'].map((k) => [k, z.undefined({ error: `"${k}" is set when a token is minted; remove it from the users file` }).optional()]),
);

/** The users file: user name → the claims of that user's tokens. */
const usersSchema = z.record(
  z.string().min(1),
  z.object({ sub: z.string().min(1), roles: z.array(z.string().min(1)), ...minted }).catchall(claimValue),
);
type Users = z.output<typeof usersSchema>;

/** `datagate token <user>`: returns the exit code. The token goes to stdout, a hint or an error to stderr. */
export const token = command(run);

async function run(argv: string[]): Promise<number> {
  const parsed = parseOrFail(
    () =>
      parseArgs({
        args: argv,
        allowPositionals: true,
        options: {
          config: { type: 'string', short: 'c', default: process.env.DATAGATE_CONFIG ?? 'datagate.yaml' },
          ttl: { type: 'string', default: '8h' },
          role: { type: 'string' },
          help: { type: 'boolean', short: 'h' },
        },
      }),
    USAGE,
  );
  const { values, positionals } = parsed;
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const userName = onePositional(positionals, 'user', USAGE);

  const ttlMs = parseDuration(values.ttl!);
  if (ttlMs === undefined) throw new CliFailure(`--ttl must be a duration such as 30m, 8h or 7d, found "${values.ttl}"`);
  if (ttlMs < 1000) throw new CliFailure(`--ttl must be at least 1s, found "${values.ttl}"`);
  const ttl = Math.ceil(ttlMs / 1000);

  const { token: signed, roles: held, expires } = await mintUserToken(values.config!, userName, ttl, values.role);
  process.stdout.write(`${signed}\n`);
  const roles = held.length ? held.join(', ') : '(none)';
  console.error(`# ${userName}: roles ${roles}; expires ${expires.toISOString()}; use: -H "authorization: Bearer $TOKEN"`);
  return 0;
}

/**
 * A development token for a user of identity.users, signed as the gateway verifies it (also used
 * by `datagate export --as-user`). Failures the user can fix are CliFailures.
 */
export async function mintUserToken(configFile: string, userName: string, ttl: number, role?: string): Promise<{ token: string; roles: string[]; expires: Date }> {
  const loaded = loadConfig(configFile);
  const { key, alg } = signingKey(loaded);
  const { users, file: usersFile } = readUsers(loaded);

  const known = Object.keys(users);
  if (!Object.prototype.hasOwnProperty.call(users, userName))
    throw new CliFailure(`unknown user "${userName}": ${usersFile} declares ${known.length ? known.join(', ') : 'no users'}`);
  const claims = { ...users[userName] };
  if (role !== undefined) {
    if (!claims.roles.includes(role))
      throw new CliFailure(
        `${userName} does not hold role "${role}" (${claims.roles.length ? `roles: ${claims.roles.join(', ')}` : 'no roles'}); --role can only narrow a token to one of the user's roles`,
      );
    claims.roles = [role];
  }

  const { jwt } = loaded.config.identity;
  const now = Math.floor(Date.now() / 1000);
  let signer = new SignJWT(claims).setProtectedHeader({ alg, typ: 'JWT' }).setIssuedAt(now).setExpirationTime(now + ttl);
  if (jwt.issuer) signer = signer.setIssuer(jwt.issuer);
  if (jwt.audience) signer = signer.setAudience(jwt.audience);
  return { token: await signer.sign(key), roles: claims.roles, expires: new Date((now + ttl) * 1000) };
}

/** The shared secret and HS* algorithm the gateway verifies with; public-key setups cannot be minted for here. */
function signingKey(loaded: LoadedConfig): { key: Uint8Array; alg: string } {
  const { jwt } = loaded.config.identity;
  const publicKey = jwt.algorithms.filter((a) => !a.startsWith('HS'));
  if (publicKey.length)
    throw new CliFailure(
      `${loaded.file} accepts ${publicKey.join(', ')} tokens (identity.jwt.algorithms): those are signed with your identity provider's private key, ` +
        `which datagate does not hold, so datagate token cannot mint them. Get a token from the identity provider, or use HS256 with identity.jwt.secret for development.`,
    );
  if (!jwt.secret)
    throw new CliFailure(`${loaded.file} sets no identity.jwt.secret: datagate token signs with the shared secret the gateway verifies with (HS256); set it (at least 32 characters).`);
  const alg = jwt.algorithms.includes('HS256') ? 'HS256' : jwt.algorithms[0];
  return { key: new TextEncoder().encode(jwt.secret), alg };
}

function readUsers(loaded: LoadedConfig): { users: Users; file: string } {
  const rel = loaded.config.identity.users;
  if (!rel)
    throw new CliFailure(
      `${loaded.file} names no users file (identity.users): add one, e.g. users: users.yaml, mapping each development user to the claims of its tokens (sub, roles, attributes).`,
    );
  const file = path.resolve(loaded.dir, rel);
  const { value, problems } = validateYaml(readYamlFile(file), usersSchema, process.env);
  if (!value) throw new ConfigError(problems);
  return { users: value, file: rel };
}
