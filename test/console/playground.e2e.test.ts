import type { BrowserContext, Page, Request } from 'playwright-core';
import { postGraphQL } from '../support/gql';
import { bearer, demoToken } from '../support/tokens';
import { shot, useDemoConsole } from './browser';

/**
 * The query playground in a real browser: GraphiQL bundled with the console (nothing fetched from
 * another host, so it works with no internet), on the caller's own schema (what their roles may
 * read, nothing else: bob's GraphiQL neither lists nor runs Customer.phone, erin's does both).
 */
/** Chromium and the demo gateway, for every test of this file (browser.ts). */
const c = useDemoConsole();

/** Opens the playground from the main navigation and waits for GraphiQL to have the schema (its docs button). */
async function openPlayground(page: Page): Promise<void> {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Playground', exact: true }).click();
  await page.locator('.graphiql-container').waitFor({ timeout: 30_000 });
  await page.getByRole('button', { name: 'Show Documentation Explorer' }).waitFor();
}

/**
 * Types a query into GraphiQL's editor (through its CodeMirror), runs it with Ctrl-Enter, and returns
 * the result pane's JSON once it shows the gateway's answer to that request.
 */
async function run(page: Page, query: string): Promise<any> {
  await page.locator('.graphiql-query-editor .CodeMirror').evaluate((el, q) => (el as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(q), query);
  await page.locator('.graphiql-query-editor .CodeMirror textarea').focus();
  const [response] = await Promise.all([
    page.waitForResponse((r) => new URL(r.url()).pathname === '/graphql' && r.request().method() === 'POST' && (r.request().postDataJSON() as { query?: string })?.query === query),
    page.keyboard.press('Control+Enter'),
  ]);
  const answer = JSON.stringify(await response.json());
  const pane = () => page.locator('.result-window .CodeMirror').evaluate((el) => (el as unknown as { CodeMirror: { getValue(): string } }).CodeMirror.getValue());
  const shown = async () => {
    try {
      return JSON.stringify(JSON.parse(await pane()));
    } catch {
      return null; // empty, or still being written
    }
  };
  for (let i = 0; i < 100 && (await shown()) !== answer; i++) await page.waitForTimeout(100);
  expect(await shown()).toBe(answer);
  return JSON.parse(await pane());
}

/**
 * The fields GraphiQL's editor marks as errors in `query` (validated in the page against the schema
 * it loaded). A field no schema has is added last: its mark says the lint ran.
 */
async function unknownToGraphiQL(page: Page, query: string): Promise<string[]> {
  const probe = query.replace(/ } } } }$/, ' nosuchfield } } } }');
  expect(probe).not.toBe(query);
  await page.locator('.graphiql-query-editor .CodeMirror').evaluate((el, q) => (el as unknown as { CodeMirror: { setValue(v: string): void } }).CodeMirror.setValue(q), probe);
  const marks = page.locator('.graphiql-query-editor .CodeMirror-lint-mark-error');
  await marks.filter({ hasText: 'nosuchfield' }).waitFor();
  return (await marks.allTextContents()).map((t) => t.trim()).filter(Boolean);
}

/** The fields GraphiQL's documentation explorer lists for a type, found through its search. */
async function docsFieldsOf(page: Page, type: string): Promise<string[]> {
  await page.getByRole('button', { name: 'Show Documentation Explorer' }).click();
  const explorer = page.getByRole('region', { name: 'Documentation Explorer' });
  await explorer.locator('[data-cy=doc-explorer-input]').fill(type);
  await explorer.locator('.graphiql-doc-explorer-search-type', { hasText: new RegExp(`^${type}$`) }).first().click();
  await explorer.locator('.graphiql-doc-explorer-title', { hasText: new RegExp(`^${type}$`) }).waitFor();
  await explorer.locator('.graphiql-doc-explorer-field-name').first().waitFor();
  return explorer.locator('.graphiql-doc-explorer-field-name').allTextContents();
}

/** The fields of a type in the schema the gateway gives this user (its own introspection). */
async function schemaFieldsOf(user: string, type: string): Promise<string[]> {
  const r: any = await postGraphQL(c.url, `{ __type(name: "${type}") { fields { name } } }`, undefined, bearer(await demoToken(user)));
  return r.body.data.__type.fields.map((f: { name: string }) => f.name);
}

