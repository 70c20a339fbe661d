import { setupEngine, type EngineSetup } from '../support/engines';
import { fixtureData, FIXTURE_MODEL, startGateway } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import type { Gateway } from '../../src/server';

/** Orders are kept 600 days: older ones never come back, in any query shape. */
const MODEL = { ...FIXTURE_MODEL, 'sales.yaml': FIXTURE_MODEL['sales.yaml'].replace('  key: id\n', '  key: id\n  retention: { column: created_at, keep: 600d }\n') };
const data = fixtureData();

describe.each(['postgres', 'mysql', 'sqlite'] as const)('retention on %s', (engine) => {
  let setup: EngineSetup;
  let gw: Gateway;
  let url: string;
  const cutoff = Date.now() - 600 * 86_400_000;
  const kept = data.orders.filter((o) => o.created_at.getTime() >= cutoff);
  const old = data.orders.filter((o) => o.created_at.getTime() < cutoff);
  const q = async (query: string) => {
    const r = await postGraphQL(url, query);
    expect(r.body.errors).toBeUndefined();
    return r.body.data;
  };

  beforeAll(async () => {
    setup = await setupEngine(engine, data);
    ({ gw, url } = await startGateway(setup.sources, { prepare: setup.prepare, model: MODEL }));
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await setup?.cleanup();
  });

  test('the fixture has orders on both sides of the cut-off', () => {
    expect(kept.length).toBeGreaterThan(10);
    expect(old.length).toBeGreaterThan(10);
  });

  test('lists, connections and their totalCount, aggregates', async () => {
    const d = await q('{ orders(limit: 1000, orderBy: [{id: ASC}]) { id } ordersConnection(first: 5) { totalCount } ordersAggregate { count } }');
    expect(d.orders.map((o: { id: number }) => o.id)).toEqual(kept.map((o) => o.id));
    expect(d.ordersConnection.totalCount).toBe(kept.length);
    expect(d.ordersAggregate[0].count).toBe(kept.length);
  });

  test('a lookup by key of an old row is null', async () => {
    const d = await q(`{ old: order(id: ${old[0].id}) { id } kept: order(id: ${kept[0].id}) { id } }`);
    expect(d.old).toBeNull();
    expect(d.kept).toEqual({ id: kept[0].id });
  });

  test('relationships and filters through relationships, across sources', async () => {
    const d = await q('{ customers(limit: 200, orderBy: [{id: ASC}]) { id orders(orderBy: [{id: ASC}]) { id } } }');
    for (const c of d.customers) expect(c.orders.map((o: { id: number }) => o.id)).toEqual(kept.filter((o) => o.customer_id === c.id).map((o) => o.id));
    // Customers whose only orders are old do not match "has an order".
    const w = await q('{ customers(limit: 200, where: {orders: {id: {gt: 0}}}) { id } }');
    const expected = [...new Set(kept.map((o) => o.customer_id))].sort((a, b) => a - b);
    expect(w.customers.map((c: { id: number }) => c.id).sort((a: number, b: number) => a - b)).toEqual(expected);
  });
});
