import type { Gateway } from '../../src/server';
import { setupEngine, type EngineSetup } from '../support/engines';
import { fixtureData, MASKED_REP_POLICIES, startGateway, TEST_IDENTITY } from '../support/fixture';
import { dataWithLineage } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';

/**
 * A relationship's policy condition through its parents is dropped when the parents' own read
 * condition proves it (graph/execute.ts provenByParents), and kept whenever it does not. crm
 * (customers) on PostgreSQL, sales (orders, order lines) on MariaDB: an order is readable when its
 * customer's rep is the caller (a lookup across the two sources); an order line when its order is
 * paid (an EXISTS subquery within sales). Every answer is held to the fixture's data.
 */

const POLICIES: Record<string, string> = {
  ...MASKED_REP_POLICIES,
  // Reads every customer of her region, but only the orders of her own customers.
  'regional.yaml': `
role: regional
rules:
  - { action: read, subject: Customer, fields: [id, region, rep_id], conditions: { region: "\${user.region}" } }
  - { action: read, subject: Order, conditions: { "customer.rep_id": "\${user.employeeId}" } }
`,
  // Within one source (sales): order lines of paid orders. One reads the paid orders only, the other every order.
  'paid_lines.yaml': `
role: paid_lines
rules:
  - { action: read, subject: Order, conditions: { status: paid } }
  - { action: read, subject: OrderLine, conditions: { "order.status": paid } }
`,
  // Every rep; customers with a paid order (in the other source): reps do not prove it.
  'paid_buyers.yaml': `
role: paid_buyers
rules:
  - { action: read, subject: Rep }
  - { action: read, subject: Customer, conditions: { "orders.status": paid } }
  - { action: read, subject: Order }
`,
  'all_orders.yaml': `
role: all_orders
rules:
  - { action: read, subject: Order }
  - { action: read, subject: OrderLine, conditions: { "order.status": paid } }
`,
};

const data = fixtureData();
let engine: EngineSetup;
let gw: Gateway;
let url: string;
let rep: string;
let regional: string;

beforeAll(async () => {
  const a = await setupEngine('postgres', data);
  const b = await setupEngine('mysql', data);
  engine = { sources: { crm: a.sources.crm, sales: b.sources.sales }, cleanup: async () => void (await Promise.allSettled([a.cleanup(), b.cleanup()])) };
  ({ gw, url } = await startGateway(engine.sources, { policies: POLICIES, extraConfig: TEST_IDENTITY }));
  rep = await mintToken({ sub: 'ana', roles: ['rep'], employee_id: 2 });
  // EU's customers are rep 1's, or have no rep (fixtureData).
  regional = await mintToken({ sub: 'rui', roles: ['regional'], employee_id: 1, region: 'EU' });
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await engine?.cleanup();
});

const ask = (token: string, query: string) => dataWithLineage(url, query, undefined, bearer(token));

const ordersOf = (customerId: number) => data.orders.filter((o) => o.customer_id === customerId).map((o) => o.id);
type Got = { id: number; orders: { id: number }[] };

test("customers read under \"rep is me\" prove their orders' \"customer's rep is me\": no lookup, the same orders", async () => {
  const { data: d, lineage } = await ask(rep, '{ customers(limit: 200, orderBy: [{id: ASC}]) { id rep_id orders(orderBy: [{id: ASC}]) { id } } }');
  const mine = data.customers.filter((c) => c.rep_id === 2);
  expect(d.customers.map((c: Got) => c.id)).toEqual(mine.map((c) => c.id));
  for (const c of d.customers as Got[]) expect(c.orders.map((o) => o.id)).toEqual(ordersOf(c.id));
  expect(mine.some((c) => ordersOf(c.id).length > 0)).toBe(true);
  expect(lineage.filter((l) => l.kind === 'lookup')).toEqual([]);
  // An alias is its own path, proven the same way.
  const aliased = await ask(rep, '{ mine: customers(limit: 5, orderBy: [{id: ASC}]) { id theirOrders: orders { id } } }');
  expect(aliased.lineage.filter((l) => l.kind === 'lookup')).toEqual([]);
  for (const c of aliased.data.mine as { id: number; theirOrders: { id: number }[] }[]) expect(c.theirOrders.map((o) => o.id).sort((x, y) => x - y)).toEqual(ordersOf(c.id));
});

test('orders read at the root have no parents: the lookup runs', async () => {
  const { data: d, lineage } = await ask(rep, '{ orders(limit: 1000, orderBy: [{id: ASC}]) { id } }');
  const expected = data.orders.filter((o) => data.customers.find((c) => c.id === o.customer_id)?.rep_id === 2).map((o) => o.id);
  expect(d.orders.map((o: { id: number }) => o.id)).toEqual(expected);
  expect(lineage.filter((l) => l.kind === 'lookup')).toHaveLength(1);
});

test("parents read under another condition (\"my region\") prove nothing: the lookup runs and keeps other reps' orders out", async () => {
  const { data: d, lineage } = await ask(regional, '{ customers(limit: 200, orderBy: [{id: ASC}]) { id rep_id orders(orderBy: [{id: ASC}]) { id } } }');
  const eu = data.customers.filter((c) => c.region === 'EU');
  expect(d.customers.map((c: Got) => c.id)).toEqual(eu.map((c) => c.id));
  // The fixture has EU customers without rep 1 that have orders: the case that must come back empty.
  expect(eu.some((c) => c.rep_id !== 1 && ordersOf(c.id).length > 0)).toBe(true);
  expect(eu.some((c) => c.rep_id === 1 && ordersOf(c.id).length > 0)).toBe(true);
  for (const c of d.customers as Got[]) expect(c.orders.map((o) => o.id)).toEqual(eu.find((e) => e.id === c.id)!.rep_id === 1 ? ordersOf(c.id) : []);
  expect(lineage.filter((l) => l.kind === 'lookup')).toHaveLength(1);
});

