import { parseYaml } from '../../src/config';
import { runChecks, type CheckResult } from '../../src/governance/quality';
import { buildModel, type Registry } from '../../src/model';
import { connectSource, type SourceAdapter } from '../../src/sources';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases';

/**
 * Every kind of check, on real PostgreSQL, MariaDB and SQLite: all pass on clean data, and each fails on data
 * made to violate it (and only its own verdict is asserted). `Owner` lives in another source (in-memory
 * SQLite), so `references(owner_id → Owner.id)` crosses sources.
 */
const MODEL = `
Item:
  source: main
  table: items
  key: id
  fields:
    id: { type: Int }
    email: { type: String }
    status: { type: String }
    score: { type: Int }
    code: { type: String }
    parent_id: { type: Int }
    owner_id: { type: Int }
    created_at: { type: DateTime }
  checks:
    - { freshness: created_at, maxAge: 1d }
    - { notNull: email, minRate: 0.75 }
    - { unique: code }
    - { unique: [parent_id, status] }
    - { accepted: status, values: [new, done] }
    - { range: score, min: 0, max: 100 }
    - { rowCount: { min: 1, max: 10 } }
    - { references: parent_id, entity: Parent, field: id }
    - { references: owner_id, entity: Owner, field: id }
    - { sql: "select count(*) as failures from items where status = 'done' and email is null", name: done items have an email }
Parent:
  source: main
  table: parents
  key: id
  fields: { id: { type: Int } }
Owner:
  source: side
  table: owners
  key: id
  fields: { id: { type: Int } }
`;

const NOW = new Date('2026-01-10T00:00:00Z');
type Engine = 'postgres' | 'mysql' | 'sqlite';

/** A timestamp as each engine's column takes it: MySQL DATETIME has no zone (the session is UTC). */
const ts = (engine: Engine, iso: string) => (engine === 'mysql' ? iso.replace('T', ' ').replace('Z', '') : iso);

function goodRows(engine: Engine) {
  const at = ts(engine, '2026-01-09T12:00:00.000Z');
  return [
    { id: 1, email: 'a@x.test', status: 'new', score: 10, code: 'A', parent_id: 1, owner_id: 1, created_at: at },
    { id: 2, email: 'b@x.test', status: 'done', score: 50, code: 'B', parent_id: 1, owner_id: 2, created_at: at },
    { id: 3, email: 'c@x.test', status: 'done', score: 100, code: 'C', parent_id: 2, owner_id: null, created_at: at },
    { id: 4, email: null, status: 'new', score: 0, code: 'D', parent_id: null, owner_id: 3, created_at: ts(engine, '2026-01-01T00:00:00.000Z') },
  ];
}

/** Label of the check → what breaks it. */
const VIOLATIONS: [string, (s: SourceAdapter, engine: Engine) => Promise<unknown>][] = [
  ['freshness(created_at)', (s, e) => s.knex('items').update({ created_at: ts(e, '2026-01-08T23:59:59.000Z') })],
  ['notNull(email)', (s) => s.knex('items').where({ id: 1 }).update({ email: null })],
  ['unique(code)', (s) => s.knex('items').where({ id: 2 }).update({ code: 'A' })],
  ['unique(parent_id, status)', (s) => s.knex('items').where({ id: 3 }).update({ parent_id: 1 })],
  ['accepted(status)', (s) => s.knex('items').where({ id: 1 }).update({ status: 'lost' })],
  ['range(score)', (s) => s.knex('items').where({ id: 1 }).update({ score: 101 })],
  ['rowCount', (s) => s.knex('items').del()],
  ['references(parent_id → Parent.id)', (s) => s.knex('items').where({ id: 1 }).update({ parent_id: 99 })],
  ['references(owner_id → Owner.id)', (s) => s.knex('items').where({ id: 2 }).update({ owner_id: 77 })],
  ['done items have an email', (s) => s.knex('items').where({ id: 4 }).update({ status: 'done' })],
];

