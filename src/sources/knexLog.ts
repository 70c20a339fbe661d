import type { Knex } from 'knex';

/**
 * knex prints pool warnings (with stacks, sometimes connection details) through console.log.
 * Route them to stderr as one structured line per event, tagged with the source, message first line only.
 */
export function knexLog(source: string): Knex.Config['log'] {
  const write = (level: string) => (message: unknown) => {
    const text = message instanceof Error ? message.message : String(message);
    process.stderr.write(JSON.stringify({ time: new Date().toISOString(), level, source, msg: text.split('\n')[0].replace(/\/\/[^@\s]*@/g, '//***@') }) + '\n');
  };
  return { warn: write('warn'), error: write('error'), deprecate: write('warn'), debug: () => {} };
}
