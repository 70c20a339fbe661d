import { connectSource, type SourceAdapter } from '../../src/sources';
import { PG_URL } from '../support/databases';

/**
 * What every PostgreSQL source session is set to: UTC, the source's statement timeout, and a plan per
 * execution (policy predicates are skewed; a generic plan cost a grouped aggregate 60% more, bench/RESULTS.md).
 */
let source: SourceAdapter;
beforeAll(async () => {
  source = await connectSource('crm', { dialect: 'postgres', url: PG_URL, pool: 1, statementTimeout: 4321, connectTimeout: 5000 } as Parameters<typeof connectSource>[1]);
  try {
    await source.ping();
  } catch (e) {
    throw new Error(`PostgreSQL at ${new URL(PG_URL).host} is not reachable: start it with \`bash .ci/services.sh\` (${(e as Error).message})`);
  }
});
afterAll(async () => source?.close());

test('sessions run in UTC, with the statement timeout, planning each execution for its values', async () => {
  const show = async (name: string) => Object.values((await source.run({ sql: `show ${name}`, bindings: [] }))[0])[0];
  expect(await show('plan_cache_mode')).toBe('force_custom_plan');
  expect(await show('TimeZone')).toBe('UTC');
  expect(await show('statement_timeout')).toBe('4321ms');
});
