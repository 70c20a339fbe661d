import type { Knex } from 'knex';
import type { Gateway } from '../../src/server';
import { createMysqlDatabase, createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { startGateway, type Engine } from '../support/fixture';
import { postGraphQL } from '../support/gql';

/** A column of every supported type per engine, with values at their limits. */
const DDL: Record<'postgres' | 'mysql' | 'sqlite', string> = {
  postgres: `create table typed (id int primary key, i int, bi bigint, dec numeric(38,10), f double precision, b boolean,
    ts timestamptz(3), tsn timestamp(3), d date, j jsonb, s text)`,
  mysql: `create table typed (id int primary key, i int, bi bigint, \`dec\` decimal(38,10), f double, b tinyint(1),
    ts datetime(3), tsn datetime(3), d date, j json, s varchar(500)) character set utf8mb4`,
  sqlite: `create table typed (id integer primary key, i integer, bi bigint, dec numeric, f real, b boolean,
    ts datetime, tsn datetime, d date, j json, s text)`,
};

const MODEL = {
  'typed.yaml': `
Typed:
  source: src
  table: typed
  key: id
  fields:
    id: { type: Int }
    i: { type: Int }
    bi: { type: BigInt }
    dec: { type: Decimal }
    f: { type: Float }
    b: { type: Boolean }
    ts: { type: DateTime }
    tsn: { type: DateTime }
    d: { type: Date }
    j: { type: JSON }
    s: { type: String }
Event:
  source: src
  table: events
  key: id
  fields:
    id: { type: Int }
    ts: { type: DateTime, nullable: false }
`,
};

const ROWS = [
  { id: 1, i: 2147483647, bi: '9223372036854775807', dec: '1234567890123456789012345678.1234567890', f: 1.5e300, b: true, ts: '2038-01-19T03:14:07.999Z', tsn: '2024-02-29T23:59:59.123Z', d: '9999-12-31', j: { a: [1, 'x', null], nested: { k: true } }, s: 'ünï 😀 "q" \\ \'' },
  { id: 2, i: -2147483648, bi: '-9223372036854775808', dec: '-0.0000000001', f: -2.5e-300, b: false, ts: '1970-01-01T00:00:00.000Z', tsn: '2000-01-01T00:00:00.000Z', d: '1000-01-01', j: [], s: '' },
  { id: 3, i: null, bi: null, dec: null, f: null, b: null, ts: null, tsn: null, d: null, j: null, s: null },
];

function encode(engine: 'postgres' | 'mysql' | 'sqlite', row: (typeof ROWS)[number]): Record<string, unknown> {
  const out: Record<string, unknown> = { ...row };
  out.j = row.j === null ? null : JSON.stringify(row.j);
  if (engine === 'mysql') {
    for (const k of ['ts', 'tsn'] as const) out[k] = row[k] && new Date(row[k]!);
  } else if (engine === 'postgres') {
    out.tsn = row.tsn && row.tsn.replace('T', ' ').replace('Z', '');
  } else {
    out.b = row.b === null ? null : row.b ? 1 : 0;
    // SQLite integers are 64-bit: bind the extremes as BigInt, not as a rounded double.
    out.bi = row.bi === null ? null : BigInt(row.bi);
  }
  return out;
}

/** Timestamps that differ only in microseconds (where the engine keeps them), plus an exact tie. */
const EVENT_TS = ['2026-01-01 00:00:00.000300', '2026-01-01 00:00:00.000100', '2026-01-01 00:00:00.000200', '2026-01-01 00:00:00.000200', '2026-01-01 00:00:00.001000'];
const EVENTS_DDL: Record<'postgres' | 'mysql' | 'sqlite', string> = {
  postgres: 'create table events (id int primary key, ts timestamptz(6) not null)',
  mysql: 'create table events (id int primary key, ts datetime(6) not null)',
  sqlite: 'create table events (id integer primary key, ts datetime not null)',
};

async function fill(k: Knex, engine: 'postgres' | 'mysql' | 'sqlite') {
  await k.raw(DDL[engine]);
  for (const r of ROWS) await k('typed').insert(encode(engine, r));
  await k.raw(EVENTS_DDL[engine]);
  for (const [i, ts] of EVENT_TS.entries())
    await k('events').insert({ id: i + 1, ts: engine === 'postgres' ? `${ts}+00` : engine === 'mysql' ? ts : new Date(ts.replace(' ', 'T') + 'Z').toISOString() });
}

describe.each(['postgres', 'mysql', 'sqlite', 'pglite'] as Engine[])('types survive the trip on %s', (engine) => {
  const sqlEngine = engine === 'pglite' ? 'postgres' : engine;
  let db: TestDatabase | undefined;
  let gw: Gateway;
  let url: string;

  beforeAll(async () => {
    let source: { dialect: 'postgres' | 'mysql' | 'sqlite'; url?: string } = { dialect: sqlEngine };
    if (engine === 'postgres' || engine === 'mysql') {
      db = await (engine === 'postgres' ? createPgDatabase : createMysqlDatabase)('types');
      const k = knexFor(db.url);
      try {
        await fill(k, sqlEngine);
      } finally {
        await k.destroy();
      }
      source = { dialect: engine, url: db.url };
    }
    ({ gw, url } = await startGateway({ src: source }, { model: MODEL, prepare: engine === 'sqlite' || engine === 'pglite' ? (s) => fill(s.get('src')!.knex, sqlEngine) : undefined }));
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await db?.drop();
  });

  test('every value comes back exactly, in its GraphQL scalar', async () => {
    const r = await postGraphQL(url, '{ typeds(orderBy: [{id: ASC}]) { id i bi dec f b ts tsn d j s } }');
    expect(r.body.errors).toBeUndefined();
    const got = r.body.data.typeds;
    expect(got).toHaveLength(3);
    for (const [n, expected] of ROWS.entries()) {
      const row = got[n];
      if (sqlEngine === 'sqlite' && expected.dec !== null) {
        // SQLite has no exact decimal type: it stores a double. The value is the nearest double, not exact.
        expect(Number(row.dec)).toBeCloseTo(Number(expected.dec), 10);
        expect({ ...row, dec: expected.dec }).toEqual(expected);
      } else {
        expect(row).toEqual(expected);
      }
    }
  });

  test('filters on the limit values match exactly', async () => {
    const q = async (where: unknown) =>
      (await postGraphQL(url, 'query($w: TypedWhere) { typeds(where: $w, orderBy: [{id: ASC}]) { id } }', { w: where })).body.data.typeds.map((r: { id: number }) => r.id);
    expect(await q({ bi: { eq: '9223372036854775807' } })).toEqual([1]);
    expect(await q({ bi: { lt: '-9223372036854775807' } })).toEqual([2]);
    expect(await q({ i: { eq: -2147483648 } })).toEqual([2]);
    expect(await q({ ts: { eq: '2038-01-19T03:14:07.999Z' } })).toEqual([1]);
    expect(await q({ ts: { gt: '2038-01-19T05:14:07.998+02:00' } })).toEqual([1]);
    expect(await q({ d: { lt: '2000-01-01' } })).toEqual([2]);
    expect(await q({ b: { eq: false } })).toEqual([2]);
    expect(await q({ j: { isNull: true } })).toEqual([3]);
    if (sqlEngine !== 'sqlite') expect(await q({ dec: { eq: '-0.0000000001' } })).toEqual([2]);
  });

  test('cursor pages over timestamps that differ in microseconds neither repeat nor skip a row', async () => {
    const seen: number[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const r: any = await postGraphQL(url, 'query($a: String) { eventsConnection(first: 1, after: $a, orderBy: [{ts: ASC}]) { nodes { id ts } pageInfo { hasNextPage endCursor } } }', { a: after });
      expect(r.body.errors).toBeUndefined();
      seen.push(...r.body.data.eventsConnection.nodes.map((n: { id: number }) => n.id));
      if (!r.body.data.eventsConnection.pageInfo.hasNextPage) break;
      after = r.body.data.eventsConnection.pageInfo.endCursor;
    }
    const all = (await postGraphQL(url, '{ events(orderBy: [{ts: ASC}]) { id ts } }')).body.data.events;
    expect(seen).toEqual(all.map((e: { id: number }) => e.id));
    expect([...seen].sort()).toEqual([1, 2, 3, 4, 5]);
    if (sqlEngine !== 'sqlite') {
      // Microseconds are kept, in order: 100, 200 (twice, by id), 300, 1000.
      expect(seen).toEqual([2, 3, 4, 1, 5]);
      expect(all[0].ts).toBe('2026-01-01T00:00:00.000100Z');
    }
  });

  test('aggregates keep integer sums exact past 2^53', async () => {
    const r = await postGraphQL(url, '{ typedsAggregate(where: {id: {eq: 1}}) { sum { bi i } max { bi d ts } min { s } } }');
    expect(r.body.errors).toBeUndefined();
    const a = r.body.data.typedsAggregate[0];
    expect(a.sum.bi).toBe('9223372036854775807');
    expect(a.sum.i).toBe('2147483647');
    expect(a.max).toEqual({ bi: '9223372036854775807', d: '9999-12-31', ts: '2038-01-19T03:14:07.999Z' });
  });
});

