import type { Gateway } from '../../src/server';
import { setupEngine, type EngineSetup } from '../support/engines';
import { fixtureData, startGateway, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';

/**
 * Identity over HTTP: tokens with several roles (OR semantics), roles without a policy file, the
 * caller's own view of their access (me, myAccess, whyNot), maxRows, and a gateway that keeps
 * serving after every kind of bad request.
 */

const POLICIES: Record<string, string> = {
  'rep.yaml': `
role: rep
description: Account managers.
rules:
  - action: read
    subject: Customer
    fields: [id, name, region, rep_id, score]
    conditions: { rep_id: "\${user.employeeId}" }
  - { action: read, subject: Customer, fields: [score], inverted: true, reason: Scores belong to the risk team }
  - { action: read, subject: Order, conditions: { "customer.rep_id": "\${user.employeeId}" } }
limits:
  maxRows: 50
`,
  'regional.yaml': `
role: regional
description: Regional managers see their region's customers and scores.
rules:
  - { action: read, subject: Customer, fields: [id, name, region, score], conditions: { region: "\${user.region}" } }
`,
  'auditor.yaml': `
role: auditor
description: Small pages only.
rules:
  - { action: read, subject: [Customer, Order] }
  - { action: aggregate, subject: Order, fields: [id, status] }
limits:
  maxRows: { Order: 2, "*": 3 }
`,
  // No file for the roles `ghost` and `anonymous`.
};

const data = fixtureData();
const mine = data.customers.filter((c) => c.rep_id === 1);
const na = data.customers.filter((c) => c.region === 'NA');
const byId = (a: { id: number }, b: { id: number }) => a.id - b.id;

let setup: EngineSetup;
let gw: Gateway;
let url: string;
const T: Record<string, Record<string, string>> = {};
const q = (query: string, headers: Record<string, string>, variables?: Record<string, unknown>) => postGraphQL(url, query, variables, headers);
async function ok(query: string, headers: Record<string, string>) {
  const r = await q(query, headers);
  if (r.status !== 200 || r.body.errors) throw new Error(`expected an answer, got HTTP ${r.status}: ${r.text.slice(0, 500)}`);
  return r.body.data;
}

beforeAll(async () => {
  setup = await setupEngine('postgres', data);
  ({ gw, url } = await startGateway(setup.sources, { policies: POLICIES, extraConfig: TEST_IDENTITY, prepare: setup.prepare }));
  T.rep = bearer(await mintToken({ sub: 'ana', roles: ['rep'], employee_id: 1 }));
  T.regional = bearer(await mintToken({ sub: 'nora', roles: ['regional'], region: 'NA' }));
  T.both = bearer(await mintToken({ sub: 'mo', roles: ['rep', 'regional'], employee_id: 1, region: 'NA' }));
  T.repGhost = bearer(await mintToken({ sub: 'ana', roles: ['rep', 'ghost'], employee_id: 1 }));
  T.ghost = bearer(await mintToken({ sub: 'casper', roles: ['ghost'] }));
  T.auditor = bearer(await mintToken({ sub: 'dave', roles: ['auditor'] }));
  T.repAuditor = bearer(await mintToken({ sub: 'ana', roles: ['rep', 'auditor'], employee_id: 1 }));
}, 60_000);
afterAll(async () => {
  await gw?.close();
  await setup?.cleanup();
});

describe('several roles in one token: OR semantics', () => {
  const query = '{ me { roles } customers(limit: 1000, orderBy: [{id: ASC}]) { id name region rep_id score } }';

  test('each role alone', async () => {
    const rep = await ok('{ customers(limit: 50) { id rep_id } }', T.rep);
    expect(rep.customers.map((c: { id: number }) => c.id)).toEqual(mine.map((c) => c.id));
    const regional = await ok('{ customers(limit: 1000) { id region score } }', T.regional);
    expect(regional.customers).toEqual(na.map((c) => ({ id: c.id, region: 'NA', score: c.score })));
  });

  test('two roles see the union of rows, and each field where some role reads it', async () => {
    const d = await ok(query, T.both);
    expect(d.me.roles).toEqual(['regional', 'rep']);
    const union = [...mine, ...na.filter((c) => c.rep_id !== 1)].sort(byId);
    expect(d.customers).toEqual(
      union.map((c) => ({
        id: c.id,
        name: c.name,
        region: c.region,
        // rep reads rep_id on its own rows; regional reads score (which rep may not) on NA rows.
        rep_id: c.rep_id === 1 ? c.rep_id : null,
        score: c.region === 'NA' ? c.score : null,
      })),
    );
    expect(d.customers.length).toBe(mine.length + na.length);
  });

  test('a field readable on some rows only is not filterable; one clear in both roles is', async () => {
    const score = await q('{ customers(where: {score: {gt: 1}}) { id } }', T.both);
    expect(score.status).toBe(400);
    expect(score.body.errors![0].message).toMatch(/Field "score" is not defined by type "CustomerWhere"/);
    const region = await ok('{ customersConnection(where: {region: {eq: "NA"}}) { totalCount } }', T.both);
    expect(region.customersConnection.totalCount).toBe(na.length);
    const access = await ok('{ myAccess(entity: "Customer") { partial filterable rowCondition } }', T.both);
    expect(access.myAccess[0].partial.sort()).toEqual(['rep_id', 'score']);
    expect(access.myAccess[0].filterable.sort()).toEqual(['id', 'name', 'region']);
    expect(access.myAccess[0].rowCondition).toMatch(/rep_id = 1/);
    expect(access.myAccess[0].rowCondition).toMatch(/region = "NA"/);
  });

  test('x-datagate-role narrows a two-role token to one of them', async () => {
    const d = await ok('{ me { roles tokenRoles } customersConnection { totalCount } }', { ...T.both, 'x-datagate-role': 'regional' });
    expect(d).toEqual({ me: { roles: ['regional'], tokenRoles: ['rep', 'regional'] }, customersConnection: { totalCount: na.length } });
    const orders = await q('{ orders { id } }', { ...T.both, 'x-datagate-role': 'regional' });
    expect(orders.status).toBe(400);
  });

  test('maxRows of several roles: the largest cap of the roles that read the entity', async () => {
    // rep caps every list at 50, auditor Customer lists at 3: together, 50.
    const d = await ok('{ customers(limit: 50) { id } }', T.repAuditor);
    expect(d.customers.length).toBe(50);
    const over = await q('{ customers(limit: 51) { id } }', T.repAuditor);
    expect(over.body.errors![0].extensions?.code).toBe('LIMIT_EXCEEDED');
    expect(over.body.errors![0].message).toMatch(/above the 50 rows/);
  });
});

describe('a role without a policy file grants nothing and is no error', () => {
  test('next to a real role: exactly that role', async () => {
    const d = await ok('{ me { id roles } customers(limit: 50) { id } }', T.repGhost);
    expect(d.me).toEqual({ id: 'ana', roles: ['rep'] });
    expect(d.customers.map((c: { id: number }) => c.id)).toEqual(mine.map((c) => c.id));
  });

  test('me.tokenRoles is this token own list, even right after another token of the same user', async () => {
    // Two tokens of user ana, same attributes, same roles with a policy (rep); one also holds ghost.
    const plain = await ok('{ me { tokenRoles } }', T.rep);
    expect(plain.me.tokenRoles).toEqual(['rep']);
    const withGhost = await ok('{ me { tokenRoles } }', T.repGhost);
    expect(withGhost.me.tokenRoles).toEqual(['rep', 'ghost']);
    const again = await ok('{ me { tokenRoles } }', T.rep);
    expect(again.me.tokenRoles).toEqual(['rep']);
  });

  test('alone: no data root field, empty myAccess, whyNot says why', async () => {
    const d = await ok('{ me { id roles tokenRoles } myAccess { entity } whyNot(entity: "Customer") { allowed reason rule role } }', T.ghost);
    expect(d.me).toEqual({ id: 'casper', roles: [], tokenRoles: ['ghost'] });
    expect(d.myAccess).toEqual([]);
    expect(d.whyNot).toEqual({ allowed: false, reason: expect.stringMatching(/your token holds no role with a policy.*ghost/), rule: null, role: null });
    const r = await q('{ customers { id } }', T.ghost);
    expect(r.status).toBe(400);
    expect(r.body.errors![0].message).toMatch(/Cannot query field "customers" on type "Query"/);
    const narrowed = await ok('{ me { roles } }', { ...T.ghost, 'x-datagate-role': 'ghost' });
    expect(narrowed.me.roles).toEqual([]);
  });
});

describe('me, myAccess and whyNot for a restricted role', () => {
  test('me', async () => {
    const d = await ok('{ me { id roles tokenRoles attributes } }', T.rep);
    expect(d.me).toEqual({ id: 'ana', roles: ['rep'], tokenRoles: ['rep'], attributes: { employeeId: 1 } });
  });

  test('myAccess', async () => {
    const d = await ok('{ myAccess { entity read fields masked partial filterable rowCondition aggregate aggregateFields aggregateCondition maxRows } }', T.rep);
    const byEntity = Object.fromEntries(d.myAccess.map((a: { entity: string }) => [a.entity, a]));
    expect(Object.keys(byEntity).sort()).toEqual(['Customer', 'Order']);
    expect(byEntity.Customer).toEqual({
      entity: 'Customer',
      read: true,
      fields: ['id', 'name', 'region', 'rep_id'],
      masked: [],
      partial: [],
      filterable: expect.arrayContaining(['id', 'name', 'region', 'rep_id']),
      rowCondition: 'rep_id = 1',
      aggregate: false,
      aggregateFields: [],
      aggregateCondition: null,
      maxRows: 50,
    });
    expect(byEntity.Customer.filterable).toHaveLength(4);
    expect(byEntity.Order.fields).toEqual(['id', 'customer_id', 'amount', 'status', 'created_at']);
    expect(byEntity.Order.rowCondition).toMatch(/customer has some Customer where \(rep_id = 1\)/);
  });

  test('whyNot on a field denied by an inverted rule: its reason, its file', async () => {
    const d = await ok('{ whyNot(entity: "Customer", field: "score") { allowed reason rule role } }', T.rep);
    expect(d.whyNot.allowed).toBe(false);
    expect(d.whyNot.reason).toBe('Scores belong to the risk team');
    expect(d.whyNot.role).toBe('rep');
    expect(d.whyNot.rule).toMatch(/^cannot read Customer \[score\]/);
    expect(d.whyNot.rule).toMatch(/rep\.yaml:\d+ rules\[1\]/);
  });

  test('whyNot on a field no rule grants, an entity no rule grants, and names the model lacks', async () => {
    const d = await ok(
      `{ balance: whyNot(entity: "Customer", field: "balance") { allowed reason rule role }
         product: whyNot(entity: "Product") { allowed reason rule }
         agg: whyNot(entity: "Order", action: "aggregate") { allowed reason }
         noEntity: whyNot(entity: "Nope") { allowed reason }
         noField: whyNot(entity: "Customer", field: "nope") { allowed reason } }`,
      T.rep,
    );
    expect(d.balance).toEqual({ allowed: false, reason: 'no rule of your roles (rep) grants read on Customer.balance', rule: null, role: null });
    expect(d.product).toEqual({ allowed: false, reason: 'no rule of your roles (rep) grants read on Product', rule: null });
    expect(d.agg).toEqual({ allowed: false, reason: 'no rule of your roles (rep) grants aggregate on Order' });
    expect(d.noEntity).toEqual({ allowed: false, reason: 'the model has no entity "Nope"' });
    expect(d.noField).toEqual({ allowed: false, reason: 'Customer has no field "nope"' });
  });

  test('whyNot on what is allowed: the granting rule, with its row condition', async () => {
    const d = await ok('{ c: whyNot(entity: "Customer") { allowed reason rule role } n: whyNot(entity: "Customer", field: "name") { allowed reason rule } }', T.rep);
    expect(d.c.allowed).toBe(true);
    expect(d.c.reason).toMatch(/rows where rep_id = 1/);
    expect(d.c.rule).toMatch(/^can read Customer .*rep\.yaml:\d+ rules\[0\]/);
    expect(d.n).toEqual({ allowed: true, reason: 'you may read Customer.name', rule: expect.stringMatching(/rep\.yaml/) });
  });
});

describe('maxRows (auditor: Order 2, everything else 3)', () => {
  // Refused before any SQL runs (the row budget's pass checks every limit of the operation): HTTP 400,
  // no data, and the error names the field since it has no execution path.
  const limitError = (r: Awaited<ReturnType<typeof q>>, cap: number, path: (string | number)[]) => {
    expect(r.status).toBe(400);
    expect(r.body.data).toBeUndefined();
    expect(r.body.errors).toHaveLength(1);
    const e = r.body.errors![0];
    expect(e.extensions?.code).toBe('LIMIT_EXCEEDED');
    expect(e.extensions?.limit).toBe(cap);
    expect(e.extensions?.field).toBe(path.join('.'));
    expect(e.message).toMatch(new RegExp(`^${path.join('\\.')}: .*above the ${cap} rows your role may read per list`));
  };

  test('a limit above the cap → LIMIT_EXCEEDED with the cap in the message', async () => {
    limitError(await q('{ customers(limit: 4) { id } }', T.auditor), 3, ['customers']);
    limitError(await q('{ orders(limit: 3) { id } }', T.auditor), 2, ['orders']);
    const at = await ok('{ customers(limit: 3) { id } orders(limit: 2) { id } }', T.auditor);
    expect([at.customers.length, at.orders.length]).toEqual([3, 2]);
  });

  test('the default limit is capped', async () => {
    const d = await ok('{ customers { id } orders { id } }', T.auditor);
    expect(d.customers.map((c: { id: number }) => c.id)).toEqual([1, 2, 3]);
    expect(d.orders.length).toBe(2);
  });

  test('a connection: `first` above the cap refused, the default page capped, totalCount not', async () => {
    limitError(await q('{ customersConnection(first: 4) { nodes { id } } }', T.auditor), 3, ['customersConnection']);
    limitError(await q('{ ordersConnection(first: 3) { nodes { id } } }', T.auditor), 2, ['ordersConnection']);
    const d = await ok('{ customersConnection { nodes { id } pageInfo { hasNextPage } totalCount } }', T.auditor);
    expect(d.customersConnection).toEqual({ nodes: [{ id: 1 }, { id: 2 }, { id: 3 }], pageInfo: { hasNextPage: true }, totalCount: data.customers.length });
  });

  test('a relationship list: limit above the target cap refused, default capped', async () => {
    const four = data.orders.filter((o) => o.customer_id === 4);
    expect(four.length).toBe(4);
    limitError(await q('{ customer(id: 4) { id orders(limit: 3) { id } } }', T.auditor), 2, ['customer', 'orders']);
    const d = await ok('{ customer(id: 4) { orders { id } } }', T.auditor);
    expect(d.customer.orders.map((o: { id: number }) => o.id)).toEqual(four.slice(0, 2).map((o) => o.id));
  });

  test('an aggregate with groupBy: more groups than the cap are refused (`maxRows` caps every `limit`)', async () => {
    // docs/POLICIES.md: "maxRows caps every limit and first (refused above it, never silently cut)".
    // Grouped by the key, an aggregate is a list of rows: uncapped, it reads 240 order ids at once.
    const r = await q('{ ordersAggregate(groupBy: [id], limit: 1000) { count group { id } } }', T.auditor);
    limitError(r, 2, ['ordersAggregate']);
  });
});

describe('the gateway keeps serving after every bad request', () => {
  const raw = async (body: string, headers: Record<string, string> = { 'content-type': 'application/json' }, method = 'POST', path = '/graphql') => {
    const res = await fetch(url.replace(/\/graphql$/, path), { method, headers, body: method === 'GET' ? undefined : body });
    return { status: res.status, text: await res.text() };
  };
  const good = async () => {
    const d = await ok('{ me { id roles } customers(limit: 2) { id name } }', T.rep);
    expect(d).toEqual({ me: { id: 'ana', roles: ['rep'] }, customers: mine.slice(0, 2).map((c) => ({ id: c.id, name: c.name })) });
  };
  const deepWhere = `{ customers(where: ${'{not: '.repeat(20)}{id: {eq: 1}}${'}'.repeat(20)}) { id } }`;
  const cases: [string, () => Promise<{ status: number; text: string }>, number, RegExp][] = [
    ['invalid JSON', async () => raw('{"query": '), 400, /Invalid JSON/],
    ['a body over 100 KB', async () => raw(JSON.stringify({ query: `{ me { id } }${' '.repeat(200_000)}` })), 413, /PAYLOAD_TOO_LARGE/],
    ['no query', async () => raw('{}'), 400, /./],
    ['GET without a query', async () => raw('', {}, 'GET'), 400, /./],
    ['an unknown path', async () => raw('{}', {}, 'POST', '/nope'), 404, /NOT_FOUND/],
    ['text/plain (CSRF protection)', async () => raw('{ me { id } }', { 'content-type': 'text/plain' }), 400, /./],
    ['a parse error', async () => q('{ customers { id ', T.rep), 400, /GRAPHQL_PARSE_FAILED/],
    ['a validation error', async () => q('{ customers { score } }', T.rep), 400, /GRAPHQL_VALIDATION_FAILED/],
    ['a variable of the wrong type', async () => q('query($n: Int) { customers(limit: $n) { id } }', T.rep, { n: 'many' }), 400, /Int cannot represent non-integer value/],
    ['a bad token', async () => q('{ me { id } }', { authorization: 'Bearer x.y.z' }), 401, /UNAUTHENTICATED/],
    ['an expired token', async () => q('{ me { id } }', bearer(await mintToken({ sub: 'ana', roles: ['rep'] }, { expiresIn: -600 }))), 401, /expired/],
    ['a role the token does not hold', async () => q('{ me { id } }', { ...T.rep, 'x-datagate-role': 'auditor' }), 403, /FORBIDDEN/],
    ['a limit above maxRows', async () => q('{ customers(limit: 51) { id } }', T.rep), 400, /LIMIT_EXCEEDED/],
    ['a negative limit', async () => q('{ customers(limit: -1) { id } }', T.rep), 200, /BAD_USER_INPUT/],
    ['a bad cursor', async () => q('{ customersConnection(after: "bogus") { nodes { id } } }', T.rep), 200, /BAD_CURSOR/],
    ['a where nested too deeply', async () => q(deepWhere, T.rep), 200, /nested too deeply/],
    ['a NUL in a filter value', async () => q('{ customers(where: {name: {eq: "a\\u0000b"}}) { id } }', T.rep), 200, /NUL/],
  ];
  test.each(cases)('%s', async (_name, send, status, body) => {
    const r = await send();
    expect([r.status, r.text]).toEqual([status, expect.stringMatching(body)]);
    await good();
  });

  test('a where argument given as a variable answers promptly and does not stall other requests', async () => {
    // CustomerWhere is recursive (orders → OrderWhere → customer → CustomerWhere). Each new query
    // text with such a variable must not hold the event loop: another caller's request sent 100 ms
    // later must be answered within a few seconds.
    const started = Date.now();
    const slow = q('query($w: CustomerWhere) { customers(where: $w) { id } }', T.rep, { w: { region: { eq: 'EU' } } }).then((r) => ({ r, ms: Date.now() - started }));
    const other = new Promise((resolve) => setTimeout(resolve, 100)).then(() => q('{ me { id } }', T.regional)).then((r) => ({ r, ms: Date.now() - started }));
    const [a, b] = await Promise.all([slow, other]);
    expect(a.r.body.errors).toBeUndefined();
    expect(a.r.body.data.customers.length).toBe(mine.filter((c) => c.region === 'EU').length);
    expect(b.r.body.data.me.id).toBe('nora');
    expect({ variableQueryMs: a.ms < 3000, otherRequestMs: b.ms < 3000 }).toEqual({ variableQueryMs: true, otherRequestMs: true });
    await good();
  }, 60_000);
});
