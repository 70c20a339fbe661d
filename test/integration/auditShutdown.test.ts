import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { listAuditRecords, openStore } from '../../src/store';
import { createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { createCrm, FIXTURE_MODEL, OPEN_POLICIES, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';

/**
 * Queued audit records survive SIGTERM: a real `datagate serve` process (the TypeScript sources run
 * through swc, as in Jest) with a flushInterval of a minute, so every record is still in memory when
 * the signal comes; the process must exit 0 and the SQLite store file must then hold every record.
 */

const ROOT = path.resolve(__dirname, '..', '..');
const OPERATIONS = 25;

let crm: TestDatabase;
let dir: string;
let child: ChildProcess | undefined;

beforeAll(async () => {
  crm = await createPgDatabase('audit_sigterm');
  const k = knexFor(crm.url);
  try {
    await createCrm(k);
  } finally {
    await k.destroy();
  }
  dir = mkdtempSync(path.join(tmpdir(), 'datagate-sigterm-'));
  mkdirSync(path.join(dir, 'schema'));
  mkdirSync(path.join(dir, 'policies'));
  // Customers and reps only: the crm source on PostgreSQL.
  writeFileSync(path.join(dir, 'schema', 'crm.yaml'), FIXTURE_MODEL['crm.yaml'].replace(/\n    orders: \{ entity: Order[^\n]*/, ''));
  for (const [f, text] of Object.entries(OPEN_POLICIES)) writeFileSync(path.join(dir, 'policies', f), text);
  writeFileSync(
    path.join(dir, 'datagate.yaml'),
    [
      'sources:',
      `  crm: { dialect: postgres, url: ${JSON.stringify(crm.url)}, statementTimeout: 5s, connectTimeout: 5s }`,
      'metadata: { url: "sqlite:audit.sqlite" }',
      'audit: { flushInterval: 60s, batchSize: 1000 }',
      TEST_IDENTITY,
    ].join('\n') + '\n',
  );
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await crm?.drop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Starts `datagate serve` on a free port; resolves with its URL once it prints it. */
function serve(): Promise<{ url: string; output: () => string; exited: Promise<number | null> }> {
  const p = spawn(
    process.execPath,
    ['-r', path.join(ROOT, 'test/support/swcRegister.js'), '-e', `require(${JSON.stringify(path.join(ROOT, 'src/cli/main.ts'))}).main(process.argv.slice(1))`, 'serve', '--config', path.join(dir, 'datagate.yaml'), '--port', '0'],
    { cwd: dir, env: { ...process.env, NODE_ENV: 'production' }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child = p;
  let out = '';
  p.stdout!.on('data', (c) => (out += String(c)));
  p.stderr!.on('data', (c) => (out += String(c)));
  const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`datagate serve did not start in 45 s:\n${out}`)), 60_000);
    const onData = () => {
      const m = /serving .* at (http:\/\/\S+\/graphql)/.exec(out);
      if (!m) return;
      clearTimeout(timer);
      p.stdout!.off('data', onData);
      resolve({ url: m[1], output: () => out, exited });
    };
    p.stdout!.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`datagate serve exited with ${code} before serving:\n${out}`));
    });
  });
}

test('queued audit records survive SIGTERM: the process drains its queue into the store, then exits 0', async () => {
  const server = await serve();
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
  child!.kill('SIGTERM');
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
