import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { loadConfig } from '../../src/config';
import { postGraphQL } from '../support/gql';
import { bearer, demoToken, mintToken } from '../support/tokens';
import { columnOf, ROOT, shot, SHOTS, useDemoConsole } from './browser';
import { parseCsv } from '../support/csv';

/**
 * The web console in a real browser (Debian's chromium through playwright-core) against the
 * embedded demo: bob (marketing) finds Order in the catalog, cannot read it and asks; erin (admin,
 * Order's owner) approves; bob opens Order as a table, filters, sorts, downloads CSV, which must
 * match the gateway's own answer row for row, masks included; dave (auditor) sees every step in
 * the audit log. Screenshots of the main pages go to test-artifacts/console/.
 */
/** Chromium and the demo gateway, for every test of this file (browser.ts). */
const c = useDemoConsole();

async function rowsOfGateway(token: string, query: string, variables: Record<string, unknown>, root: string, cols: string[]): Promise<string[][]> {
  const out: string[][] = [];
  let after: string | null = null;
  do {
    const r: any = await postGraphQL(c.url, query, { ...variables, after }, bearer(token));
    expect(r.body.errors).toBeUndefined();
    const conn = r.body.data[root];
    for (const { node } of conn.edges) out.push(cols.map((c) => (node[c] === null || node[c] === undefined ? '' : String(node[c]))));
    after = conn.pageInfo.hasNextPage ? conn.pageInfo.endCursor : null;
  } while (after);
  return out;
}

/** The filter builder shows exactly this one filter. */
async function expectFilter(page: Page, [field, op, value]: [string, string, string]): Promise<void> {
  const f = page.getByTestId('filter-0');
  await expect(f.getByLabel('Field').inputValue()).resolves.toBe(field);
  await expect(f.getByLabel('Operator').inputValue()).resolves.toBe(op);
  await expect(f.getByLabel('Value').inputValue()).resolves.toBe(value);
  await expect(page.getByTestId('filter-1').count()).resolves.toBe(0);
}

async function downloadFrom(page: Page, name: string): Promise<string[][]> {
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Download CSV' }).click()]);
  // The browser's own download of the gateway's streamed answer (a form POST), not a blob the page assembled in memory.
  expect(download.url()).toBe(`${c.base}/export.csv`);
  expect(download.suggestedFilename()).toBe(name);
  const file = path.join(SHOTS, name);
  await download.saveAs(file);
  return parseCsv(readFileSync(file, 'utf8'));
}

