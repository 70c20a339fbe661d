import type { Gateway } from '../../src/server';
import { postGraphQL } from '../support/gql';
import { bearer, demoToken } from '../support/tokens';
import { startDemoGateway } from './demoGateway';

/**
 * What the console reads from the catalog beside the API's words: the next step to get access as
 * data (the console words it for people who do not write GraphQL) and each relationship's join
 * fields (the console opens related rows as a filter on them).
 */
let gw: Gateway;
let url: string;
beforeAll(async () => {
  ({ gw, url } = await startDemoGateway({ scale: 0.05 }));
}, 120_000);
afterAll(async () => gw?.close());

const catalog = async (headers: Record<string, string>, search?: string) => {
  const r: any = await postGraphQL(
    url,
    'query($search: String) { catalog(search: $search) { name readable requestable nextStep howToGetAccess relationships { name target many on { field targetField } } } }',
    { search },
    headers,
  );
  expect(r.body.errors).toBeUndefined();
  return Object.fromEntries(r.body.data.catalog.map((e: any) => [e.name, e]));
};

test('nextStep says as data what howToGetAccess says in words, per caller', async () => {
  const bob = await catalog(bearer(await demoToken('bob')));
  // Order: bob (marketing) sees totals only and may ask its owners.
  expect(bob.Order).toMatchObject({ readable: false, requestable: true, nextStep: 'request' });
  expect(bob.Order.howToGetAccess).toMatch(/^ask with requestAccess\(entity: "Order"/);
  // Product: every employee reads all of it.
  expect(bob.Product).toMatchObject({ readable: true, requestable: false, nextStep: 'none', howToGetAccess: 'you read every field in clear on every row' });
  // Customer: readable, but email masked on some rows and phone withheld: more may be asked for.
  expect(bob.Customer).toMatchObject({ readable: true, nextStep: 'request' });
  for (const e of Object.values(bob) as any[]) expect(e.requestable).toBe(e.nextStep === 'request');
  // Without a token: sign in first.
  const anonymous = await catalog({}, 'Customer');
  expect(anonymous.Customer).toMatchObject({ requestable: false, nextStep: 'signIn', howToGetAccess: 'sign in, then ask with requestAccess' });
});

test('relationships come with the fields they join on, both ways', async () => {
  const bob = await catalog(bearer(await demoToken('bob')));
  const rel = (entity: string, name: string) => bob[entity].relationships.find((r: any) => r.name === name);
  expect(rel('Customer', 'orders')).toEqual({ name: 'orders', target: 'Order', many: true, on: [{ field: 'id', targetField: 'customer_id' }] });
  expect(rel('Order', 'customer')).toEqual({ name: 'customer', target: 'Customer', many: false, on: [{ field: 'customer_id', targetField: 'id' }] });
  expect(rel('Lead', 'campaign')).toEqual({ name: 'campaign', target: 'Campaign', many: false, on: [{ field: 'campaign_id', targetField: 'id' }] });
});
