/* eslint-disable @typescript-eslint/no-require-imports */
import { ConfigError } from '../errors';

const USAGE = `usage: datagate <command> [options]

commands:
  serve [--config datagate.yaml] [--port N]      run the gateway (PORT also sets the port)
  introspect <source> [--config f] [--out file]   read a live database and write a draft model (YAML)
  seed [--config f] [--if-empty]                  load the demo data into real demo servers (embedded ones seed themselves)
  token <user> [--config f] [--ttl 8h] [--role R] print a development token for a user of identity.users (users.yaml)
  check [--config f] [--entity X] [--now T]       run the model's quality checks; exit 1 when one fails
  retention --report [--config f] [--now T]       count the rows past each entity's retention rule, for its owners to purge
  export --query q.graphql --as TOKEN --out DIR   stream a query's rows as a user to DIR (jsonl or csv) beside a manifest with lineage

Run a command with --help for its options.`;

/** Entry point of the `datagate` binary; returns the exit code. */
export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        return await (require('./serve') as typeof import('./serve')).serve(rest);
      case 'seed':
        return await (require('./seed') as typeof import('./seed')).seed(rest);
      case 'introspect':
        return await (require('./introspect') as typeof import('./introspect')).introspect(rest);
      case 'token':
        return await (require('./token') as typeof import('./token')).token(rest);
      case 'check':
        return await (require('./check') as typeof import('./check')).check(rest);
      case 'retention':
        return await (require('./retention') as typeof import('./retention')).retention(rest);
      case 'export':
        return await (require('./export') as typeof import('./export')).exportCommand(rest);
      case undefined:
      case '--help':
      case '-h':
      case 'help':
        console.log(USAGE);
        return command ? 0 : 1;
      default:
        console.error(`unknown command "${command}"\n\n${USAGE}`);
        return 1;
    }
  } catch (e) {
    if (e instanceof ConfigError) {
      console.error(e.message);
      console.error('\nFix the files above and start again.');
      return 1;
    }
    throw e;
  }
}