test('bob finds Order, asks for it, erin approves, bob filters, sorts and downloads it; dave audits each step', async () => {
  // 1. bob searches the catalog and finds an entity he cannot read.
  const bob = await c.signIn('bob', { screenshot: 'sign-in' });
  await bob.getByText('Signed in as').waitFor();
  await expect(bob.getByTestId('who').textContent()).resolves.toContain('marketing');
  await bob.getByLabel('Search', { exact: true }).fill('order');
  await bob.getByRole('button', { name: 'Search' }).click();
  const card = bob.getByTestId('entity-Order');
  await card.waitFor();
  await expect(card.textContent()).resolves.toContain('totals only');
  await shot(bob, 'catalog');

  // 2. ...opens it and requests access with a reason and a duration.
  await expect(card.getByRole('link', { name: 'Request access to Order' }).count()).resolves.toBe(1);
  await card.getByRole('link', { name: 'Order', exact: true }).click();
  await bob.getByRole('heading', { name: 'Order', level: 1 }).waitFor();
  await expect(bob.getByRole('link', { name: /Open Order as a table/ }).count()).resolves.toBe(0);
  // How to get access in plain words (the API's howToGetAccess names a GraphQL mutation), then a button.
  const words = (await bob.getByTestId('access-words').textContent())!;
  expect(words).toMatch(/^You see totals of Order, not its rows\. Ask for access: say why you need it and for how long\. Its owners \(sales-ops\) decide: anyone with the admin role\./);
  expect(words).not.toMatch(/requestAccess|\(entity:|…/);
  await bob.getByRole('button', { name: 'Request access' }).click();
  await expect(bob.evaluate(() => document.activeElement?.id)).resolves.toBe('req-reason');
  await bob.getByLabel('Why you need it').fill('Revenue per campaign for the Q3 review');
  await bob.getByLabel('For how many days').fill('14');
  await bob.getByRole('button', { name: 'Send request' }).click();
  await bob.getByText('Request sent.').waitFor();
  // After the click: a full-page screenshot just before it made chromium drop the click.
  await shot(bob, 'entity');
  await bob.getByRole('link', { name: 'Access requests' }).first().click();
  await bob.getByTestId('request-Order-requested').waitFor();

  // 3. erin (Order's owner) approves with a comment.
  const erin = await c.signIn('erin');
  await erin.getByRole('link', { name: 'Access requests' }).click();
  const pending = erin.getByTestId('request-Order-requested');
  await pending.waitFor();
  await expect(pending.textContent()).resolves.toContain('Revenue per campaign');
  await pending.getByLabel('Comment').fill('ok for the Q3 review');
  await shot(erin, 'requests');
  await pending.getByRole('button', { name: 'Approve' }).click();
  await erin.getByTestId('request-Order-approved').waitFor();

  // 4. bob (signed in again: his schema now has Order) opens the table, filters and sorts.
  const bob2 = await c.signIn('bob');
  await bob2.getByRole('link', { name: 'Access requests' }).click();
  await bob2.getByTestId('request-Order-approved').getByRole('link', { name: 'Open Order as a table' }).click();
  await bob2.getByTestId('rows').waitFor();
  await bob2.getByRole('button', { name: 'Add filter' }).click();
  const filter = bob2.getByTestId('filter-0');
  // Only fields the role may filter by, with their own operators.
  const offered = await filter.getByLabel('Field').locator('option').allTextContents();
  const access: any = await postGraphQL(c.url, '{ myAccess(entity: "Order") { filterable } }', undefined, bearer(await demoToken('bob')));
  expect(offered.sort()).toEqual([...access.body.data.myAccess[0].filterable].sort());
  await filter.getByLabel('Field').selectOption('status');
  await filter.getByLabel('Operator').selectOption('eq');
  await filter.getByLabel('Value').fill('paid');
  await bob2.getByRole('button', { name: 'Apply filters' }).click();
  // Sorting: the header button; the header announces the order (aria-sort), the arrow is only drawn.
  await bob2.getByRole('button', { name: 'amount', exact: true }).click();
  await bob2.locator('th[aria-sort="ascending"]', { hasText: 'amount' }).waitFor();
  await bob2.getByRole('button', { name: 'amount', exact: true }).click();
  await bob2.locator('th[aria-sort="descending"]', { hasText: 'amount ▼' }).waitFor();
  await bob2.getByTestId('rows').waitFor();
  expect(bob2.url()).toContain('sort=amount%3ADESC');
  const header = await bob2.getByTestId('rows').locator('thead th').allTextContents();
  const statusCol = header.findIndex((h) => h.startsWith('status')) + 1;
  expect(new Set(await bob2.getByTestId('rows').locator(`tbody tr td:nth-child(${statusCol})`).allTextContents())).toEqual(new Set(['paid']));
  // A grouped summary and its chart.
  await bob2.getByLabel('Group by').selectOption('status');
  await bob2.getByTestId('summary').waitFor();
  await shot(bob2, 'table');

  // 5. The CSV: the rows and masks of the gateway's own answer, in the same order.
  const cols = (new URL(bob2.url()).searchParams.get('cols') ?? '').split(',');
  const csv = await downloadFrom(bob2, 'order.csv');
  expect(csv[0]).toEqual(cols);
  const expected = await rowsOfGateway(
    await demoToken('bob'),
    `query($after: String) { ordersConnection(first: 500, after: $after, where: {status: {eq: "paid"}}, orderBy: [{amount: DESC}]) { edges { node { ${cols.join(' ')} } } pageInfo { hasNextPage endCursor } } }`,
    {},
    'ordersConnection',
    cols,
  );
  expect(expected.length).toBeGreaterThan(500);
  expect(csv.slice(1)).toEqual(expected);

  // 6. Copy link keeps the whole view, page included: page 2, copied, opened in a fresh browser context shows the same rows.
  const firstRow = () => bob2.getByTestId('rows').locator('tbody tr').first().textContent();
  const page1First = await firstRow();
  await bob2.getByRole('button', { name: 'Next page' }).click();
  await bob2.getByTestId('row-count').getByText(/Rows 26–50 of .* · page 2$/).waitFor();
  const page2First = await firstRow();
  expect(page2First).not.toBe(page1First);
  await bob2.getByRole('button', { name: 'Copy link' }).click();
  await bob2.getByTestId('table-status').getByText('Link to this view copied (page 2).').waitFor();
  const copied = await bob2.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(bob2.url());
  expect(new URL(copied).searchParams.get('page')).toBe('2');
  const elsewhere = await c.signIn('bob', { at: copied });
  await elsewhere.getByTestId('row-count').getByText(/· page 2$/).waitFor();
  await expect(elsewhere.getByTestId('rows').locator('tbody tr').first().textContent()).resolves.toBe(page2First);
  await expect(elsewhere.getByRole('columnheader', { name: /amount/ }).getAttribute('aria-sort')).resolves.toBe('descending');
  await expect(elsewhere.getByTestId('filter-0').getByLabel('Value').inputValue()).resolves.toBe('paid');
  // A reload keeps it too, and Previous page steps back to the first page of the same view.
  await elsewhere.reload();
  await elsewhere.getByTestId('row-count').getByText(/· page 2$/).waitFor();
  await expect(elsewhere.getByTestId('rows').locator('tbody tr').first().textContent()).resolves.toBe(page2First);
  await elsewhere.getByRole('button', { name: 'Previous page' }).click();
  await elsewhere.getByTestId('row-count').getByText(/· page 1$/).waitFor();
  await expect(elsewhere.getByTestId('rows').locator('tbody tr').first().textContent()).resolves.toBe(page1First);
  // A page position the gateway does not recognise (here: altered) opens the same view on page 1, saying why.
  const altered = new URL(copied);
  altered.searchParams.set('after', `${altered.searchParams.get('after')!.slice(0, -4)}AAAA`);
  await elsewhere.goto(altered.href);
  await elsewhere.getByTestId('table-status').getByText(/cannot be found again .* showing the first page/).waitFor();
  await elsewhere.getByTestId('row-count').getByText(/· page 1$/).waitFor();
  await expect(elsewhere.getByTestId('rows').locator('tbody tr').first().textContent()).resolves.toBe(page1First);
  expect(new URL(elsewhere.url()).searchParams.get('after')).toBeNull();
  await elsewhere.context().close();

  // A hand-written link opens its view (Customer's emails are masked for bob).
  const link = `${c.base}/table/Customer?cols=id,name,email,region&where=${encodeURIComponent(JSON.stringify([['region', 'eq', 'EU']]))}&sort=id:ASC`;
  await bob2.goto(link);
  await bob2.getByTestId('rows').waitFor();
  await expect(bob2.getByTestId('filter-0').getByLabel('Value').inputValue()).resolves.toBe('EU');
  const customers = await downloadFrom(bob2, 'customer.csv');
  const expectedCustomers = await rowsOfGateway(
    await demoToken('bob'),
    'query($after: String) { customersConnection(first: 500, after: $after, where: {region: {eq: "EU"}}, orderBy: [{id: ASC}]) { edges { node { id name email region } } pageInfo { hasNextPage endCursor } } }',
    {},
    'customersConnection',
    ['id', 'name', 'email', 'region'],
  );
  expect(customers.slice(1)).toEqual(expectedCustomers);
  expect(customers.slice(1).some((r) => /^\w\*\*\*@/.test(r[2]))).toBe(true);

  // 6b. Following a relationship opens the related entity's table, filtered on the field it joins on:
  // an order's customer, then that customer's orders; the filter is an ordinary one, which bob removes.
  await bob2.goto(`${c.base}/table/Order`);
  await bob2.getByTestId('rows').waitFor();
  const [orderId] = await columnOf(bob2, 'id');
  const [customerId] = await columnOf(bob2, 'customer_id');
  await bob2.getByRole('link', { name: `customer of Order ${orderId}`, exact: true }).click();
  await bob2.getByRole('heading', { name: 'Customer', level: 1 }).waitFor();
  await expectFilter(bob2, ['id', 'eq', customerId]);
  await bob2.getByTestId('row-count').getByText('Rows 1–1 of 1 · page 1').waitFor();
  await expect(columnOf(bob2, 'id')).resolves.toEqual([customerId]);
  await bob2.getByRole('link', { name: `orders of Customer ${customerId}`, exact: true }).click();
  await bob2.getByRole('heading', { name: 'Order', level: 1 }).waitFor();
  await expectFilter(bob2, ['customer_id', 'eq', customerId]);
  const bobToken = bearer(await demoToken('bob'));
  const count = async (where: string) =>
    ((await postGraphQL(c.url, `{ ordersConnection${where} { totalCount } }`, undefined, bobToken)) as any).body.data.ordersConnection.totalCount as number;
  const theirs = await count(`(where: {customer_id: {eq: ${customerId}}})`);
  await bob2.getByTestId('row-count').getByText(new RegExp(`of ${theirs} · page 1$`)).waitFor();
  const ids = await columnOf(bob2, 'customer_id');
  expect(new Set(ids)).toEqual(new Set([customerId]));
  expect(await columnOf(bob2, 'id')).toContain(orderId);
  await bob2.getByRole('button', { name: 'Remove filter on customer_id' }).click();
  await bob2.getByRole('button', { name: 'Apply filters' }).click();
  await bob2.getByTestId('row-count').getByText(new RegExp(`of ${(await count('')).toLocaleString('en-US')} · page 1$`)).waitFor();
  expect(new URL(bob2.url()).searchParams.get('where')).toBeNull();

  // 7. Owners see the lineage of a result; bob does not own Order.
  expect(await bob2.getByTestId('lineage').count()).toBe(0);
  await erin.goto(`${c.base}/table/Order?cols=id,customer_id,amount,status&sort=amount:DESC`);
  await erin.getByTestId('lineage').waitFor();
  await expect(erin.getByTestId('lineage').textContent()).resolves.toContain('orders');
  await shot(erin, 'lineage');

  // 8. The playground: GraphiQL, bundled, with bob's own schema.
  await bob2.getByRole('link', { name: 'Playground' }).click();
  await bob2.locator('.graphiql-container').waitFor({ timeout: 30_000 });
  await shot(bob2, 'playground');

  // 9. dave (auditor) sees each step in the audit log.
  await c.gw.governance.audit.flush();
  const dave = await c.signIn('dave');
  await dave.getByRole('link', { name: 'Audit log' }).click();
  await dave.getByTestId('audit').waitFor();
  /** Filters the log by user and operation and waits until every row on screen is one of those. */
  const recorded = async (user: string, operation: string) => {
    await dave.getByLabel('User').fill(user);
    await dave.getByLabel('Operation').fill(operation);
    await dave.getByRole('button', { name: 'Filter' }).click();
    await dave.waitForFunction(
      ([u, o]) => {
        const rows = [...document.querySelectorAll('[data-testid=audit] tbody tr')];
        return rows.length > 0 && rows.every((r) => r.children[1].textContent === u && r.children[3].textContent === o);
      },
      [user, operation],
    );
  };
  await recorded('erin', 'ConsoleApprove');
  for (const op of ['ConsoleCatalog', 'ConsoleRequestAccess', 'ConsoleTable', 'ConsoleExport']) await recorded('bob', op);
  await dave.getByLabel('Operation').fill('');
  await dave.getByRole('button', { name: 'Filter' }).click();
  await dave.getByTestId('audit').getByText('ConsoleCatalog').first().waitFor();
  await shot(dave, 'audit');
}, 300_000);

test('an expired token sends the user back to sign-in with what to do', async () => {
  const { config } = loadConfig(path.join(ROOT, 'datagate.yaml'), {});
  const expired = await mintToken({ sub: 'bob', roles: ['marketing'] }, { secret: config.identity.jwt.secret, issuer: config.identity.jwt.issuer, audience: config.identity.jwt.audience, expiresIn: -60 });
  const page = await (await c.browser.newContext()).newPage();
  await page.goto(`${c.base}/`);
  await page.evaluate((t) => sessionStorage.setItem('datagate.token', t), expired);
  await page.goto(`${c.base}/catalog`);
  await page.getByRole('heading', { name: 'Sign in to datagate' }).waitFor();
  await expect(page.getByRole('status').first().textContent()).resolves.toMatch(/session ended .*expired.*Sign in again/i);
  // The focus is on why, so a screen reader reads it first.
  await expect(page.evaluate(() => document.activeElement?.textContent)).resolves.toMatch(/session ended/);
  // A download with a token that expired meanwhile: refused before any file, back at sign-in with the reason.
  const bob = await c.signIn('bob', { at: '/table/Customer' });
  await bob.getByTestId('rows').waitFor();
  await bob.evaluate((t) => sessionStorage.setItem('datagate.token', t), expired);
  let downloads = 0;
  bob.on('download', () => downloads++);
  await bob.getByRole('button', { name: 'Download CSV' }).click();
  await bob.getByRole('heading', { name: 'Sign in to datagate' }).waitFor();
  await expect(bob.getByRole('status').first().textContent()).resolves.toMatch(/session ended \(expired\)\. Sign in again/);
  expect(downloads).toBe(0);
  await bob.context().close();
  // A pasted bad token is refused with the reason.
  await page.getByLabel('Your token').fill('not-a-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await expect(page.getByRole('alert').textContent()).resolves.toMatch(/not accepted/);
}, 60_000);

/** Presses Tab (Shift+Tab with `back`), at most `max` times, until `target` has the focus: how a keyboard user gets there. */
async function tabTo(page: Page, target: Locator, { back = false, max = 80 } = {}): Promise<void> {
  await target.waitFor();
  for (let i = 0; i < max; i++) {
    if (await hasFocus(target)) return;
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
  }
  const focused = await page.evaluate(() => document.activeElement?.outerHTML.slice(0, 120));
  throw new Error(`${max} presses of Tab never reached ${target}; the focus is on ${focused}`);
}

const hasFocus = (target: Locator) => target.evaluate((el) => el === document.activeElement);

/** The focused element's text (or value), to check where the focus landed. */
const focusedText = (page: Page) => page.evaluate(() => (document.activeElement as HTMLElement | null)?.innerText?.trim() || (document.activeElement as HTMLInputElement | null)?.id || '');

test('by keyboard only: bob signs in, finds Customer, filters, sorts, pages, follows a relationship and asks for access', async () => {
  const context = await c.browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.on('pageerror', (e) => console.log(`keyboard: page error: ${e.message}`));
  await page.goto(`${c.base}/`);
  await tabTo(page, page.getByTestId('demo-user-bob'));
  await page.keyboard.press('Enter');
  await page.getByTestId('who').getByText('bob', { exact: true }).waitFor();
  // After each navigation the focus is on the new page's main heading, and the tab's title names the page.
  const landedOn = async (heading: string) => {
    await page.waitForFunction((h) => document.activeElement?.tagName === 'H1' && document.activeElement.textContent === h, heading);
    await expect(page.title()).resolves.toBe(`${heading} · datagate`);
  };
  await landedOn('Catalog');

  // The catalog: search, then open Customer.
  await tabTo(page, page.getByLabel('Search', { exact: true }));
  await page.keyboard.type('customer');
  await page.keyboard.press('Enter');
  await page.getByTestId('catalog-count').getByText(/entit(y|ies) match/).waitFor();
  await tabTo(page, page.getByTestId('entity-Customer').getByRole('link', { name: 'Customer', exact: true }));
  await page.keyboard.press('Enter');
  await landedOn('Customer');
  await tabTo(page, page.getByRole('link', { name: 'Open Customer as a table' }));
  await page.keyboard.press('Enter');
  await landedOn('Customer');
  await page.getByTestId('rows').waitFor();

  // A filter: Space on Add filter, type-ahead in the field list, the value, Enter applies it.
  await tabTo(page, page.getByRole('button', { name: 'Add filter' }));
  await page.keyboard.press(' ');
  await expect(hasFocus(page.getByTestId('filter-0').getByLabel('Field'))).resolves.toBe(true);
  await page.keyboard.type('region');
  await expect(page.getByTestId('filter-0').getByLabel('Field').inputValue()).resolves.toBe('region');
  await tabTo(page, page.getByTestId('filter-0').getByLabel('Operator'));
  await expect(page.getByTestId('filter-0').getByLabel('Operator').inputValue()).resolves.toBe('eq');
  await tabTo(page, page.getByTestId('filter-0').getByLabel('Value'));
  await page.keyboard.type('EU');
  await page.keyboard.press('Enter');
  await page.waitForURL(/where=/);
  await page.getByTestId('row-count').getByText(/^Rows 1–25 of/).waitFor();
  expect(new Set(await columnOf(page, 'region'))).toEqual(new Set(['EU']));

  // Sort by name with Enter: the header announces it (aria-sort), and the focus stays on the button.
  const nameHeader = page.getByRole('columnheader', { name: /^name/ });
  const sortByName = nameHeader.getByRole('button');
  await tabTo(page, sortByName);
  await page.keyboard.press('Enter');
  await page.waitForURL(/sort=name%3AASC/);
  await page.getByTestId('row-count').getByText(/^Rows 1–25/).waitFor();
  await expect(nameHeader.getAttribute('aria-sort')).resolves.toBe('ascending');
  await expect(hasFocus(sortByName)).resolves.toBe(true);
  const names = await columnOf(page, 'name');
  expect(names).toEqual([...names].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  await page.keyboard.press('Enter');
  await page.waitForURL(/sort=name%3ADESC/);
  await page.getByTestId('row-count').getByText(/^Rows 1–25/).waitFor();
  await expect(nameHeader.getAttribute('aria-sort')).resolves.toBe('descending');

  // Next page (above the rows, so back with Shift+Tab) with Enter: the focus stays on Next page.
  const next = page.getByRole('button', { name: 'Next page' });
  await tabTo(page, next, { back: true, max: 20 });
  await page.keyboard.press('Enter');
  await page.getByTestId('row-count').getByText(/^Rows 26–50 .* page 2$/).waitFor();
  await expect(focusedText(page)).resolves.toBe('Next page');

  // Follow a relationship (the pager sits above the rows, so on from Next page): the first customer's leads, as Lead's table filtered on customer_id.
  const [customerId] = await columnOf(page, 'id');
  await tabTo(page, page.getByRole('link', { name: `leads of Customer ${customerId}`, exact: true }), { max: 20 });
  await page.keyboard.press('Enter');
  await landedOn('Lead');
  await expectFilter(page, ['customer_id', 'eq', customerId]);

  // Ask for access: SalesRep's hired_at is withheld from bob. The button moves the focus into the
  // form, Cancel gives it back, Enter sends, and the focus goes to the confirmation.
  await page.goto(`${c.base}/entity/SalesRep`);
  await landedOn('SalesRep');
  const ask = page.getByRole('button', { name: 'Request access' });
  await tabTo(page, ask);
  await page.keyboard.press(' ');
  await expect(focusedText(page)).resolves.toBe('req-reason');
  await tabTo(page, page.getByRole('button', { name: 'Cancel' }));
  await page.keyboard.press('Enter');
  await expect(hasFocus(ask)).resolves.toBe(true);
  await page.keyboard.press('Enter');
  await expect(focusedText(page)).resolves.toBe('req-reason');
  await page.keyboard.type('Hiring dates for the onboarding survey');
  await page.keyboard.press('Tab');
  await tabTo(page, page.getByLabel('For how many days'));
  await page.keyboard.press('Control+A');
  await page.keyboard.type('7');
  await tabTo(page, page.getByRole('button', { name: 'Send request' }));
  await page.keyboard.press('Enter');
  await page.getByText('Request sent.').waitFor();
  await expect(focusedText(page)).resolves.toMatch(/^Request sent\./);
  const mine: any = await postGraphQL(c.url, '{ accessRequests(scope: mine) { entity status reason days } }', undefined, bearer(await demoToken('bob')));
  expect(mine.body.data.accessRequests).toContainEqual({ entity: 'SalesRep', status: 'requested', reason: 'Hiring dates for the onboarding survey', days: 7 });
  await context.close();
}, 120_000);

/** Roles of controls a person operates: each needs a name a screen reader can read. */
const CONTROLS = new Set(['button', 'link', 'textbox', 'searchbox', 'combobox', 'listbox', 'checkbox', 'radio', 'spinbutton', 'slider', 'switch', 'tab', 'menuitem']);

/** Every control in Chromium's accessibility tree of the page that has no accessible name. */
async function unnamedControls(page: Page): Promise<string[]> {
  const cdp = await page.context().newCDPSession(page);
  await cdp.send('DOM.getDocument', { depth: -1 });
  const { nodes } = (await cdp.send('Accessibility.getFullAXTree')) as { nodes: { ignored: boolean; role?: { value: string }; name?: { value: string }; backendDOMNodeId?: number }[] };
  const out: string[] = [];
  for (const n of nodes) {
    if (n.ignored || !CONTROLS.has(n.role?.value ?? '') || (n.name?.value ?? '').trim()) continue;
    const html = n.backendDOMNodeId ? ((await cdp.send('DOM.getOuterHTML', { backendNodeId: n.backendDOMNodeId })) as { outerHTML: string }).outerHTML : '?';
    out.push(`${n.role!.value}: ${html.slice(0, 160)}`);
  }
  await cdp.detach();
  return out;
}

/** WCAG contrast ratio of two CSS rgb() colours. */
function contrast(a: string, b: string): number {
  const lum = (c: string) => {
    const [r, g, bl] = c.match(/[\d.]+/g)!.slice(0, 3).map((v) => {
      const s = Number(v) / 255;
      return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
    });
    return 0.2126 * r + 0.7152 * g + 0.0722 * bl;
  };
  const [hi, lo] = [lum(a), lum(b)].sort((x, y) => y - x);
  return (hi + 0.05) / (lo + 0.05);
}

test('every control on every page has an accessible name; headers have scope; badges and focus rings have contrast', async () => {
  const problems: Record<string, string[]> = {};
  const check = async (page: Page, name: string) => {
    const found = await unnamedControls(page);
    if (found.length) problems[name] = found;
  };
  const signInPage = await (await c.browser.newContext()).newPage();
  await signInPage.goto(`${c.base}/`);
  await signInPage.getByTestId('demo-user-erin').waitFor();
  await check(signInPage, 'sign-in');
  await signInPage.context().close();

  const erin = await c.signIn('erin');
  await erin.getByTestId('catalog-count').getByText(/match/).waitFor();
  await check(erin, 'catalog');
  // Badges: small text, so at least 4.5:1 against their own background.
  const badges = await erin.locator('.badge').evaluateAll((els) => els.map((el) => ({ text: el.textContent, color: getComputedStyle(el).color, background: getComputedStyle(el).backgroundColor })));
  expect(badges.length).toBeGreaterThan(5);
  for (const b of badges) expect({ badge: b.text, ratio: contrast(b.color, b.background) >= 4.5 }).toEqual({ badge: b.text, ratio: true });
  // The focus ring against the page: at least 3:1.
  await tabTo(erin, erin.getByRole('button', { name: 'Search' }));
  const ring = await erin.evaluate(() => ({ outline: getComputedStyle(document.activeElement!).outlineColor, page: getComputedStyle(document.body).backgroundColor, root: getComputedStyle(document.documentElement).backgroundColor }));
  expect(contrast(ring.outline, ring.page === 'rgba(0, 0, 0, 0)' ? ring.root : ring.page)).toBeGreaterThanOrEqual(3);

  await erin.goto(`${c.base}/entity/SalesRep`);
  await erin.getByTestId('access-words').waitFor();
  await check(erin, 'entity');
  // A request waiting for erin, so her queue shows its comment field and buttons.
  const asked: any = await postGraphQL(c.url, 'mutation { requestAccess(entity: "Customer", fields: ["phone"], reason: "Call-back campaign", days: 5) { status } }', undefined, bearer(await demoToken('bob')));
  expect(asked.body.data.requestAccess.status).toBe('requested');
  await erin.goto(`${c.base}/requests`);
  await erin.getByTestId('request-Customer-requested').waitFor();
  await check(erin, 'requests');
  await erin.goto(`${c.base}/table/Order?group=status&sum=amount&where=${encodeURIComponent(JSON.stringify([['status', 'eq', 'paid']]))}`);
  await erin.getByTestId('summary').waitFor();
  await erin.getByTestId('lineage').waitFor();
  await check(erin, 'table');
  // Data tables: every column header has scope=col; the sorted one says so.
  await erin.getByRole('columnheader', { name: /^amount/ }).getByRole('button').click();
  await erin.waitForURL(/sort=amount/);
  const headers = await erin.locator('table.grid thead th').evaluateAll((ths) => ths.map((th) => th.getAttribute('scope')));
  expect(new Set(headers)).toEqual(new Set(['col']));
  await expect(erin.getByRole('columnheader', { name: /^amount/ }).getAttribute('aria-sort')).resolves.toBe('ascending');
  await erin.getByRole('link', { name: 'Playground' }).click();
  await erin.locator('.graphiql-container').waitFor({ timeout: 30_000 });
  // GraphiQL's editors load after the page: check once the query and variables editors exist.
  for (const editor of ['.graphiql-query-editor', '.graphiql-editor-tool']) await erin.locator(`${editor} textarea`).first().waitFor({ state: 'attached', timeout: 30_000 });
  await check(erin, 'playground');

  const dave = await c.signIn('dave');
  await dave.getByRole('link', { name: 'Audit log' }).click();
  await dave.getByTestId('audit').waitFor();
  await check(dave, 'audit');
  expect(problems).toEqual({});
}, 120_000);
