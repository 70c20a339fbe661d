import type { Gateway } from '../../src/server';
import { listAuditRecords, type AuditRecord } from '../../src/store';
import { setupEngine, type EngineSetup } from '../support/engines';
import { ADMIN_POLICY, MASKED_REP_POLICIES, startGateway, TEST_IDENTITY } from '../support/fixture';
import { bearer, mintToken } from '../support/tokens';
import { TcpProxy } from '../support/tcpProxy';

/**
 * The fast pipeline (src/server/fastPipeline.ts) answers known queries without Apollo's per-request
 * pipeline, and must answer exactly as Apollo does. Two gateways on the same sources: one with the
 * fast pipeline off (Apollo answers everything), one with it on. Every request goes to both, twice
 * (the first time teaches the second gateway the query); the second answers must be the same
 * status, headers and bytes, apart from request ids. The audit records and request metrics of the
 * two gateways must be the same too, and the second gateway must have answered through the fast
 * pipeline exactly the requests it should (a known query sent as a plain JSON POST) and no other.
 */

const POLICIES: Record<string, string> = {
  ...MASKED_REP_POLICIES,
  ...ADMIN_POLICY,
};

let engine: EngineSetup;
let proxy: TcpProxy;
let apollo: { gw: Gateway; url: string };
let fast: { gw: Gateway; url: string };
let rep: string;
let admin: string;

beforeAll(async () => {
  const crm = await setupEngine('postgres');
  const sales = await setupEngine('mysql');
  engine = { sources: { crm: crm.sources.crm, sales: sales.sources.sales }, cleanup: async () => void (await Promise.allSettled([crm.cleanup(), sales.cleanup()])) };
  const target = new URL(sales.sources.sales.url!);
  proxy = new TcpProxy(target.hostname, Number(target.port || 3306));
  target.port = String(await proxy.start());
  const sources = { crm: crm.sources.crm, sales: { ...sales.sources.sales, url: target.toString(), connectTimeout: '500ms' } };
  const extraConfig = TEST_IDENTITY;
  apollo = await startGateway(sources, { policies: POLICIES, extraConfig, fastPipeline: false });
  fast = await startGateway(sources, { policies: POLICIES, extraConfig });
  rep = (await mintToken({ sub: 'ana', roles: ['rep'], employee_id: 2 })) as string;
  admin = (await mintToken({ sub: 'erin', roles: ['admin'] })) as string;
});

afterAll(async () => {
  await Promise.allSettled([apollo?.gw.close(), fast?.gw.close()]);
  await proxy?.stop();
  await engine?.cleanup();
});

interface Req {
  token?: string;
  body?: unknown;
  /** A raw body (sent as is). */
  text?: string;
  method?: 'POST' | 'GET';
  search?: string;
  headers?: Record<string, string>;
}

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
/** Headers that differ between two answers of one server too. */
const VOLATILE = new Set(['date', 'x-request-id', 'keep-alive', 'connection']);

async function send(url: string, r: Req): Promise<Answer> {
  const res = await fetch(r.method === 'GET' ? `${url}${r.search ?? ''}` : url, {
    method: r.method ?? 'POST',
    headers: { ...(r.method === 'GET' ? {} : { 'content-type': 'application/json' }), ...(r.token ? bearer(r.token) : {}), ...r.headers },
    body: r.method === 'GET' ? undefined : (r.text ?? JSON.stringify(r.body)),
  });
  const headers: Record<string, string> = {};
  res.headers.forEach((v, k) => {
    if (!VOLATILE.has(k)) headers[k] = v;
  });
  // Error ids are request ids, and cursors are sealed with a fresh nonce each time: the same place in
  // both answers, a different value.
  const body = (await res.text()).replace(UUID, '<id>').replace(/"(cursor|endCursor|startCursor)":"[\w-]+"/g, '"$1":"<cursor>"');
  return { status: res.status, headers, body };
}

/**
 * Sends the request to both gateways twice and returns the second answers. `viaFast`: whether the
 * fast gateway's second answer must come from the fast pipeline.
 */
async function both(r: Req, viaFast: boolean): Promise<{ a: Answer; f: Answer }> {
  await send(apollo.url, r);
  await send(fast.url, r);
  const before = await answeredByFast();
  const a = await send(apollo.url, r);
  const f = await send(fast.url, r);
  expect({ request: r, fast: (await answeredByFast()) - before }).toEqual({ request: r, fast: viaFast ? 1 : 0 });
  expect(f).toEqual(a);
  return { a, f };
}

