import type { SourceConfig } from '../../src/config';
import { parseYaml } from '../../src/config';
import { buildModel, type Entity } from '../../src/model';
import type { Condition, SelectPlan } from '../../src/planning';
import { connectSource, type SourceAdapter } from '../../src/sources';
import { LIST_PARAM_THRESHOLD } from '../../src/sources/sql/params';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases';

/**
 * Key sets far above LIST_PARAM_THRESHOLD (cross-source and policy conditions reach 100,000 keys)
 * through a real adapter on MariaDB/MySQL and SQLite, with PostgreSQL (one array parameter at any
 * size) as the reference: the rows must be exactly those a small list would give.
 */
type Engine = 'postgres' | 'mysql' | 'sqlite';
const ROWS = 120_000;

const registry = buildModel(
  [
    parseYaml(
      'm.yaml',
      `
Num:
  source: s
  table: nums
  key: id
  fields: { id: { type: Int }, k: { type: BigInt }, n: { type: BigInt } }
Word:
  source: s
  table: words
  key: id
  fields: { id: { type: Int }, w: { type: String }, w_bin: { type: String }, w_gen: { type: String } }
Big:
  source: s
  table: bigs
  key: id
  fields: { id: { type: Int }, b: { type: BigInt } }
Event:
  source: s
  table: events
  key: id
  fields: { id: { type: Int }, ts: { type: DateTime } }
`,
    ),
  ],
  ['s'],
);
const Num = registry.entity('Num');
const Word = registry.entity('Word');
const Big = registry.entity('Big');
const Event = registry.entity('Event');

/** nums: id 1..120,000; k = 120,001 - id (no index); n = id, NULL where id % 10 = 0. */
const NUMS: Record<Engine, string[]> = {
  postgres: [
    'create table nums (id int primary key, k bigint not null, n bigint)',
    `insert into nums select g, ${ROWS + 1} - g, case when g % 10 = 0 then null else g end from generate_series(1, ${ROWS}) g`,
  ],
  // Ten digits crossed five times (the last 0..11): works on MariaDB and on MySQL 8, whose recursive CTEs stop at 1,000 levels.
  mysql: [
    'create table nums (id int primary key, k bigint not null, n bigint null)',
    `insert into nums (id, k, n)
     with d(x) as (select 0 union all select 1 union all select 2 union all select 3 union all select 4 union all select 5 union all select 6 union all select 7 union all select 8 union all select 9),
          m(x) as (select x from d union all select 10 union all select 11)
     select g, ${ROWS + 1} - g, case when g % 10 = 0 then null else g end
     from (select 1 + a.x + 10 * b.x + 100 * c.x + 1000 * e.x + 10000 * f.x as g from d a, d b, d c, d e, m f) s`,
  ],
  sqlite: [
    'create table nums (id integer primary key, k bigint not null, n bigint)',
    `insert into nums (id, k, n)
     with recursive seq(g) as (select 1 union all select g + 1 from seq where g < ${ROWS})
     select g, ${ROWS + 1} - g, case when g % 10 = 0 then null else g end from seq`,
  ],
};

/** Spellings a collation may or may not fold together: case, accents, ß/ss, ligatures, dotted I, trailing spaces. */
const ROW_WORDS = ['Éclair', 'eclair', 'ECLAIR', 'éclair', 'Straße', 'strasse', 'STRASSE', 'Résumé', 'resume', 'naïve', 'Naive', 'Ångström', 'angstrom', 'ﬁle', 'file', 'İstanbul', 'istanbul', 'Ǆemal', 'dzemal', 'plain'];
const KEY_WORDS = ['eclair', 'ÉCLAIR', 'STRASSE', 'straße', 'résumé', 'NAÏVE', 'angström', 'FILE', 'istanbul', 'ǆEMAL', 'plain ', 'nomatch'];
const WORD_ROWS = ROW_WORDS.length * 300;
const words = Array.from({ length: WORD_ROWS }, (_, i) => `${ROW_WORDS[i % ROW_WORDS.length]}-${Math.floor(i / ROW_WORDS.length)}`);
/** 2,000 distinct keys: every key spelling with numbers 0..166 (the rows have 0..299). */
const wordKeys = Array.from({ length: 2000 }, (_, j) => {
  const w = KEY_WORDS[j % KEY_WORDS.length];
  const n = Math.floor(j / KEY_WORDS.length);
  return w.endsWith(' ') ? `${w.trimEnd()}-${n} ` : `${w}-${n}`;
});

