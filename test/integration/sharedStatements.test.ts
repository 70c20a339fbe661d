import type { Knex } from 'knex';
import type { Gateway } from '../../src/server';
import { createMysqlDatabase, createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { startGateway } from '../support/fixture';
import { postGraphQL } from '../support/gql';

/**
 * `shareStatements` (src/sources/SharedStatements.ts) on real PostgreSQL. Entity Event reads a view
 * that sleeps 1 s once per statement, so that requests sent together overlap in the database for
 * certain, and one sent later can be placed while an earlier statement still runs.
 *
 * Three gateways on one database: the default (aggregates and counts shared), `all` and `off`; each
 * counts the statements it sends (the adapter's knex 'query' event, one per statement). The last
 * block repeats the count on MariaDB.
 */

const MODEL = {
  'events.yaml': `
Event:
  source: db
  table: slow_events
  key: id
  fields:
    id: { type: Int }
    kind: { type: String }
    amount: { type: Decimal, scale: 2 }
RecentEvent:
  source: db
  table: slow_events
  key: id
  retention: { column: at, keep: 30d }
  fields:
    id: { type: Int }
    kind: { type: String }
    at: { type: DateTime }
`,
};

/** Long enough that requests sent together all reach the gateway while the first statement sleeps, on a busy CI machine too. */
const SLEEP_S = 1;

/** The events table, the same on both engines: 30 rows, every third one older than RecentEvent's 30 days. */
async function createEvents(kx: Knex): Promise<void> {
  await kx.schema.createTable('events', (t) => {
    t.integer('id').primary();
    t.string('kind').notNullable();
    t.decimal('amount', 10, 2).notNullable();
    t.timestamp('at', { useTz: true }).notNullable();
  });
  const day = 86_400_000;
  await kx('events').insert(Array.from({ length: 30 }, (_, i) => ({ id: i + 1, kind: i % 3 === 0 ? 'refund' : 'sale', amount: `${i + 1}.25`, at: new Date(Date.now() - (i % 3 === 2 ? 90 : 1) * day) })));
}

/** Statements each gateway sent to its source (the adapter's knex 'query' event, one per statement), by gateway. */
const sent = new Map<Gateway, number>();

function countStatements(...gateways: { gw: Gateway }[]): void {
  for (const { gw } of gateways) {
    sent.set(gw, 0);
    gw.runtime.sources.get('db')!.knex.on('query', () => sent.set(gw, sent.get(gw)! + 1));
  }
}

let db: TestDatabase;
let k: Knex;
type G = { gw: Gateway; url: string };
let shared: G;
let all: G;
let off: G;

beforeAll(async () => {
  db = await createPgDatabase('shared');
  k = knexFor(db.url);
  await createEvents(k);
  // pg_sleep in a materialized one-row CTE: once per statement, whatever plan the filter gets.
  await k.raw(`create view slow_events as with s as materialized (select pg_sleep(${SLEEP_S})) select e.* from events e cross join s`);
  const start = (options?: Record<string, string>) => startGateway({ db: { dialect: 'postgres', url: db.url, options } }, { model: MODEL });
  shared = await start();
  all = await start({ shareStatements: 'all' });
  off = await start({ shareStatements: 'off' });
  countStatements(shared, all, off);
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([shared?.gw.close(), all?.gw.close(), off?.gw.close()]);
  await k?.destroy();
  await db?.drop();
});

const AGGREGATE = '{ eventsAggregate(groupBy: [kind]) { group { kind } count sum { amount } } }';
const LIST = '{ events(orderBy: [{id: ASC}], limit: 5) { id kind amount } }';

async function ask(g: G, query: string) {
  const r = await postGraphQL(g.url, query);
  expect(r.status).toBe(200);
  expect(r.body.errors).toBeUndefined();
  return r.body.data;
}

/** `n` identical requests sent together; their answers and the statements the gateway sent for them. */
async function together(g: G, query: string, n: number) {
  const before = sent.get(g.gw)!;
  const answers = await Promise.all(Array.from({ length: n }, () => ask(g, query)));
  return { answers, statements: sent.get(g.gw)! - before };
}

/** Waits until a statement of the test's database sleeps in pg_sleep: it runs, with its snapshot taken. */
async function sleepingStatement() {
  for (const started = Date.now(); Date.now() - started < 5000; await new Promise((r) => setTimeout(r, 10))) {
    const { rows } = await k.raw("select count(*)::int as n from pg_stat_activity where datname = current_database() and wait_event = 'PgSleep'");
    if (rows[0].n > 0) return;
  }
  throw new Error('no statement of the test database started sleeping within 5 s');
}

/** The database's own answer to AGGREGATE, read directly. */
async function expectedAggregate(kx: Knex = k) {
  const rows = (await kx('events').select('kind').count({ n: '*' }).sum({ s: 'amount' }).groupBy('kind').orderBy('kind')) as unknown as { kind: string; n: string; s: string }[];
  return rows.map((r): Group => ({ group: { kind: r.kind }, count: Number(r.n), sum: { amount: Number(r.s).toFixed(2) } }));
}

/** One group of AGGREGATE's answer. */
interface Group {
  group: { kind: string };
  count: number;
  sum: { amount: string };
}

const byKind = (data: { eventsAggregate: Group[] }) => [...data.eventsAggregate].sort((a, b) => a.group.kind.localeCompare(b.group.kind));

describe('shareStatements: identical statements overlapping in time run once', () => {
  test('eight identical aggregates sent together: two statements (the first, and one for all who arrived while it ran), the database\'s answer for each', async () => {
    const expected = await expectedAggregate();
    const { answers, statements } = await together(shared, AGGREGATE, 8);
    expect(statements).toBe(2);
    for (const a of answers) expect(byKind(a)).toEqual(expected);
    // Without sharing, each request sends its own.
    const separate = await together(off, AGGREGATE, 8);
    expect(separate.statements).toBe(8);
    for (const a of separate.answers) expect(byKind(a)).toEqual(expected);
    // The count reaches /metrics.
    const metrics = await (await fetch(shared.url.replace(/\/graphql$/, '/metrics'))).text();
    expect(metrics).toMatch(/^datagate_source_statements_shared_total\{source="db"\} 6$/m);
  }, 20_000);

  test('lineage says how many requests a shared run answered; a run of its own says nothing', async () => {
    const sharedOf = (r: Awaited<ReturnType<typeof postGraphQL>>) => {
      expect(r.status).toBe(200);
      const entry = (r.body.extensions?.lineage as { path: string; sharedRequests?: number }[]).find((e) => e.path === 'eventsAggregate');
      expect(entry).toBeDefined();
      return entry!.sharedRequests;
    };
    // The first request's run starts as it arrives, alone; the seven that come while it runs share the next.
    const answers = await Promise.all(Array.from({ length: 8 }, () => postGraphQL(shared.url, AGGREGATE)));
    const counts = answers.map(sharedOf);
    expect(counts.filter((c) => c === undefined)).toHaveLength(1);
    expect(counts.filter((c) => c === 7)).toHaveLength(7);
    const separate = await Promise.all(Array.from({ length: 3 }, () => postGraphQL(off.url, AGGREGATE)));
    expect(separate.map(sharedOf)).toEqual([undefined, undefined, undefined]);
  }, 20_000);

  test('a request never gets rows read before it arrived: a row written while an identical aggregate runs is in the later answer', async () => {
    const before = sent.get(shared.gw)!;
    const first = ask(shared, AGGREGATE);
    // The first statement runs in PostgreSQL (its snapshot taken, sleeping): write, then ask again.
    await sleepingStatement();
    await k('events').insert({ id: 1000, kind: 'refund', amount: '1000.00', at: new Date() });
    try {
      const second = await ask(shared, AGGREGATE);
      const refunds = (d: { eventsAggregate: Group[] }) => byKind(d).find((g) => g.group.kind === 'refund')!;
      const early = refunds(await first);
      const late = refunds(second);
      expect(late.count).toBe(early.count + 1);
      expect(Number(late.sum.amount) - Number(early.sum.amount)).toBeCloseTo(1000, 2);
      expect(byKind(second)).toEqual(await expectedAggregate());
      expect(sent.get(shared.gw)! - before).toBe(2);
    } finally {
      await k('events').where({ id: 1000 }).delete();
    }
  }, 20_000);

  test("a connection's totalCount is shared by default, its page is not", async () => {
    const before = sent.get(shared.gw)!;
    const answers = await Promise.all(Array.from({ length: 4 }, () => ask(shared, '{ eventsConnection(first: 2) { totalCount nodes { id } } }')));
    // Four pages (row reads: not shared by default) and two counts (the first, and one for the three that waited).
    expect(sent.get(shared.gw)! - before).toBe(4 + 2);
    for (const a of answers) expect(a.eventsConnection).toEqual({ totalCount: 30, nodes: [{ id: 1 }, { id: 2 }] });
  }, 20_000);

  test('an entity with a retention period shares too: the cut-off is rounded up to the second, the answer keeps only recent rows', async () => {
    // Send just after a second starts, so that the eight requests' times fall in one second.
    await new Promise((r) => setTimeout(r, 1050 - (Date.now() % 1000)));
    const { answers, statements } = await together(shared, '{ recentEventsAggregate { count } }', 8);
    // Exact cut-offs would make eight different statements; one second boundary inside the burst, three.
    expect(statements).toBeGreaterThanOrEqual(2);
    expect(statements).toBeLessThanOrEqual(3);
    for (const a of answers) expect(a.recentEventsAggregate).toEqual([{ count: 20 }]);
  }, 20_000);

  test('different statements do not share: two aggregates with different filters run side by side', async () => {
    const t = Date.now();
    const before = sent.get(shared.gw)!;
    const [sales, refunds] = await Promise.all([
      ask(shared, '{ eventsAggregate(where: {kind: {eq: "sale"}}) { count } }'),
      ask(shared, '{ eventsAggregate(where: {kind: {eq: "refund"}}) { count } }'),
    ]);
    expect(sent.get(shared.gw)! - before).toBe(2);
    // Side by side, not one after the other.
    expect(Date.now() - t).toBeLessThan(2 * SLEEP_S * 1000);
    expect([sales.eventsAggregate[0].count, refunds.eventsAggregate[0].count]).toEqual([20, 10]);
  }, 20_000);

  test('row reads are shared under `all` only; each request gets its own copy of the rows', async () => {
    const expected = (await k('events').select('id', 'kind', 'amount').orderBy('id').limit(5)).map((r) => ({ id: r.id, kind: r.kind, amount: r.amount }));
    const byDefault = await together(shared, LIST, 4);
    expect(byDefault.statements).toBe(4);
    const everything = await together(all, LIST, 4);
    expect(everything.statements).toBe(2);
    for (const a of [...byDefault.answers, ...everything.answers]) expect(a.events).toEqual(expected);
  }, 20_000);

  test('a client that leaves while it waits for the next run does not disturb the requests that share it', async () => {
    const before = sent.get(shared.gw)!;
    const first = ask(shared, AGGREGATE);
    await new Promise((r) => setTimeout(r, 100));
    const gone = new AbortController();
    const leaving = fetch(shared.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: AGGREGATE }), signal: gone.signal });
    const staying = ask(shared, AGGREGATE);
    await new Promise((r) => setTimeout(r, 50));
    gone.abort();
    await expect(leaving).rejects.toThrow();
    const expected = await expectedAggregate();
    expect(byKind(await first)).toEqual(expected);
    expect(byKind(await staying)).toEqual(expected);
    expect(sent.get(shared.gw)! - before).toBe(2);
  }, 20_000);
});

