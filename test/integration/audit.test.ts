import type { Gateway } from '../../src/server';
import { listAuditRecords, openStore, type AuditRecord } from '../../src/store';
import { createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { setupEngine, type EngineSetup } from '../support/engines';
import { FIXTURE_MODEL, fixtureData, startGateway, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The audit log end to end: crm on PostgreSQL, sales on MariaDB, the metadata store on its own
 * PostgreSQL database (so a test can take it away and bring it back).
 */

const POLICIES: Record<string, string> = {
  'rep.yaml': `
role: rep
rules:
  - { action: read, subject: Customer, fields: [id, name, email, region, rep_id], conditions: { rep_id: "\${user.employeeId}" } }
  - { action: read, subject: Order, conditions: { "customer.rep_id": "\${user.employeeId}" } }
masks:
  Customer.email: email
limits: { maxRows: 50 }
`,
  'auditor.yaml': `
role: auditor
rules:
  - { action: read, subject: all }
masks:
  Customer.email: redact
`,
  'anonymous.yaml': `
role: anonymous
rules:
  - { action: read, subject: Product }
`,
};

const data = fixtureData();
const REP = 1;
const repCustomers = data.customers.filter((c) => c.rep_id === REP).sort((a, b) => a.id - b.id);

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
async function until<T>(what: string, fn: () => Promise<T | undefined | false>, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(50);
  }
}

let engine: EngineSetup;
let ana: string;
let dave: string;

beforeAll(async () => {
  engine = await setupEngine('postgres');
  const sales = await setupEngine('mysql');
  const cleanups = [engine.cleanup, sales.cleanup];
  engine = { sources: { crm: engine.sources.crm, sales: sales.sources.sales }, cleanup: async () => void (await Promise.allSettled(cleanups.map((c) => c()))) };
  ana = await mintToken({ sub: 'ana', roles: ['rep'], employee_id: REP });
  dave = await mintToken({ sub: 'dave', roles: ['auditor'] });
});
afterAll(async () => engine?.cleanup());

interface Started {
  gw: Gateway;
  url: string;
  base: string;
  meta: TestDatabase;
  logs: Record<string, unknown>[];
  stop(): Promise<void>;
}

async function start(audit: string): Promise<Started> {
  const meta = await createPgDatabase('audit');
  try {
    const { gw, url, logs } = await startGateway(engine.sources, {
      policies: POLICIES,
      // olga approves access requests for customers.
      model: { ...FIXTURE_MODEL, 'crm.yaml': FIXTURE_MODEL['crm.yaml'].replace('owner: { team: crm-team }', 'owner: { team: crm-team, users: [olga] }') },
      extraConfig: `${TEST_IDENTITY}\nmetadata: { url: ${JSON.stringify(meta.url)} }\naudit: ${audit}`,
    });
    return { gw, url, base: url.replace(/\/graphql$/, ''), meta, logs, stop: async () => (await gw.close(), await meta.drop()) };
  } catch (e) {
    await meta.drop();
    throw e;
  }
}

/** Every record whose operation has this name, after writing what is queued. */
async function recordsOf(gw: Gateway, operationName: string): Promise<AuditRecord[]> {
  await gw.governance.audit.flush();
  return (await listAuditRecords(gw.governance.store, { operationName, first: 1000 })).records;
}

async function onlyRecord(gw: Gateway, operationName: string): Promise<AuditRecord> {
  const r = await recordsOf(gw, operationName);
  expect(r).toHaveLength(1);
  return r[0];
}

/** The metadata database back under the same name, migrated, as an operator would restore it. */
async function recreate(meta: TestDatabase): Promise<void> {
  const admin = knexFor(meta.url.replace(/\/[^/]+$/, '/postgres'));
  try {
    await admin.raw('create database ??', [meta.name]);
  } finally {
    await admin.destroy();
  }
  const store = await openStore({ url: meta.url, dir: mkdtempSync(path.join(tmpdir(), 'dg-audit-')) });
  try {
    await store.migrate();
  } finally {
    await store.close();
  }
}

const sum = (o: Record<string, number>) => Object.values(o).reduce((a, b) => a + b, 0);

describe('audit log, refuse mode (the default)', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start('{ flushInterval: 100ms, batchSize: 50 }');
  });
  afterAll(async () => s?.stop());

  test('one record per operation: user, roles, entities, fields, sources, row counts, masks, outcome, timing', async () => {
    const before = Date.now();
    const q = 'query RepCustomers { customers(limit: 5, orderBy: [{id: ASC}]) { id name email orders { id amount } } }';
    const r = await postGraphQL(s.url, q, undefined, { ...bearer(ana), 'x-request-id': 'audit-test-1' });
    expect(r.body.errors).toBeUndefined();
    const customers = r.body.data.customers as { id: number; orders: unknown[] }[];
    expect(customers.map((c) => c.id)).toEqual(repCustomers.slice(0, 5).map((c) => c.id));
    const orders = customers.reduce((n, c) => n + c.orders.length, 0);
    expect(orders).toBeGreaterThan(0);

    const rec = await onlyRecord(s.gw, 'RepCustomers');
    expect(rec).toMatchObject({ userId: 'ana', roles: ['rep'], requestId: 'audit-test-1', outcome: 'ok', denials: [], masks: { 'Customer.email': 'email' } });
    expect(rec.entities.sort()).toEqual(['Customer', 'Order']);
    expect(rec.sources.sort()).toEqual(['crm', 'sales']);
    expect(rec.fields).toEqual(expect.arrayContaining(['Customer.id', 'Customer.name', 'Customer.email', 'Order.id', 'Order.amount', 'Query.customers']));
    expect(rec.fields).not.toContain('Customer.balance');
    expect(sum(rec.rowCounts)).toBe(5 + orders);
    expect(rec.operationHash).toMatch(/^[0-9a-f]{64}$/);
    expect(rec.durationMs).toBeGreaterThan(0);
    expect(rec.at.getTime()).toBeGreaterThanOrEqual(before - 5);
    expect(rec.at.getTime()).toBeLessThanOrEqual(Date.now());
    // Never a row value.
    expect(JSON.stringify(rec)).not.toContain(repCustomers[0].name);
  });

  test('the operation hash is that of the normalized text: stable across whitespace and commas, different for another query', async () => {
    await postGraphQL(s.url, 'query HashA { products(limit: 2) { id name } }');
    await postGraphQL(s.url, 'query HashB {\n  products(limit: 2) {\n    id,\n    name\n  }\n}\n# a comment');
    await postGraphQL(s.url, 'query HashC { products(limit: 3) { id name } }');
    const [a, b, c] = await Promise.all(['HashA', 'HashB', 'HashC'].map((n) => onlyRecord(s.gw, n)));
    // Names differ, so the texts differ in the name only: compare each with its own rename.
    await postGraphQL(s.url, 'query HashA {\n products(limit: 2) { id, name } }');
    const again = await recordsOf(s.gw, 'HashA');
    expect(again).toHaveLength(2);
    expect(new Set(again.map((r) => r.operationHash)).size).toBe(1);
    expect(new Set([a.operationHash, b.operationHash, c.operationHash]).size).toBe(3);
  });

  test('the anonymous role: userId null, roles [anonymous]', async () => {
    const r = await postGraphQL(s.url, 'query AnonProducts { products(limit: 3) { id name price } }');
    expect(r.body.data.products).toHaveLength(3);
    const rec = await onlyRecord(s.gw, 'AnonProducts');
    expect(rec).toMatchObject({ userId: null, roles: ['anonymous'], entities: ['Product'], sources: ['sales'], outcome: 'ok', masks: {} });
    expect(sum(rec.rowCounts)).toBe(3);
  });

  test('denials are recorded: a hidden field (validation), a limit, a role the token lacks (403), a bad token (401)', async () => {
    const hidden = await postGraphQL(s.url, 'query HiddenField { customers(limit: 1) { id balance } }', undefined, bearer(ana));
    expect(hidden.body.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    const h = await onlyRecord(s.gw, 'HiddenField');
    expect(h).toMatchObject({ userId: 'ana', outcome: 'denied', entities: [], rowCounts: {} });
    expect(h.denials).toEqual([expect.objectContaining({ code: 'GRAPHQL_VALIDATION_FAILED', message: expect.stringContaining('balance') })]);

    const limit = await postGraphQL(s.url, 'query TooMany { customers(limit: 500) { id } }', undefined, bearer(ana));
    expect(limit.body.errors?.[0].extensions?.code).toBe('LIMIT_EXCEEDED');
    const l = await onlyRecord(s.gw, 'TooMany');
    expect(l.outcome).toBe('denied');
    // Refused before execution: no GraphQL path, the message names the field.
    expect(l.denials).toEqual([expect.objectContaining({ code: 'LIMIT_EXCEEDED', message: expect.stringMatching(/^customers: /) })]);

    const role = await postGraphQL(s.url, 'query WrongRole { customers(limit: 1) { id } }', undefined, { ...bearer(ana), 'x-datagate-role': 'auditor' });
    expect(role.status).toBe(403);
    const w = await onlyRecord(s.gw, 'WrongRole');
    expect(w).toMatchObject({ userId: 'ana', roles: [], outcome: 'denied', denials: [expect.objectContaining({ code: 'FORBIDDEN' })] });

    const bad = await postGraphQL(s.url, 'query BadToken { customers(limit: 1) { id } }', undefined, { authorization: 'Bearer not.a.token' });
    expect(bad.status).toBe(401);
    const b = await onlyRecord(s.gw, 'BadToken');
    expect(b).toMatchObject({ userId: null, outcome: 'denied', denials: [expect.objectContaining({ code: 'UNAUTHENTICATED' })] });
    // Same normalized text as it would have had through Apollo.
    const same = await postGraphQL(s.url, 'query BadToken {customers(limit: 1) {id}}', undefined, bearer(ana));
    expect(same.status).toBe(200);
    const both = await recordsOf(s.gw, 'BadToken');
    expect(new Set(both.map((r) => r.operationHash)).size).toBe(1);
  });

  test('request, approve, read, revoke: every step recorded, mutations with their root fields though no SQL runs', async () => {
    const r = await postGraphQL(s.url, 'mutation AskForAccess { requestAccess(entity: "Customer", reason: "audit test", days: 7) { id status } }', undefined, bearer(ana));
    const rec = await onlyRecord(s.gw, 'AskForAccess');
    expect(rec.fields).toContain('Mutation.requestAccess');
    expect(rec.userId).toBe('ana');
    expect(r.body.errors).toBeUndefined();
    expect(r.body.data.requestAccess.status).toBe('requested');
    expect(rec).toMatchObject({ outcome: 'ok', entities: [], sources: [], rowCounts: {} });

    const id = r.body.data.requestAccess.id as string;
    const olga = await mintToken({ sub: 'olga', roles: ['auditor'] });
    const ok = await postGraphQL(s.url, 'mutation Approve($id: ID!) { approveAccessRequest(id: $id) { status } }', { id }, bearer(olga));
    expect(ok.body.errors).toBeUndefined();
    expect(await onlyRecord(s.gw, 'Approve')).toMatchObject({ userId: 'olga', roles: ['auditor'], fields: ['Mutation.approveAccessRequest'], outcome: 'ok' });
    // Approving twice fails: recorded as an error, not as ok.
    const twice = await postGraphQL(s.url, 'mutation ApproveAgain($id: ID!) { approveAccessRequest(id: $id) { status } }', { id }, bearer(olga));
    expect(twice.body.errors).toHaveLength(1);
    expect((await onlyRecord(s.gw, 'ApproveAgain')).outcome).toBe('error');

    // ana reads under the grant, olga revokes it, ana reads without it: each step on the record.
    await postGraphQL(s.url, 'query ReadWithGrant { customers(limit: 1) { id } }', undefined, bearer(ana));
    expect((await onlyRecord(s.gw, 'ReadWithGrant')).roles).toEqual(expect.arrayContaining(['rep', expect.stringContaining(id)]));
    const revoke = await postGraphQL(s.url, 'mutation Revoke($id: ID!) { revokeAccess(id: $id) { status } }', { id }, bearer(olga));
    expect(revoke.body.errors).toBeUndefined();
    expect(await onlyRecord(s.gw, 'Revoke')).toMatchObject({ userId: 'olga', fields: ['Mutation.revokeAccess'], outcome: 'ok' });
    await postGraphQL(s.url, 'query ReadAfterRevoke { customers(limit: 1) { id } }', undefined, bearer(ana));
    expect((await onlyRecord(s.gw, 'ReadAfterRevoke')).roles).toEqual(['rep']);
  });

  test('writes are batched off the response path: many operations, few INSERTs', async () => {
    await s.gw.governance.audit.flush();
    let inserts = 0;
    const onQuery = (q: { sql: string }) => void (/insert into "audit_records"/i.test(q.sql) && inserts++);
    s.gw.governance.store.knex.on('query', onQuery);
    try {
      const before = s.gw.governance.audit.status().written;
      await Promise.all(Array.from({ length: 40 }, (_, i) => postGraphQL(s.url, `query Batch${i} { products(limit: 1) { id } }`)));
      // Answered before written: the records wait in the queue for flushInterval.
      expect(s.gw.governance.audit.status().queued).toBeGreaterThan(1);
      await until('written', async () => s.gw.governance.audit.status().written >= before + 40);
      expect(inserts).toBeGreaterThanOrEqual(1);
      // Batched: at least two records per INSERT on average. How many batches 40 answers make depends on
      // how fast the machine answers them against flushInterval (100 ms): a slow run made 11.
      expect(inserts).toBeLessThanOrEqual(20);
    } finally {
      s.gw.governance.store.knex.off('query', onQuery);
    }
  });

  test('dave pages through the log with GraphQL, filtered; every record once, newest first', async () => {
    for (let i = 0; i < 7; i++) await postGraphQL(s.url, `query Paged { customers(limit: ${i + 1}) { id } }`, undefined, bearer(ana));
    const q = `query Audit($filter: AuditFilterInput, $after: String) {
      auditLog(filter: $filter, first: 3, after: $after) { nodes { id at userId roles operationName entities outcome rowCounts masks } pageInfo { hasNextPage endCursor } } }`;
    const seen: { id: string; at: string; rowCounts: Record<string, number> }[] = [];
    let after: string | null = null;
    for (let page = 0; page < 10; page++) {
      const r = await postGraphQL(s.url, q, { filter: { userId: 'ana', operationName: 'Paged', entity: 'Customer', outcome: 'ok' }, after }, bearer(dave));
      expect(r.body.errors).toBeUndefined();
      const c = r.body.data.auditLog;
      expect(c.nodes.length).toBeLessThanOrEqual(3);
      // ana holds a grant from the mutation test by now: the roles in effect name it.
      for (const n of c.nodes) expect(n).toMatchObject({ userId: 'ana', roles: expect.arrayContaining(['rep']), operationName: 'Paged', entities: ['Customer'], outcome: 'ok' });
      seen.push(...c.nodes);
      if (!c.pageInfo.hasNextPage) break;
      after = c.pageInfo.endCursor;
    }
    expect(seen).toHaveLength(7);
    expect(new Set(seen.map((n) => n.id)).size).toBe(7);
    // Newest first: the last query (limit 7) comes first.
    expect(seen.map((n) => sum(n.rowCounts))).toEqual([7, 6, 5, 4, 3, 2, 1]);
    const ats = seen.map((n) => Date.parse(n.at));
    expect([...ats].sort((a, b) => b - a)).toEqual(ats);

    // from/to: a window that holds none, and one that holds them all.
    const oldest = new Date(Math.min(...ats));
    const none = await postGraphQL(s.url, q, { filter: { operationName: 'Paged', to: oldest.toISOString() } }, bearer(dave));
    expect(none.body.data.auditLog.nodes).toEqual([]);
    const all = await postGraphQL(s.url, `query { auditLog(filter: {operationName: "Paged", from: "${oldest.toISOString()}"}, first: 100) { nodes { id } } }`, undefined, bearer(dave));
    expect(all.body.data.auditLog.nodes).toHaveLength(7);
    const denied = await postGraphQL(s.url, 'query { auditLog(filter: {outcome: denied, userId: "ana"}, first: 100) { nodes { outcome denials } } }', undefined, bearer(dave));
    expect(denied.body.data.auditLog.nodes.length).toBeGreaterThanOrEqual(2);
    for (const n of denied.body.data.auditLog.nodes) expect(n.outcome).toBe('denied');
    // dave's own reading is on the record too.
    const own = await recordsOf(s.gw, 'Audit');
    expect(own.length).toBeGreaterThanOrEqual(3);
    expect(own[0]).toMatchObject({ userId: 'dave', roles: ['auditor'], fields: ['Query.auditLog'] });
  });

  test('a role outside audit.readers is refused with FORBIDDEN and a message saying who may read', async () => {
    const r = await postGraphQL(s.url, 'query PeekAudit { auditLog { nodes { id } } }', undefined, bearer(ana));
    expect(r.body.data).toBeNull();
    expect(r.body.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(r.body.errors?.[0].message).toMatch(/auditor, admin \(audit\.readers\).*rep/);
    const rec = await onlyRecord(s.gw, 'PeekAudit');
    expect(rec).toMatchObject({ outcome: 'denied', denials: [expect.objectContaining({ code: 'FORBIDDEN', path: 'auditLog' })] });
  });

  test('the store fails: reads are refused with AUDIT_UNAVAILABLE (health answers), /health, /ready and the metric say so; it comes back and records flow again', async () => {
    const { gw, url, base, meta } = s;
    // A query answered before: its next requests would skip Apollo's pipeline (fastPipeline.ts), never the refusal.
    const known = 'query Known { products(limit: 1) { id } }';
    for (let i = 0; i < 2; i++) expect((await postGraphQL(url, known)).body.errors).toBeUndefined();
    await gw.governance.audit.flush();
    // Take the store away under the gateway: its connections die and its database is gone.
    await meta.drop();
    const answered: string[] = [];
    const refused = await until('an operation refused', async () => {
      const name = `DuringFailure${answered.length}`;
      const r = await postGraphQL(url, `query ${name} { products(limit: 1) { id } }`);
      if (r.body.errors?.[0]?.extensions?.code === 'AUDIT_UNAVAILABLE') return r;
      expect(r.body.errors).toBeUndefined();
      answered.push(name);
      await sleep(100);
      return undefined;
    });
    expect(refused.status).toBe(503);
    expect(refused.body.data).toBeUndefined();
    expect(refused.body.errors![0].message).toBe('reads are refused while the audit log cannot be written; see /health');
    expect(refused.text).not.toMatch(/postgres:|insert into|dg_audit/i);
    const again = await postGraphQL(url, known);
    expect(again.status).toBe(503);
    expect(again.body.errors?.[0].extensions?.code).toBe('AUDIT_UNAVAILABLE');
    // Mutations too.
    const m = await postGraphQL(url, 'mutation { requestAccess(entity: "Customer", reason: "x", days: 1) { id } }', undefined, bearer(ana));
    expect(m.body.errors?.[0].extensions?.code).toBe('AUDIT_UNAVAILABLE');

    const health = await postGraphQL(url, '{ health { status audit { ok mode refusing queued lastError } } }');
    expect(health.body.errors).toBeUndefined();
    expect(health.body.data.health).toMatchObject({ status: 'degraded', audit: { ok: false, mode: 'refuse', refusing: true } });
    expect(health.body.data.health.audit.queued).toBeGreaterThanOrEqual(answered.length);
    expect(health.body.data.health.audit.lastError).toMatch(/\S/);
    expect(health.body.data.health.audit.lastError).not.toMatch(/postgres:|insert|dg_audit/i);

    const live = await fetch(`${base}/health`);
    expect(live.status).toBe(200);
    expect(await live.json()).toMatchObject({ status: 'degraded', audit: { ok: false, mode: 'refuse' } });
    const ready = await fetch(`${base}/ready`);
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'refusing' });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^datagate_audit_store_up 0$/m);
    expect(metrics).toMatch(/^datagate_audit_records_failed_total [1-9]/m);

    // The store comes back (same name, migrated): the queued records are written and reads resume.
    await recreate(meta);
    await until('reads served again', async () => {
      const r = await postGraphQL(url, 'query AfterRecovery { products(limit: 1) { id } }');
      return !r.body.errors && r;
    });
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    for (const name of answered) expect(await recordsOf(gw, name)).toHaveLength(1);
    expect((await recordsOf(gw, 'AfterRecovery')).length).toBeGreaterThanOrEqual(1);
    const refusedRecords = (await listAuditRecords(gw.governance.store, { outcome: 'denied', first: 1000 })).records.filter((r) =>
      r.denials.some((d) => (d as { code?: string }).code === 'AUDIT_UNAVAILABLE'),
    );
    expect(refusedRecords.length).toBeGreaterThanOrEqual(1);
    expect(await (await fetch(`${base}/metrics`)).text()).toMatch(/^datagate_audit_store_up 1$/m);
  });
});