test("the caller's own filter can prove it too; a filter that does not leaves the lookup in place", async () => {
  const { data: d, lineage } = await ask(regional, '{ customers(limit: 200, orderBy: [{id: ASC}], where: {rep_id: {eq: 1}}) { id orders(orderBy: [{id: ASC}]) { id } } }');
  const expected = data.customers.filter((c) => c.region === 'EU' && c.rep_id === 1);
  expect(expected.length).toBeGreaterThan(0);
  expect(d.customers.map((c: Got) => c.id)).toEqual(expected.map((c) => c.id));
  for (const c of d.customers as Got[]) expect(c.orders.map((o) => o.id)).toEqual(ordersOf(c.id));
  expect(lineage.filter((l) => l.kind === 'lookup')).toEqual([]);
  // "id < 60" says nothing about the rep: the lookup runs, and customers without rep 1 get no orders.
  const other = await ask(regional, '{ customers(limit: 200, orderBy: [{id: ASC}], where: {id: {lt: 60}}) { id orders(orderBy: [{id: ASC}]) { id } } }');
  const eu = data.customers.filter((c) => c.region === 'EU' && c.id < 60);
  expect(other.data.customers.map((c: Got) => c.id)).toEqual(eu.map((c) => c.id));
  for (const c of other.data.customers as Got[]) expect(c.orders.map((o) => o.id)).toEqual(eu.find((e) => e.id === c.id)!.rep_id === 1 ? ordersOf(c.id) : []);
  expect(other.lineage.filter((l) => l.kind === 'lookup')).toHaveLength(1);
});

describe('within one source', () => {
  /** The answer, and the SQL text of the statements sent to sales. */
  async function withSales(token: string, query: string) {
    const texts: string[] = [];
    const sales = gw.runtime.sources.get('sales')!;
    const fn = (e: { sql: string }) => void texts.push(e.sql);
    sales.knex.on('query', fn);
    try {
      return { ...(await ask(token, query)), texts };
    } finally {
      sales.knex.removeListener('query', fn);
    }
  }
  const q = '{ orders(limit: 1000, orderBy: [{id: ASC}]) { id status lines(orderBy: [{id: ASC}]) { id } } }';
  const linesOf = (orderId: number) => data.lines.filter((l) => l.order_id === orderId).map((l) => l.id);

  test('lines of orders read under "paid" need no EXISTS: the same lines', async () => {
    const token = await mintToken({ sub: 'pia', roles: ['paid_lines'] });
    const { data: d, texts } = await withSales(token, q);
    const paid = data.orders.filter((o) => o.status === 'paid');
    expect(d.orders.map((o: { id: number }) => o.id)).toEqual(paid.map((o) => o.id));
    for (const o of d.orders as { id: number; lines: { id: number }[] }[]) expect(o.lines.map((l) => l.id)).toEqual(linesOf(o.id));
    expect(texts).toHaveLength(2);
    expect(texts[1]).toMatch(/order_lines/);
    expect(texts[1]).not.toMatch(/exists/i);
  });

  test('lines of orders read under no condition keep their EXISTS, and only paid orders have lines', async () => {
    const token = await mintToken({ sub: 'ada', roles: ['all_orders'] });
    const { data: d, texts } = await withSales(token, q);
    expect(d.orders.map((o: { id: number }) => o.id)).toEqual(data.orders.map((o) => o.id));
    expect(data.orders.some((o) => o.status !== 'paid' && linesOf(o.id).length > 0)).toBe(true);
    for (const o of d.orders as { id: number; status: string; lines: { id: number }[] }[]) expect(o.lines.map((l) => l.id)).toEqual(o.status === 'paid' ? linesOf(o.id) : []);
    expect(texts).toHaveLength(2);
    expect(texts[1]).toMatch(/exists/i);
  });
});

test('a same-source relationship whose policy needs a lookup in another source keeps its own statement (it is not read in its parents\' statement)', async () => {
  // Reps and customers are both in crm (PostgreSQL, which reads relationships inside their parents'
  // statement), but "has a paid order" asks sales (MariaDB) first: the customers cannot be a subquery
  // of the reps' statement, and the gateway loads them as before, after the lookup.
  const token = await mintToken({ sub: 'pat', roles: ['paid_buyers'] });
  const { data: d, lineage } = await ask(token, '{ reps(orderBy: [{id: ASC}]) { id customers(orderBy: [{id: ASC}], limit: 200) { id } } }');
  const paid = new Set(data.orders.filter((o) => o.status === 'paid').map((o) => o.customer_id));
  expect(d.reps.map((r: { id: number }) => r.id)).toEqual(data.reps.map((r) => r.id));
  for (const r of d.reps as { id: number; customers: { id: number }[] }[])
    expect(r.customers.map((c) => c.id)).toEqual(data.customers.filter((c) => c.rep_id === r.id && paid.has(c.id)).map((c) => c.id));
  expect(paid.size).toBeGreaterThan(0);
  const customers = lineage.find((l) => l.path === 'reps.customers' && l.kind === 'select')!;
  expect(customers).toMatchObject({ statements: 1 });
  expect(customers.readWith).toBeUndefined();
  expect(lineage.some((l) => l.path === 'reps.customers' && l.kind === 'lookup')).toBe(true);
});
