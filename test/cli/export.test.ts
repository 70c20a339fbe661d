import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { main } from '../../src/cli/main';
import type { Gateway } from '../../src/server';
import { runCli } from '../support/cli';
import { createMysqlDatabase, createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { parseCsv as parseCsvText } from '../support/csv';
import { createCrm, createSales, fixtureData, MASKED_REP_POLICIES, startGateway, TEST_JWT_SECRET } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';

/**
 * `datagate export` against a real gateway (crm on PostgreSQL, sales on MariaDB): the file holds
 * exactly what the gateway answers the same user in one big request, masks included; the manifest
 * says who, what, when and from where, and its sha256 is the file's.
 */
const POLICIES = MASKED_REP_POLICIES;
const IDENTITY = `identity:
  users: users.yaml
  jwt: { secret: ${TEST_JWT_SECRET}, issuer: datagate-test, audience: datagate }
  claims: { attributes: { employeeId: employee_id } }
masking: { secret: test-mask-secret-0123456789 }`;
const REP = 2;
const data = fixtureData();
const QUERY = `query Mine($region: String) {
  customersConnection(first: 4, orderBy: [{id: ASC}], where: {region: {neq: $region}}) {
    edges { node { id name email region rep { name } } }
  }
}
`;
const VARS = { region: 'APAC' };

async function load(url: string, fn: (k: Knex) => Promise<void>) {
  const k = knexFor(url);
  try {
    await fn(k);
  } finally {
    await k.destroy();
  }
}

/** RFC 4180 records, as a spreadsheet reads them; the file ends with a whole record (CRLF). */
function parseCsv(text: string): string[][] {
  expect(text.endsWith('\r\n')).toBe(true);
  return parseCsvText(text);
}

/** A port nothing listens on. */
async function closedPort(): Promise<number> {
  const s = http.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('datagate export (crm on PostgreSQL, sales on MariaDB)', () => {
  const dbs: TestDatabase[] = [];
  let gw: Gateway;
  let url: string;
  let dir: string;
  let token: string;
  let work: string;
  let queryFile: string;
  let varsFile: string;
  /** The gateway's own answer to the same user, in one request. */
  let expected: Record<string, any>[];

  beforeAll(async () => {
    dbs.push(await createPgDatabase('exp_crm'), await createMysqlDatabase('exp_sales'));
    await load(dbs[0].url, (k) => createCrm(k, data));
    await load(dbs[1].url, (k) => createSales(k, data));
    ({ gw, url, dir } = await startGateway(
      { crm: { dialect: 'postgres', url: dbs[0].url }, sales: { dialect: 'mysql', url: dbs[1].url } },
      { policies: POLICIES, extraConfig: IDENTITY },
    ));
    writeFileSync(path.join(dir, 'users.yaml'), `rep2: { sub: rep2, roles: [rep], employee_id: ${REP} }\n`);
    token = await mintToken({ sub: 'rep2', roles: ['rep'], employee_id: REP });
    work = mkdtempSync(path.join(tmpdir(), 'datagate-export-'));
    queryFile = path.join(work, 'mine.graphql');
    varsFile = path.join(work, 'vars.json');
    writeFileSync(queryFile, QUERY);
    writeFileSync(varsFile, JSON.stringify(VARS));
    const big = await postGraphQL(url, QUERY.replace('first: 4', 'first: 1000'), VARS, bearer(token));
    expect(big.body.errors).toBeUndefined();
    expected = big.body.data.customersConnection.edges.map((e: { node: unknown }) => e.node);
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await Promise.allSettled(dbs.map((d) => d.drop()));
    if (work) rmSync(work, { recursive: true, force: true });
  });

  const exportTo = (out: string, ...extra: string[]) => runCli(main, ['export', '--query', queryFile, '--vars', varsFile, '--url', url, '--out', out, ...extra]);

  test('the fixture is what the test needs: several pages, masked and clear values', () => {
    const mine = data.customers.filter((c) => c.rep_id === REP && c.region !== null && c.region !== 'APAC');
    expect(expected.map((c) => c.id)).toEqual(mine.map((c) => c.id));
    expect(expected.length).toBeGreaterThan(8);
    expect(expected.every((c) => c.email === null || /\*\*\*/.test(c.email))).toBe(true);
    const vip = expected.find((c) => data.customers[c.id - 1].vip)!;
    expect(vip.name).toBe(data.customers[vip.id - 1].name);
    const notVip = expected.find((c) => !data.customers[c.id - 1].vip)!;
    expect(notVip.name).not.toBe(data.customers[notVip.id - 1].name);
  });

  test('jsonl: every page streamed, rows equal to the one big answer; the manifest traces them', async () => {
    const out = path.join(work, 'jsonl');
    const r = await exportTo(out, '--as', token, '--format', 'jsonl');
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    expect(r.code).toBe(0);
    const pages = Math.ceil(expected.length / 4);
    expect(r.stderr).toContain(`export: 4 rows, 1 page\n`);
    expect(r.stderr).toContain(`export: ${expected.length} rows, ${pages} pages\n`);
    const file = path.join(out, 'mine.jsonl');
    const text = readFileSync(file, 'utf8');
    expect(text.trimEnd().split('\n').map((l) => JSON.parse(l))).toEqual(expected);

    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({
      datagate: { version: JSON.parse(readFileSync(path.join(__dirname, '../../package.json'), 'utf8')).version },
      query: QUERY,
      variables: VARS,
      user: { id: 'rep2', roles: ['rep'] },
      gateway: url,
      file: 'mine.jsonl',
      format: 'jsonl',
      rows: expected.length,
      pages,
      sha256: createHash('sha256').update(readFileSync(file)).digest('hex'),
    });
    const started = Date.parse(manifest.started);
    expect(started).toBeLessThanOrEqual(Date.parse(manifest.finished));
    expect(Date.now() - started).toBeLessThan(60_000);
    // Lineage merged over the pages: every customer row once, from crm's customers, masks as the role has them.
    const customers = manifest.lineage.find((e: any) => e.path === 'customersConnection' && e.kind === 'select');
    expect(customers).toMatchObject({ entity: 'Customer', source: 'crm', table: 'customers', rows: expected.length, statements: pages, policy: { roles: ['rep'] } });
    expect(customers.masks).toEqual(expect.arrayContaining([{ field: 'email', mask: 'email' }, { field: 'name', mask: 'redact', conditional: true }]));
    const reps = manifest.lineage.find((e: any) => e.path === 'customersConnection.edges.node.rep');
    // crm is PostgreSQL: each page's statement reads its customers' reps (graph/nesting.ts).
    expect(reps).toMatchObject({ entity: 'Rep', source: 'crm', table: 'reps', statements: 0, readWith: 'customersConnection' });
    expect(JSON.stringify(manifest.lineage)).not.toMatch(/score|balance/);
  });

  test('csv: nested objects as a.b columns, the same rows, the sha256 of the bytes written', async () => {
    const out = path.join(work, 'csv');
    const r = await exportTo(out, '--as', token, '--format', 'csv', '--name', 'customers', '--page-size', '5');
    expect(r.code).toBe(0);
    const file = path.join(out, 'customers.csv');
    const bytes = readFileSync(file);
    const [header, ...rows] = parseCsv(bytes.toString('utf8'));
    expect(header).toEqual(['id', 'name', 'email', 'region', 'rep.name']);
    expect(rows).toEqual(expected.map((c) => [String(c.id), c.name ?? '', c.email ?? '', c.region ?? '', c.rep?.name ?? '']));
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest).toMatchObject({ file: 'customers.csv', format: 'csv', columns: header, rows: expected.length, pages: Math.ceil(expected.length / 5) });
    expect(manifest.sha256).toBe(createHash('sha256').update(bytes).digest('hex'));
  });

  test('a root field that is not a connection is one request: an aggregate to csv', async () => {
    const out = path.join(work, 'agg');
    const q = path.join(work, 'byStatus.graphql');
    writeFileSync(q, '{ ordersAggregate(groupBy: [status]) { count group { status } sum { amount } } }');
    const r = await runCli(main, ['export', '--query', q, '--url', url, '--out', out, '--as', token, '--format', 'csv']);
    expect(r.code).toBe(0);
    const answer = await postGraphQL(url, readFileSync(q, 'utf8'), undefined, bearer(token));
    const [header, ...rows] = parseCsv(readFileSync(path.join(out, 'byStatus.csv'), 'utf8'));
    expect(header).toEqual(['count', 'group.status', 'sum.amount']);
    expect(rows).toEqual(answer.body.data.ordersAggregate.map((g: any) => [String(g.count), g.group.status, g.sum.amount ?? '']));
    const manifest = JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8'));
    expect(manifest.pages).toBe(1);
    expect(manifest.lineage.find((e: any) => e.kind === 'aggregate')).toMatchObject({ entity: 'Order', source: 'sales', rows: rows.length });
  });

  test('--as-user mints a development token from the deployment, as datagate token does', async () => {
    const out = path.join(work, 'asUser');
    const r = await exportTo(out, '--as-user', 'rep2', '--config', path.join(dir, 'datagate.yaml'));
    expect(r.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(out, 'manifest.json'), 'utf8')).user).toEqual({ id: 'rep2', roles: ['rep'] });
    expect(readFileSync(path.join(out, 'mine.jsonl'), 'utf8').trimEnd().split('\n')).toHaveLength(expected.length);
  });

  test('a bad or expired token: exit 1 with the reason, no file', async () => {
    const out = path.join(work, 'bad');
    const r = await exportTo(out, '--as', 'not-a-token');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^the gateway refused the token \(HTTP 401\): .+/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    const expired = await mintToken({ sub: 'rep2', roles: ['rep'], employee_id: REP }, { expiresIn: -120 });
    const r2 = await exportTo(out, '--as', expired);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/HTTP 401.*expired/);
    expect(existsSync(out)).toBe(false);
  });

  test('the gateway down: exit 1 saying how to start it', async () => {
    const out = path.join(work, 'down');
    const r = await runCli(main, ['export', '--query', queryFile, '--vars', varsFile, '--url', `http://127.0.0.1:${await closedPort()}/graphql`, '--out', out, '--as', token]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^cannot reach the gateway at http:\/\/127\.0\.0\.1:\d+\/graphql \(ECONNREFUSED\): start it with `npx datagate serve`/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
  });

  test('GraphQL errors fail the export with their messages, never a partial file', async () => {
    const out = path.join(work, 'errors');
    const q = path.join(work, 'hidden.graphql');
    writeFileSync(q, '{ customersConnection(first: 2) { nodes { id score } } }');
    const r = await runCli(main, ['export', '--query', q, '--url', url, '--out', out, '--as', token]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^the gateway answered with errors, nothing was exported: .*score.*\[GRAPHQL_VALIDATION_FAILED\]/);
    expect(readdirSync(out)).toEqual([]);
  });

  test('csv refuses a list of objects inside a row, and removes what it had written', async () => {
    const out = path.join(work, 'nested');
    const q = path.join(work, 'nested.graphql');
    writeFileSync(q, '{ customersConnection(first: 3, orderBy: [{id: ASC}]) { nodes { id orders { id } } } }');
    const r = await runCli(main, ['export', '--query', q, '--url', url, '--out', out, '--as', token, '--format', 'csv']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/"customersConnection\.nodes\.orders" is a list of objects, which has no CSV shape: export that entity through its own root field/);
    expect(readdirSync(out)).toEqual([]);
    // jsonl keeps the nesting.
    const ok = await runCli(main, ['export', '--query', q, '--url', url, '--out', out, '--as', token, '--format', 'jsonl']);
    expect(ok.code).toBe(0);
    expect(JSON.parse(readFileSync(path.join(out, 'nested.jsonl'), 'utf8').split('\n')[0]).orders).toEqual(expect.any(Array));
  });

  test('arguments: a query with two root fields, a missing token, a bad format', async () => {
    const q = path.join(work, 'two.graphql');
    writeFileSync(q, '{ customers { id } orders { id } }');
    const two = await runCli(main, ['export', '--query', q, '--url', url, '--out', work, '--as', token]);
    expect(two.code).toBe(1);
    expect(two.stderr).toMatch(/^export reads one root field .*found customers, orders: export each on its own/);
    const noToken = await runCli(main, ['export', '--query', queryFile, '--out', work]);
    expect(noToken.code).toBe(1);
    expect(noToken.stderr).toMatch(/^as whom\? pass --as TOKEN/);
    const fmt = await runCli(main, ['export', '--query', queryFile, '--out', work, '--as', token, '--format', 'xlsx']);
    expect(fmt.code).toBe(1);
    expect(fmt.stderr).toMatch(/^--format must be csv or jsonl, found "xlsx"/);
  });
});