const WORDS_DDL: Record<Engine, string> = {
  postgres: 'create table words (id int primary key, w text, w_bin text, w_gen text)',
  // The database's default collation is utf8mb4_unicode_ci (test/support/databases.ts); two columns differ from it.
  mysql: 'create table words (id int primary key, w varchar(100), w_bin varchar(100) collate utf8mb4_bin, w_gen varchar(100) collate utf8mb4_general_ci, key (w)) character set utf8mb4',
  sqlite: 'create table words (id integer primary key, w text, w_bin text, w_gen text collate nocase)',
};

const TWO_53 = 2n ** 53n;
const BIGS = [TWO_53 - 1n, TWO_53, TWO_53 + 1n, TWO_53 + 2n, TWO_53 + 3n, 2n ** 63n - 1n, -(2n ** 63n), 12345n];

const EVENT_BASE = Date.UTC(2026, 0, 1);
const EVENT_DDL: Record<Engine, string> = {
  postgres: 'create table events (id int primary key, ts timestamptz(3))',
  mysql: 'create table events (id int primary key, ts datetime(3))',
  sqlite: 'create table events (id integer primary key, ts datetime)',
};

const odd = Array.from({ length: 100_000 }, (_, i) => 2 * i + 1);

const plan = (entity: Entity, where: Condition, fields = ['id']): SelectPlan => ({
  kind: 'select',
  entity,
  fields,
  where,
  orderBy: [{ field: 'id', direction: 'asc', nulls: 'last' }],
});
const keySet = (fields: string[], values: unknown[][], negate = false): Condition => ({ kind: 'in', fields, values, negate });
const single = (field: string, values: unknown[], negate = false) => keySet([field], values.map((v) => [v]), negate);
const ids = (rows: Record<string, unknown>[]) => rows.map((r) => Number(r.id));
const idsWhere = (from: number, to: number, keep: (id: number) => boolean) => {
  const out: number[] = [];
  for (let i = from; i <= to; i++) if (keep(i)) out.push(i);
  return out;
};

