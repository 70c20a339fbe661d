import { parseArgs } from 'node:util';
import { command, CliFailure, onePositional, parseOrFail } from './command';
import { loadConfig, parseDuration } from '../config';
import { mintUserToken as mintFor, TokenMintError } from '../identity';

const USAGE = `usage: datagate token <user> [--config datagate.yaml] [--ttl 8h] [--role ROLE]

Mints a development token for a user of the users file that datagate.yaml names in identity.users,
signed with identity.jwt.secret. Prints only the token, so that TOKEN=$(npx datagate token alice) works.
  --config   deployment file (default: $DATAGATE_CONFIG or datagate.yaml)
  --ttl      lifetime of the token: 30m, 8h, 7d… (default 8h)
  --role     put only this one of the user's roles in the token`;

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

/** `mintUserToken` of the identity part, for a deployment file; its fixable failures become CliFailures. */
export async function mintUserToken(configFile: string, userName: string, ttl: number, role?: string): Promise<{ token: string; roles: string[]; expires: Date }> {
  try {
    return await mintFor(loadConfig(configFile), userName, ttl, role);
  } catch (e) {
    if (e instanceof TokenMintError) throw new CliFailure(e.message);
    throw e;
  }
}
