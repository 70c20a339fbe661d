import type { Page } from 'playwright-core';
import { postGraphQL } from '../support/gql';
import { bearer, demoToken } from '../support/tokens';
import { columnOf, shot, useDemoConsole } from './browser';

/**
 * Owners' decisions in the console, in a real browser against the embedded demo: bob (marketing)
 * asks for Customer's phone numbers, erin (admin, Customer's owner) denies with a comment, bob
 * reads why and still cannot read them; he asks again, erin approves, bob reads them; erin revokes
 * the grant and bob's next read is refused. dave (auditor) finds the deny and the revoke in the log.
 * A holder also ends a grant of their own from the console.
 */
/** Chromium and the demo gateway, for every test of this file (browser.ts). */
const c = useDemoConsole();

const PHONES = 'query BobReadsPhones { customersConnection(first: 25, orderBy: [{id: ASC}]) { edges { node { id phone } } } }';

/** The gateway's own answer to bob for Customer's phone numbers (not the console's). */
async function bobReadsPhones() {
  return postGraphQL(c.url, PHONES, undefined, bearer(await demoToken('bob')));
}

/** The gateway refused the read because bob's schema has no Customer.phone. */
function expectPhoneRefused(r: Awaited<ReturnType<typeof bobReadsPhones>>): void {
  expect(r.body.data).toBeUndefined();
  expect(r.body.errors?.map((e) => [e.extensions?.code, e.message])).toEqual([['GRAPHQL_VALIDATION_FAILED', expect.stringMatching(/Cannot query field "phone" on type "Customer"/)]]);
}

/** A link of the console's main navigation. */
const nav = (page: Page, name: string) => page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name, exact: true });

/** The column headers of the table view, without their sort arrows. */
const headersOf = async (page: Page) => (await page.getByTestId('rows').locator('thead th').allTextContents()).map((h) => h.trim().split(/\s/)[0]);

/** The columns the table's Columns chooser offers (opened as a person would). */
async function columnChoices(page: Page): Promise<{ name: string; shown: boolean }[]> {
  const chooser = page.locator('details', { has: page.locator('summary', { hasText: /^Columns/ }) });
  if (!(await chooser.evaluate((d) => (d as HTMLDetailsElement).open))) await chooser.locator('summary').click();
  const boxes = chooser.getByRole('checkbox');
  await boxes.first().waitFor();
  const out: { name: string; shown: boolean }[] = [];
  for (const box of await boxes.all()) out.push({ name: (await box.evaluate((b) => b.parentElement!.textContent!)).trim(), shown: await box.isChecked() });
  return out;
}

/** bob asks for Customer.phone from Customer's page in the catalog. */
async function requestPhones(bob: Page, reason: string, days: number): Promise<void> {
  await bob.goto(`${c.base}/entity/Customer`);
  await bob.getByRole('heading', { name: 'Customer', level: 1 }).waitFor();
  await expect(bob.getByTestId('field-phone').textContent()).resolves.toContain('not visible');
  await bob.getByRole('button', { name: 'Request access' }).click();
  await bob.getByRole('checkbox', { name: 'phone' }).check();
  await bob.getByLabel('Why you need it').fill(reason);
  await bob.getByLabel('For how many days').fill(String(days));
  await bob.getByRole('button', { name: 'Send request' }).click();
  await bob.getByText('Request sent.').waitFor();
}