/** Requests the fast gateway's pipelines answered, over every role set. */
async function answeredByFast(): Promise<number> {
  let n = 0;
  for (const roles of [['rep'], ['admin'], ['anonymous']]) n += (await fast.gw.roleServers.forView(fast.gw.runtime.policy.view(roles))).fast.answered;
  // The fast gateway's servers and the apollo gateway's: the latter must never answer fast.
  for (const roles of [['rep'], ['admin'], ['anonymous']]) expect((await apollo.gw.roleServers.forView(apollo.gw.runtime.policy.view(roles))).fast.answered).toBe(0);
  return n;
}

const REP_CUSTOMERS = 'query RepCustomers { customers(limit: 5, orderBy: [{id: ASC}]) { id name email region orders(orderBy: [{id: ASC}]) { id amount status } } }';

describe('the fast pipeline answers as Apollo does', () => {
  test('a list across two sources, with masks, lineage and the role condition', async () => {
    const { f } = await both({ token: rep, body: { query: REP_CUSTOMERS } }, true);
    const body = JSON.parse(f.body);
    expect(body.data.customers.length).toBeGreaterThan(0);
    expect(body.extensions.lineage.length).toBeGreaterThan(1);
    expect(f.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  test('variables: the same document with other values', async () => {
    const query = 'query One($id: Int!) { customer(id: $id) { id name email rep { name } } }';
    for (const id of [1, 2, 3, 999]) await both({ token: rep, body: { query, variables: { id }, operationName: 'One' } }, true);
    await both({ token: admin, body: { query, variables: { id: 2 } } }, true);
  });

  test('one operation of a document of several, by name', async () => {
    const query = 'query Reps { reps(orderBy: [{id: ASC}]) { id name } } query Products { products(orderBy: [{id: ASC}]) { id name price } }';
    await both({ token: admin, body: { query, operationName: 'Products' } }, true);
    await both({ token: admin, body: { query, operationName: 'Reps' } }, true);
    // No name where the document has several: Apollo's error, every time.
    await both({ token: admin, body: { query } }, false);
    await both({ token: admin, body: { query, operationName: 'Nope' } }, false);
  });

  test('aggregates, connections, introspection fields', async () => {
    await both({ token: admin, body: { query: '{ ordersAggregate(groupBy: [status]) { count group { status } sum { amount } } }' } }, true);
    await both({ token: rep, body: { query: '{ ordersConnection(first: 3, orderBy: [{id: ASC}]) { totalCount edges { cursor node { id amount } } pageInfo { hasNextPage endCursor } } }' } }, true);
    await both({ token: rep, body: { query: '{ __typename health { status } }' } }, true);
  });

  test('Accept headers: the content type Apollo negotiates, and its 406', async () => {
    for (const accept of ['application/json', 'application/graphql-response+json', '*/*', 'application/graphql-response+json;q=0.5, application/json', 'application/json, multipart/mixed'])
      await both({ token: rep, body: { query: REP_CUSTOMERS }, headers: { accept } }, true);
    const { f } = await both({ token: rep, body: { query: REP_CUSTOMERS }, headers: { accept: 'text/html' } }, false);
    expect(f.status).toBe(406);
  });

  test('refusals before execution go to Apollo: bad variables, the row limit, extensions, GET, a mutation', async () => {
    const query = 'query One($id: Int!) { customer(id: $id) { id } }';
    const bad = await both({ token: rep, body: { query, variables: { id: 'x' } } }, false);
    expect(bad.f.status).toBe(400);
    const limit = await both({ token: rep, body: { query: '{ customers(limit: 100000) { id } }' } }, false);
    expect(limit.f.body).toContain('LIMIT_EXCEEDED');
    // The row budget depends on the variables: the same document runs fast within it, and goes to Apollo above it.
    const paged = 'query Page($n: Int) { customers(limit: $n, orderBy: [{id: ASC}]) { id } }';
    await both({ token: rep, body: { query: paged, variables: { n: 2 } } }, true);
    const over = await both({ token: rep, body: { query: paged, variables: { n: 100000 } } }, false);
    expect(over.f.body).toContain('LIMIT_EXCEEDED');
    await both({ token: rep, body: { query: paged, variables: { n: 3 } } }, true);
    await both({ token: rep, body: { query: REP_CUSTOMERS, extensions: { something: 1 } } }, false);
    await both({ token: rep, method: 'GET', search: `?query=${encodeURIComponent(REP_CUSTOMERS)}`, headers: { 'apollo-require-preflight': '1' } }, false);
    const mutation = await both({ token: rep, body: { query: 'mutation { requestAccess(entity: "Nope", reason: "x", days: 1) { id } }' } }, false);
    expect(mutation.f.body).toContain('errors');
    // Not a JSON object, or not JSON at all.
    await both({ token: rep, text: '[]' }, false);
    await both({ token: rep, text: JSON.stringify({ query: 7 }) }, false);
  });

  test('errors while executing: a source that is down answers at its fields, formatted as Apollo formats them', async () => {
    // Teach the fast gateway while sales is up, then take sales away.
    await send(fast.url, { token: rep, body: { query: REP_CUSTOMERS } });
    await proxy.stop();
    try {
      const before = await answeredByFast();
      const a = await send(apollo.url, { token: rep, body: { query: REP_CUSTOMERS } });
      const f = await send(fast.url, { token: rep, body: { query: REP_CUSTOMERS } });
      expect((await answeredByFast()) - before).toBe(1);
      expect(f).toEqual(a);
      const body = JSON.parse(f.body);
      expect(body.data.customers.length).toBeGreaterThan(0);
      expect(body.errors.length).toBeGreaterThan(0);
      expect(body.errors[0].path).toEqual(['customers', 0, 'orders']);
    } finally {
      await proxy.start();
    }
  });

  test('the same audit records and request metrics on both gateways', async () => {
    await Promise.all([apollo.gw.governance.audit.flush(), fast.gw.governance.audit.flush()]);
    const strip = (r: AuditRecord) => {
      const { id: _id, at: _at, requestId: _rid, durationMs: _ms, ...rest } = r as AuditRecord & { id?: unknown };
      // Statements run concurrently: what they read is listed in the order they finished.
      const sorted = (o: Record<string, unknown>) => Object.fromEntries(Object.entries(o).sort(([x], [y]) => (x < y ? -1 : 1)));
      return {
        ...rest,
        entities: [...rest.entities].sort(),
        fields: [...rest.fields].sort(),
        sources: [...rest.sources].sort(),
        rowCounts: sorted(rest.rowCounts),
        masks: sorted(rest.masks),
        denials: (rest.denials as { message: string }[]).map((d) => ({ ...d, message: d.message.replace(UUID, '<id>') })),
      };
    };
    const records = async (gw: Gateway) => (await listAuditRecords(gw.governance.store, { first: 1000 })).records.map(strip);
    const [a, f] = await Promise.all([records(apollo.gw), records(fast.gw)]);
    // The fast gateway got one more request (taught before sales went down).
    expect(f.length).toBe(a.length + 1);
    expect(a.length).toBeGreaterThan(40);
    const count = (rs: ReturnType<typeof strip>[]) => {
      const m = new Map<string, number>();
      for (const r of rs) m.set(JSON.stringify(r), (m.get(JSON.stringify(r)) ?? 0) + 1);
      return m;
    };
    const ca = count(a);
    const cf = count(f);
    const extra = [...cf].filter(([k, n]) => n !== (ca.get(k) ?? 0));
    expect(extra).toHaveLength(1);
    expect(extra[0][1]).toBe((ca.get(extra[0][0]) ?? 0) + 1);
    expect(JSON.parse(extra[0][0]).operationName).toBe('RepCustomers');

    const requests = async (url: string) =>
      (await (await fetch(url.replace(/\/graphql$/, '/metrics'))).text())
        .split('\n')
        .filter((l) => l.startsWith('datagate_requests_total{'))
        .sort();
    const [ma, mf] = await Promise.all([requests(apollo.url), requests(fast.url)]);
    expect(ma.length).toBeGreaterThan(3);
    const plusOne = ma.map((l) => (l.startsWith('datagate_requests_total{operation="RepCustomers",role_set="rep",outcome="ok"}') ? l.replace(/ (\d+)$/, (_, n) => ` ${Number(n) + 1}`) : l));
    expect(mf).toEqual(plusOne);
  });
});
