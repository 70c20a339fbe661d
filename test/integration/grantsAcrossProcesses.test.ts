import path from 'node:path';
import type { Gateway } from '../../src/server';
import { createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { createCrm, FIXTURE_MODEL, fixtureData, startGateway, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { serveProcess, type ServedProcess } from '../support/serveProcess';
import { bearer, mintToken } from '../support/tokens';

/**
 * Two gateway processes share one PostgreSQL metadata store: a grant approved through one is
 * enforced by the other within about a second (its poll interval is 500 ms, the default), and a
 * revocation through the second is enforced by the first just as fast. The second gateway is a real
 * `datagate serve` child process, so nothing but the store connects them.
 */

const MODEL = {
  'crm.yaml': FIXTURE_MODEL['crm.yaml']
    .replace('owner: { team: crm-team }', 'owner: { team: crm-team, roles: [crm_owner] }')
    .replace('    orders: { entity: Order, many: true, on: { id: customer_id } }\n', ''),
};
const POLICIES: Record<string, string> = {
  'marketing.yaml': 'role: marketing\nrules:\n  - { action: read, subject: Customer, fields: [id, name] }\n',
  'crm_owner.yaml': 'role: crm_owner\nrules:\n  - { action: read, subject: [Customer, Rep] }\n',
};
const READ = 'query Read { customers(limit: 1000, orderBy: [{ id: ASC }]) { id email } }';
const data = fixtureData();

const dbs: TestDatabase[] = [];
let inProcess: { gw: Gateway; url: string; dir: string };
let child: ServedProcess;
const T: Record<string, Record<string, string>> = {};

async function gql(url: string, headers: Record<string, string>, query: string, variables?: Record<string, unknown>) {
  const r = await postGraphQL(url, query, variables, headers);
  return r.body;
}
/** Until `url` answers READ for bob as `wanted` (readable or refused): the milliseconds it took and the tries; fails after 5 s. */
async function until(url: string, wanted: 'readable' | 'refused'): Promise<{ ms: number; tries: number }> {
  const started = Date.now();
  for (let tries = 1; ; tries++) {
    const body = await gql(url, T.bob, READ);
    const readable = !body.errors && body.data?.customers?.length === data.customers.length;
    if ((wanted === 'readable') === readable) return { ms: Date.now() - started, tries };
    if (Date.now() - started > 5000) throw new Error(`still not ${wanted} after 5 s: ${JSON.stringify(body).slice(0, 300)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  try {
    dbs.push(await createPgDatabase('crm'), await createPgDatabase('meta'));
  } catch (e) {
    await Promise.allSettled(dbs.map((d) => d.drop()));
    throw e;
  }
  const k = knexFor(dbs[0].url);
  try {
    await createCrm(k, data);
  } finally {
    await k.destroy();
  }
  inProcess = await startGateway(
    { crm: { dialect: 'postgres', url: dbs[0].url } },
    { model: MODEL, policies: POLICIES, extraConfig: `${TEST_IDENTITY}\nmetadata: { url: ${JSON.stringify(dbs[1].url)} }` },
  );
  // The same deployment files, served by a second process.
  child = await serveProcess(path.join(inProcess.dir, 'datagate.yaml'));
  T.bob = bearer(await mintToken({ sub: 'bob', roles: ['marketing'] }));
  T.carl = bearer(await mintToken({ sub: 'carl', roles: ['crm_owner'] }));
}, 120_000);

afterAll(async () => {
  await child?.stop();
  await inProcess?.gw.close();
  await Promise.allSettled(dbs.map((d) => d.drop()));
});

test('approved through one process: readable in the other within a second; revoked through the other: refused in the first within a second', async () => {
  expect((await until(child.url, 'refused')).tries).toBe(1);
  const asked = await gql(inProcess.url, T.bob, 'mutation { requestAccess(entity: "Customer", fields: ["email"], reason: "mailing", days: 5) { id } }');
  const id = asked.data.requestAccess.id as string;
  const approved = await gql(inProcess.url, T.carl, 'mutation($id: ID!) { approveAccessRequest(id: $id) { status } }', { id });
  expect(approved.data.approveAccessRequest.status).toBe('approved');
  expect((await until(inProcess.url, 'readable')).tries).toBe(1);
  expect((await until(child.url, 'readable')).ms).toBeLessThan(1000);
  const rows = (await gql(child.url, T.bob, READ)).data.customers;
  expect(rows).toEqual(data.customers.map((c) => ({ id: c.id, email: c.email })));

  const revoked = await gql(child.url, T.carl, 'mutation($id: ID!) { revokeAccess(id: $id, comment: "done") { status } }', { id });
  expect(revoked.data.revokeAccess.status).toBe('revoked');
  expect((await until(child.url, 'refused')).tries).toBe(1);
  expect((await until(inProcess.url, 'refused')).ms).toBeLessThan(1000);
});