test('the playground loads nothing from another host: every request of the page goes to the gateway', async () => {
  const origin = new URL(c.base).origin;
  const requests: { url: string; type: string; method: string }[] = [];
  const record = (r: Request) => requests.push({ url: r.url(), type: r.resourceType(), method: r.method() });
  // The context's recorder sees every page of it from the first load (sign-in included); the page's own, what the playground does.
  const bob = await c.signIn('bob', { prepare: (context: BrowserContext) => context.on('request', record) });
  const ofThePage: string[] = [];
  bob.on('request', (r) => ofThePage.push(r.url()));
  await openPlayground(bob);
  const answer = await run(bob, '{ me { id roles } }');
  expect(answer.data.me).toEqual({ id: 'bob', roles: ['marketing'] });
  await docsFieldsOf(bob, 'Customer');
  await shot(bob, 'playground-docs');

  const elsewhere = requests.filter((r) => new URL(r.url).origin !== origin);
  expect(elsewhere).toEqual([]);
  expect(ofThePage.length).toBeGreaterThan(3);
  expect(ofThePage.filter((u) => new URL(u).origin !== origin)).toEqual([]);
  // What was recorded is the whole page: its document, scripts and styles (GraphiQL's own chunk, loaded
  // when the playground opened), and the GraphQL requests, the schema's introspection among them.
  const paths = requests.map((r) => `${r.method} ${r.type} ${new URL(r.url).pathname}`);
  expect(paths).toEqual(
    expect.arrayContaining([
      'GET document /',
      expect.stringMatching(/^GET script \/assets\/index-[\w-]+\.js$/),
      expect.stringMatching(/^GET stylesheet \/assets\/index-[\w-]+\.css$/),
      expect.stringMatching(/^GET script \/assets\/Playground-[\w-]+\.js$/),
      expect.stringMatching(/^GET stylesheet \/assets\/Playground-[\w-]+\.css$/),
      'POST fetch /graphql',
    ]),
  );
  expect(requests.some((r) => r.type === 'font')).toBe(false); // GraphiQL's fonts are inlined in its stylesheet
  await bob.context().close();
}, 120_000);

test('the playground works offline: every host but the gateway blocked, GraphiQL still renders, runs a query and shows its docs', async () => {
  const origin = new URL(c.base).origin;
  const blocked: string[] = [];
  const bob = await c.signIn('bob', {
    prepare: (context: BrowserContext) =>
      context.route('**/*', (route) => {
        if (new URL(route.request().url()).origin === origin) return route.continue();
        blocked.push(route.request().url());
        return route.abort('internetdisconnected');
      }),
  });
  await openPlayground(bob);
  const answer = await run(bob, '{ customersConnection(first: 2) { totalCount edges { node { id email } } } }');
  expect(answer.errors).toBeUndefined();
  expect(answer.data.customersConnection.edges).toHaveLength(2);
  expect(await docsFieldsOf(bob, 'Customer')).toContain('email');
  expect(blocked).toEqual([]);
  // The block is real: anything from elsewhere fails (a CDN copy of GraphiQL's stylesheet here).
  const cdn = await bob.evaluate(() => fetch('https://unpkg.com/graphiql/graphiql.min.css').then(
    () => 'loaded',
    () => 'failed',
  ));
  expect(cdn).toBe('failed');
  expect(blocked).toEqual(['https://unpkg.com/graphiql/graphiql.min.css']);
  await bob.context().close();
}, 120_000);

test('the playground has the caller’s own schema: bob’s GraphiQL neither lists nor runs Customer.phone, erin’s does both', async () => {
  const PHONES = '{ customersConnection(first: 3) { edges { node { id phone } } } }';

  const bob = await c.signIn('bob');
  await openPlayground(bob);
  // The documentation explorer lists bob's own Customer fields: the gateway's schema for bob, without phone.
  const bobsFields = await docsFieldsOf(bob, 'Customer');
  expect(bobsFields.sort()).toEqual((await schemaFieldsOf('bob', 'Customer')).sort());
  expect(bobsFields).toEqual(expect.arrayContaining(['id', 'name', 'email', 'region']));
  expect(bobsFields).not.toContain('phone');
  // GraphiQL marks phone as unknown while he types it, and the gateway refuses it when he runs it.
  const refused = await run(bob, PHONES);
  expect(refused.data).toBeUndefined();
  expect(refused.errors.map((e: any) => [e.message, e.extensions.code])).toEqual([['Cannot query field "phone" on type "Customer".', 'GRAPHQL_VALIDATION_FAILED']]);
  expect(await unknownToGraphiQL(bob, PHONES)).toEqual(['phone', 'nosuchfield']);
  await shot(bob, 'playground-refused');

  const erin = await c.signIn('erin');
  await openPlayground(erin);
  const erinsFields = await docsFieldsOf(erin, 'Customer');
  expect(erinsFields.sort()).toEqual((await schemaFieldsOf('erin', 'Customer')).sort());
  expect(erinsFields).toContain('phone');
  const read = await run(erin, PHONES);
  expect(read.errors).toBeUndefined();
  expect(read.data.customersConnection.edges.map((e: any) => e.node.phone).filter((p: unknown) => typeof p === 'string').length).toBeGreaterThan(0);
  expect(await unknownToGraphiQL(erin, PHONES)).toEqual(['nosuchfield']);
  await bob.context().close();
  await erin.context().close();
}, 120_000);
