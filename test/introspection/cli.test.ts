import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import knex, { type Knex } from 'knex';
import { introspect } from '../../src/cli/introspect';
import { loadModel } from '../../src/model';
import { createPostgresDatabase, runStatements, type TestDatabase } from './databases';
import { runCli } from '../support/cli';

/** Runs the command with stdout and stderr captured (the command prints; it must not throw). */
const run = (argv: string[]) => runCli(introspect, argv);

describe('datagate introspect', () => {
  let db: TestDatabase;
  let dir: string;
  let config: string;

  beforeAll(async () => {
    db = await createPostgresDatabase('dg_introspect_cli');
    const k: Knex = knex({ client: 'pg', connection: db.url, pool: { min: 0, max: 1 } });
    try {
      await runStatements(k, [
        `create table customers (id serial primary key, name text not null, photo bytea)`,
        `comment on table customers is 'People we sell to.'`,
        `create table orders (id bigserial primary key, customer_id integer not null references customers (id), total numeric(12, 2))`,
        `create table order_lines (order_id bigint references orders (id), line_no integer, primary key (order_id, line_no))`,
        `create schema archive`,
        `create table archive.old_orders (id integer primary key, placed_on date)`,
      ]);
    } finally {
      await k.destroy();
    }
    dir = mkdtempSync(path.join(tmpdir(), 'datagate-introspect-'));
    const sqliteFile = path.join(dir, 'marketing.db');
    const lite = new Database(sqliteFile);
    lite.exec(`create table campaigns (id integer primary key, name text not null, budget decimal(12,2))`);
    lite.close();
    config = path.join(dir, 'datagate.yaml');
    writeFileSync(
      config,
      [
        'sources:',
        `  crm: { dialect: postgres, url: "${db.url}", owner: crm-team }`,
        `  marketing: { dialect: sqlite, url: "${sqliteFile}" }`,
        '  offline: { dialect: postgres, url: "postgres://admin:hunter2-secret@127.0.0.1:1/crm", connectTimeout: 2s }',
        '  intruder: { dialect: postgres, url: "postgres://nobody:hunter2-secret@127.0.0.1:5432/no_such_db" }',
        '  embedded: { dialect: postgres }',
        '',
      ].join('\n'),
    );
  });
  afterAll(async () => {
    await db?.drop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  test('writes a draft that loadModel reads, with progress and warnings on stderr', async () => {
    const out = path.join(dir, 'schema', 'crm.yaml');
    const r = await run(['crm', '--config', config, '--out', out]);
    expect(r.stderr).toContain('introspecting crm: 1/3 tables…');
    expect(r.stderr).toContain('introspecting crm: 3/3 tables…');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('warning: customers.photo: unsupported type bytea, column left out');
    expect(r.stderr).toContain('warning: order_lines: composite primary key (order_id, line_no) and no id column, table left out');
    expect(r.stderr).toContain(`introspected crm: 2 entities from 3 tables and views, 1 left out, 1 column of unsupported types left out → ${out}`);

    const registry = loadModel(path.dirname(out), ['crm', 'marketing']);
    expect([...registry.entities.keys()].sort()).toEqual(['Customer', 'Order']);
    expect(registry.entity('Customer')).toMatchObject({ source: 'crm', table: 'customers', key: 'id', description: 'People we sell to.', owner: { team: 'crm-team' } });
    expect(registry.entity('Order').fields.get('total')!.type).toBe('Decimal');
    expect(registry.entity('Order').relationships.get('customer')).toMatchObject({ target: 'Customer', many: false, on: [['customer_id', 'id']] });
    expect(registry.entity('Customer').relationships.get('orders')).toMatchObject({ target: 'Order', many: true, on: [['id', 'customer_id']] });
    expect(readFileSync(out, 'utf8')).toContain('# photo: unsupported type bytea: column left out');
  });

  test('keeps an existing --out unless --force', async () => {
    const out = path.join(dir, 'kept.yaml');
    writeFileSync(out, '# my edits\n');
    const r = await run(['crm', '--config', config, '--out', out]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`${out} exists and may hold your edits: pass --force`);
    expect(readFileSync(out, 'utf8')).toBe('# my edits\n');
    const forced = await run(['crm', '--config', config, '--out', out, '--force']);
    expect(forced.code).toBe(0);
    expect(readFileSync(out, 'utf8')).toContain('Customer:');
  });

  test('writes to stdout without --out, and reads another schema with --schema', async () => {
    const r = await run(['crm', '--config', config, '--schema', 'archive']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('OldOrder:\n  source: crm\n  table: old_orders\n  schema: archive\n  key: id');
    expect(r.stdout).not.toContain('introspecting');
  });

  test('reads an SQLite file', async () => {
    const out = path.join(dir, 'lite', 'marketing.yaml');
    const r = await run(['marketing', '--config', config, '--out', out]);
    expect(r.code).toBe(0);
    const registry = loadModel(path.dirname(out), ['marketing']);
    expect(registry.entity('Campaign').fields.get('budget')!.type).toBe('Decimal');
  });

  test('an unknown source is named, with the configured ones', async () => {
    const r = await run(['billing', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('unknown source "billing"');
    expect(r.stderr).toContain('"crm", "marketing", "offline", "intruder", "embedded"');
  });

  test('an unreachable source says what to check, without a stack or the password', async () => {
    const r = await run(['offline', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect to source "offline" (PostgreSQL at 127.0.0.1:1, database crm) [ECONNREFUSED]');
    expect(r.stderr).toContain('check that the database server is running');
    expect(r.stdout + r.stderr).not.toContain('hunter2');
    expect(r.stdout + r.stderr).not.toContain('admin');
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });

  test('refused credentials or database are said as such', async () => {
    const r = await run(['intruder', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('cannot connect to source "intruder" (PostgreSQL at 127.0.0.1:5432, database no_such_db)');
    expect(r.stderr).toContain('the server refused the user, password or database name');
    expect(r.stdout + r.stderr).not.toContain('hunter2');
    expect(r.stdout + r.stderr).not.toMatch(/\n\s+at /);
  });

  test('a source without a url has nothing to read', async () => {
    const r = await run(['embedded', '--config', config]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('source "embedded" has no url');
  });

  test('usage errors: no source, unknown option, missing config', async () => {
    expect((await run(['--config', config])).stderr).toContain('which source?');
    const bad = await run(['crm', '--bogus']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain("Unknown option '--bogus'");
    const missing = await run(['crm', '--config', path.join(dir, 'nope.yaml')]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('file not found');
    expect((await run(['--help'])).stdout).toContain('usage: datagate introspect <source>');
  });
});