describe.each<Engine>(['postgres', 'mysql', 'sqlite'])('quality checks on %s', (engine) => {
  let db: TestDatabase | undefined;
  let main: SourceAdapter;
  let side: SourceAdapter;
  let registry: Registry;
  let sources: Map<string, SourceAdapter>;

  beforeAll(async () => {
    if (engine !== 'sqlite') db = await (engine === 'postgres' ? createPgDatabase : createMysqlDatabase)('quality');
    const base = { pool: 2, statementTimeout: 5000, connectTimeout: 5000 };
    main = await connectSource('main', { ...base, dialect: engine, url: db?.url });
    side = await connectSource('side', { ...base, dialect: 'sqlite' });
    sources = new Map([['main', main], ['side', side]]);
    registry = buildModel([parseYaml('quality.yaml', MODEL)], ['main', 'side']);
    await main.knex.schema.createTable('parents', (t) => t.integer('id').primary());
    await main.knex.schema.createTable('items', (t) => {
      t.integer('id').primary();
      t.string('email').nullable();
      t.string('status').notNullable();
      t.integer('score').notNullable();
      t.string('code').notNullable();
      t.integer('parent_id').nullable();
      t.integer('owner_id').nullable();
      if (engine === 'mysql') t.datetime('created_at', { precision: 3 });
      else if (engine === 'postgres') t.timestamp('created_at', { useTz: true });
      else t.text('created_at');
    });
    await main.knex('parents').insert([{ id: 1 }, { id: 2 }]);
    await side.knex.schema.createTable('owners', (t) => t.integer('id').primary());
    await side.knex('owners').insert([{ id: 1 }, { id: 2 }, { id: 3 }]);
  });

  afterAll(async () => {
    await main?.close();
    await side?.close();
    await db?.drop();
  });

  beforeEach(async () => {
    await main.knex('items').del();
    await main.knex('items').insert(goodRows(engine));
  });

  const run = (referenceBatch?: number) => runChecks(registry, sources, { entity: 'Item', now: NOW, referenceBatch });
  const byLabel = (results: CheckResult[], label: string) => {
    const r = results.find((x) => x.check === label);
    if (!r) throw new Error(`no result for ${label}: ${results.map((x) => x.check).join(', ')}`);
    return r;
  };

  test('every check passes on clean data, with its measure', async () => {
    const results = await run();
    expect(results.filter((r) => !r.passed)).toEqual([]);
    expect(results.map((r) => r.check)).toEqual(VIOLATIONS.map(([label]) => label));
    expect(byLabel(results, 'notNull(email)').observed).toBe(0.75);
    expect(byLabel(results, 'freshness(created_at)').observed).toBe(12 * 3_600_000);
    expect(byLabel(results, 'rowCount').observed).toBe(4);
    for (const r of results) expect(r).toMatchObject({ entity: 'Item', ms: expect.any(Number) });
  });

  test.each(VIOLATIONS)('%s fails on data made to violate it', async (label, violate) => {
    await violate(main, engine);
    const r = byLabel(await run(), label);
    expect(r).toMatchObject({ passed: false });
    expect(r.error).toBeUndefined();
  });

  test('bounds on the other side: a row count above max, a value below min', async () => {
    const base = goodRows(engine)[0];
    await main.knex('items').insert(Array.from({ length: 7 }, (_, i) => ({ ...base, id: 10 + i, code: `X${i}`, parent_id: null })));
    expect(byLabel(await run(), 'rowCount')).toMatchObject({ passed: false, observed: 11 });
    await main.knex('items').where('id', '>=', 10).del();
    await main.knex('items').where({ id: 2 }).update({ score: -1 });
    const results = await run();
    expect(byLabel(results, 'rowCount')).toMatchObject({ passed: true, observed: 4 });
    expect(byLabel(results, 'range(score)')).toMatchObject({ passed: false, observed: 1 });
  });

  test.each(VIOLATIONS)('%s passes again once its violation is undone', async (label, violate) => {
    await violate(main, engine);
    expect(byLabel(await run(), label).passed).toBe(false);
    await main.knex('items').del();
    await main.knex('items').insert(goodRows(engine));
    expect(byLabel(await run(), label)).toMatchObject({ passed: true });
  });

  test('measures: duplicated rows, rows outside, missing keys', async () => {
    await main.knex('items').whereIn('id', [2, 3]).update({ code: 'A', status: 'lost', score: -5, parent_id: 42 });
    const results = await run();
    expect(byLabel(results, 'unique(code)').observed).toBe(3);
    expect(byLabel(results, 'accepted(status)').observed).toBe(2);
    expect(byLabel(results, 'range(score)').observed).toBe(2);
    expect(byLabel(results, 'references(parent_id → Parent.id)').observed).toBe(1);
  });

  test('a cross-source references check pages its keys: same verdict with a batch of 1 as of 1,000', async () => {
    await main.knex('items').where({ id: 1 }).update({ owner_id: 8 });
    await main.knex('items').where({ id: 3 }).update({ owner_id: 9 });
    for (const batch of [1, 2, 1000]) {
      const r = byLabel(await run(batch), 'references(owner_id → Owner.id)');
      expect(r).toMatchObject({ passed: false, observed: 2 });
      expect(r.message).toContain('2 of 4 distinct values');
    }
  });

  test('a check that cannot run is a failed result with error, not a thrown error', async () => {
    const broken = buildModel([parseYaml('b.yaml', MODEL.replace("from items where status = 'done'", 'from no_such_table where 1 = 1'))], ['main', 'side']);
    const results = await runChecks(broken, sources, { entity: 'Item', now: NOW });
    const r = byLabel(results, 'done items have an email');
    expect(r).toMatchObject({ passed: false, error: true, observed: null });
    expect(r.message).toMatch(/^could not run: SOURCE_/);
    expect(results.filter((x) => x.check !== r.check).every((x) => x.passed)).toBe(true);
  });
});
