import type { Knex } from 'knex';
import { scrubValues } from '../errors';

/**
 * knex prints pool warnings (with stacks, sometimes connection details) through console.log.
 * Route them to stderr as one structured line per event, tagged with the source: the message's first
 * line only, credentials and quoted literals scrubbed (a driver may quote a bound value).
 */
export function knexLog(source: string): Knex.Config['log'] {
  const write = (level: string) => (message: unknown) => {
    const text = message instanceof Error ? message.message : String(message);
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, source, msg: scrubValues(text) }) + '\n');
  };
  return { warn: write('warn'), error: write('error'), deprecate: write('warn'), debug: () => {} };
}