test('erin denies bob’s request with a comment, approves his next one, then revokes it; bob reads only in between; dave finds the deny and the revoke', async () => {
  expectPhoneRefused(await bobReadsPhones());

  // 1. bob asks for Customer's phone numbers.
  const bob = await c.signIn('bob');
  await requestPhones(bob, 'Call-back campaign for lapsed customers', 10);

  // 2. erin denies it: first without a comment (the page asks for one: bob reads it), then with one.
  const erin = await c.signIn('erin', { at: '/requests' });
  const pending = erin.getByTestId('request-Customer-requested');
  await pending.waitFor();
  await expect(pending.textContent()).resolves.toMatch(/Customer \(phone\) requested.*bob for 10 days .*“Call-back campaign for lapsed customers”/);
  await pending.getByRole('button', { name: 'Deny' }).click();
  await pending.getByRole('alert').getByText(/Say why you deny it/).waitFor();
  await pending.getByLabel('Comment').fill('Phone numbers stay with sales; ask your sales rep to call');
  await pending.getByRole('button', { name: 'Deny' }).click();
  await erin.getByTestId('requests-status').getByText('Denied: bob’s access to Customer (phone).').waitFor();
  await erin.getByRole('heading', { name: 'To decide (0)' }).waitFor();
  await expect(erin.getByTestId('request-Customer-requested').count()).resolves.toBe(0);

  // 3. bob sees it denied with erin's comment; phone is still not his: not among his table's
  // columns (a link naming it opens without it), and the gateway refuses it.
  await nav(bob, 'Access requests').click();
  const denied = bob.getByTestId('request-Customer-denied');
  await denied.waitFor();
  await expect(denied.getByTestId('decision').textContent()).resolves.toBe('erin denied it: “Phone numbers stay with sales; ask your sales rep to call”');
  await expect(denied.getByRole('button').count()).resolves.toBe(0);
  await shot(bob, 'request-denied');
  await bob.goto(`${c.base}/table/Customer?cols=id,name,phone&sort=id:ASC`);
  await bob.getByTestId('rows').waitFor();
  expect(await headersOf(bob)).not.toContain('phone');
  await expect(bob.getByTestId('unreadable-columns').textContent()).resolves.toBe('Left out: phone. It is not among the fields of Customer you may read. To ask for it, request access.');
  const offered = await columnChoices(bob);
  expect(offered.map((c) => c.name)).toEqual(expect.arrayContaining(['id', 'name', 'email', 'region']));
  expect(offered.map((c) => c.name)).not.toContain('phone');
  expectPhoneRefused(await bobReadsPhones());

  // 4. bob asks again; erin (back on her queue) approves.
  await requestPhones(bob, 'Call-back campaign, EU customers who agreed to calls', 7);
  await nav(erin, 'Catalog').click();
  await nav(erin, 'Access requests').click();
  const again = erin.getByTestId('request-Customer-requested');
  await again.waitFor();
  await expect(again.textContent()).resolves.toContain('EU customers who agreed to calls');
  await again.getByLabel('Comment').fill('ok for the campaign week');
  await again.getByRole('button', { name: 'Approve' }).click();
  await erin.getByTestId('requests-status').getByText('Approved: bob’s access to Customer (phone).').waitFor();

  // 5. bob reads the phone numbers. His open console (no reload, no new sign-in) learns of the
  // grant on his requests page, and the table shows them, equal to the gateway's answer.
  await expect(bob.getByTestId('who').textContent()).resolves.not.toContain('granted access');
  await nav(bob, 'Access requests').click();
  const approved = bob.getByTestId('request-Customer-approved');
  await approved.waitFor();
  await expect(approved.getByTestId('decision').textContent()).resolves.toBe('erin approved it: “ok for the campaign week”');
  await bob.getByTestId('who').getByText('+ 1 granted access').waitFor();
  await approved.getByRole('link', { name: 'Open Customer as a table' }).click();
  await bob.getByTestId('rows').waitFor();
  // Among the columns now, shown from the start.
  expect(await columnChoices(bob)).toContainEqual({ name: 'phone', shown: true });
  expect(await headersOf(bob)).toContain('phone');
  await bob.getByRole('button', { name: 'id', exact: true }).click();
  await bob.locator('th[aria-sort="ascending"]', { hasText: 'id' }).waitFor();
  await bob.getByTestId('row-count').getByText(/^Rows 1–25 of/).waitFor();
  const granted = await bobReadsPhones();
  expect(granted.body.errors).toBeUndefined();
  const theirs = granted.body.data.customersConnection.edges.map((e: { node: { id: number; phone: string | null } }) => [String(e.node.id), e.node.phone ?? '—']);
  const ids = await columnOf(bob, 'id');
  const phones = await columnOf(bob, 'phone');
  expect(ids.map((id, i) => [id, phones[i]])).toEqual(theirs);
  expect(phones.filter((p) => /^\+\d[\d ]{6,}/.test(p)).length).toBeGreaterThan(10);
  await shot(bob, 'table-granted');

  // 6. erin revokes the grant from her list of grants in force.
  await erin.reload();
  const inForce = erin.getByTestId('request-Customer-approved');
  await inForce.waitFor();
  await erin.getByRole('heading', { name: 'Grants in force on data you own (1)' }).waitFor();
  await inForce.getByLabel('Comment').fill('campaign over');
  await inForce.getByRole('button', { name: 'Revoke' }).click();
  await erin.getByTestId('requests-status').getByText('Revoked: bob’s access to Customer (phone).').waitFor();
  await erin.getByRole('heading', { name: 'Grants in force on data you own (0)' }).waitFor();

  // 7. bob's next read is refused. The table he has open still offers phone (his page read his
  // schema while he held the grant): Next page asks for it, the gateway refuses, and the page reads
  // his schema again, says what he lost and shows the first page without it.
  await bob.getByRole('button', { name: 'Next page' }).click();
  await bob.getByTestId('table-status').getByText('Your access changed while this page was open (a grant ended or was revoked): phone is no longer yours to read, so the table leaves it out. Back to the first page.').waitFor();
  await bob.getByTestId('row-count').getByText(/^Rows 1–25 of .* · page 1$/).waitFor();
  expect(await headersOf(bob)).not.toContain('phone');
  expect((await columnChoices(bob)).map((c) => c.name)).not.toContain('phone');
  await expect(bob.getByRole('alert').count()).resolves.toBe(0);
  await expect(bob.getByTestId('who').textContent()).resolves.not.toContain('granted access');
  await shot(bob, 'table-revoked');
  expectPhoneRefused(await bobReadsPhones());
  await nav(bob, 'Access requests').click();
  const revoked = bob.getByTestId('request-Customer-revoked');
  await revoked.waitFor();
  await expect(revoked.getByTestId('revocation').textContent()).resolves.toMatch(/^erin revoked it on .+: “campaign over”$/);
  await expect(revoked.getByTestId('decision').textContent()).resolves.toBe('erin approved it: “ok for the campaign week”');
  await expect(revoked.textContent()).resolves.not.toMatch(/Until|Open Customer as a table/);
  await expect(revoked.getByRole('button').count()).resolves.toBe(0);
  await expect(bob.getByTestId('request-Customer-denied').count()).resolves.toBe(1);

  // 8. The audit log, from the gateway's API as dave: erin's deny, approve and revoke (what the
  // gateway recorded from the documents, whatever the client named them), and bob's refused read.
  await c.gw.governance.audit.flush();
  const dave = bearer(await demoToken('dave'));
  const erinsLog: any = await postGraphQL(c.url, 'query { auditLog(filter: {userId: "erin"}, first: 100) { nodes { operationName fields outcome } } }', undefined, dave);
  expect(erinsLog.body.errors).toBeUndefined();
  const decisions = erinsLog.body.data.auditLog.nodes.filter((n: { fields: string[] }) => n.fields.some((f) => f.startsWith('Mutation.')));
  // Newest first: revoke, approve, deny (the deny refused for want of a comment never reached the gateway).
  expect(decisions).toEqual([
    { operationName: 'ConsoleRevoke', fields: ['Mutation.revokeAccess'], outcome: 'ok' },
    { operationName: 'ConsoleApprove', fields: ['Mutation.approveAccessRequest'], outcome: 'ok' },
    { operationName: 'ConsoleDeny', fields: ['Mutation.denyAccessRequest'], outcome: 'ok' },
  ]);
  const bobsRefusals: any = await postGraphQL(c.url, 'query { auditLog(filter: {userId: "bob", operationName: "ConsoleTable", outcome: denied}, first: 100) { nodes { fields denials } } }', undefined, dave);
  expect(bobsRefusals.body.data.auditLog.nodes).toEqual([
    { fields: ['Query.customersConnection'], denials: [{ code: 'GRAPHQL_VALIDATION_FAILED', message: 'Cannot query field "phone" on type "Customer".' }] },
  ]);

  // ...and in the console's audit page: each decision by its operation, with what it asked.
  const auditor = await c.signIn('dave', { at: '/audit' });
  await auditor.getByTestId('audit').waitFor();
  const rowsOf = async (filter: { user: string; operation: string; outcome?: string }) => {
    await auditor.getByLabel('User').fill(filter.user);
    await auditor.getByLabel('Operation').fill(filter.operation);
    await auditor.getByLabel('Outcome').selectOption(filter.outcome ?? '');
    await auditor.getByRole('button', { name: 'Filter' }).click();
    await auditor.waitForFunction(
      ([u, o]) => {
        const rows = [...document.querySelectorAll('[data-testid=audit] tbody tr')];
        return rows.length > 0 && rows.every((r) => r.children[1].textContent === u && r.children[3].textContent === o);
      },
      [filter.user, filter.operation],
    );
    const rows = auditor.getByTestId('audit').locator('tbody tr');
    const out: { asked: string; outcome: string }[] = [];
    for (const r of await rows.all()) out.push({ asked: (await r.locator('td').nth(4).textContent())!, outcome: (await r.locator('td').nth(8).textContent())! });
    return out;
  };
  await expect(rowsOf({ user: 'erin', operation: 'ConsoleDeny' })).resolves.toEqual([{ asked: 'Mutation.denyAccessRequest', outcome: 'ok' }]);
  await expect(rowsOf({ user: 'erin', operation: 'ConsoleRevoke' })).resolves.toEqual([{ asked: 'Mutation.revokeAccess', outcome: 'ok' }]);
  await expect(rowsOf({ user: 'bob', operation: 'ConsoleTable', outcome: 'denied' })).resolves.toEqual([
    { asked: 'Query.customersConnection', outcome: 'denied Cannot query field "phone" on type "Customer".' },
  ]);
  await shot(auditor, 'audit-decisions');
}, 180_000);

