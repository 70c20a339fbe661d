import type { Knex } from 'knex';
import type { Gateway } from '../../src/server';
import { listAuditRecords, type AuditRecord } from '../../src/store';
import { createMysqlDatabase, createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { createCrm, createSales, FIXTURE_MODEL, fixtureData, startGateway, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';

/**
 * Self-service access end to end over HTTP, on PostgreSQL (crm, and the shared metadata store) and
 * MariaDB (sales): ask, decide, read, revoke, with an audit record for each step; nobody approves
 * their own request; and a second gateway sharing the store enforces grants and revocations made
 * through the first within about a second.
 */

const MODEL = {
  ...FIXTURE_MODEL,
  'crm.yaml': FIXTURE_MODEL['crm.yaml'].replace('owner: { team: crm-team }', 'owner: { team: crm-team, steward: ana@example.com, roles: [crm_owner], users: [olga] }\n  classification: [pii]'),
  'sales.yaml': FIXTURE_MODEL['sales.yaml'].replace('  table: orders\n  key: id\n', '  table: orders\n  key: id\n  owner: { team: sales-ops, roles: [sales_owner] }\n  catalog: { showFields: false }\n'),
};

const POLICIES: Record<string, string> = {
  'marketing.yaml': `
role: marketing
rules:
  - { action: read, subject: Customer, fields: [id, name, region] }
`,
  'crm_owner.yaml': `
role: crm_owner
rules:
  - { action: read, subject: Customer }
`,
  'sales_owner.yaml': `
role: sales_owner
rules:
  - { action: read, subject: Order }
`,
  'anonymous.yaml': `
role: anonymous
rules:
  - { action: read, subject: Customer, fields: [id] }
`,
};

const data = fixtureData();
const dbs: TestDatabase[] = [];
let a: { gw: Gateway; url: string; logs: Record<string, unknown>[] };
let b: { gw: Gateway; url: string };
let meta: Knex;
const T: Record<string, Record<string, string>> = {};

async function gql(url: string, headers: Record<string, string>, query: string, variables?: Record<string, unknown>) {
  return postGraphQL(url, query, variables, headers);
}
async function ok(url: string, headers: Record<string, string>, query: string, variables?: Record<string, unknown>) {
  const r = await gql(url, headers, query, variables);
  if (r.status !== 200 || r.body.errors) throw new Error(`expected an answer, got HTTP ${r.status}: ${r.text.slice(0, 400)}`);
  return r.body.data;
}
async function refused(url: string, headers: Record<string, string>, query: string, variables?: Record<string, unknown>) {
  const r = await gql(url, headers, query, variables);
  expect(r.body.errors?.length).toBeGreaterThan(0);
  return r.body.errors![0];
}
/** Polls `fn` until it stops throwing, for at most `ms`. */
async function eventually<T>(fn: () => Promise<T>, ms = 5000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    try {
      return await fn();
    } catch (e) {
      if (Date.now() > until) throw e;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const READ_EMAILS = 'query ReadEmails { customers(limit: 1000, orderBy: [{ id: ASC }]) { id email } }';
const expectedEmails = data.customers.map((c) => ({ id: c.id, email: c.email }));

beforeAll(async () => {
  try {
    dbs.push(await createPgDatabase('crm'), await createMysqlDatabase('sales'), await createPgDatabase('meta'));
  } catch (e) {
    await Promise.allSettled(dbs.map((d) => d.drop()));
    throw e;
  }
  const [crm, sales, store] = dbs;
  const k1 = knexFor(crm.url);
  const k2 = knexFor(sales.url);
  try {
    await createCrm(k1, data);
    await createSales(k2, data);
  } finally {
    await k1.destroy();
    await k2.destroy();
  }
  const sources = { crm: { dialect: 'postgres' as const, url: crm.url }, sales: { dialect: 'mysql' as const, url: sales.url } };
  const extraConfig = `${TEST_IDENTITY}\nmetadata: { url: ${JSON.stringify(store.url)} }\naccess: { pollInterval: 200ms, maxDays: 30 }\naudit: { flushInterval: 100ms }`;
  a = await startGateway(sources, { model: MODEL, policies: POLICIES, extraConfig });
  b = await startGateway(sources, { model: MODEL, policies: POLICIES, extraConfig });
  meta = knexFor(store.url);
  T.bob = bearer(await mintToken({ sub: 'bob', roles: ['marketing'] }));
  T.olga = bearer(await mintToken({ sub: 'olga', roles: ['marketing'] }));
  T.carl = bearer(await mintToken({ sub: 'carl', roles: ['crm_owner'] }));
  T.sam = bearer(await mintToken({ sub: 'sam', roles: ['sales_owner'] }));
  T.anon = {};
}, 120_000);

afterAll(async () => {
  await a?.gw.close();
  await b?.gw.close();
  await meta?.destroy();
  await Promise.allSettled(dbs.map((d) => d.drop()));
});

const ASK = `mutation Ask($entity: String!, $fields: [String!], $reason: String!, $days: Int!) {
  requestAccess(entity: $entity, fields: $fields, reason: $reason, days: $days) { id status requester entity fields reason days canDecide }
}`;
const APPROVE = 'mutation Approve($id: ID!, $comment: String, $days: Int) { approveAccessRequest(id: $id, comment: $comment, days: $days) { id status decidedBy comment expiresAt } }';
const DENY = 'mutation Deny($id: ID!, $comment: String) { denyAccessRequest(id: $id, comment: $comment) { id status decidedBy comment } }';
const REVOKE = 'mutation Revoke($id: ID!, $comment: String) { revokeAccess(id: $id, comment: $comment) { id status revokedBy } }';

describe('the catalog shows what a caller lacks and how to ask', () => {
  test('bob sees Customer with email withheld, Order unreadable with its owners, Rep with nobody to ask', async () => {
    const d = await ok(a.url, T.bob, '{ catalog { name readable owner { team steward roles users } classification requestable howToGetAccess fields { name access } } }');
    const byName = Object.fromEntries(d.catalog.map((e: { name: string }) => [e.name, e]));
    expect(Object.keys(byName).sort()).toEqual(['Customer', 'Order', 'OrderLine', 'Product', 'Rep']);
    const customer = byName.Customer;
    expect(customer.readable).toBe(true);
    expect(customer.owner).toEqual({ team: 'crm-team', steward: 'ana@example.com', roles: ['crm_owner'], users: ['olga'] });
    expect(customer.classification).toEqual(['pii']);
    expect(Object.fromEntries(customer.fields.map((f: { name: string; access: string }) => [f.name, f.access]))).toMatchObject({ id: 'clear', name: 'clear', email: 'none', score: 'none' });
    expect(customer.requestable).toBe(true);
    expect(byName.Order).toMatchObject({ readable: false, requestable: true, owner: { roles: ['sales_owner'] } });
    expect(byName.Order.howToGetAccess).toContain('sales_owner');
    // Order keeps its field names from those who cannot read it (catalog.showFields: false); OrderLine shows them.
    expect(byName.Order.fields).toBeNull();
    expect(byName.OrderLine.fields.map((f: { name: string; access: string }) => [f.name, f.access])).toEqual([
      ['id', 'none'],
      ['order_id', 'none'],
      ['product_id', 'none'],
      ['qty', 'none'],
    ]);
    // Row estimates: engine statistics (MariaDB's InnoDB estimate), or an exact count where none exist yet (PostgreSQL before ANALYZE).
    const est = await ok(a.url, T.bob, '{ catalog { name rowEstimate quality { status } } }');
    const rows = Object.fromEntries(est.catalog.map((e: { name: string; rowEstimate: number }) => [e.name, e.rowEstimate]));
    expect(rows.Customer).toBe(data.customers.length);
    expect(rows.Order).toBeGreaterThan(data.orders.length / 3);
    expect(rows.Order).toBeLessThan(data.orders.length * 3);
    expect(est.catalog.every((e: { quality: { status: string } }) => e.quality.status === 'unknown')).toBe(true); // the model declares no check
    const owner = await ok(a.url, T.sam, '{ catalog(source: "sales") { name fields { name access } } }');
    expect(owner.catalog[0].fields.every((f: { access: string }) => f.access === 'clear')).toBe(true);
    expect(byName.Rep).toMatchObject({ readable: false, requestable: false });
    // The same as data (nextStep), and the join fields of relationships except where the target keeps its field names private.
    const steps = await ok(a.url, T.bob, '{ catalog { name nextStep relationships { name on { field targetField } } } }');
    const step = Object.fromEntries(steps.catalog.map((e: { name: string }) => [e.name, e]));
    expect(step.Customer.nextStep).toBe('request');
    expect(step.Order).toEqual({ name: 'Order', nextStep: 'request', relationships: null });
    expect(step.Rep.nextStep).toBe('contact');
    expect(step.Customer.relationships).toEqual([
      { name: 'rep', on: [{ field: 'rep_id', targetField: 'id' }] },
      { name: 'orders', on: null },
    ]);
    expect(step.OrderLine.relationships).toContainEqual({ name: 'order', on: null });
  });

  test('entities without an owner to approve are a start-up warning', () => {
    const warn = a.logs.find((l) => l.level === 'warn' && String(l.msg).includes('no owner'));
    expect(warn?.entities).toEqual(['Rep', 'OrderLine', 'Product']);
  });

  test('search, tag and owner filters', async () => {
    const names = async (args: string) => (await ok(a.url, T.bob, `{ catalog${args} { name } }`)).catalog.map((e: { name: string }) => e.name);
    expect(await names('(tag: "pii")')).toEqual(['Customer']);
    expect(await names('(owner: "sales-ops")')).toEqual(['Order']);
    expect(await names('(search: "qty")')).toEqual(['OrderLine']);
    expect(await names('(search: "no such word")')).toEqual([]);
    expect(await names('(source: "sales")')).toEqual(['Order', 'OrderLine', 'Product']);
  });

  test('anonymous callers see the catalog but may not request', async () => {
    const d = await ok(a.url, T.anon, '{ catalog(search: "Customer") { name requestable howToGetAccess } }');
    expect(d.catalog[0]).toMatchObject({ name: 'Customer', requestable: false });
    expect(d.catalog[0].howToGetAccess).toMatch(/sign in/);
  });
});

describe('request, approve, read, revoke', () => {
  let id: string;

  test('before: bob may not select email, and whyNot tells him whom to ask', async () => {
    const e = await refused(a.url, T.bob, READ_EMAILS);
    expect(e.message).toMatch(/email/);
    const why = await ok(a.url, T.bob, '{ whyNot(entity: "Customer", field: "email") { allowed howToGetAccess } rep: whyNot(entity: "Rep") { allowed howToGetAccess } }');
    expect(why.whyNot).toEqual({ allowed: false, howToGetAccess: 'ask with requestAccess(entity: "Customer", fields: ["email"], reason: "…", days: N) (owners: role crm_owner; user olga)' });
    expect(why.rep).toEqual({ allowed: false, howToGetAccess: 'Rep has no owner to approve requests; contact the data platform team' });
  });

  test('bob asks; he may not approve his own or anyone else\'s request', async () => {
    const d = await ok(a.url, T.bob, ASK, { entity: 'Customer', fields: ['email'], reason: 'Spring campaign mailing list', days: 7 });
    expect(d.requestAccess).toMatchObject({ status: 'requested', requester: 'bob', entity: 'Customer', fields: ['email'], days: 7, canDecide: false });
    id = d.requestAccess.id;
    const e = await refused(a.url, T.bob, APPROVE, { id });
    expect(e.extensions?.code).toBe('FORBIDDEN');
    expect(e.message).toMatch(/owners of Customer/);
    const again = await refused(a.url, T.bob, ASK, { entity: 'Customer', fields: ['email'], reason: 'again', days: 7 });
    expect(again.extensions?.code).toBe('CONFLICT');
  });

  test('the owner sees it to decide; other callers do not see it at all', async () => {
    const d = await ok(a.url, T.carl, '{ accessRequests(scope: toDecide, status: requested) { id requester canDecide } }');
    expect(d.accessRequests).toEqual([{ id, requester: 'bob', canDecide: true }]);
    const sam = await ok(a.url, T.sam, '{ accessRequests { id } }');
    expect(sam.accessRequests).toEqual([]);
    const e = await refused(a.url, T.sam, 'query($id: ID!) { accessRequest(id: $id) { id } }', { id });
    expect(e.extensions?.code).toBe('NOT_FOUND');
  });

  test('approved: bob reads every customer\'s email, on this gateway and on the other one', async () => {
    const d = await ok(a.url, T.carl, APPROVE, { id, comment: 'ok for the campaign', days: 3 });
    expect(d.approveAccessRequest).toMatchObject({ status: 'approved', decidedBy: 'carl', comment: 'ok for the campaign' });
    const expires = Date.parse(d.approveAccessRequest.expiresAt);
    expect(Math.abs(expires - (Date.now() + 3 * 86_400_000))).toBeLessThan(60_000);
    expect((await ok(a.url, T.bob, READ_EMAILS)).customers).toEqual(expectedEmails);
    const started = Date.now();
    const onB = await eventually(() => ok(b.url, T.bob, READ_EMAILS));
    expect(onB.customers).toEqual(expectedEmails);
    expect(Date.now() - started).toBeLessThan(1500);
    const me = await ok(a.url, T.bob, '{ me { roles } myGrants { requestId entity fields grantedBy } }');
    expect(me.me.roles).toEqual(['grant:' + id, 'marketing']);
    expect(me.myGrants).toEqual([{ requestId: id, entity: 'Customer', fields: ['email'], grantedBy: 'carl' }]);
  });

  test('the grant adds what was asked for and nothing else', async () => {
    // score stays hidden; other entities stay unreadable.
    expect((await refused(a.url, T.bob, '{ customers(limit: 1) { score } }')).message).toMatch(/score/);
    expect((await refused(a.url, T.bob, '{ orders(limit: 1) { id } }')).message).toMatch(/orders/);
    // Other users gain nothing, also not by claiming the grant's role name in their token.
    expect((await refused(a.url, T.olga, READ_EMAILS)).message).toMatch(/email/);
    const forged = bearer(await mintToken({ sub: 'mallory', roles: ['marketing', `grant:${id}`] }));
    expect((await refused(a.url, forged, READ_EMAILS)).message).toMatch(/email/);
    // Narrowed to that "role" the request runs with no policy role at all.
    expect((await refused(a.url, { ...forged, 'x-datagate-role': `grant:${id}` }, READ_EMAILS)).message).toMatch(/customers/);
  });

  test('a decided request cannot be decided again', async () => {
    const e = await refused(a.url, T.carl, DENY, { id });
    expect(e.extensions?.code).toBe('CONFLICT');
    expect(e.message).toMatch(/approved/);
  });

  test('revoked through the other gateway: refused on both within about a second', async () => {
    const d = await ok(b.url, T.carl, REVOKE, { id, comment: 'campaign over' });
    expect(d.revokeAccess).toMatchObject({ status: 'revoked', revokedBy: 'carl' });
    await refused(b.url, T.bob, READ_EMAILS);
    const started = Date.now();
    await eventually(async () => {
      const r = await gql(a.url, T.bob, READ_EMAILS);
      if (!r.body.errors) throw new Error('still readable');
    });
    expect(Date.now() - started).toBeLessThan(1500);
    expect((await ok(a.url, T.bob, '{ myGrants { requestId } }')).myGrants).toEqual([]);
  });

  test('every transition is recorded with who and when', async () => {
    const d = await ok(a.url, T.bob, 'query($id: ID!) { accessRequest(id: $id) { status events { from to by at comment } } }', { id });
    expect(d.accessRequest.status).toBe('revoked');
    expect(d.accessRequest.events.map((e: { from: string | null; to: string; by: string; comment: string | null }) => [e.from, e.to, e.by, e.comment])).toEqual([
      [null, 'requested', 'bob', null],
      ['requested', 'approved', 'carl', 'ok for the campaign'],
      ['approved', 'revoked', 'carl', 'campaign over'],
    ]);
    const times = d.accessRequest.events.map((e: { at: string }) => Date.parse(e.at));
    expect([...times].sort((x, y) => x - y)).toEqual(times);
  });

  test('each step left an audit record', async () => {
    await a.gw.governance.audit.flush();
    await b.gw.governance.audit.flush();
    const records: AuditRecord[] = [];
    for (const user of ['bob', 'carl']) records.push(...(await listAuditRecords(a.gw.governance.store, { userId: user, first: 500 })).records);
    const steps = (name: string) => records.filter((r) => r.operationName === name);
    expect(steps('Ask').map((r) => [r.userId, r.outcome])).toEqual(expect.arrayContaining([['bob', 'ok']]));
    expect(steps('Approve').map((r) => [r.userId, r.outcome])).toEqual(expect.arrayContaining([['bob', 'denied'], ['carl', 'ok']]));
    expect(steps('Revoke').map((r) => [r.userId, r.outcome])).toEqual([['carl', 'ok']]);
    const reads = steps('ReadEmails').filter((r) => r.userId === 'bob');
    // Refused before, answered twice (both gateways) while granted, refused after.
    expect(reads.filter((r) => r.outcome === 'ok').length).toBeGreaterThanOrEqual(2);
    expect(reads.filter((r) => r.outcome === 'ok').every((r) => r.fields.includes('Customer.email') && r.roles.includes(`grant:${id}`))).toBe(true);
    expect(reads.filter((r) => r.outcome !== 'ok').length).toBeGreaterThanOrEqual(2);
  });
});

describe('deny, self-approval and bad requests', () => {
  test('a named owner may not approve her own request; another owner may', async () => {
    const d = await ok(a.url, T.olga, ASK, { entity: 'Customer', fields: ['score'], reason: 'churn model', days: 2 });
    const id = d.requestAccess.id;
    expect(d.requestAccess.canDecide).toBe(false);
    const e = await refused(a.url, T.olga, APPROVE, { id });
    expect(e.extensions?.code).toBe('FORBIDDEN');
    expect(e.message).toMatch(/own access request/);
    const carl = await ok(a.url, T.carl, APPROVE, { id });
    expect(carl.approveAccessRequest.status).toBe('approved');
    const rows = (await ok(a.url, T.olga, '{ customers(limit: 1000, orderBy: [{ id: ASC }]) { id score } }')).customers;
    expect(rows).toEqual(data.customers.map((c) => ({ id: c.id, score: c.score })));
    // The holder may give a grant back.
    expect((await ok(a.url, T.olga, REVOKE, { id })).revokeAccess).toMatchObject({ status: 'revoked', revokedBy: 'olga' });
  });

  test('denied: the requester learns why and still cannot read', async () => {
    const d = await ok(a.url, T.bob, ASK, { entity: 'Order', reason: 'revenue dashboard', days: 30 });
    const id = d.requestAccess.id;
    expect(d.requestAccess.fields).toEqual([]);
    // carl owns Customer, not Order: to him the request does not exist.
    expect((await refused(a.url, T.carl, DENY, { id })).extensions?.code).toBe('NOT_FOUND');
    const denied = await ok(a.url, T.sam, DENY, { id, comment: 'use the revenue aggregates instead' });
    expect(denied.denyAccessRequest).toMatchObject({ status: 'denied', decidedBy: 'sam', comment: 'use the revenue aggregates instead' });
    const mine = await ok(a.url, T.bob, '{ accessRequests(scope: mine, status: denied) { id comment } }');
    expect(mine.accessRequests).toEqual([{ id, comment: 'use the revenue aggregates instead' }]);
    await refused(a.url, T.bob, '{ orders(limit: 1) { id } }');
  });

  test.each([
    [{ entity: 'Nope', reason: 'x', days: 1 }, 'BAD_USER_INPUT', /unknown entity "Nope"/],
    [{ entity: 'Customer', fields: ['nope'], reason: 'x', days: 1 }, 'BAD_USER_INPUT', /no field "nope"/],
    [{ entity: 'Customer', fields: ['email'], reason: '   ', days: 1 }, 'BAD_USER_INPUT', /reason/],
    [{ entity: 'Customer', fields: ['email'], reason: 'x', days: 0 }, 'BAD_USER_INPUT', /days must be a whole number from 1 to 30/],
    [{ entity: 'Customer', fields: ['email'], reason: 'x', days: 31 }, 'BAD_USER_INPUT', /days must be a whole number from 1 to 30/],
    [{ entity: 'Rep', reason: 'x', days: 1 }, 'BAD_USER_INPUT', /no owner/],
    [{ entity: 'Customer', fields: ['name'], reason: 'x', days: 1 }, 'BAD_USER_INPUT', /already read name/],
  ])('refused: %j', async (vars, code, message) => {
    const before = await meta('access_requests').count({ n: '*' });
    const e = await refused(a.url, T.bob, ASK, vars);
    expect(e.extensions?.code).toBe(code);
    expect(e.message).toMatch(message);
    expect(await meta('access_requests').count({ n: '*' })).toEqual(before);
  });

  test('anonymous callers may not ask', async () => {
    const e = await refused(a.url, T.anon, ASK, { entity: 'Customer', fields: ['email'], reason: 'x', days: 1 });
    expect(e.extensions?.code).toBe('UNAUTHENTICATED');
  });

  test('approving more days than asked is refused; an unknown id is NOT_FOUND', async () => {
    const d = await ok(a.url, T.bob, ASK, { entity: 'Customer', fields: ['created_at'], reason: 'cohorts', days: 2 });
    const e = await refused(a.url, T.carl, APPROVE, { id: d.requestAccess.id, days: 5 });
    expect(e.message).toMatch(/from 1 to the 2 requested/);
    expect((await refused(a.url, T.carl, APPROVE, { id: '00000000-0000-0000-0000-000000000000' })).extensions?.code).toBe('NOT_FOUND');
  });
});
