import { parseYaml } from '../../src/config';
import { buildModel } from '../../src/model';
import { TRUE } from '../../src/planning';
import { connectSource, type SourceAdapter } from '../../src/sources';
import { MAX_NAMED_STATEMENTS } from '../../src/sources/postgres/connect';
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

  test('a page read keeps one generic plan: its limit is written into the statement, not bound', async () => {
    const where = { kind: 'compare', field: 'status', op: 'eq', value: 'open' } as const;
    for (let i = 0; i < 8; i++) {
      const rows = await src.execute({ kind: 'select', entity: Item, fields: ['id', 'status'], where, orderBy: [{ field: 'id', direction: 'desc', nulls: 'last' }], limit: 4, offset: 1 });
      expect(rows.map((r) => r.id)).toEqual([28, 26, 25, 23]);
    }
    const [plans] = await src.run({ sql: `select statement, generic_plans, custom_plans from pg_prepared_statements where from_sql = false and statement like '%"status" as "status"%'`, bindings: [] });
    expect(String(plans.statement)).toMatch(/ limit 4 offset 1$/);
    // PostgreSQL tries five custom plans, then keeps the generic one (with `limit $n` it stayed on custom plans).
    expect(Number(plans.generic_plans)).toBeGreaterThanOrEqual(3);
    expect(Number(plans.custom_plans)).toBeLessThanOrEqual(5);
  });

  test(`a connection holds at most ${MAX_NAMED_STATEMENTS} named statements, then is replaced`, async () => {
    const pid = async () => Number((await src.run({ sql: 'select pg_backend_pid() as pid', bindings: [] }))[0].pid);
    const named = async () => Number((await src.run({ sql: 'select count(*) as n from pg_prepared_statements where from_sql = false', bindings: [] }))[0].n);
    const first = await pid();
    const before = await named();
    // Each limit is its own statement shape: new names until the connection holds the most it may.
    let n = 0;
    for (let limit = 1; before + n < MAX_NAMED_STATEMENTS; limit++, n++) {
      const rows = await src.execute({ kind: 'select', entity: Item, fields: ['id'], where: TRUE, orderBy: [{ field: 'id', direction: 'asc', nulls: 'last' }], limit: 1000 + limit });
      expect(rows).toHaveLength(30);
    }
    expect(await named()).toBe(MAX_NAMED_STATEMENTS);
    expect(await pid()).toBe(first);
    // One shape more: answered (unnamed), and the connection goes once it is back in the pool.
    const rows = await src.execute({ kind: 'select', entity: Item, fields: ['id'], where: TRUE, orderBy: [{ field: 'id', direction: 'desc', nulls: 'last' }], limit: 2 });
    expect(rows.map((r) => r.id)).toEqual([30, 29]);
    expect(await pid()).not.toBe(first);
    expect(await named()).toBe(0);
    // The new session names statements again.
    await src.execute({ kind: 'select', entity: Item, fields: ['id'], where: TRUE, orderBy: [{ field: 'id', direction: 'desc', nulls: 'last' }], limit: 2 });
    expect(await named()).toBe(1);
  });
});

describe('planCacheMode: generic', () => {
  let db: TestDatabase;
  let src: SourceAdapter;
  const registry = buildModel(
    [parseYaml('m.yaml', 'Item:\n  source: s\n  table: items\n  key: id\n  fields: { id: { type: Int }, owner: { type: Int } }\n')],
    ['s'],
  );
  const Item = registry.entity('Item');
  const show = async () => String(Object.values((await src.run({ sql: 'show plan_cache_mode', bindings: [] }))[0])[0]);
  beforeAll(async () => {
    db = await createPgDatabase('generic');
    // pool 1: one session, whose prepared statements and settings the tests read.
    src = await connectSource('s', { dialect: 'postgres', url: db.url, pool: 1, statementTimeout: 5000, connectTimeout: 5000, planCacheMode: 'generic' } as Parameters<typeof connectSource>[1]);
    // owner 1 holds 9 rows in 10: the value a custom plan would be made for, run after run.
    await src.run({ sql: 'create table items (id int primary key, owner int not null)', bindings: [] });
    await src.run({ sql: 'insert into items select g, case when g % 10 = 0 then g else 1 end from generate_series(1, 2000) g', bindings: [] });
    await src.run({ sql: 'create index on items (owner, id)', bindings: [] });
    await src.run({ sql: 'analyze items', bindings: [] });
  });
  afterAll(async () => {
    await src?.close();
    await db?.drop();
  });

  test('row reads keep one generic plan from their first run', async () => {
    expect(await show()).toBe('force_generic_plan');
    const where = { kind: 'compare', field: 'owner', op: 'eq', value: 1 } as const;
    for (let i = 0; i < 6; i++) {
      const rows = await src.execute({ kind: 'select', entity: Item, fields: ['id'], where, orderBy: [{ field: 'id', direction: 'asc', nulls: 'last' }], limit: 3 });
      expect(rows.map((r) => r.id)).toEqual([1, 2, 3]);
    }
    const [plans] = await src.run({ sql: 'select generic_plans, custom_plans from pg_prepared_statements where from_sql = false', bindings: [] });
    expect(Number(plans.custom_plans)).toBe(0);
    expect(Number(plans.generic_plans)).toBe(6);
  });

  test('an unnamed statement with values runs under auto, and the session goes back to generic', async () => {
    const [during] = await src.run({ sql: "select current_setting('plan_cache_mode') as mode, ?::int as n", bindings: [7] });
    expect(during).toEqual({ mode: 'auto', n: 7 });
    expect(await show()).toBe('force_generic_plan');
    const [{ count }] = await src.execute({ kind: 'count', entity: Item, where: { kind: 'compare', field: 'owner', op: 'eq', value: 1 } });
    expect(count).toBe(1800);
    expect(await show()).toBe('force_generic_plan');
  });

  test('a statement that fails leaves the session on generic plans, and the source answers after it', async () => {
    await expect(src.run({ sql: 'select 1 / (? - 1) as x', bindings: [1] })).rejects.toThrow();
    expect(await show()).toBe('force_generic_plan');
    const [row] = await src.run({ sql: "select current_setting('plan_cache_mode') as mode, ?::int as n", bindings: [2] });
    expect(row).toEqual({ mode: 'auto', n: 2 });
  });
});
