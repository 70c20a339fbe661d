import path from 'node:path';
import { seedDemoSource, DEMO_SOURCES, type DemoSource } from '../../src/demo';
import { createGateway, type Gateway } from '../../src/server';
import { postGraphQL as post } from '../support/gql';
import { bearer, demoToken } from '../support/tokens';

// The demo's admin (erin) reads everything: these tests are about the data, not the policies.
const postGraphQL = async (url: string, query: string) => post(url, query, undefined, bearer(await demoToken('erin')));

// The bundled demo, exactly as `npm start` runs it: every source embedded (PGlite, SQLite), seeded.
let gw: Gateway;
let url: string;
beforeAll(async () => {
  gw = await createGateway({
    configFile: path.join(__dirname, '../../datagate.yaml'),
    // A metadata store of its own: grants made by hand in the demo's file must not leak into the test.
    env: { DATAGATE_META_URL: ':memory:' },
    log: () => {},
    prepareSources: async (sources) => {
      for (const s of sources.values()) await seedDemoSource(s.knex, s.name as DemoSource, { scale: 0.25 });
    },
  });
  url = await gw.listen(0, '127.0.0.1');
}, 120_000);
afterAll(async () => gw?.close());

test('every demo source runs embedded on the engine its dialect maps to', () => {
  const engines = Object.fromEntries([...gw.runtime.sources.values()].map((s) => [s.name, [s.capabilities.engine, s.capabilities.embedded]]));
  expect(engines).toEqual({ crm: ['postgres', true], sales: ['sqlite', true], marketing: ['sqlite', true] });
  expect([...DEMO_SOURCES].sort()).toEqual(Object.keys(engines).sort());
});

test('a filtered, ordered list with a cross-source relationship', async () => {
  const { status, body } = await postGraphQL(
    url,
    `{ customers(where: {region: {eq: "EU"}}, orderBy: [{name: ASC}], limit: 5) { id name region orders(limit: 2, orderBy: [{created_at: DESC}]) { id amount status customer { id } } } }`,
  );
  expect(status).toBe(200);
  expect(body.errors).toBeUndefined();
  const customers = body.data.customers;
  expect(customers).toHaveLength(5);
  for (const c of customers) {
    expect(c.region).toBe('EU');
    expect(c.orders.length).toBeLessThanOrEqual(2);
    for (const o of c.orders) {
      expect(o.customer.id).toBe(c.id);
      expect(typeof o.amount).toBe('string');
    }
  }
  const names = customers.map((c: { name: string }) => c.name);
  expect([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0))).toEqual(names);
});

test('health lists every source as answering', async () => {
  const { body } = await postGraphQL(url, '{ health { status sources { name engine embedded ok entities } } }');
  expect(body.errors).toBeUndefined();
  expect(body.data.health.status).toBe('ok');
  expect(body.data.health.sources.map((s: { name: string }) => s.name).sort()).toEqual(['crm', 'marketing', 'sales']);
});