test('a holder ends his own grant from the console: bob revokes SalesRep.hired_at, and his next read is refused', async () => {
  const bobToken = bearer(await demoToken('bob'));
  const HIRED = 'query BobReadsHiringDates { salesRepsConnection(first: 5) { edges { node { id hired_at } } } }';
  // The grant, made through the API (the console's request and approval are the test above).
  const asked: any = await postGraphQL(c.url, 'mutation { requestAccess(entity: "SalesRep", fields: ["hired_at"], reason: "Onboarding survey", days: 3) { id } }', undefined, bobToken);
  const id = asked.body.data.requestAccess.id;
  const ok: any = await postGraphQL(c.url, 'mutation($id: ID!) { approveAccessRequest(id: $id) { status } }', { id }, bearer(await demoToken('erin')));
  expect(ok.body.data.approveAccessRequest.status).toBe('approved');
  const before: any = await postGraphQL(c.url, HIRED, undefined, bobToken);
  expect(before.body.errors).toBeUndefined();
  expect(before.body.data.salesRepsConnection.edges[0].node.hired_at).toMatch(/^\d{4}-\d\d-\d\d/);

  // bob's own list: the grant in force, which he may end (he may not approve or deny anything).
  const bob = await c.signIn('bob', { at: '/requests' });
  const mine = bob.getByTestId('request-SalesRep-approved');
  await mine.waitFor();
  await expect(mine.getByRole('button').allTextContents()).resolves.toEqual(['Revoke']);
  await expect(bob.getByRole('heading', { name: /To decide/ }).count()).resolves.toBe(0);
  await mine.getByLabel('Comment').fill('survey sent');
  await mine.getByRole('button', { name: 'Revoke' }).click();
  await bob.getByTestId('requests-status').getByText('Revoked: your access to SalesRep (hired_at).').waitFor();
  // The focus goes to what happened (the button pressed is gone with its card).
  await expect(bob.evaluate(() => document.activeElement?.getAttribute('data-testid'))).resolves.toBe('requests-status');
  const gone = bob.getByTestId('request-SalesRep-revoked');
  await gone.waitFor();
  await expect(gone.getByTestId('revocation').textContent()).resolves.toMatch(/^bob revoked it on .+: “survey sent”$/);
  // His session follows without a new sign-in: no granted access left, and SalesRep's table has no
  // hired_at. The page re-reads his schema before it lists the revoked card, so by now the header
  // has dropped the grant too.
  await expect(bob.getByTestId('who').textContent()).resolves.not.toContain('granted access');
  await bob.goto(`${c.base}/table/SalesRep`);
  await bob.getByTestId('rows').waitFor();
  expect(await headersOf(bob)).not.toContain('hired_at');

  const after: any = await postGraphQL(c.url, HIRED, undefined, bobToken);
  expect(after.body.data).toBeUndefined();
  expect(after.body.errors[0]).toMatchObject({ message: 'Cannot query field "hired_at" on type "SalesRep".', extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } });
  await c.gw.governance.audit.flush();
  const log: any = await postGraphQL(c.url, 'query { auditLog(filter: {userId: "bob", operationName: "ConsoleRevoke"}, first: 10) { nodes { fields outcome } } }', undefined, bearer(await demoToken('dave')));
  expect(log.body.data.auditLog.nodes).toEqual([{ fields: ['Mutation.revokeAccess'], outcome: 'ok' }]);
  await bob.context().close();
}, 60_000);
