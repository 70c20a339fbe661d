import path from 'node:path';
import { loadConfig } from '../../src/config';
import type { Gateway } from '../../src/server';
import { createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { startGateway, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, demoToken, mintToken } from '../support/tokens';
import { parseCsv } from '../support/csv';
import { startDemoGateway } from './demoGateway';

/** `POST /export.csv`: the rows of a query as CSV, through the caller's policy, masks and audit. */
const exportCsv = (base: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${base}/export.csv`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });

/** The same request as an HTML form posts it (the console's download: the browser saves the answer to disk as it streams). */
const exportForm = (base: string, fields: Record<string, string>, headers: Record<string, string> = {}, at = '/export.csv') =>
  fetch(`${base}${at}`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(fields).toString() });

/** A bob token signed by the demo's identity settings (or another secret, for a forgery), `expiresIn` seconds from now. */
async function bobToken(o: { expiresIn?: number; secret?: string } = {}): Promise<string> {
  const { config } = loadConfig(path.join(__dirname, '../../datagate.yaml'), {});
  const { secret, issuer, audience } = config.identity.jwt;
  return mintToken({ sub: 'bob', roles: ['marketing'] }, { secret: o.secret ?? secret, issuer, audience, expiresIn: o.expiresIn ?? 600 });
}

/** Nothing of the rows left the gateway: a JSON problem, no attachment, no CSV header line. */
async function nothingExported(r: Response): Promise<{ message: string; extensions: Record<string, unknown> }> {
  expect(r.headers.get('content-type')).toContain('application/json');
  expect(r.headers.get('content-disposition')).toBeNull();
  const text = await r.text();
  expect(text).not.toMatch(/^id,name/m);
  return JSON.parse(text).errors[0];
}

describe('on the demo, as bob (marketing)', () => {
  let gw: Gateway;
  let url: string;
  let base: string;
  let bob: Record<string, string>;
  beforeAll(async () => {
    ({ gw, url, base } = await startDemoGateway({ scale: 0.25 }));
    bob = bearer(await demoToken('bob'));
  }, 120_000);
  afterAll(async () => gw?.close());

  const QUERY = `query BobCustomers($region: String) { customersConnection(first: 70, where: {region: {eq: $region}}, orderBy: [{id: ASC}]) { edges { node { id name email region } } } }`;

  test('the CSV holds exactly the rows and masks of the gateway’s own answer, every page of it', async () => {
    const r = await exportCsv(base, { query: QUERY, variables: { region: 'EU' }, filename: 'eu customers' }, bob);
    expect(r.status).toBe(200);
    expect(r.headers.get('content-type')).toBe('text/csv; charset=utf-8');
    expect(r.headers.get('content-disposition')).toBe('attachment; filename="eu_customers.csv"');
    const rows = parseCsv(await r.text());
    expect(rows[0]).toEqual(['id', 'name', 'email', 'region']);

    // The same query through /graphql, page after page.
    const expected: string[][] = [];
    let after: string | null = null;
    do {
      const page: any = await postGraphQL(
        url,
        `query($after: String) { customersConnection(first: 70, after: $after, where: {region: {eq: "EU"}}, orderBy: [{id: ASC}]) { edges { node { id name email region } } pageInfo { hasNextPage endCursor } } }`,
        { after },
        bob,
      );
      expect(page.body.errors).toBeUndefined();
      for (const { node } of page.body.data.customersConnection.edges) expected.push([String(node.id), node.name, node.email ?? '', node.region ?? '']);
      after = page.body.data.customersConnection.pageInfo.hasNextPage ? page.body.data.customersConnection.pageInfo.endCursor : null;
    } while (after);
    expect(expected.length).toBeGreaterThan(70); // more than one page
    expect(rows.slice(1)).toEqual(expected);
    // bob sees some emails masked (no consent) and some in clear.
    const emails = rows.slice(1).map((r) => r[2]);
    expect(emails.some((e) => /^\w\*\*\*@/.test(e))).toBe(true);
    expect(emails.some((e) => e.includes('@') && !e.includes('***'))).toBe(true);
  });

  test('a field the role does not read is refused before any CSV, with the gateway’s own error', async () => {
    const r = await exportCsv(base, { query: '{ customersConnection(first: 10) { edges { node { id phone } } } }' }, bob);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toContain('application/json');
    expect((await r.json()).errors[0].message).toMatch(/phone/);
  });

  test('without a token the anonymous role’s policy applies; a bad token is 401 with a reason', async () => {
    const anon = await exportCsv(base, { query: '{ customersConnection(first: 10) { edges { node { id } } } }' });
    expect(anon.status).toBe(400);
    expect((await anon.json()).errors[0].message).toMatch(/customersConnection/);
    const bad = await exportCsv(base, { query: '{ customersConnection(first: 10) { edges { node { id } } } }' }, { authorization: 'Bearer not.a.token' });
    expect(bad.status).toBe(401);
    expect((await bad.json()).errors[0].extensions.reason).toBeDefined();
  });

  test('a query with no CSV shape, or no query, says what to send', async () => {
    const nested = await exportCsv(base, { query: '{ customersConnection(first: 10) { nodes { id orders { id } } } }' }, bearer(await demoToken('erin')));
    expect(nested.status).toBe(400);
    expect((await nested.json()).errors[0].message).toMatch(/no CSV shape/);
    const none = await exportCsv(base, {}, bob);
    expect(none.status).toBe(400);
    expect((await none.json()).errors[0].message).toMatch(/which rows/);
    expect((await fetch(`${base}/export.csv`)).status).toBe(405);
  });

  describe('as a browser form, the token in the POST body', () => {
    const form = (token: string) => ({ query: QUERY, variables: JSON.stringify({ region: 'EU' }), filename: 'eu customers', operationName: 'BobCustomers', token });

    test('gives the same CSV, byte for byte, as the JSON request with the Authorization header', async () => {
      const viaForm = await exportForm(base, form(await bobToken()));
      expect(viaForm.status).toBe(200);
      expect(viaForm.headers.get('content-disposition')).toBe('attachment; filename="eu_customers.csv"');
      const viaJson = await exportCsv(base, { query: QUERY, variables: { region: 'EU' } }, bob);
      const csv = await viaForm.text();
      expect(csv).toBe(await viaJson.text());
      expect(parseCsv(csv).length).toBeGreaterThan(71);
    });

    test('an expired token is 401 with the reason, and nothing is exported', async () => {
      const r = await exportForm(base, form(await bobToken({ expiresIn: -60 })));
      expect(r.status).toBe(401);
      const e = await nothingExported(r);
      expect(e.extensions).toMatchObject({ code: 'UNAUTHENTICATED', reason: 'expired' });
    });

    test('a forged token (signed with another secret) or no token at all is refused, and nothing is exported', async () => {
      const forged = await exportForm(base, form(await bobToken({ secret: 'x'.repeat(40) })));
      expect(forged.status).toBe(401);
      expect((await nothingExported(forged)).extensions.code).toBe('UNAUTHENTICATED');
      const garbage = await exportForm(base, form('not a token; drop table'));
      expect(garbage.status).toBe(401);
      expect((await nothingExported(garbage)).message).toMatch(/not a token; sign in again/);
      // No token: the anonymous role, which does not read customers.
      const anonymous = await exportForm(base, { ...form(''), token: '' });
      expect(anonymous.status).toBe(400);
      expect((await nothingExported(anonymous)).message).toMatch(/customersConnection/);
    });

    test('a token in the URL is refused before anything runs, even a valid one, and so is a token sent twice', async () => {
      const token = await bobToken();
      for (const at of [`/export.csv?token=${token}`, `/export.csv?access_token=${token}`]) {
        const r = await exportForm(base, { ...form(''), token: '' }, {}, at);
        expect(r.status).toBe(400);
        const e = await nothingExported(r);
        expect(e.extensions.code).toBe('TOKEN_IN_URL');
        expect(e.message).toMatch(/access logs and browser history/);
      }
      expect((await fetch(`${base}/export.csv?token=${token}`)).status).toBe(400);
      const twice = await exportForm(base, form(token), bob);
      expect(twice.status).toBe(400);
      expect((await nothingExported(twice)).message).toMatch(/send the token once/);
    });

    test('variables that are not JSON say what to send', async () => {
      const r = await exportForm(base, { ...form(await bobToken()), variables: '{region: EU' });
      expect(r.status).toBe(400);
      expect((await nothingExported(r)).message).toMatch(/variables is not JSON/);
    });
  });

  test('every page of the download is in the audit log as bob, with the masks applied', async () => {
    const r = await exportCsv(base, { query: QUERY, variables: { region: 'NA' } }, bob);
    expect(r.status).toBe(200);
    await r.text();
    await gw.governance.audit.flush();
    const log: any = await postGraphQL(
      url,
      `{ auditLog(filter: {userId: "bob", operationName: "BobCustomers"}, first: 100) { nodes { userId roles entities masks outcome rowCounts } } }`,
      undefined,
      bearer(await demoToken('dave')),
    );
    expect(log.body.errors).toBeUndefined();
    const nodes = log.body.data.auditLog.nodes;
    expect(nodes.length).toBeGreaterThanOrEqual(2);
    for (const n of nodes) {
      expect(n).toMatchObject({ userId: 'bob', roles: ['marketing'], outcome: 'ok' });
      // The mask's condition (email consent) reads Consent too: the audit names both.
      expect(n.entities).toContain('Customer');
      expect(n.masks['Customer.email']).toBeDefined();
    }
  });
});

describe('100,000 rows on PostgreSQL', () => {
  const ROWS = 100_000;
  let db: TestDatabase;
  let s: Awaited<ReturnType<typeof startGateway>>;
  let base: string;
  beforeAll(async () => {
    db = await createPgDatabase('csv');
    const k = knexFor(db.url);
    await k.raw(`create table items (id int primary key, label text not null, code text not null)`);
    await k.raw(`insert into items select g, 'item "' || g || '", ok', 'CODE-' || lpad(g::text, 6, '0') from generate_series(1, ${ROWS}) g`);
    await k.destroy();
    s = await startGateway(
      { big: { dialect: 'postgres', url: db.url } },
      {
        model: { 'big.yaml': `Item:\n  source: big\n  table: items\n  key: id\n  fields: { id: { type: Int }, label: { type: String }, code: { type: String } }\n` },
        policies: { 'anonymous.yaml': `role: anonymous\nrules:\n  - { action: read, subject: Item }\nmasks:\n  Item.code: last4\n` },
        extraConfig: TEST_IDENTITY,
      },
    );
    base = s.url.replace(/\/graphql$/, '');
  }, 120_000);
  afterAll(async () => {
    await s?.gw.close();
    await db?.drop();
  });

  test('stream page by page with the mask on every row, in bounded memory', async () => {
    global.gc?.();
    const baseline = process.memoryUsage().heapUsed;
    let peak = baseline;
    const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().heapUsed)), 25);
    const started = Date.now();
    const r = await exportCsv(base, { query: '{ itemsConnection(first: 1000, orderBy: [{id: ASC}]) { edges { node { id label code } } } }' });
    expect(r.status).toBe(200);
    const decoder = new TextDecoder();
    let lines = 0;
    let chunks = 0;
    let firstByteMs = -1;
    let carry = '';
    let expectedId = 0;
    let badRows = 0;
    for await (const chunk of r.body as unknown as AsyncIterable<Uint8Array>) {
      if (firstByteMs < 0) firstByteMs = Date.now() - started;
      chunks++;
      const text = carry + decoder.decode(chunk, { stream: true });
      const parts = text.split('\r\n');
      carry = parts.pop()!;
      for (const line of parts) {
        if (lines++ === 0) {
          expect(line).toBe('id,label,code');
          continue;
        }
        expectedId++;
        const want = `${expectedId},"item ""${expectedId}"", ok",***${String(expectedId).padStart(6, '0').slice(-4)}`;
        if (line !== want && badRows++ < 3) expect(line).toBe(want);
      }
    }
    clearInterval(sampler);
    const totalMs = Date.now() - started;
    expect(carry).toBe('');
    expect(badRows).toBe(0);
    expect(lines).toBe(ROWS + 1);
    // Streamed: the first rows arrived long before the last, in many chunks.
    expect(chunks).toBeGreaterThan(50);
    expect(firstByteMs).toBeLessThan(totalMs / 4);
    // One page at a time: the heap never grows by anything near the 100k rows (~5 MB of CSV, far more as objects).
    expect(peak - baseline).toBeLessThan(80 * 1024 * 1024);
  }, 120_000);

  test('demo sign-in is refused where identity.users is not configured', async () => {
    const users = await fetch(`${base}/console/demo-users`);
    expect(users.status).toBe(404);
    const token = await fetch(`${base}/console/demo-token`, { method: 'POST', body: JSON.stringify({ user: 'alice' }) });
    expect(token.status).toBe(404);
    expect((await token.json()).errors[0].message).toMatch(/no demo users/);
  });
});
