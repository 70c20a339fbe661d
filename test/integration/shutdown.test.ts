import { rmSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { listAuditRecords, openStore } from '../../src/store';
import { createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { createCrm, FIXTURE_MODEL, TEST_IDENTITY, writeDeployment } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { serveProcess, type ServedProcess } from '../support/serveProcess';

/**
 * Graceful shutdown of a real `datagate serve` process: a slow request in flight when SIGTERM comes
 * still gets its answer, new connections are refused at once, the audit record of the slow request
 * is written, the steps run in order (stop accepting → requests finished → audit flushed → schedules
 * stopped → pools and store closed) and the process exits 0.
 */

let crm: TestDatabase;
let dir: string;
let server: ServedProcess | undefined;

beforeAll(async () => {
  crm = await createPgDatabase('shutdown');
  const k = knexFor(crm.url);
  try {
    await createCrm(k);
    // Three seconds per statement, whatever it selects.
    await k.raw('create view slow_customers as select c.id, c.name from customers c cross join (select pg_sleep(3)) s');
  } finally {
    await k.destroy();
  }
  dir = writeDeployment(
    { crm: { dialect: 'postgres', url: crm.url, statementTimeout: '10s', connectTimeout: '5s' } },
    {
      model: {
        'crm.yaml':
          FIXTURE_MODEL['crm.yaml'].replace(/\n    orders: \{ entity: Order[^\n]*/, '') +
          `
SlowCustomer:
  source: crm
  table: slow_customers
  key: id
  fields:
    id: { type: Int }
    name: { type: String }
`,
      },
      // Nothing is written before the shutdown flushes it.
      extraConfig: ['metadata: { url: "sqlite:audit.sqlite" }', 'audit: { flushInterval: 60s, batchSize: 1000 }', TEST_IDENTITY].join('\n'),
    },
    'datagate-shutdown-',
  );
});

afterAll(async () => {
  if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
  await crm?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the error code of a fresh TCP connection attempt, or 'connected'. */
function connect(port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    s.once('connect', () => {
      s.destroy();
      resolve('connected');
    });
    s.once('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
  });
}

test('SIGTERM: the slow request in flight completes with 200, new connections are refused, the audit is flushed, exit 0', async () => {
  server = await serveProcess(path.join(dir, 'datagate.yaml'));
  const port = Number(new URL(server.url).port);
  expect(await connect(port)).toBe('connected');
  const warm = await postGraphQL(server.url, 'query Warm { customers(limit: 1) { id } }');
  expect(warm.body.errors).toBeUndefined();

  const slowStarted = Date.now();
  const slow = postGraphQL(server.url, 'query SlowInFlight { slowCustomers(limit: 2, orderBy: [{id: ASC}]) { id name } }');
  await new Promise((r) => setTimeout(r, 800)); // the statement is running on PostgreSQL now
  server.child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 400));
  // Still well inside the slow statement's three seconds: the listener is closed already.
  expect(Date.now() - slowStarted).toBeLessThan(2500);
  expect(await connect(port)).toBe('ECONNREFUSED');

  const answer = await slow;
  expect(answer.status).toBe(200);
  expect(answer.body.errors).toBeUndefined();
  expect(answer.body.data.slowCustomers.map((c: { id: number }) => c.id)).toEqual([1, 2]);
  expect(Date.now() - slowStarted).toBeGreaterThanOrEqual(3000);

  const code = await server.exited;
  const output = server.output();
  expect({ code, output: code === 0 ? '' : output }).toEqual({ code: 0, output: '' });

  // The steps, in order, from the gateway's own log lines.
  const steps = output
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as { component?: string; msg?: string })
    .filter((l) => l.component === 'shutdown')
    .map((l) => l.msg);
  expect(steps).toEqual(['stopped accepting connections', 'requests in flight finished', 'audit log flushed', 'schedules stopped', 'sources and metadata store closed']);
  // The slow request's access line came before the drain ended.
  const lines = output.split('\n');
  const access = lines.findIndex((l) => l.includes('"operation":"SlowInFlight"') && l.includes('"msg":"request"'));
  const finished = lines.findIndex((l) => l.includes('requests in flight finished'));
  expect(access).toBeGreaterThanOrEqual(0);
  expect(access).toBeLessThan(finished);

  const store = await openStore({ url: 'sqlite:audit.sqlite', dir });
  try {
    const { records } = await listAuditRecords(store, { first: 100 });
    expect(records.map((r) => r.operationName).sort()).toEqual(['SlowInFlight', 'Warm']);
    expect(records.find((r) => r.operationName === 'SlowInFlight')).toMatchObject({ outcome: 'ok', entities: ['SlowCustomer'] });
  } finally {
    await store.close();
  }
}, 120_000);
