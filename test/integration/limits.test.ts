import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { getIntrospectionQuery, Lexer, parse, Source, TokenKind, validate } from 'graphql';
import type { Gateway } from '../../src/server';
import { setupEngine, type EngineSetup } from '../support/engines';
import { ADMIN_POLICY, startGateway, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';

/**
 * Issue 5's limits on what a request may ask: graphql-armor's depth, aliases, directives and cost,
 * graphql-js's token count, characters and body size, each allowed at its limit and refused one above;
 * per-role overrides; the row budget refused before any SQL; CORS; batching; production mode
 * (introspection per role, no limits or suggestions in messages) and the persisted-operation allow-list.
 */

const POLICIES: Record<string, string> = {
  'anonymous.yaml': `
role: anonymous
description: Test deployment; reads everything.
rules:
  - { action: [read, aggregate], subject: all }
`,
  'analyst.yaml': `
role: analyst
rules:
  - { action: [read, aggregate], subject: all }
`,
  ...ADMIN_POLICY,
  'frugal.yaml': `
role: frugal
rules:
  - { action: [read, aggregate], subject: all }
`,
  'short.yaml': `
role: short
rules:
  - { action: [read, aggregate], subject: all }
`,
  'tight.yaml': `
role: tight
rules:
  - { action: [read, aggregate], subject: all }
`,
};

const tokensOf = (q: string) => {
  const lexer = new Lexer(new Source(q));
  let n = 0;
  while (lexer.advance().kind !== TokenKind.EOF) n++;
  return n;
};

const TOKENS_QUERY = '{ customers(limit: 1) { id name region } }';
const CHARS_QUERY = '{ customers(limit: 2) { id name } }';
const COST_QUERY = '{ customers(limit: 1) { id name orders(limit: 1) { id amount } } }';

type Counter = { count: number; stop(): void };
function countStatements(gw: Gateway): Counter {
  const c = { count: 0, stop: () => {} };
  const fn = () => c.count++;
  const knexes = [...gw.runtime.sources.values()].map((s) => s.knex);
  for (const k of knexes) k.on('query', fn);
  c.stop = () => knexes.forEach((k) => k.removeListener('query', fn));
  return c;
}

const codes = (b: { errors?: { extensions?: Record<string, unknown> }[] }) => (b.errors ?? []).map((e) => e.extensions?.code);
const messages = (b: { errors?: { message: string }[] }) => (b.errors ?? []).map((e) => e.message).join('\n');

describe.each(['postgres', 'mysql'] as const)('limits on %s', (engine) => {
  let setup: EngineSetup;
  let gw: Gateway;
  let url: string;
  let analyst: Record<string, string>;
  let tight: Record<string, string>;
  let short: Record<string, string>;
  let frugal: Record<string, string>;
  let costOf: number;

  beforeAll(async () => {
    setup = await setupEngine(engine);
    // The cost armor gives COST_QUERY on this schema (fractional: 1.5 per level), read with armor's own rule.
    const probe = await startGateway(setup.sources, { prepare: setup.prepare, policies: POLICIES, extraConfig: TEST_IDENTITY });
    const schema = await probe.gw.schemaFor(['anonymous']);
    let found = NaN;
    validate(schema, parse(COST_QUERY), [costLimitRule({ maxCost: 1e9, onAccept: [(_c, d: { n: number }) => (found = d.n)] })]);
    await probe.gw.close();
    costOf = found;
    const roles = {
      analyst: { maxDepth: 6, rowBudget: 100_000, maxBodyBytes: 8192, maxAliases: 3 },
      tight: { maxTokens: tokensOf(TOKENS_QUERY) },
      frugal: { maxCost: Math.ceil(costOf) },
      short: { maxChars: CHARS_QUERY.length },
    };
    const limits = { maxDepth: 5, maxAliases: 2, maxDirectives: 2, rowBudget: 1000, maxBodyBytes: 2048, roles };
    const s = await startGateway(setup.sources, {
      prepare: setup.prepare,
      policies: POLICIES,
      extraConfig: `${TEST_IDENTITY}\nlimits: ${JSON.stringify(limits)}\nserver: { cors: { origins: ["https://app.example.com"] } }`,
    });
    gw = s.gw;
    url = s.url;
    analyst = bearer(await mintToken({ sub: 'ana', roles: ['analyst'] }));
    tight = bearer(await mintToken({ sub: 'tim', roles: ['tight'] }));
    short = bearer(await mintToken({ sub: 'sam', roles: ['short'] }));
    frugal = bearer(await mintToken({ sub: 'fay', roles: ['frugal'] }));
  });
  afterAll(async () => {
    await gw?.close();
    await setup?.cleanup();
  });

  test('depth: allowed at the limit, refused one above, fragments flattened; a role may have more', async () => {
    const at = await postGraphQL(url, '{ customers(limit: 1) { orders(limit: 1) { lines(limit: 1) { product { name } } } } }');
    expect(at.body.errors).toBeUndefined();
    const deep = '{ customers(limit: 1) { orders(limit: 1) { customer { orders(limit: 1) { lines(limit: 1) { id } } } } } }';
    const above = await postGraphQL(url, deep);
    expect([above.status, codes(above.body)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED']]);
    expect(messages(above.body)).toBe('Query depth limit of 5 exceeded, found 6 (limits.maxDepth)');
    const viaFragments = await postGraphQL(url, '{ customers(limit: 1) { ...C } } fragment C on Customer { orders(limit: 1) { ...O } } fragment O on Order { customer { orders(limit: 1) { lines(limit: 1) { id } } } }');
    expect(messages(viaFragments.body)).toMatch(/depth limit of 5 exceeded, found 6/);
    const asAnalyst = await postGraphQL(url, deep, undefined, analyst);
    expect(asAnalyst.body.errors).toBeUndefined();
  });

  test('aliases: allowed at the limit, refused one above; per role', async () => {
    const two = '{ a: customers(limit: 1) { id } b: customers(limit: 1) { id } }';
    const three = '{ a: customers(limit: 1) { id } b: customers(limit: 1) { id } c: customers(limit: 1) { id } }';
    expect((await postGraphQL(url, two)).body.errors).toBeUndefined();
    const above = await postGraphQL(url, three);
    expect([above.status, codes(above.body), messages(above.body)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED'], 'Aliases limit of 2 exceeded, found 3 (limits.maxAliases)']);
    expect((await postGraphQL(url, three, undefined, analyst)).body.errors).toBeUndefined();
  });

  test('directives: allowed at the limit, refused one above', async () => {
    const at = await postGraphQL(url, '{ customers(limit: 1) { id @include(if: true) name @skip(if: false) } }');
    expect(at.body.errors).toBeUndefined();
    const above = await postGraphQL(url, '{ customers(limit: 1) { id @include(if: true) name @skip(if: false) region @include(if: true) } }');
    expect([above.status, codes(above.body), messages(above.body)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED'], 'Directives limit of 2 exceeded, found 3 (limits.maxDirectives)']);
  });

  test('tokens (graphql-js parser), characters and cost: allowed at a role\'s limit, refused one above', async () => {
    const at = await postGraphQL(url, TOKENS_QUERY, undefined, tight);
    expect(at.body.errors).toBeUndefined();
    const above = await postGraphQL(url, TOKENS_QUERY.replace('region', 'region vip'), undefined, tight);
    expect([above.status, codes(above.body)]).toEqual([400, ['GRAPHQL_PARSE_FAILED']]);
    // graphql-js 16 says "more that".
    expect(messages(above.body)).toMatch(new RegExp(`^Syntax Error: Document contains more tha[nt] ${tokensOf(TOKENS_QUERY)} tokens\\. Parsing aborted\\.$`));

    expect((await postGraphQL(url, CHARS_QUERY, undefined, short)).body.errors).toBeUndefined();
    const long = await postGraphQL(url, CHARS_QUERY + ' ', undefined, short);
    expect([long.status, codes(long.body), messages(long.body)]).toEqual([400, ['LIMIT_EXCEEDED'], `the query has ${CHARS_QUERY.length + 1} characters, above the limit of ${CHARS_QUERY.length} (limits.maxChars)`]);

    // Cost: allowed at ceil(cost), refused for a role whose limit is below it; the other role is unaffected.
    const costly = '{ customers(limit: 1) { id name orders(limit: 1) { id amount status } } }';
    expect((await postGraphQL(url, COST_QUERY, undefined, frugal)).body.errors).toBeUndefined();
    const over = await postGraphQL(url, costly, undefined, frugal);
    expect([over.status, codes(over.body)]).toEqual([400, ['GRAPHQL_VALIDATION_FAILED']]);
    expect(messages(over.body)).toMatch(new RegExp(`^Query Cost limit of ${Math.ceil(costOf)} exceeded, found [0-9.]+ \\(limits.maxCost\\)$`));
    expect((await postGraphQL(url, costly)).body.errors).toBeUndefined();
  });

  describe('row budget, before any SQL', () => {
    const refusedWithoutSql = async (query: string, variables?: Record<string, unknown>, headers?: Record<string, string>) => {
      const c = countStatements(gw);
      try {
        const r = await postGraphQL(url, query, variables, headers);
        expect([r.status, codes(r.body), c.count, r.body.data]).toEqual([400, ['LIMIT_EXCEEDED'], 0, undefined]);
        return r.body.errors![0];
      } finally {
        c.stop();
      }
    };

    test('nested lists multiply: refused above the budget with the estimate and the budget, allowed under it', async () => {
      const e = await refusedWithoutSql('{ customers(limit: 10) { id orders(limit: 100) { id } } }');
      expect(e.message).toBe(
        'this request could return up to 1,010 rows (customers 10 × orders 100 = 1,000, and 10 from 1 other list); your budget is 1,000 (limits.rowBudget): ask for fewer rows with limit/first, or page through a connection',
      );
      expect(e.extensions).toMatchObject({ estimate: 1010, budget: 1000 });
      const ok = await postGraphQL(url, '{ customers(limit: 9) { id orders(limit: 100) { id } } }');
      expect(ok.body.errors).toBeUndefined();
      expect(ok.body.data.customers).toHaveLength(9);
    });

    test('variables and defaults count; a to-one relationship counts one per parent', async () => {
      const q = 'query($n: Int, $m: Int = 100) { customers(limit: $n) { orders(limit: $m) { id customer { id } } } }';
      // 10 + 10×100 + 10×100×1
      const e = await refusedWithoutSql(q, { n: 10 });
      expect(e.extensions).toMatchObject({ estimate: 2010 });
      expect((await postGraphQL(url, q, { n: 4, m: 100 })).body.errors).toBeUndefined();
      // Without limit: the default (100) per list.
      const d = await refusedWithoutSql('{ customers { id orders(limit: 10) { id } } }');
      expect(d.extensions).toMatchObject({ estimate: 1100 });
      expect(d.message).toContain('customers 100 × orders 10 = 1,000');
      // A variable that decides no limit (a filter value): the estimate is kept with the document and
      // holds for every value; one that decides a limit is read again on every request (n: 10, then 4 above).
      const f = 'query($region: String) { customers(where: {region: {eq: $region}}, limit: 10) { id orders(limit: 100) { id } } }';
      for (const region of ['EU', 'NA', 'EU']) expect((await refusedWithoutSql(f, { region })).extensions).toMatchObject({ estimate: 1010 });
      const g = 'query($region: String) { customers(where: {region: {eq: $region}}, limit: 9) { id orders(limit: 100) { id } } }';
      for (const region of ['EU', 'NA']) expect((await postGraphQL(url, g, { region })).body.errors).toBeUndefined();
    });

    test('connections (nodes and edges) and aggregates count; @skip leaves a list out', async () => {
      await refusedWithoutSql('{ customersConnection(first: 10) { nodes { orders(limit: 100) { id } } } }');
      await refusedWithoutSql('{ customersConnection(first: 10) { edges { node { orders(limit: 100) { id } } } } }');
      await refusedWithoutSql('{ ordersAggregate(groupBy: [status], limit: 1000) { count } customers(limit: 1) { id } }');
      const agg = await postGraphQL(url, '{ ordersAggregate(groupBy: [status], limit: 999) { count } ordersAggregate2: ordersAggregate { count } }');
      expect(agg.body.errors).toBeUndefined();
      const skipped = await postGraphQL(url, 'query($s: Boolean!) { customers(limit: 10) { id orders(limit: 100) @skip(if: $s) { id } } }', { s: true });
      expect(skipped.body.errors).toBeUndefined();
      await refusedWithoutSql('query($s: Boolean!) { customers(limit: 10) { id orders(limit: 100) @skip(if: $s) { id } } }', { s: false });
    });

    test('a nested limit above the maximum is refused before its parents are read', async () => {
      const e = await refusedWithoutSql('{ customers(limit: 1) { id orders(limit: 5000) { id } } }');
      expect(e.message).toMatch(/`limit` is 5000, above the maximum 1000/);
    });

    test('per role: the analyst\'s budget lets the same request run', async () => {
      const r = await postGraphQL(url, '{ customers(limit: 10) { id orders(limit: 100) { id } } }', undefined, analyst);
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data.customers).toHaveLength(10);
    });
  });

  test('body cap: 413 above limits.maxBodyBytes, a role with a larger cap gets through', async () => {
    const pad = 'x'.repeat(3000);
    const big = await postGraphQL(url, '{ customers(limit: 1) { id } }', { pad });
    expect([big.status, codes(big.body)]).toEqual([413, ['PAYLOAD_TOO_LARGE']]);
    const ok = await postGraphQL(url, '{ customers(limit: 1) { id } }', { pad }, analyst);
    expect([ok.status, ok.body.errors]).toEqual([200, undefined]);
    const huge = await postGraphQL(url, '{ customers(limit: 1) { id } }', { pad: pad.repeat(3) }, analyst);
    expect([huge.status, codes(huge.body)]).toEqual([413, ['PAYLOAD_TOO_LARGE']]);
  });

  test('CORS: preflight answered for the configured origin only, Vary: Origin on every answer', async () => {
    const pre = (origin: string) =>
      fetch(url, { method: 'OPTIONS', headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    const ok = await pre('https://app.example.com');
    expect([ok.status, ok.headers.get('access-control-allow-origin'), ok.headers.get('vary'), ok.headers.get('access-control-allow-credentials')]).toEqual([
      204,
      'https://app.example.com',
      'Origin',
      null,
    ]);
    expect(ok.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const no = await pre('https://evil.example.com');
    expect([no.status, no.headers.get('access-control-allow-origin'), no.headers.get('vary')]).toEqual([403, null, 'Origin']);
    const post = await postGraphQL(url, '{ __typename }', undefined, { origin: 'https://app.example.com' });
    expect([post.headers.get('access-control-allow-origin'), post.headers.get('vary')]).toEqual(['https://app.example.com', 'Origin']);
    const other = await postGraphQL(url, '{ __typename }', undefined, { origin: 'https://evil.example.com' });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('a fragment bomb (each fragment spreading the next twice: 2^30 selections in 40 lines) is refused, and the server answers the next request', async () => {
    const levels = 30;
    const fragments = Array.from({ length: levels }, (_, i) => `fragment F${i} on Customer { ${i + 1 < levels ? `...F${i + 1} ...F${i + 1}` : 'id name'} }`);
    const bomb = await postGraphQL(url, `{ customers(limit: 1) { ...F0 } } ${fragments.join(' ')}`);
    expect(bomb.status).toBe(400);
    expect(codes(bomb.body)).toEqual(['GRAPHQL_VALIDATION_FAILED']);
    // Apollo's recursive-selection cap (maxRecursiveSelections), counted with fragments expanded.
    expect(messages(bomb.body)).toBe('Anonymous operation recursively requests too many selections.');
    const after = await postGraphQL(url, '{ customers(limit: 1) { id } }');
    expect(after.body.errors).toBeUndefined();
  });

  test('batching: a JSON array of operations is refused with a clear message', async () => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify([{ query: '{ __typename }' }, { query: '{ __typename }' }]) });
    const body = await r.json();
    expect([r.status, codes(body), messages(body)]).toEqual([400, ['BAD_REQUEST'], 'batched requests (a JSON array of operations) are not accepted: send one operation per request']);
  });

  test('development mode: introspection for every role, suggestions shown', async () => {
    const r = await postGraphQL(url, '{ __schema { queryType { name } } }');
    expect(r.body.data.__schema.queryType.name).toBe('Query');
    expect(messages((await postGraphQL(url, '{ customers(limit: 1) { nam } }')).body)).toMatch(/Did you mean "name"\?/);
  });
});

describe('production mode and persisted operations (postgres)', () => {
  let setup: EngineSetup;
  let gw: Gateway;
  let url: string;
  let admin: Record<string, string>;
  let analyst: Record<string, string>;
  const sha = (q: string) => createHash('sha256').update(q).digest('hex');
  const LIST = '{ customers(limit: 2) { id name } }';
  const DEEP = '{ customers(limit: 1) { orders(limit: 1) { lines(limit: 1) { product { name } } } } }';
  const INTROSPECTION = getIntrospectionQuery();
  const apq = (q: string) => ({ persistedQuery: { version: 1, sha256Hash: sha(q) } });
  const post = async (body: unknown, headers: Record<string, string> = {}) => {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    return { status: r.status, body: (await r.json()) as { data?: any; errors?: { message: string; extensions?: Record<string, unknown> }[] } };
  };

  beforeAll(async () => {
    setup = await setupEngine('postgres');
    const dir = mkdtempSync(path.join(os.tmpdir(), 'datagate-ops-'));
    const manifest = path.join(dir, 'operations.json');
    writeFileSync(manifest, JSON.stringify(Object.fromEntries([LIST, DEEP, INTROSPECTION].map((q) => [sha(q), q]))));
    const s = await startGateway(setup.sources, {
      prepare: setup.prepare,
      policies: POLICIES,
      extraConfig: `${TEST_IDENTITY}\nlimits: { maxDepth: 4 }\nserver: { mode: production, introspection: [admin], persistedOperations: { file: ${JSON.stringify(manifest)} } }`,
    });
    gw = s.gw;
    url = s.url;
    admin = bearer(await mintToken({ sub: 'erin', roles: ['admin'] }));
    analyst = bearer(await mintToken({ sub: 'ana', roles: ['analyst'] }));
  });
  afterAll(async () => {
    await gw?.close();
    await setup?.cleanup();
  });

  test('a persisted operation runs by hash (APQ), by id, by its exact text, and by GET', async () => {
    for (const body of [{ extensions: apq(LIST) }, { id: sha(LIST) }, { query: LIST }]) {
      const r = await post(body, analyst);
      expect([r.status, r.body.errors, r.body.data?.customers?.length]).toEqual([200, undefined, 2]);
    }
    const get = await fetch(`${url}?extensions=${encodeURIComponent(JSON.stringify(apq(LIST)))}`, { headers: { ...analyst, 'apollo-require-preflight': 'true' } });
    expect([get.status, ((await get.json()) as any).data.customers.length]).toEqual([200, 2]);
  });

  test('anything else is refused for every role but admin', async () => {
    const other = '{ customers(limit: 3) { id } }';
    for (const body of [{ query: other }, { extensions: apq(other) }, { id: sha(other) }, { query: other, extensions: apq(other) }]) {
      const r = await post(body, analyst);
      expect([r.status, r.body.errors?.map((e) => e.extensions?.code)]).toEqual([400, ['PERSISTED_QUERY_NOT_FOUND']]);
      expect(r.body.errors![0].message).toMatch(/persisted operations/);
    }
    const anonymous = await post({ query: other });
    expect(anonymous.body.errors?.[0].extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
    const get = await fetch(`${url}?query=${encodeURIComponent(other)}`, { headers: { ...analyst, 'apollo-require-preflight': 'true' } });
    expect(get.status).toBe(400);
    const asAdmin = await post({ query: other }, admin);
    expect([asAdmin.status, asAdmin.body.errors, asAdmin.body.data.customers.length]).toEqual([200, undefined, 3]);
  });

  test('introspection only for admin', async () => {
    const refused = await post({ extensions: apq(INTROSPECTION) }, analyst);
    expect([refused.status, refused.body.errors?.[0].extensions?.code, refused.body.data]).toEqual([400, 'GRAPHQL_VALIDATION_FAILED', undefined]);
    expect(refused.body.errors![0].message).toMatch(/introspection is not allowed for your role/);
    const ok = await post({ extensions: apq(INTROSPECTION) }, admin);
    expect([ok.status, ok.body.errors, ok.body.data.__schema.queryType.name]).toEqual([200, undefined, 'Query']);
  });

  test('limit errors name no limit, no found value and no schema name', async () => {
    const deep = await post({ id: sha(DEEP) }, analyst);
    expect([deep.status, deep.body.errors?.map((e) => e.message)]).toEqual([400, ['the query is nested deeper than this gateway allows (limits.maxDepth)']]);
    const typo = await post({ query: '{ customers(limit: 1) { nam } }' }, admin);
    expect(typo.body.errors![0].message).toBe('Cannot query field "nam" on type "Customer".');
    const enumTypo = await post({ query: 'query($o: [CustomerOrderBy!]) { customers(limit: 1, orderBy: $o) { id } }', variables: { o: [{ name: 'ASCC' }] } }, admin);
    expect(enumTypo.body.errors![0].message).not.toMatch(/Did you mean|"ASC"/);
    const many = `{ customers(limit: 1) { ${Array.from({ length: 2100 }, () => 'id').join(' ')} } }`;
    const tokens = await post({ query: many }, admin);
    expect([tokens.status, tokens.body.errors?.map((e) => e.message)]).toEqual([400, ['Syntax Error: the query has more tokens than this gateway allows (limits.maxTokens)']]);
  });
});
