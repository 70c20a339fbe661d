import { setupEngine, type EngineSetup } from '../support/engines';
import { fixtureData, startGateway, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';
import type { Gateway } from '../../src/server';

/**
 * A policy condition that crosses sources: orders (source sales) of customers (source crm) whose
 * rep is the caller. It is resolved into a key set on crm first, then bound as one parameter.
 */
const POLICIES = {
  'rep.yaml': `
role: rep
rules:
  - { action: read, subject: Customer, conditions: { rep_id: "\${user.employeeId}" } }
  - { action: [read, aggregate], subject: Order, conditions: { "customer.rep_id": "\${user.employeeId}" } }
`,
  // Every customer of her region, the orders of her own customers only: the parents prove nothing.
  'regional.yaml': `
role: regional
rules:
  - { action: read, subject: Customer, conditions: { region: "\${user.region}" } }
  - { action: read, subject: Order, conditions: { "customer.rep_id": "\${user.employeeId}" } }
`,
};

const data = fixtureData();

describe.each(['postgres', 'mysql'] as const)('cross-source policy conditions on %s', (engine) => {
  let setup: EngineSetup;
  let gw: Gateway;
  let url: string;
  let token: string;
  const REP = 2;
  const mine = new Set(data.customers.filter((c) => c.rep_id === REP).map((c) => c.id));
  const myOrders = data.orders.filter((o) => mine.has(o.customer_id));
  const q = async (query: string) => {
    const r = await postGraphQL(url, query, undefined, bearer(token));
    expect(r.body.errors).toBeUndefined();
    return r.body.data;
  };

  beforeAll(async () => {
    setup = await setupEngine(engine, data);
    ({ gw, url } = await startGateway(setup.sources, { prepare: setup.prepare, policies: POLICIES, extraConfig: TEST_IDENTITY }));
    token = await mintToken({ sub: 'rep2', roles: ['rep'], employee_id: REP });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await setup?.cleanup();
  });

  test('a list, its totalCount and an aggregate see exactly the orders of my customers', async () => {
    const d = await q('{ orders(limit: 1000, orderBy: [{id: ASC}]) { id customer_id } ordersConnection(first: 1) { totalCount } ordersAggregate { count sum { amount } } }');
    expect(d.orders.map((o: { id: number }) => o.id)).toEqual(myOrders.map((o) => o.id));
    expect(d.ordersConnection.totalCount).toBe(myOrders.length);
    expect(d.ordersAggregate[0].count).toBe(myOrders.length);
    const cents = myOrders.reduce((a, o) => a + Math.round(Number(o.amount) * 100), 0);
    expect(Math.round(Number(d.ordersAggregate[0].sum.amount) * 100)).toBe(cents);
  });

  /** Runs the query as `as`, and returns its answer with the statements each source got (bindings flattened). */
  async function traced(query: string, as: string) {
    const statements: { source: string; bindings: unknown[] }[] = [];
    const listeners: [any, (q: { bindings: unknown[] }) => void][] = [];
    for (const s of gw.runtime.sources.values()) {
      const fn = (e: { bindings: unknown[] }) => void statements.push({ source: s.name, bindings: e.bindings.flat() });
      s.knex.on('query', fn);
      listeners.push([s.knex, fn]);
    }
    try {
      const r = await postGraphQL(url, query, undefined, bearer(as));
      expect(r.body.errors).toBeUndefined();
      return { d: r.body.data, crm: statements.filter((s) => s.source === 'crm'), sales: statements.filter((s) => s.source === 'sales') };
    } finally {
      for (const [k, fn] of listeners) k.removeListener('query', fn);
    }
  }

  test("a relationship load whose parents were read under the same condition asks the other source nothing more", async () => {
    const { d, crm, sales } = await traced('{ customers(limit: 5, orderBy: [{id: ASC}]) { id orders(orderBy: [{id: ASC}]) { id customer_id } } }', token);
    const five = [...mine].sort((a, b) => a - b).slice(0, 5);
    expect(d.customers.map((c: { id: number }) => c.id)).toEqual(five);
    for (const c of d.customers) expect(c.orders.map((o: { id: number }) => o.id)).toEqual(myOrders.filter((o) => o.customer_id === c.id).map((o) => o.id));
    // crm: the customers only. Read under "rep is me", they prove the orders' "customer's rep is me".
    expect(crm).toHaveLength(1);
    expect(sales).toHaveLength(1);
  });

  test("a relationship load asks the other source only about its parents' keys", async () => {
    // EU's customers are rep 1's, or have none (fixtureData).
    const regional = await mintToken({ sub: 'rui', roles: ['regional'], employee_id: 1, region: 'EU' });
    const eu = data.customers.filter((c) => c.region === 'EU');
    const { d, crm, sales } = await traced('{ customers(limit: 5, orderBy: [{id: ASC}]) { id orders(orderBy: [{id: ASC}]) { id customer_id } } }', regional);
    const five = eu.slice(0, 5).map((c) => c.id);
    expect(d.customers.map((c: { id: number }) => c.id)).toEqual(five);
    for (const c of d.customers) expect(c.orders.map((o: { id: number }) => o.id)).toEqual(eu.find((e) => e.id === c.id)!.rep_id === 1 ? data.orders.filter((o) => o.customer_id === c.id).map((o) => o.id) : []);
    // crm: the customers, then the key lookup for the orders' policy, restricted to those five parents.
    expect(crm).toHaveLength(2);
    const bound = new Set(crm[1].bindings.map(Number));
    for (const id of five) expect(bound.has(id)).toBe(true);
    expect(eu.map((c) => c.id).filter((id) => !five.includes(id) && bound.has(id))).toEqual([]);
    expect(sales).toHaveLength(1);
  });

  test('a condition that no row can meet answers without asking the source', async () => {
    const nobody = await mintToken({ sub: 'rep99', roles: ['rep'], employee_id: 99 });
    const sales = gw.runtime.sources.get('sales')!;
    let statements = 0;
    const fn = () => void statements++;
    sales.knex.on('query', fn);
    let r;
    try {
      r = await postGraphQL(url, '{ orders(limit: 10) { id } ordersConnection(first: 1) { totalCount } ordersAggregate { count } }', undefined, bearer(nobody));
    } finally {
      sales.knex.removeListener('query', fn);
    }
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data).toEqual({ orders: [], ordersConnection: { totalCount: 0 }, ordersAggregate: [{ count: 0 }] });
    // crm was asked for rep 99's customers (none), so the orders' key set is empty: FALSE, no statement on sales.
    expect(statements).toBe(0);
  });

  test("a role set's schema is built once and kept", async () => {
    const a = await gw.schemaFor(['rep']);
    expect(await gw.schemaFor(['rep'])).toBe(a);
    expect(a.getQueryType()!.getFields().products).toBeUndefined();
    expect(Object.keys(a.getQueryType()!.getFields())).toEqual(expect.arrayContaining(['customers', 'orders', 'ordersAggregate']));
  });

  test('a filter through the relationship still sees only permitted customers', async () => {
    const d = await q('{ orders(limit: 1000, where: {customer: {vip: {eq: true}}}) { id } }');
    const expected = myOrders.filter((o) => data.customers.find((c) => c.id === o.customer_id)!.vip).map((o) => o.id).sort((a, b) => a - b);
    expect(d.orders.map((o: { id: number }) => o.id).sort((a: number, b: number) => a - b)).toEqual(expected);
  });
});
