import type { Gateway } from '../../src/server';
import { createMysqlDatabase, createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { createCrm, createSales, FIXTURE_MODEL, startGateway } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { TcpProxy } from '../support/tcpProxy';

const LEAKS = /select |from "|from `|postgres:\/\/|mysql:\/\/|password|stack|\.ts:\d+/i;

/** `sales` reached through a proxy the test can cut; `crm` direct. Run for both server dialects. */
describe.each(['postgres', 'mysql'] as const)('a failing %s source fails only its own fields', (dialect) => {
  let crm: TestDatabase, sales: TestDatabase;
  let proxy: TcpProxy;
  let gw: Gateway;
  let url: string;

  beforeAll(async () => {
    const create = dialect === 'postgres' ? createPgDatabase : createMysqlDatabase;
    crm = await create('crm');
    sales = await create('sales');
    for (const [db, fn] of [[crm, createCrm], [sales, createSales]] as const) {
      const k = knexFor(db.url);
      await fn(k);
      if (db === sales) {
        // A view that takes seconds: only a statement timeout (or a cut connection) stops it.
        const sleep = dialect === 'postgres' ? '(select 1 from pg_sleep(3)) as slow' : 'sleep(3) as slow';
        await k.raw(`create view slow_orders as select id, customer_id, amount, status, created_at, ${sleep} from orders`);
      }
      await k.destroy();
    }
    const target = new URL(sales.url);
    proxy = new TcpProxy(target.hostname, Number(target.port || (dialect === 'postgres' ? 5432 : 3306)));
    const port = await proxy.start();
    const proxied = new URL(sales.url);
    proxied.port = String(port);
    const model = {
      ...FIXTURE_MODEL,
      'slow.yaml': `
SlowOrder:
  source: sales
  table: slow_orders
  key: id
  fields:
    id: { type: Int }
    slow: { type: Int }
`,
    };
    ({ gw, url } = await startGateway(
      { crm: { dialect, url: crm.url }, sales: { dialect, url: proxied.toString(), statementTimeout: '1500ms', connectTimeout: '2s' } },
      { model },
    ));
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await proxy?.stop();
    await crm?.drop();
    await sales?.drop();
  });

  const nested = '{ customers(limit: 3, orderBy: [{id: ASC}]) { id name orders { id } } }';

  test('while the source is down: the other source answers, errors sit at the failed paths, then it recovers by itself', async () => {
    const ok = await postGraphQL(url, nested);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.customers[1].orders.length).toBeGreaterThan(0);

    await proxy.stop();
    const down = await postGraphQL(url, nested);
    expect(down.status).toBe(200);
    expect(down.body.data.customers.map((c: { id: number }) => c.id)).toEqual([1, 2, 3]);
    expect(down.body.data.customers.every((c: { name: string; orders: unknown }) => c.name && c.orders === null)).toBe(true);
    expect(down.body.errors!.length).toBeGreaterThan(0);
    for (const e of down.body.errors!) {
      expect(e.extensions?.code).toBe('SOURCE_UNAVAILABLE');
      expect(e.path).toEqual(['customers', expect.any(Number), 'orders']);
      expect(e.message).toContain('"sales"');
    }
    expect(down.text).not.toMatch(LEAKS);

    const root = await postGraphQL(url, '{ customer(id: 2) { id } orders(limit: 1) { id } }');
    expect(root.body.data).toEqual({ customer: { id: 2 }, orders: null });
    expect(root.body.errors?.[0].path).toEqual(['orders']);

    const health = await postGraphQL(url, '{ health { status sources { name ok error } } }');
    expect(health.body.data.health.status).toBe('degraded');
    expect(health.body.data.health.sources).toContainEqual({ name: 'sales', ok: false, error: 'SOURCE_UNAVAILABLE' });

    await proxy.start();
    const back = await postGraphQL(url, nested);
    expect(back.body.errors).toBeUndefined();
    expect(back.body.data).toEqual(ok.body.data);
  }, 60_000);

  test('a connection cut in the middle of a query fails that field only, and the next query reconnects', async () => {
    const pending = postGraphQL(url, '{ customer(id: 1) { id } slowOrders(limit: 1) { id slow } }');
    await new Promise((r) => setTimeout(r, 400));
    await proxy.stop();
    const r = await pending;
    await proxy.start();
    expect(r.body.data).toEqual({ customer: { id: 1 }, slowOrders: null });
    expect(r.body.errors?.[0].extensions?.code).toBe('SOURCE_UNAVAILABLE');
    expect(r.text).not.toMatch(LEAKS);
    const after = await postGraphQL(url, '{ orders(limit: 2, orderBy: [{id: ASC}]) { id } }');
    expect(after.body).toEqual({ data: { orders: [{ id: 1 }, { id: 2 }] }, extensions: { lineage: expect.any(Array) } });
  }, 30_000);

  test('a statement past the source timeout is stopped by the server and reported as SOURCE_TIMEOUT', async () => {
    const started = Date.now();
    const r = await postGraphQL(url, '{ customer(id: 1) { id } slowOrders(limit: 50) { id slow } }');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(r.body.data.customer).toEqual({ id: 1 });
    expect(r.body.data.slowOrders).toBeNull();
    expect(r.body.errors?.[0].extensions?.code).toBe('SOURCE_TIMEOUT');
    expect(r.text).not.toMatch(LEAKS);
    const after = await postGraphQL(url, '{ orders(limit: 1) { id } }');
    expect(after.body.errors).toBeUndefined();
  }, 30_000);

  test('closing the gateway lets a request in flight finish before the sources close', async () => {
    const model = { ...FIXTURE_MODEL, 'slow.yaml': 'SlowOrder:\n  source: sales\n  table: slow_orders\n  key: id\n  fields:\n    id: { type: Int }\n    slow: { type: Int }\n' };
    const { gw: g2, url: u2 } = await startGateway({ crm: { dialect, url: crm.url }, sales: { dialect, url: sales.url, statementTimeout: '10s' } }, { model });
    const pending = postGraphQL(u2, '{ slowOrders(limit: 1) { id slow } }');
    await new Promise((r) => setTimeout(r, 300));
    const closing = g2.close();
    const r = await pending;
    await closing;
    expect(r.body).toEqual({ data: { slowOrders: [{ id: 1, slow: expect.any(Number) }] }, extensions: { lineage: expect.any(Array) } });
    await expect(postGraphQL(u2, '{ orders { id } }')).rejects.toThrow();
  }, 30_000);

  test('a source that refuses the credentials reports SOURCE_AUTH_FAILED without echoing them', async () => {
    const bad = new URL(crm.url);
    bad.username = 'no_such_user_dg';
    bad.password = 's3cret-Pa55';
    const { gw: g2, url: u2 } = await startGateway({ crm: { dialect, url: bad.toString() }, sales: { dialect, url: sales.url } });
    try {
      const r = await postGraphQL(u2, '{ customers(limit: 1) { id } orders(limit: 1) { id } }');
      expect(r.body.data.customers).toBeNull();
      expect(r.body.data.orders).toHaveLength(1);
      expect(r.body.errors?.[0].extensions?.code).toBe('SOURCE_AUTH_FAILED');
      expect(r.text).not.toMatch(/s3cret|no_such_user/);
    } finally {
      await g2.close();
    }
  }, 30_000);
});