describe.each(['postgres', 'mysql', 'sqlite'] as const)('large key sets on %s', (engine: Engine) => {
  let db: TestDatabase | undefined;
  let adapter: SourceAdapter;
  /** SQL text of every statement the adapter sends. */
  const statements: string[] = [];
  const timed = async (label: string, p: SelectPlan) => {
    const t = performance.now();
    const rows = await adapter.execute(p);
    console.log(`[largeKeySets] ${engine}: ${label}: ${rows.length} rows in ${Math.round(performance.now() - t)} ms`);
    return rows;
  };

  beforeAll(async () => {
    if (engine !== 'sqlite') db = await (engine === 'postgres' ? createPgDatabase : createMysqlDatabase)('keys');
    const cfg: SourceConfig = { dialect: engine, url: db?.url, pool: 2, statementTimeout: 60_000, connectTimeout: 5_000 };
    adapter = await connectSource('s', cfg);
    const k = adapter.knex;
    const t = performance.now();
    for (const sql of NUMS[engine]) await k.raw(sql);
    console.log(`[largeKeySets] ${engine}: ${ROWS} rows inserted in ${Math.round(performance.now() - t)} ms`);
    await k.raw(WORDS_DDL[engine]);
    const wordRows = words.map((w, i) => ({ id: i + 1, w, w_bin: w, w_gen: w }));
    wordRows.push({ id: WORD_ROWS + 1, w: null as never, w_bin: null as never, w_gen: null as never });
    for (let i = 0; i < wordRows.length; i += 200) await k('words').insert(wordRows.slice(i, i + 200));
    await k.raw(engine === 'postgres' ? 'create table bigs (id int primary key, b bigint)' : engine === 'mysql' ? 'create table bigs (id int primary key, b bigint)' : 'create table bigs (id integer primary key, b bigint)');
    // Bound as text, so nothing passes through a double on the way in either.
    for (const [i, b] of BIGS.entries()) await k.raw('insert into bigs (id, b) values (?, ' + (engine === 'sqlite' ? 'cast(? as integer)' : '?') + ')', [i + 1, b.toString()]);
    await k.raw(EVENT_DDL[engine]);
    const events = Array.from({ length: 1000 }, (_, i) => {
      const d = new Date(EVENT_BASE + i);
      return { id: i + 1, ts: engine === 'sqlite' ? d.toISOString() : d };
    });
    for (let i = 0; i < events.length; i += 200) await k('events').insert(events.slice(i, i + 200));
    adapter.knex.on('query', (q: { sql: string }) => statements.push(q.sql));
  });

  afterAll(async () => {
    await adapter?.close();
    await db?.drop();
  });

  test('100,000 integer keys: IN and NOT IN on the primary key, on a column without index and on a nullable one', async () => {
    expect(odd.length).toBeGreaterThan(LIST_PARAM_THRESHOLD);
    const oddIds = idsWhere(1, ROWS, (i) => i % 2 === 1);
    const evenIds = idsWhere(1, ROWS, (i) => i % 2 === 0);
    expect(ids(await timed('100,000-key IN on the key', plan(Num, single('id', odd))))).toEqual(oddIds);
    expect(ids(await timed('100,000-key NOT IN on the key', plan(Num, single('id', odd, true))))).toEqual(evenIds);
    // k = 120,001 - id is odd exactly where id is even. BigInt keys arrive as strings.
    const oddText = odd.map(String);
    expect(ids(await timed('100,000-key IN on an unindexed BigInt', plan(Num, single('k', oddText))))).toEqual(evenIds);
    expect(ids(await timed('100,000-key NOT IN on an unindexed BigInt', plan(Num, single('k', oddText, true))))).toEqual(oddIds);
    // NOT IN never matches NULL, as with a small list.
    expect(ids(await timed('100,000-key NOT IN on a nullable column', plan(Num, single('n', oddText, true))))).toEqual(idsWhere(1, ROWS, (i) => i % 2 === 0 && i % 10 !== 0));
    expect(ids(await adapter.execute(plan(Num, single('n', oddText))))).toEqual(oddIds);
  });

  test('one statement serves every large length, and it does not grow with the keys', async () => {
    const before = statements.length;
    const small = odd.slice(0, 60_000);
    expect(ids(await adapter.execute(plan(Num, single('id', small))))).toEqual(idsWhere(1, ROWS, (i) => i % 2 === 1));
    expect(ids(await adapter.execute(plan(Num, single('id', odd.slice(0, 1000)))))).toEqual(odd.slice(0, 1000));
    const sent = statements.slice(before);
    expect(sent).toHaveLength(2);
    expect(sent[0]).toBe(sent[1]);
    expect(sent[0].length).toBeLessThan(300);
  });

  test('a partitioned relationship load of 10,000 parents', async () => {
    const parents = Array.from({ length: 10_000 }, (_, i) => [String(3 * i + 1)]);
    const rows = await adapter.execute({ ...plan(Num, { kind: 'true' }, ['id', 'k']), partition: { fields: ['k'], keys: parents } });
    expect(rows).toHaveLength(10_000);
    expect(rows.every((r) => (ROWS + 1 - Number(r.id)) % 3 === 1)).toBe(true);
  });

  test.each(['w', 'w_bin', 'w_gen'])('2,000 string keys with mixed case and accents match exactly what small lists match (%s)', async (column) => {
    // The reference: the same keys in lists small enough to stay one `?` per value.
    const expected: number[] = [];
    for (let i = 0; i < wordKeys.length; i += 400) {
      expect(wordKeys.slice(i, i + 400).length).toBeLessThanOrEqual(LIST_PARAM_THRESHOLD);
      expected.push(...ids(await adapter.execute(plan(Word, single(column, wordKeys.slice(i, i + 400))))));
    }
    expected.sort((a, b) => a - b);
    const large = ids(await timed(`2,000 string keys IN on ${column}`, plan(Word, single(column, wordKeys))));
    expect(large).toEqual(expected);
    expect(expected.length).toBeGreaterThan(0);
    const notIn = ids(await timed(`2,000 string keys NOT IN on ${column}`, plan(Word, single(column, wordKeys, true))));
    const matched = new Set(expected);
    expect(notIn).toEqual(idsWhere(1, WORD_ROWS, (i) => !matched.has(i))); // the NULL row never
    const binary = engine === 'postgres' || column === 'w_bin' || (engine === 'sqlite' && column === 'w');
    if (binary) {
      // Binary comparisons: exactly the keys spelled as a row is (trailing spaces aside on MySQL's PAD SPACE).
      const exact = new Set(engine === 'mysql' ? wordKeys.map((k) => k.trimEnd()) : wordKeys);
      expect(expected).toEqual(idsWhere(1, WORD_ROWS, (i) => exact.has(words[i - 1])));
    } else {
      // Case-insensitive collations (MySQL's _ci, SQLite's NOCASE) fold more: `eclair-0` also finds `ECLAIR-0`.
      expect(expected.length).toBeGreaterThan(wordKeys.length / 2);
    }
  });

  test('BigInt keys beyond 2^53 compare exactly', async () => {
    const keys = [...Array.from({ length: 700 }, (_, i) => String(1000 + i)), (TWO_53 + 1n).toString(), (2n ** 63n - 1n).toString(), -(2n ** 63n)];
    const rows = await adapter.execute(plan(Big, single('b', keys), ['id', 'b']));
    expect(rows.map((r) => String(r.b))).toEqual([(TWO_53 + 1n).toString(), (2n ** 63n - 1n).toString(), (-(2n ** 63n)).toString()]);
    const others = await adapter.execute(plan(Big, single('b', keys, true), ['id', 'b']));
    expect(others.map((r) => String(r.b))).toEqual([TWO_53 - 1n, TWO_53, TWO_53 + 2n, TWO_53 + 3n, 12345n].map(String));
  });

  test('DateTime keys', async () => {
    const keys = Array.from({ length: 600 }, (_, i) => new Date(EVENT_BASE + 2 * i));
    const rows = await adapter.execute(plan(Event, single('ts', keys)));
    expect(ids(rows)).toEqual(Array.from({ length: 500 }, (_, i) => 2 * i + 1));
  });

  test('composite key sets: IN and NOT IN, NULLs as in the OR-of-ANDs form', async () => {
    // (n, id) pairs: n is NULL where id % 10 = 0, so those rows can match no key.
    const pairs = Array.from({ length: 600 }, (_, i): [string, number] => {
      const id = 7 * i + 1;
      return [String(i % 3 === 0 ? id + 1 : id), id]; // a third with the wrong n
    });
    const hit = new Set(pairs.filter(([n, id]) => Number(n) === id && id % 10 !== 0).map(([, id]) => id));
    const listed = new Set(pairs.map(([, id]) => id));
    const inRows = ids(await timed('600 composite keys IN', plan(Num, keySet(['n', 'id'], pairs))));
    expect(inRows).toEqual([...hit].sort((a, b) => a - b));
    // NOT IN: a NULL n is unknown only where the row's id is listed; elsewhere every key differs in id.
    const notIn = ids(await timed('600 composite keys NOT IN', plan(Num, keySet(['n', 'id'], pairs, true))));
    expect(notIn).toEqual(idsWhere(1, ROWS, (i) => !hit.has(i) && !(i % 10 === 0 && listed.has(i))));
  });
});
