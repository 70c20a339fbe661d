import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { createGateway, type Gateway } from '../../src/server';
import { listAuditRecords } from '../../src/store';
import { createMysqlDatabase, createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { createCrm, createSales, fixtureData, FIXTURE_MODEL, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { TcpProxy } from '../support/tcpProxy';
import { bearer, mintToken } from '../support/tokens';

/**
 * Observability on real servers: crm on PostgreSQL, sales on MariaDB behind a proxy the test cuts.
 * The gateway logs through its own pino logger at debug level into `lines`, so redaction and the
 * request id are checked on the lines an operator would read.
 */

const data = fixtureData();
/** Every customer email, and what the hash mask turns it into (read back from the gateway). */
const emails = data.customers.flatMap((c) => (c.email ? [c.email] : []));

const POLICIES = {
  'anonymous.yaml': `
role: anonymous
rules:
  - { action: [read, aggregate], subject: all }
masks:
  Customer.email: hash
`,
};

/** A second view of the customers table whose `email` claims to be an Int: reading it is a bug of the model, an internal error. */
const BROKEN = `
SlowCustomer:
  source: crm
  table: slow_customers
  key: id
  fields:
    id: { type: Int }
BrokenCustomer:
  source: crm
  table: customers
  key: id
  fields:
    id: { type: Int }
    email: { type: Int }
`;

let crm: TestDatabase, sales: TestDatabase;
let proxy: TcpProxy;
let gw: Gateway;
let url: string;
let base: string;
let dir: string;
const lines: string[] = [];
const records = () => lines.map((l) => JSON.parse(l) as Record<string, unknown>);

beforeAll(async () => {
  crm = await createPgDatabase('obs_crm');
  sales = await createMysqlDatabase('obs_sales');
  for (const [db, fn] of [[crm, createCrm], [sales, createSales]] as const) {
    const k = knexFor(db.url);
    try {
      await fn(k, data);
      if (db === crm) await k.raw('create view slow_customers as select c.id from customers c cross join (select pg_sleep(1)) s');
    } finally {
      await k.destroy();
    }
  }
  const target = new URL(sales.url);
  proxy = new TcpProxy(target.hostname, Number(target.port || 3306));
  const proxied = new URL(sales.url);
  proxied.port = String(await proxy.start());
  dir = mkdtempSync(path.join(os.tmpdir(), 'datagate-obs-'));
  mkdirSync(path.join(dir, 'schema'));
  mkdirSync(path.join(dir, 'policies'));
  for (const [f, text] of Object.entries({ ...FIXTURE_MODEL, 'broken.yaml': BROKEN })) writeFileSync(path.join(dir, 'schema', f), text);
  for (const [f, text] of Object.entries(POLICIES)) writeFileSync(path.join(dir, 'policies', f), text);
  writeFileSync(
    path.join(dir, 'datagate.yaml'),
    [
      'sources:',
      `  crm: { dialect: postgres, url: ${JSON.stringify(crm.url)}, statementTimeout: 5s, connectTimeout: 2s, pool: 4 }`,
      `  sales: { dialect: mysql, url: ${JSON.stringify(proxied.toString())}, statementTimeout: 5s, connectTimeout: 1s }`,
      'metadata: { url: ":memory:" }',
      'audit: { flushInterval: 50ms }',
      TEST_IDENTITY,
    ].join('\n') + '\n',
  );
  gw = await createGateway({ configFile: path.join(dir, 'datagate.yaml'), env: { LOG_LEVEL: 'debug' }, logDestination: { write: (s: string) => void lines.push(...s.split('\n').filter(Boolean)) } });
  url = await gw.listen(0, '127.0.0.1');
  base = url.replace(/\/graphql$/, '');
}, 60_000);

afterAll(async () => {
  await gw?.close();
  await proxy?.stop();
  await crm?.drop();
  await sales?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const scrape = async () => (await fetch(`${base}/metrics`)).text();
/** The value of one sample, by metric name and a label subset; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    const m = /^([a-z_]+)\{([^}]*)\} (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = Object.fromEntries([...m[2].matchAll(/(\w+)="([^"]*)"/g)].map((x) => [x[1], x[2]]));
    if (Object.entries(labels).every(([k, v]) => have[k] === v)) return Number(m[3]);
  }
  return undefined;
}

test('metrics: requests by operation, role set and outcome; latency histograms; per-source latency; pool gauges', async () => {
  for (let i = 0; i < 3; i++) {
    const r = await postGraphQL(url, 'query ListCustomers { customers(limit: 5) { id name orders { id amount } } }');
    expect(r.body.errors).toBeUndefined();
  }
  await postGraphQL(url, '{ products(limit: 2) { id } }');
  const denied = await postGraphQL(url, 'query WithBadToken { products(limit: 1) { id } }', undefined, bearer('not.a.token'));
  expect(denied.status).toBe(401);
  const token = await mintToken({ sub: 'obs-user', roles: ['anonymous'] });
  const wrongRole = await postGraphQL(url, 'query WrongRole { products(limit: 1) { id } }', undefined, { ...bearer(token), 'x-datagate-role': 'auditor' });
  expect(wrongRole.status).toBe(403);
  const big = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: `{ products(limit: 1) { id } } #${'x'.repeat(200_000)}` }) });
  expect(big.status).toBe(413);
  const invalid = await postGraphQL(url, 'query Invalid { customers(limit: 1) { nope } }');
  expect(invalid.status).toBe(400);

  const text = await scrape();
  expect(sample(text, 'datagate_requests_total', { operation: 'ListCustomers', role_set: 'anonymous', outcome: 'ok' })).toBe(3);
  expect(sample(text, 'datagate_requests_total', { operation: '(anonymous)', role_set: 'anonymous', outcome: 'ok' })).toBe(1);
  expect(sample(text, 'datagate_requests_total', { operation: 'WithBadToken', role_set: '(none)', outcome: 'denied' })).toBe(1);
  expect(sample(text, 'datagate_requests_total', { operation: '(anonymous)', role_set: '(none)', outcome: 'rejected' })).toBe(1);
  expect(sample(text, 'datagate_requests_total', { operation: 'WrongRole', role_set: '(none)', outcome: 'denied' })).toBe(1);
  expect(sample(text, 'datagate_requests_total', { operation: 'Invalid', role_set: 'anonymous', outcome: 'denied' })).toBe(1);
  // Histogram: cumulative buckets ending at +Inf = count.
  expect(sample(text, 'datagate_request_duration_seconds_bucket', { operation: 'ListCustomers', outcome: 'ok', le: '+Inf' })).toBe(3);
  expect(sample(text, 'datagate_request_duration_seconds_count', { operation: 'ListCustomers', outcome: 'ok' })).toBe(3);
  expect(sample(text, 'datagate_request_duration_seconds_bucket', { operation: 'ListCustomers', outcome: 'ok', le: '10' })).toBe(3);
  // Per source: customers on crm (select), their orders on sales (select), three times each at least.
  expect(sample(text, 'datagate_source_query_duration_seconds_count', { source: 'crm', kind: 'select' })).toBeGreaterThanOrEqual(3);
  expect(sample(text, 'datagate_source_query_duration_seconds_count', { source: 'sales', kind: 'select' })).toBeGreaterThanOrEqual(4);
  expect(sample(text, 'datagate_source_query_duration_seconds_sum', { source: 'crm', kind: 'select' })).toBeGreaterThan(0);
  // Pools, read from knex's tarn pool at scrape time: nothing lent out between requests, at least one idle connection.
  expect(sample(text, 'datagate_source_pool_connections_used', { source: 'crm' })).toBe(0);
  expect(sample(text, 'datagate_source_pool_connections_free', { source: 'crm' })).toBeGreaterThanOrEqual(1);
  expect(sample(text, 'datagate_source_pool_pending_acquires', { source: 'sales' })).toBe(0);
  expect(text).toMatch(/^datagate_audit_queue_depth \d+$/m);
  // Breaker state through the adapters' stats(): both sources closed (0).
  expect(sample(text, 'datagate_source_breaker_state', { source: 'crm' })).toBe(0);
  expect(sample(text, 'datagate_source_breaker_state', { source: 'sales' })).toBe(0);
  expect(sample(text, 'datagate_source_queued', { source: 'crm' })).toBe(0);
});

test('pool gauges see connections in use and statements waiting for one', async () => {
  // Six one-second statements on a pool of four: four lent out, two waiting.
  const slow = Array.from({ length: 6 }, () => postGraphQL(url, '{ slowCustomers(limit: 1) { id } }'));
  await new Promise((r) => setTimeout(r, 500));
  const during = await scrape();
  const answers = await Promise.all(slow);
  for (const a of answers) expect(a.body.errors).toBeUndefined();
  expect(sample(during, 'datagate_source_pool_connections_used', { source: 'crm' })).toBe(4);
  expect(sample(during, 'datagate_source_pool_pending_acquires', { source: 'crm' })).toBe(2);
  expect(sample(await scrape(), 'datagate_source_pool_connections_used', { source: 'crm' })).toBe(0);
}, 20_000);

test('logs: every line of a request carries its id; an internal error shows the request id, which finds the log line and the audit record', async () => {
  const r = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-request-id': 'obs-broken-1' },
    body: JSON.stringify({ query: 'query Broken { brokenCustomers(limit: 3, orderBy: [{id: ASC}]) { id email } }' }),
  });
  const body = (await r.json()) as { errors: { message: string; extensions: { code: string; errorId: string } }[] };
  expect(r.headers.get('x-request-id')).toBe('obs-broken-1');
  const internal = body.errors.filter((e) => e.extensions.code === 'INTERNAL_SERVER_ERROR');
  expect(internal.length).toBeGreaterThan(0);
  for (const e of internal) {
    expect(e.extensions.errorId).toBe('obs-broken-1');
    expect(e.message).toBe('internal error (id obs-broken-1)');
  }
  const mine = records().filter((l) => l.requestId === 'obs-broken-1');
  const errorLine = mine.find((l) => l.level === 'error' && l.errorId === 'obs-broken-1');
  expect(errorLine).toBeDefined();
  expect(String(errorLine!.msg)).toMatch(/^internal error: /);
  const access = mine.find((l) => l.msg === 'request');
  expect(access).toMatchObject({ level: 'info', method: 'POST', path: '/graphql', status: 200, operation: 'Broken', roleSet: 'anonymous', outcome: expect.any(String) });
  expect(typeof access!.ms).toBe('number');
  expect(mine.find((l) => l.msg === 'statements')).toMatchObject({ level: 'debug', statements: [expect.objectContaining({ source: 'crm', entity: 'BrokenCustomer', kind: 'select', rows: 3 })] });
  await gw.governance.audit.flush();
  const { records: audit } = await listAuditRecords(gw.governance.store, { operationName: 'Broken', first: 10 });
  expect(audit.map((a) => a.requestId)).toEqual(['obs-broken-1']);

  // Without x-request-id the gateway makes one, returns it, and every line of the request carries it.
  const plain = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: 'query Plain { products(limit: 1) { id } }' }) });
  const id = plain.headers.get('x-request-id');
  expect(id).toMatch(/^[0-9a-f-]{36}$/);
  const lines = records().filter((l) => l.requestId === id);
  expect(lines.map((l) => l.msg).sort()).toEqual(['request', 'statements']);
});

test('no value of a masked (or pii) field reaches any log line, even at debug level and through errors', async () => {
  // Read the masked emails (the client sees hashes), filter on one, break a statement on purpose.
  const read = await postGraphQL(url, 'query Emails { customers(limit: 120, orderBy: [{id: ASC}]) { id email } }');
  expect(read.body.errors).toBeUndefined();
  const hashes = (read.body.data.customers as { email: string | null }[]).flatMap((c) => (c.email ? [c.email] : []));
  expect(hashes.length).toBeGreaterThan(50);
  expect(hashes).not.toContain(emails[0]);
  await postGraphQL(url, 'query ByEmail($e: String) { customers(where: { email: { eq: $e } }) { id } }', { e: emails[0] });
  await postGraphQL(url, `query ByEmailLiteral { customers(where: { email: { eq: "${emails[1]}" } }) { id } }`);
  await postGraphQL(url, 'query Broken2 { brokenCustomers(limit: 120) { id email } }');
  const token = await mintToken({ sub: emails[2], roles: ['anonymous'] });
  await postGraphQL(url, 'query AsUser { customers(limit: 1) { email } }', undefined, bearer(token));
  await gw.governance.audit.flush();
  const all = lines.join('\n');
  expect(records().some((l) => l.level === 'debug')).toBe(true);
  for (const v of [...emails, ...hashes]) expect({ value: v, found: all.includes(v) }).toEqual({ value: v, found: false });
});

test('/ready: 503 with the reason when a source is cut, 200 once it is back; /health stays 200', async () => {
  const ready = await fetch(`${base}/ready`);
  expect(ready.status).toBe(200);
  expect(await ready.json()).toMatchObject({ status: 'ready', sources: { crm: { ok: true }, sales: { ok: true } }, store: { ok: true }, audit: { ok: true } });

  await proxy.stop();
  // A query on the cut source fails, and is counted by code.
  const down = await postGraphQL(url, '{ products(limit: 1) { id } }');
  expect(down.body.errors?.[0].extensions?.code).toMatch(/^SOURCE_/);
  await new Promise((r) => setTimeout(r, 1100)); // past the readiness cache
  const r503 = await fetch(`${base}/ready`);
  expect(r503.status).toBe(503);
  const body = (await r503.json()) as { status: string; reasons: string[]; sources: Record<string, { ok: boolean; reason?: string }> };
  expect(body.status).toBe('unavailable');
  expect(body.sources.crm.ok).toBe(true);
  expect(body.sources.sales).toMatchObject({ ok: false, reason: expect.stringMatching(/^SOURCE_\w+: source "sales"/) });
  expect(body.reasons).toEqual([expect.stringMatching(/^source sales: SOURCE_/)]);
  expect(JSON.stringify(body)).not.toMatch(/mysql:\/\/|password|select /i);
  expect((await fetch(`${base}/health`)).status).toBe(200);
  const text = await scrape();
  const errors = [...text.matchAll(/^datagate_source_errors_total\{([^}]*)\} (\d+)$/gm)].filter((m) => m[1].includes('source="sales"'));
  expect(errors.length).toBeGreaterThan(0);
  for (const m of errors) expect(m[1]).toMatch(/code="SOURCE_[A-Z_]+"/);

  await proxy.start();
  let status = 0;
  for (let i = 0; i < 50 && status !== 200; i++) {
    await new Promise((r) => setTimeout(r, 200));
    status = (await fetch(`${base}/ready`)).status;
  }
  expect(status).toBe(200);
}, 30_000);

test('/ready pings are cached: a flood of probes costs one ping per source per second', async () => {
  const crmSource = gw.runtime.sources.get('crm')!;
  const ping = crmSource.ping;
  let pings = 0;
  Object.assign(crmSource, { ping: () => (pings++, ping.call(crmSource)) });
  try {
    await new Promise((r) => setTimeout(r, 1100));
    const answers = await Promise.all(Array.from({ length: 50 }, () => fetch(`${base}/ready`).then((r) => r.status)));
    expect(answers.every((s) => s === 200)).toBe(true);
    expect(pings).toBe(1);
  } finally {
    Object.assign(crmSource, { ping });
  }
  const probes = records().filter((l) => l.path === '/ready');
  expect(probes.length).toBeGreaterThanOrEqual(50);
  expect(probes.every((l) => l.level === 'debug')).toBe(true);
});

test('label cardinality: past 200 operation names, new ones count as (other)', async () => {
  for (let i = 0; i < 210; i++) {
    const r = await postGraphQL(url, `query Op${i} { __typename }`);
    expect(r.status).toBe(200);
  }
  const text = await scrape();
  const ops = new Set([...text.matchAll(/^datagate_requests_total\{[^}]*operation="([^"]*)"/gm)].map((m) => m[1]));
  expect(ops.size).toBeLessThanOrEqual(200 + 2); // + (anonymous) and (other)
  expect(ops.has('(other)')).toBe(true);
  expect(sample(text, 'datagate_requests_total', { operation: 'Op0', outcome: 'ok' })).toBe(1);
  expect(sample(text, 'datagate_requests_total', { operation: 'Op209' })).toBeUndefined();
});