describe('audit log, serve mode', () => {
  let s: Started;
  beforeAll(async () => {
    s = await start('{ flushInterval: 100ms, onStoreFailure: serve, maxQueue: 5 }');
  });
  afterAll(async () => s?.stop());

  test('a failed store: reads are answered, records past the queue are dropped and counted, /ready stays 200', async () => {
    const { gw, url, base, meta } = s;
    await meta.drop();
    for (let i = 0; i < 12; i++) {
      const r = await postGraphQL(url, `query Served${i} { products(limit: 1) { id } }`);
      expect(r.body.errors).toBeUndefined();
      expect(r.body.data.products).toHaveLength(1);
    }
    const st = gw.governance.audit.status();
    expect(st).toMatchObject({ ok: false, mode: 'serve', queued: 5 });
    expect(st.dropped).toBeGreaterThanOrEqual(7);
    expect(gw.governance.audit.refusing).toBe(false);
    expect((await fetch(`${base}/ready`)).status).toBe(200);
    const health = await postGraphQL(url, '{ health { audit { ok refusing dropped } } }');
    expect(health.body.data.health.audit).toMatchObject({ ok: false, refusing: false });
    expect(health.body.data.health.audit.dropped).toBeGreaterThanOrEqual(7);
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^datagate_audit_store_up 0$/m);
    expect(metrics).toMatch(/^datagate_audit_records_dropped_total ([7-9]|\d\d+)$/m);
    expect(metrics).toMatch(/^datagate_audit_queue_depth 5$/m);
    // Back again: the five queued records are written, the dropped ones are gone.
    await recreate(meta);
    await until('queue drained', async () => (await gw.governance.audit.flush(), gw.governance.audit.status().queued === 0));
    const kept = (await listAuditRecords(gw.governance.store, { first: 1000 })).records.filter((r) => r.operationName?.startsWith('Served'));
    expect(kept).toHaveLength(5);
    expect(gw.governance.audit.status().ok).toBe(true);
  });
});
