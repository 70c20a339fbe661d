import { parseYaml } from '../../src/config';
import { buildModel } from '../../src/model';
import { TRUE } from '../../src/planning';
import { connectSource, type SourceAdapter } from '../../src/sources';
import { createPgDatabase, PG_URL, type TestDatabase } from '../support/databases';

/**
 * What every PostgreSQL source session is set to (UTC, the source's statement timeout, PostgreSQL's own
 * plan caching), and which statements are named: rows by key or page are, so PostgreSQL may reuse their
 * plan; grouped aggregates and counts are not, so each run is planned for its values (a generic plan cost
 * a grouped aggregate 60% more, bench/RESULTS.md).
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

test('sessions run in UTC, with the statement timeout and PostgreSQL\'s own plan caching', async () => {
  const show = async (name: string) => Object.values((await source.run({ sql: `show ${name}`, bindings: [] }))[0])[0];
  expect(await show('plan_cache_mode')).toBe('auto');
  expect(await show('TimeZone')).toBe('UTC');
  expect(await show('statement_timeout')).toBe('4321ms');
});

describe('which statements PostgreSQL may keep a plan for', () => {
  let db: TestDatabase;
  let src: SourceAdapter;
  const registry = buildModel(
    [parseYaml('m.yaml', 'Item:\n  source: s\n  table: items\n  key: id\n  fields: { id: { type: Int }, status: { type: String } }\n')],
    ['s'],
  );
  const Item = registry.entity('Item');
  beforeAll(async () => {
    db = await createPgDatabase('plans');
    // pool 1: every statement below runs on the one session whose prepared statements are listed.
    src = await connectSource('s', { dialect: 'postgres', url: db.url, pool: 1, statementTimeout: 5000, connectTimeout: 5000 } as Parameters<typeof connectSource>[1]);
    await src.run({ sql: `create table items (id int primary key, status text not null)`, bindings: [] });
    await src.run({ sql: `insert into items select g, case when g % 3 = 0 then 'paid' else 'open' end from generate_series(1, 30) g`, bindings: [] });
  });
  afterAll(async () => {
    await src?.close();
    await db?.drop();
  });

  test('rows by key or page are named statements; grouped aggregates and counts are unnamed, planned for their values on every run', async () => {
    const where = { kind: 'compare', field: 'status', op: 'eq', value: 'paid' } as const;
    for (let i = 0; i < 7; i++) {
      const rows = await src.execute({ kind: 'select', entity: Item, fields: ['id'], where, orderBy: [{ field: 'id', direction: 'asc', nulls: 'last' }], limit: 3 });
      expect(rows.map((r) => r.id)).toEqual([3, 6, 9]);
      const groups = await src.execute({ kind: 'aggregate', entity: Item, where: TRUE, groupBy: ['status'], aggregates: [{ fn: 'count', alias: 'n' }], limit: 10 });
      expect(groups.map((g) => [g.status, g.n])).toEqual([
        ['open', 20],
        ['paid', 10],
      ]);
      const [{ count }] = await src.execute({ kind: 'count', entity: Item, where });
      expect(count).toBe(10);
    }
    const prepared = await src.run({ sql: `select statement from pg_prepared_statements where from_sql = false`, bindings: [] });
    const texts = prepared.map((r) => String(r.statement).toLowerCase());
    expect(texts).toHaveLength(1);
    expect(texts[0]).toMatch(/^select .*"id".* from "items"/);
    expect(texts.some((t) => /count\(/.test(t))).toBe(false);
  });
});
