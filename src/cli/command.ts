import { ConfigError } from '../errors';
import { ExportShapeError } from '../server/export/ExportShapeError';

/** A failure the user can fix: its message is printed, the exit code is 1, no stack. */
export class CliFailure extends Error {}

/** A command's body, with the failures a user can fix (bad arguments, a broken config) turned into a message and exit code 1. */
export function command(run: (argv: string[]) => Promise<number>): (argv: string[]) => Promise<number> {
  return async (argv) => {
    try {
      return await run(argv);
    } catch (e) {
      if (e instanceof CliFailure || e instanceof ConfigError || e instanceof ExportShapeError) {
        console.error(e.message);
        return 1;
      }
      throw e;
    }
  };
}

/** `parseArgs`, whose own errors become a CliFailure followed by the usage. */
export function parseOrFail<T>(parse: () => T, usage: string): T {
  try {
    return parse();
  } catch (e) {
    throw new CliFailure(`${(e as Error).message}\n\n${usage}`);
  }
}

/** The one positional argument a command takes (`what`: "source", "user"). */
export function onePositional(positionals: readonly string[], what: string, usage: string): string {
  if (positionals.length !== 1) throw new CliFailure(`${positionals.length ? `expected one ${what} name` : `which ${what}? name one`}\n\n${usage}`);
  return positionals[0];
}
