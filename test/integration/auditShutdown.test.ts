import { rmSync } from 'node:fs';
import path from 'node:path';
import { listAuditRecords, openStore } from '../../src/store';
import { createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { createCrm, FIXTURE_MODEL, TEST_IDENTITY, writeDeployment } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { serveProcess, type ServedProcess } from '../support/serveProcess';
import { bearer, mintToken } from '../support/tokens';

/**
 * Queued audit records survive SIGTERM: a real `datagate serve` process (the TypeScript sources run
 * through swc, as in Jest) with a flushInterval of a minute, so every record is still in memory when
 * the signal comes; the process must exit 0 and the SQLite store file must then hold every record.
 */

const OPERATIONS = 25;

let crm: TestDatabase;
let dir: string;
let server: ServedProcess | undefined;

beforeAll(async () => {
  crm = await createPgDatabase('audit_sigterm');
  const k = knexFor(crm.url);
  try {
    await createCrm(k);
  } finally {
    await k.destroy();
  }
  // Customers and reps only: the crm source on PostgreSQL.
  dir = writeDeployment(
    { crm: { dialect: 'postgres', url: crm.url, connectTimeout: '5s' } },
    {
      model: { 'crm.yaml': FIXTURE_MODEL['crm.yaml'].replace(/\n    orders: \{ entity: Order[^\n]*/, '') },
      extraConfig: ['metadata: { url: "sqlite:audit.sqlite" }', 'audit: { flushInterval: 60s, batchSize: 1000 }', TEST_IDENTITY].join('\n'),
    },
    'datagate-sigterm-',
  );
});

afterAll(async () => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  await crm?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

test('queued audit records survive SIGTERM: the process drains its queue into the store, then exits 0', async () => {
  server = await serveProcess(path.join(dir, 'datagate.yaml'));
  const token = await mintToken({ sub: 'sigterm-user', roles: ['anonymous'] });
  const names = Array.from({ length: OPERATIONS }, (_, i) => `Queued${i}`);
  for (const [i, name] of names.entries()) {
    const r = await postGraphQL(server.url, `query ${name} { customers(limit: ${1 + (i % 5)}) { id name } }`, undefined, i % 2 ? bearer(token) : {});
    expect(r.body.errors).toBeUndefined();
  }
  // A minute-long flushInterval: nothing is written yet.
  const health = (await (await fetch(server.url.replace(/\/graphql$/, '/health'))).json()) as { audit: { queued: number; written: number } };
  expect(health.audit).toMatchObject({ queued: OPERATIONS, written: 0 });

  const started = Date.now();
  server.child.kill('SIGTERM');
  const code = await server.exited;
  expect({ code, output: code === 0 ? '' : server.output() }).toEqual({ code: 0, output: '' });
  expect(Date.now() - started).toBeLessThan(15_000);
  expect(server.output()).toContain('SIGTERM, shutting down');

  const store = await openStore({ url: 'sqlite:audit.sqlite', dir });
  try {
    const { records } = await listAuditRecords(store, { first: 1000 });
    expect(records.map((r) => r.operationName).sort()).toEqual([...names].sort());
    for (const r of records) {
      const i = Number(r.operationName!.slice('Queued'.length));
      expect(r).toMatchObject({ userId: i % 2 ? 'sigterm-user' : null, roles: ['anonymous'], entities: ['Customer'], sources: ['crm'], outcome: 'ok' });
      expect(r.rowCounts).toEqual({ [Object.keys(r.rowCounts)[0]]: 1 + (i % 5) });
    }
  } finally {
    await store.close();
  }
}, 120_000);
