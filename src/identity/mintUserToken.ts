import path from 'node:path';
import { SignJWT } from 'jose';
import { z } from 'zod';
import { readYamlFile, validateYaml, type LoadedConfig } from '../config';
import { ConfigError } from '../errors';

/** A token that cannot be minted here, with what to do about it (the CLI prints it; the console's demo sign-in answers it). */
export class TokenMintError extends Error {}

const primitive = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const claimValue = z.union([primitive, z.array(z.union([z.string(), z.number(), z.boolean()]))], {
  error: 'expected a string, number, boolean, null or a list of them (a claim a policy can use)',
});
/** Claims set when minting: a users file may not set them. */
const minted = Object.fromEntries(
  ['iss', 'aud', 'iat', 'exp', 'nbf', 'jti'].map((k) => [k, z.undefined({ error: `"${k}" is set when a token is minted; remove it from the users file` }).optional()]),
);

/** The users file: user name → the claims of that user's tokens. */
const usersSchema = z.record(
  z.string().min(1),
  z.object({ sub: z.string().min(1), roles: z.array(z.string().min(1)), ...minted }).catchall(claimValue),
);
export type DevUsers = z.output<typeof usersSchema>;

/**
 * A development token for a user of identity.users, signed as the gateway verifies it (`datagate
 * token`, `datagate export --as-user`, the console's demo sign-in). Failures the user can fix are
 * TokenMintErrors; a broken users file is a ConfigError.
 */
export async function mintUserToken(loaded: LoadedConfig, userName: string, ttl: number, role?: string): Promise<{ token: string; roles: string[]; expires: Date }> {
  const { key, alg } = signingKey(loaded);
  const { users, file: usersFile } = readDevUsers(loaded);

  const known = Object.keys(users);
  if (!Object.prototype.hasOwnProperty.call(users, userName))
    throw new TokenMintError(`unknown user "${userName}": ${usersFile} declares ${known.length ? known.join(', ') : 'no users'}`);
  const claims = { ...users[userName] };
  if (role !== undefined) {
    if (!claims.roles.includes(role))
      throw new TokenMintError(
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
    throw new TokenMintError(
      `${loaded.file} accepts ${publicKey.join(', ')} tokens (identity.jwt.algorithms): those are signed with your identity provider's private key, ` +
        `which datagate does not hold, so datagate token cannot mint them. Get a token from the identity provider, or use HS256 with identity.jwt.secret for development.`,
    );
  if (!jwt.secret)
    throw new TokenMintError(`${loaded.file} sets no identity.jwt.secret: datagate token signs with the shared secret the gateway verifies with (HS256); set it (at least 32 characters).`);
  const alg = jwt.algorithms.includes('HS256') ? 'HS256' : jwt.algorithms[0];
  return { key: new TextEncoder().encode(jwt.secret), alg };
}

/** The development users of identity.users and the file's name as the config wrote it. */
export function readDevUsers(loaded: LoadedConfig): { users: DevUsers; file: string } {
  const rel = loaded.config.identity.users;
  if (!rel)
    throw new TokenMintError(
      `${loaded.file} names no users file (identity.users): add one, e.g. users: users.yaml, mapping each development user to the claims of its tokens (sub, roles, attributes).`,
    );
  const file = path.resolve(loaded.dir, rel);
  const { value, problems } = validateYaml(readYamlFile(file), usersSchema, process.env);
  if (!value) throw new ConfigError(problems);
  return { users: value, file: rel };
}
