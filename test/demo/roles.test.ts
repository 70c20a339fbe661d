import path from 'node:path';
import { createDemoDataset, seedDemoSource, type DemoRow, type DemoSource } from '../../src/demo';
import { createGateway, type Gateway } from '../../src/server';
import { postGraphQL } from '../support/gql';
import { bearer, demoToken } from '../support/tokens';

/**
 * The demo's five users, as README.md describes them, against the demo's own policies and data:
 * the expectations come from the data generator (the same rows the embedded sources hold).
 */
const SCALE = 0.25;
const dataset = createDemoDataset({ scale: SCALE });
const rows = (t: Parameters<typeof dataset.rows>[0]) => [...dataset.rows(t)] as DemoRow[];
const customers = rows('customers');
const consents = rows('consents');
const products = rows('products');

let gw: Gateway;
let url: string;
const tokens: Record<string, string> = {};
beforeAll(async () => {
  gw = await createGateway({
    configFile: path.join(__dirname, '../../datagate.yaml'),
    // A metadata store of its own: grants made by hand in the demo's file must not leak into the test.
    env: { DATAGATE_META_URL: ':memory:' },
    log: () => {},
    prepareSources: async (sources) => {
      for (const s of sources.values()) await seedDemoSource(s.knex, s.name as DemoSource, { scale: SCALE });
    },
  });
  url = await gw.listen(0, '127.0.0.1');
  for (const u of ['alice', 'bob', 'carol', 'dave', 'erin']) tokens[u] = await demoToken(u);
}, 120_000);
afterAll(async () => gw?.close());

async function as(user: string | null, query: string) {
  const r = await postGraphQL(url, query, undefined, user ? bearer(tokens[user]) : {});
  return r.body;
}

test('anonymous: the products on sale, nothing else', async () => {
  const b = await as(null, '{ me { id roles } products(limit: 1000) { id name } }');
  expect(b.errors).toBeUndefined();
  expect(b.data.me).toEqual({ id: null, roles: ['anonymous'] });
  expect(b.data.products.map((p: { id: number }) => p.id)).toEqual(products.filter((p) => p.active).map((p) => p.id));
  const c = await as(null, '{ customers { id } }');
  expect(c.errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
});

test('alice: her own customers only, email and phone masked, their orders across sources', async () => {
  const b = await as('alice', '{ customers(limit: 500, orderBy: [{id: ASC}]) { id rep_id email phone orders(limit: 3) { customer_id } } ordersAggregate { count } }');
  expect(b.errors).toBeUndefined();
  const mine = customers.filter((c) => c.rep_id === 1);
  expect(b.data.customers.map((c: { id: number }) => c.id)).toEqual(mine.map((c) => c.id));
  for (const c of b.data.customers) {
    const src = mine.find((m) => m.id === c.id)!;
    expect(c.rep_id).toBe(1);
    if (src.email === null) expect(c.email).toBeNull();
    else expect(c.email).toBe(`${String(src.email)[0]}***${String(src.email).slice(String(src.email).indexOf('@'))}`);
    if (src.phone !== null) expect(c.phone).toBe(`***${String(src.phone).slice(-4)}`);
    for (const o of c.orders) expect(o.customer_id).toBe(c.id);
  }
  const orders = rows('orders').filter((o) => mine.some((c) => c.id === o.customer_id));
  expect(b.data.ordersAggregate[0].count).toBe(orders.length);
});

test('bob: a customer email is in clear exactly where the customer consented to email', async () => {
  const b = await as('bob', '{ customers(limit: 1000, orderBy: [{id: ASC}]) { id email } }');
  expect(b.errors).toBeUndefined();
  const consented = new Set(consents.filter((c) => c.channel === 'email' && c.granted === true).map((c) => c.customer_id));
  expect(b.data.customers).toHaveLength(Math.min(1000, customers.length));
  let clear = 0;
  for (const c of b.data.customers) {
    const src = customers.find((m) => m.id === c.id)!;
    if (src.email === null) expect(c.email).toBeNull();
    else if (consented.has(c.id)) {
      expect(c.email).toBe(src.email);
      clear++;
    } else expect(c.email).toMatch(/^.\*\*\*@/);
  }
  expect(clear).toBeGreaterThan(0);
  // No phone, no account manager in bob's schema; order totals but no single order.
  expect((await as('bob', '{ customers { phone } }')).errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  expect((await as('bob', '{ orders { id } }')).errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
  const agg = await as('bob', '{ ordersAggregate { count } }');
  expect(agg.data.ordersAggregate[0].count).toBe(rows('orders').length);
});

test('carol: customers pseudonymous (hashed email joins: equal values, equal hashes), no names', async () => {
  const b = await as('carol', '{ customers(limit: 50, orderBy: [{id: ASC}]) { id email } }');
  expect(b.errors).toBeUndefined();
  for (const c of b.data.customers) if (c.email !== null) expect(c.email).toMatch(/^h_[0-9a-f]{20}$/);
  const again = await as('carol', '{ customers(limit: 50, orderBy: [{id: ASC}]) { email } }');
  expect(again.data.customers.map((c: { email: string }) => c.email)).toEqual(b.data.customers.map((c: { email: string }) => c.email));
  expect((await as('carol', '{ customers { name } }')).errors![0].extensions!.code).toBe('GRAPHQL_VALIDATION_FAILED');
});

test('dave: everything readable, personal data redacted, at most 100 rows per list', async () => {
  const b = await as('dave', '{ customers(limit: 100) { name email phone } salesReps(limit: 5) { email } }');
  expect(b.errors).toBeUndefined();
  for (const c of b.data.customers) {
    expect(c.name).toMatch(/^h_[0-9a-f]{20}$/);
    if (c.email !== null) expect(c.email).toBe('***');
  }
  const over = await as('dave', '{ customers(limit: 101) { id } }');
  expect(over.errors![0].extensions!.code).toBe('LIMIT_EXCEEDED');
});

test('erin: everything in clear', async () => {
  const b = await as('erin', '{ customersConnection(first: 1) { totalCount } customers(limit: 3, orderBy: [{id: ASC}]) { id email } }');
  expect(b.data.customersConnection.totalCount).toBe(customers.length);
  expect(b.data.customers.map((c: { email: string }) => c.email)).toEqual(customers.slice(0, 3).map((c) => c.email));
});