/**
 * The same sharing on MariaDB: sharing lives in the adapter, above the engine, and this holds it to
 * that (a view that sleeps once per statement with SLEEP() in a derived table).
 */
describe('shareStatements on MariaDB', () => {
  let mdb: TestDatabase;
  let mk: Knex;
  let on: G;
  let none: G;

  beforeAll(async () => {
    mdb = await createMysqlDatabase('shared');
    mk = knexFor(mdb.url);
    await createEvents(mk);
    await mk.raw(`create view slow_events as select e.* from events e cross join (select sleep(${SLEEP_S}) as s) x`);
    const start = (options?: Record<string, string>) => startGateway({ db: { dialect: 'mysql', url: mdb.url, options } }, { model: MODEL });
    on = await start();
    none = await start({ shareStatements: 'off' });
    countStatements(on, none);
  }, 60_000);

  afterAll(async () => {
    await Promise.allSettled([on?.gw.close(), none?.gw.close()]);
    await mk?.destroy();
    await mdb?.drop();
  });

  test('eight identical aggregates sent together: two statements by default, eight with off; the database\'s answer for each', async () => {
    const expected = await expectedAggregate(mk);
    for (const [g, n] of [
      [on, 2],
      [none, 8],
    ] as const) {
      const { answers, statements } = await together(g, AGGREGATE, 8);
      expect(statements).toBe(n);
      for (const a of answers) expect(byKind(a)).toEqual(expected);
    }
  }, 20_000);
});
