import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seed } from '../../src/cli/seed';
import { createGateway, type Gateway } from '../../src/server';
import { createMysqlDatabase, createPgDatabase, type TestDatabase } from '../support/databases';
import { postGraphQL as post } from '../support/gql';
import { bearer, demoToken } from '../support/tokens';

// The demo's admin (erin) reads everything: these tests are about the data, not the policies.
const postGraphQL = async (url: string, query: string) => post(url, query, undefined, bearer(await demoToken('erin')));

/** The same demo deployment pointed at real servers: crm on PostgreSQL, sales on MariaDB, marketing on a SQLite file. */
let crm: TestDatabase, sales: TestDatabase;
let gw: Gateway;
let url: string;
let config: string;

beforeAll(async () => {
  crm = await createPgDatabase('democrm');
  sales = await createMysqlDatabase('demosales');
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dg-demo-'));
  config = path.join(dir, 'datagate.yaml');
  writeFileSync(
    config,
    `sources:
  crm: { dialect: postgres, url: "${crm.url}" }
  sales: { dialect: mysql, url: "${sales.url}" }
  marketing: { dialect: sqlite, url: "sqlite://${path.join(dir, 'marketing.db')}" }
model: ${JSON.stringify(path.join(__dirname, '../../schema'))}
policies: ${JSON.stringify(path.join(__dirname, '../../policies'))}
identity:
  jwt: { secret: "datagate-demo-secret-not-for-production-0123", issuer: datagate-demo, audience: datagate }
  claims: { attributes: { employeeId: employee_id, region: region, team: team } }
`,
  );
  const errors: string[] = [];
  const spy = jest.spyOn(console, 'error').mockImplementation((m) => void errors.push(String(m)));
  try {
    expect(await seed(['--config', config, '--scale', '0.05'])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  expect(errors.some((m) => /seed: sales\.orders: \d+ rows/.test(m))).toBe(true);
  gw = await createGateway({ configFile: config, env: {}, log: () => {} });
  url = await gw.listen(0, '127.0.0.1');
}, 120_000);

afterAll(async () => {
  await gw?.close();
  await crm?.drop();
  await sales?.drop();
});

test('runs on PostgreSQL, MySQL and SQLite at once', () => {
  expect(Object.fromEntries([...gw.runtime.sources.values()].map((s) => [s.name, [s.capabilities.engine, s.capabilities.embedded]]))).toEqual({
    crm: ['postgres', false],
    sales: ['mysql', false],
    marketing: ['sqlite', false],
  });
});

test('customer → orders → lines → product and lead → customer across three engines agree with each source', async () => {
  const r = await postGraphQL(
    url,
    `{ customers(limit: 20, orderBy: [{id: ASC}], where: {orders: {status: {eq: "paid"}}}) { id orders(where: {status: {eq: "paid"}}) { id customer_id status lines { order_id product { id price } } } }
       leads(limit: 20, where: {customer_id: {isNull: false}}) { id customer_id customer { id } campaign { id } } }`,
  );
  expect(r.body.errors).toBeUndefined();
  expect(r.body.data.customers.length).toBeGreaterThan(0);
  for (const c of r.body.data.customers) {
    expect(c.orders.length).toBeGreaterThan(0);
    for (const o of c.orders) {
      expect([o.customer_id, o.status]).toEqual([c.id, 'paid']);
      for (const l of o.lines) {
        expect(l.order_id).toBe(o.id);
        expect(l.product.price).toMatch(/^\d+\.\d\d$/);
      }
    }
  }
  for (const l of r.body.data.leads) expect(l.customer.id).toBe(l.customer_id);
  // The same count straight from MariaDB.
  const direct = await gw.runtime.sources.get('sales')!.knex('orders').where('status', 'paid').countDistinct({ n: 'customer_id' });
  const all = await postGraphQL(url, '{ customersConnection(where: {orders: {status: {eq: "paid"}}}) { totalCount } }');
  expect(all.body.data.customersConnection.totalCount).toBe(Number(direct[0].n));
});

test('seed --if-empty leaves populated sources alone', async () => {
  const before = await gw.runtime.sources.get('crm')!.knex('customers').count({ n: '*' });
  const spy = jest.spyOn(console, 'error').mockImplementation(() => {});
  try {
    expect(await seed(['--config', config, '--if-empty', '--scale', '0.1'])).toBe(0);
  } finally {
    spy.mockRestore();
  }
  const after = await gw.runtime.sources.get('crm')!.knex('customers').count({ n: '*' });
  expect(after[0].n).toBe(before[0].n);
});
