import type { Gateway } from '../../src/server';
import { createMysqlDatabase, createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { createCrm, createSales, OPEN_POLICIES, startGateway, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';

/**
 * Data quality over HTTP, crm on PostgreSQL and sales on MariaDB, with the fixture's data:
 * Customer fails a check (120 rows, at most 10 allowed), Order is stale (its orders are from 2025,
 * freshness allows 1d), Rep and Product pass.
 */
const MODEL = {
  'crm.yaml': `
Customer:
  source: crm
  table: customers
  key: id
  owner: { team: crm-team, roles: [crm_owner] }
  fields:
    id: { type: Int }
    name: { type: String }
    region: { type: String }
    rep_id: { type: Int }
  relationships:
    rep: { entity: Rep, on: { rep_id: id } }
    orders: { entity: Order, many: true, on: { id: customer_id } }
  checks:
    - { rowCount: { min: 1, max: 10 } }
    - { accepted: region, values: [EU, NA, APAC, LATAM] }
Rep:
  source: crm
  table: reps
  key: id
  fields:
    id: { type: Int }
    name: { type: String }
  checks:
    - { unique: name }
`,
  'sales.yaml': `
Order:
  source: sales
  table: orders
  key: id
  fields:
    id: { type: Int }
    customer_id: { type: Int }
    status: { type: String }
    created_at: { type: DateTime }
  relationships:
    customer: { entity: Customer, on: { customer_id: id } }
  checks:
    - { freshness: created_at, maxAge: 1d }
    - { accepted: status, values: [pending, paid, shipped, cancelled] }
    - { references: customer_id, entity: Customer, field: id }
Product:
  source: sales
  table: products
  key: id
  fields:
    id: { type: Int }
    price: { type: Decimal, scale: 2 }
  checks:
    - { range: price, min: 0 }
`,
};

const POLICIES = {
  ...OPEN_POLICIES,
  'rep_reader.yaml': `
role: rep_reader
description: Reads reps only.
rules:
  - { action: read, subject: Rep }
`,
  'crm_owner.yaml': `
role: crm_owner
description: Owns the crm entities.
rules:
  - { action: read, subject: [Customer, Rep] }
`,
};

let crm: TestDatabase;
let sales: TestDatabase;
let gw: Gateway;
let url: string;

beforeAll(async () => {
  crm = await createPgDatabase('qhttp');
  sales = await createMysqlDatabase('qhttp');
  for (const [db, create] of [[crm, createCrm], [sales, createSales]] as const) {
    const k = knexFor(db.url);
    try {
      await create(k);
    } finally {
      await k.destroy();
    }
  }
  ({ gw, url } = await startGateway(
    { crm: { dialect: 'postgres', url: crm.url }, sales: { dialect: 'mysql', url: sales.url } },
    { model: MODEL, policies: POLICIES, extraConfig: `${TEST_IDENTITY}\nquality: { schedule: 1h, runAtStart: true }` },
  ));
  // runAtStart: the first run goes in the background right after start.
  const end = Date.now() + 20_000;
  while (['Customer', 'Rep', 'Order', 'Product'].some((e) => gw.governance.quality.statusOf(e).status === 'unknown')) {
    if (Date.now() > end) throw new Error('the first scheduled quality run did not finish within 20 s');
    await new Promise((r) => setTimeout(r, 50));
  }
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await Promise.allSettled([crm?.drop(), sales?.drop()]);
});

const as = async (roles: string[] | null, query: string) => postGraphQL(url, query, undefined, roles ? bearer(await mintToken({ sub: `u-${roles.join('-')}`, roles })) : {});

test('/metrics shows a gauge per check, its measure, the last run and entity freshness', async () => {
  const res = await fetch(url.replace('/graphql', '/metrics'));
  expect(res.status).toBe(200);
  const text = await res.text();
  expect(text).toContain('datagate_quality_check_passed{entity="Customer",check="rowCount"} 0');
  expect(text).toContain('datagate_quality_check_observed{entity="Customer",check="rowCount"} 120');
  expect(text).toContain('datagate_quality_check_passed{entity="Rep",check="unique(name)"} 1');
  expect(text).toContain('datagate_quality_check_passed{entity="Order",check="references(customer_id → Customer.id)"} 1');
  expect(text).toContain('datagate_quality_check_passed{entity="Order",check="freshness(created_at)"} 0');
  expect(text).toContain('datagate_entity_fresh{entity="Order"} 0');
  expect(text).toContain('datagate_entity_fresh{entity="Customer"} 1');
  expect(text).toMatch(/^datagate_quality_last_run_timestamp_seconds \d{10}(\.\d+)?$/m);
  expect(text).toMatch(/^datagate_quality_run_duration_seconds_count 1$/m);
  // Every check label is one the model declares: no value read from a row.
  const labels = [...text.matchAll(/^datagate_quality_check_passed\{entity="(\w+)",check="([^"]+)"\}/gm)].map((m) => `${m[1]}.${m[2]}`).sort();
  expect(labels).toEqual(
    ['Customer.rowCount', 'Customer.accepted(region)', 'Rep.unique(name)', 'Order.freshness(created_at)', 'Order.accepted(status)', 'Order.references(customer_id → Customer.id)', 'Product.range(price)'].sort(),
  );
});

test('a response reading a failing entity says so in extensions.quality', async () => {
  const r = await as(null, '{ customers(limit: 2) { id name } }');
  expect(r.body.errors).toBeUndefined();
  expect(r.body.extensions.quality).toEqual([
    { entity: 'Customer', status: 'fail', checkedAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), failing: [{ check: 'rowCount', observed: '120', error: false }] },
  ]);
});

test('the catalog shows each entity’s latest verdict: failing checks, staleness, freshness', async () => {
  const r = await as(null, '{ catalog { name quality { status stale maxAge newest checkedAt failing { check observed error } } } }');
  expect(r.body.errors).toBeUndefined();
  const q = Object.fromEntries(r.body.data.catalog.map((e: { name: string; quality: unknown }) => [e.name, e.quality]));
  expect(q.Customer).toMatchObject({ status: 'fail', stale: false, failing: [{ check: 'rowCount', observed: '120', error: false }] });
  expect(q.Order).toMatchObject({ stale: true, maxAge: expect.any(String), failing: [{ check: 'freshness(created_at)', error: false }] });
  expect(Date.parse(q.Order.newest)).toBeLessThan(Date.now());
  expect(q.Rep).toMatchObject({ failing: [] });
  expect(q.Rep.status).not.toBe('fail');
});

test('a response reading only passing entities carries no quality note', async () => {
  const r = await as(null, '{ reps { id name } products(limit: 3) { id price } }');
  expect(r.body.errors).toBeUndefined();
  expect(r.body.data.reps).toHaveLength(4);
  expect(r.body.extensions?.quality).toBeUndefined();
});

test('stale data shows as stale; one entry per failing entity read, none for the passing ones', async () => {
  const r = await as(null, '{ orders(limit: 2, orderBy: [{id: ASC}]) { id customer { id rep { id } } } }');
  expect(r.body.errors).toBeUndefined();
  const notes = r.body.extensions.quality as { entity: string; status: string; failing: { check: string; observed: string; error: boolean }[] }[];
  expect(notes.map((n) => [n.entity, n.status]).sort()).toEqual([['Customer', 'fail'], ['Order', 'stale']]);
  const order = notes.find((n) => n.entity === 'Order')!;
  expect(order.failing).toEqual([{ check: 'freshness(created_at)', observed: expect.stringMatching(/^age \d+d/), error: false }]);
});

test('quality and qualityHistory, for the entities the caller may read', async () => {
  const all = await as(null, '{ quality { entity status stale failing { check } freshness { field ok newest } checks { check passed observed } } }');
  expect(all.body.errors).toBeUndefined();
  const byEntity = Object.fromEntries(all.body.data.quality.map((q: { entity: string }) => [q.entity, q]));
  expect(Object.keys(byEntity).sort()).toEqual(['Customer', 'Order', 'Product', 'Rep']);
  expect(byEntity.Customer).toMatchObject({ status: 'fail', stale: false, failing: [{ check: 'rowCount' }], freshness: null });
  expect(byEntity.Customer.checks).toEqual([
    { check: 'rowCount', passed: false, observed: 120 },
    { check: 'accepted(region)', passed: true, observed: 0 },
  ]);
  expect(byEntity.Order).toMatchObject({ status: 'fail', stale: true, freshness: { field: 'created_at', ok: false } });
  expect(byEntity.Order.freshness.newest).toMatch(/^2025-/);

  const reps = await as(['rep_reader'], '{ quality { entity status } }');
  expect(reps.body.data.quality).toEqual([{ entity: 'Rep', status: 'pass' }]);
  const named = await as(['rep_reader'], '{ quality(entity: "Customer") { entity } }');
  expect(named.body.data.quality).toEqual([]);

  const history = await as(null, '{ qualityHistory(entity: "Customer", check: "rowCount", limit: 5) { entity check kind passed observed observedText error at } }');
  expect(history.body.errors).toBeUndefined();
  expect(history.body.data.qualityHistory).toEqual([
    { entity: 'Customer', check: 'rowCount', kind: 'rowCount', passed: false, observed: 120, observedText: '120', error: null, at: expect.any(String) },
  ]);
  for (const entity of ['Customer', 'NoSuchEntity']) {
    const hidden = await as(['rep_reader'], `{ qualityHistory(entity: "${entity}") { check } }`);
    expect(hidden.body.data).toBeNull();
    expect(hidden.body.errors![0].extensions!.code).toBe('FORBIDDEN');
    expect(hidden.body.errors![0].message).toBe(`no entity "${entity}" that you may read`);
  }
});

test('runQualityChecks: an owner runs an entity’s checks now, recorded in the history; others may not', async () => {
  const refused = await as(['rep_reader'], 'mutation { runQualityChecks(entity: "Rep") { check } }');
  expect(refused.body.errors![0].extensions!.code).toBe('FORBIDDEN');
  const before = (await gw.governance.quality.history('Customer', 50)).length;
  const k = knexFor(crm.url);
  try {
    await k('customers').where('id', '>', 10).del();
    const ran = await as(['crm_owner'], 'mutation { runQualityChecks(entity: "Customer") { check passed observed } }');
    expect(ran.body.errors).toBeUndefined();
    expect(ran.body.data.runQualityChecks).toEqual([
      { check: 'rowCount', passed: true, observed: 10 },
      { check: 'accepted(region)', passed: true, observed: 0 },
    ]);
    expect((await gw.governance.quality.history('Customer', 50)).length).toBe(before + 2);
    const r = await as(null, '{ customers(limit: 1) { id } }');
    expect(r.body.extensions?.quality).toBeUndefined();
  } finally {
    await k.destroy();
  }
});
