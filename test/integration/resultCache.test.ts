import type { Knex } from 'knex';
import type { Gateway } from '../../src/server';
import { listAuditRecords } from '../../src/store';
import { knexFor } from '../support/databases';
import { setupEngine, type EngineSetup } from '../support/engines';
import { ADMIN_POLICY, FIXTURE_MODEL, MASKED_REP_POLICIES, startGateway, TEST_IDENTITY } from '../support/fixture';
import { dataWithLineage, postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';

/**
 * `@cached` (src/server/plugins/cache.ts, src/sources/ResultCache.ts) on real servers: crm on
 * PostgreSQL, sales on MariaDB. The tests change rows behind the gateway's back, so an answer that
 * still shows the old value came from the cache, and one that shows the new value did not.
 */

const POLICIES: Record<string, string> = {
  ...MASKED_REP_POLICIES,
  ...ADMIN_POLICY,
  // Every customer row, the email masked: the same statement as the admin's, other values in the answer.
  'analyst.yaml': `
role: analyst
rules:
  - { action: read, subject: Customer, fields: [id, email, region] }
masks:
  Customer.email: email
`,
};

// Rep may never be answered from the cache; Order has a retention period (its cut-off is a bound value).
const MODEL = {
  'crm.yaml': FIXTURE_MODEL['crm.yaml'].replace('Rep:\n  source: crm\n  table: reps\n  key: id\n', 'Rep:\n  source: crm\n  table: reps\n  key: id\n  cache: { maxTtl: 0 }\n'),
  'sales.yaml': FIXTURE_MODEL['sales.yaml'].replace('Order:\n  source: sales\n  table: orders\n  key: id\n', 'Order:\n  source: sales\n  table: orders\n  key: id\n  retention: { column: created_at, keep: 36500d }\n'),
};

let engine: EngineSetup;
let crm: Knex;
let gw: Gateway;
let url: string;
let off: { gw: Gateway; url: string };
const tokens: Record<string, string> = {};

beforeAll(async () => {
  const a = await setupEngine('postgres');
  const b = await setupEngine('mysql');
  engine = { sources: { crm: a.sources.crm, sales: b.sources.sales }, cleanup: async () => void (await Promise.allSettled([a.cleanup(), b.cleanup()])) };
  crm = knexFor(a.sources.crm.url!);
  expect(MODEL['crm.yaml']).toContain('cache: { maxTtl: 0 }');
  expect(MODEL['sales.yaml']).toContain('retention:');
  ({ gw, url } = await startGateway(engine.sources, { policies: POLICIES, model: MODEL, extraConfig: `${TEST_IDENTITY}\ncache: { maxTtl: 3s }` }));
  off = await startGateway(engine.sources, { policies: POLICIES, model: MODEL, extraConfig: `${TEST_IDENTITY}\ncache: { maxBytes: 0 }` });
  tokens.admin = await mintToken({ sub: 'erin', roles: ['admin'] });
  tokens.analyst = await mintToken({ sub: 'ivy', roles: ['analyst'] });
  tokens.rep = await mintToken({ sub: 'ana', roles: ['rep'], employee_id: 2 });
}, 60_000);

afterAll(async () => {
  await Promise.allSettled([gw?.close(), off?.gw.close()]);
  await crm?.destroy();
  await engine?.cleanup();
});

const ask = (as: string, query: string, variables?: Record<string, unknown>, at = url) => dataWithLineage(at, query, variables, bearer(tokens[as]));

const setName = (id: number, name: string) => crm('customers').where({ id }).update({ name });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function cacheCounts(): Promise<{ hits: number; misses: number }> {
  const text = await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text();
  const read = (name: string) => {
    const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
    if (!m) throw new Error(`${name} is missing from /metrics`);
    return Number(m[1]);
  };
  return { hits: read('datagate_result_cache_hits_total'), misses: read('datagate_result_cache_misses_total') };
}

describe('@cached', () => {
  test('answers from the cache within its ttl, says so in lineage, and refresh reads again', async () => {
    await setName(1, 'first name');
    const q = 'query One @cached(ttl: 30) { customer(id: 1) { id name } }';
    const first = await ask('admin', q);
    expect(first.data.customer).toEqual({ id: 1, name: 'first name' });
    expect(first.lineage.find((l) => l.path === 'customer')?.cachedAgeSeconds).toBeUndefined();

    await setName(1, 'second name');
    const second = await ask('admin', q);
    expect(second.data.customer.name).toBe('first name');
    expect(second.lineage.find((l) => l.path === 'customer')?.cachedAgeSeconds).toBeGreaterThanOrEqual(0);
    // Without the directive the same query reads the source.
    expect((await ask('admin', '{ customer(id: 1) { id name } }')).data.customer.name).toBe('second name');
    // refresh: reads and replaces what is kept, for the next cached reader too.
    expect((await ask('admin', 'query One @cached(ttl: 30, refresh: true) { customer(id: 1) { id name } }')).data.customer.name).toBe('second name');
    expect((await ask('admin', q)).data.customer.name).toBe('second name');
  });

  test('the ttl is the reader\'s, variables may set it, and the deployment\'s maxTtl caps it', async () => {
    await setName(2, 'v1');
    const q = 'query Two($ttl: Int) @cached(ttl: $ttl) { customer(id: 2) { name } }';
    await ask('admin', q, { ttl: 60 });
    await setName(2, 'v2');
    expect((await ask('admin', q, { ttl: 60 })).data.customer.name).toBe('v1');
    await sleep(1_100);
    // Kept over a second ago: too old for a reader that allows one second.
    expect((await ask('admin', q, { ttl: 1 })).data.customer.name).toBe('v2');
    await setName(2, 'v3');
    expect((await ask('admin', q, { ttl: 3600 })).data.customer.name).toBe('v2');
    await sleep(3_100);
    // cache.maxTtl is 3s: an hour is cut to it.
    expect((await ask('admin', q, { ttl: 3600 })).data.customer.name).toBe('v3');
  });

  test('a role that masks gets its masks on rows another role cached in clear, from the same statement', async () => {
    const q = 'query Emails @cached(ttl: 60) { customers(limit: 20, orderBy: [{id: ASC}]) { id email } }';
    const clear = await ask('admin', q);
    expect(clear.data.customers[0].email).toBe('c1@example.com');
    const before = await cacheCounts();
    const masked = await ask('analyst', q);
    const after = await cacheCounts();
    // The analyst's statement is the admin's (no row condition, masks are applied after): it was served from the cache.
    expect(after.hits).toBe(before.hits + 1);
    expect(masked.data.customers.map((c: { id: number }) => c.id)).toEqual(clear.data.customers.map((c: { id: number }) => c.id));
    for (const c of masked.data.customers as { email: string | null }[]) if (c.email !== null) expect(c.email).toMatch(/^c\*\*\*@example\.com$/);
    // And the other way round: the admin still reads clear values after the analyst.
    const q2 = 'query Emails2 @cached(ttl: 60) { customers(limit: 10, orderBy: [{id: DESC}]) { id email } }';
    const maskedFirst = await ask('analyst', q2);
    expect(maskedFirst.data.customers[0].email).toMatch(/\*\*\*/);
    const clearAfter = await ask('admin', q2);
    for (const c of clearAfter.data.customers as { id: number; email: string | null }[]) if (c.email !== null) expect(c.email).toBe(`c${c.id}@example.com`);
  });

  test('row conditions are part of the key: a rep never gets rows another role cached', async () => {
    const q = 'query Mine @cached(ttl: 60) { customers(limit: 200, orderBy: [{id: ASC}]) { id rep_id } }';
    const all = await ask('admin', q);
    expect(new Set(all.data.customers.map((c: { rep_id: number | null }) => c.rep_id)).size).toBeGreaterThan(2);
    const mine = await ask('rep', q);
    expect(mine.data.customers.length).toBeGreaterThan(0);
    for (const c of mine.data.customers) expect(c.rep_id).toBe(2);
    // Exactly what she reads without the cache.
    expect(mine.data).toEqual((await ask('rep', q.replace(' @cached(ttl: 60)', ''))).data);
  });

  test('a cross-source policy lookup runs every time: a customer moved away takes its orders out of her cached answer', async () => {
    const q = 'query MyOrders @cached(ttl: 60) { orders(limit: 500, orderBy: [{id: ASC}]) { id customer_id } }';
    const mine = await ask('rep', q);
    const moved = 21; // rep_id (21 % 4) + 1 = 2, and 21 % 5 = 1 order
    expect(mine.data.orders.some((o: { customer_id: number }) => o.customer_id === moved)).toBe(true);
    expect(mine.lineage.some((l) => l.kind === 'lookup')).toBe(true);
    await crm('customers').where({ id: moved }).update({ rep_id: 3 });
    try {
      const after = await ask('rep', q);
      expect(after.data.orders.some((o: { customer_id: number }) => o.customer_id === moved)).toBe(false);
      expect(after.data.orders.length).toBeLessThan(mine.data.orders.length);
      for (const l of after.lineage) if (l.kind === 'lookup') expect(l.cachedAgeSeconds).toBeUndefined();
    } finally {
      await crm('customers').where({ id: moved }).update({ rep_id: 2 });
    }
  });

  test('an entity whose model says cache.maxTtl 0 is always read from its source', async () => {
    await crm('reps').where({ id: 1 }).update({ name: 'Ana' });
    const q = 'query Reps @cached(ttl: 60) { rep(id: 1) { name } }';
    expect((await ask('admin', q)).data.rep.name).toBe('Ana');
    await crm('reps').where({ id: 1 }).update({ name: 'Ana B.' });
    const r = await ask('admin', q);
    expect(r.data.rep.name).toBe('Ana B.');
    expect(r.lineage.find((l) => l.path === 'rep')?.cachedAgeSeconds).toBeUndefined();
  });

  test('an entity with a retention period is still cached (its cut-off is rounded up to the minute)', async () => {
    const q = 'query Totals @cached(ttl: 60) { ordersAggregate(groupBy: [status]) { group { status } count } }';
    const first = await ask('admin', q);
    const before = await cacheCounts();
    const second = await ask('admin', q);
    const after = await cacheCounts();
    expect(second.data).toEqual(first.data);
    // The cut-off moves with the clock; rounded up to the minute, the two statements share their key
    // (unless the minute turned in between: then the second one ran).
    expect(after.hits + after.misses).toBe(before.hits + before.misses + 1);
    if (after.hits === before.hits + 1) expect(second.lineage.find((l) => l.kind === 'aggregate')?.cachedAgeSeconds).toBeGreaterThanOrEqual(0);
  });

  test('every cached read is audited like any other', async () => {
    const q = 'query AuditedCache @cached(ttl: 60) { customer(id: 3) { id } }';
    for (let i = 0; i < 3; i++) await ask('admin', q);
    await gw.governance.audit.flush();
    const { records } = await listAuditRecords(gw.governance.store, { operationName: 'AuditedCache', first: 100 });
    expect(records).toHaveLength(3);
    for (const r of records) expect(r).toMatchObject({ userId: 'erin', outcome: 'ok', entities: ['Customer'] });
  });

  test('ttl below 1 is refused before anything runs; the directive goes on queries only', async () => {
    const zero = await postGraphQL(url, 'query Z @cached(ttl: 0) { customer(id: 1) { id } }', undefined, bearer(tokens.admin));
    expect(zero.status).toBe(400);
    expect(zero.body.errors?.[0]).toMatchObject({ message: '@cached(ttl: 0): ttl is in seconds and must be at least 1', extensions: { code: 'BAD_USER_INPUT' } });
    expect(zero.body.data).toBeUndefined();
    const onField = await postGraphQL(url, '{ customer(id: 1) @cached { id } }', undefined, bearer(tokens.admin));
    expect(onField.status).toBe(400);
    expect(onField.body.errors?.[0]?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    expect(onField.body.errors?.[0]?.message).toMatch(/@cached.*may not be used on FIELD/);
  });

  test('with the cache off (cache.maxBytes 0) the directive is accepted and every statement runs', async () => {
    const q = 'query Off @cached(ttl: 60) { customer(id: 4) { name } }';
    await setName(4, 'off 1');
    expect((await ask('admin', q, undefined, off.url)).data.customer.name).toBe('off 1');
    await setName(4, 'off 2');
    expect((await ask('admin', q, undefined, off.url)).data.customer.name).toBe('off 2');
  });
});
