import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { configSchema } from '../../src/config/schema';
import { DatagateError } from '../../src/errors';
import { DEFAULT_SQLITE_FILE, migratorConfig, migrations, openStore, redactUrl, type StoreMigration } from '../../src/store';
import { resolveTarget } from '../../src/store/openStore';
import { createPgDatabase, PG_URL } from '../support/databases';
import { freshStore, KINDS } from './stores';

const TABLES = ['access_requests', 'access_request_events', 'audit_records', 'quality_results'];

async function tableNames(store: Awaited<ReturnType<typeof openStore>>): Promise<string[]> {
  const rows =
    store.kind === 'postgres'
      ? ((await store.knex.raw(`select table_name as name from information_schema.tables where table_schema = 'public'`)).rows as { name: string }[])
      : ((await store.knex.raw(`select name from sqlite_master where type in ('table', 'view')`)) as { name: string }[]);
  return rows.map((r) => r.name).sort();
}

describe('metadata config and location', () => {
  test('the config accepts a metadata section and defaults it to {}', () => {
    expect(configSchema.parse({ sources: {} }).metadata).toEqual({});
    expect(configSchema.parse({ sources: {}, metadata: { url: 'postgres://h/db' } }).metadata.url).toBe('postgres://h/db');
    expect(configSchema.safeParse({ sources: {}, metadata: { uri: 'x' } }).success).toBe(false);
  });

  test('empty or absent url: datagate-meta.sqlite next to datagate.yaml; :memory:, sqlite: and file: paths; postgres', () => {
    expect(resolveTarget(undefined, '/etc/dg')).toMatchObject({ kind: 'sqlite', filename: path.resolve('/etc/dg', DEFAULT_SQLITE_FILE) });
    expect(resolveTarget('  ', '/etc/dg')).toMatchObject({ kind: 'sqlite', filename: path.resolve('/etc/dg', DEFAULT_SQLITE_FILE) });
    expect(resolveTarget(':memory:', '/etc/dg')).toMatchObject({ kind: 'sqlite', filename: ':memory:' });
    expect(resolveTarget('sqlite:meta/x.db', '/etc/dg')).toMatchObject({ kind: 'sqlite', filename: '/etc/dg/meta/x.db' });
    expect(resolveTarget('file:///var/x.db', '/etc/dg')).toMatchObject({ kind: 'sqlite', filename: '/var/x.db' });
    expect(resolveTarget('postgresql://u:pw@h:5433/meta?sslmode=require', '/etc/dg')).toEqual({
      kind: 'postgres',
      url: 'postgresql://u:pw@h:5433/meta?sslmode=require',
      location: 'postgresql://u@h:5433/meta',
      database: 'meta',
    });
  });

  test('an unknown scheme is a config error naming the accepted forms, not the value', () => {
    let err: unknown;
    try {
      resolveTarget('mysql://root:hunter2@h/db', '/x');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DatagateError);
    expect((err as DatagateError).code).toBe('BAD_CONFIG');
    expect((err as Error).message).toMatch(/metadata.url must be empty .*postgres:/);
    expect((err as Error).message).not.toContain('hunter2');
  });

  test('redactUrl drops the password and query options', () => {
    expect(redactUrl('postgres://admin:s3cr%40t@db.internal:5432/meta?password=x')).toBe('postgres://admin@db.internal:5432/meta');
  });
});

describe('a store that cannot be opened', () => {
  const reject = async (opts: Parameters<typeof openStore>[0]) => {
    try {
      const s = await openStore(opts);
      await s.close();
    } catch (e) {
      return e as DatagateError;
    }
    throw new Error('openStore did not fail');
  };

  test('PostgreSQL that does not answer: says so and what to do, never the password', async () => {
    const e = await reject({ url: 'postgres://meta:topsecret@127.0.0.1:1/meta', dir: '/tmp', connectTimeoutMs: 2000 });
    expect(e).toBeInstanceOf(DatagateError);
    expect(e.code).toBe('SOURCE_UNAVAILABLE');
    expect(e.message).toBe('metadata store postgres://meta@127.0.0.1:1/meta did not answer: start it or fix metadata.url (DATAGATE_META_URL)');
    expect(JSON.stringify(e.details)).not.toContain('topsecret');
  });

  test('PostgreSQL without the database: names it and how to create it', async () => {
    const u = new URL(PG_URL);
    u.pathname = '/dg_no_such_database';
    const e = await reject({ url: u.toString(), dir: '/tmp' });
    expect(e.message).toMatch(/database "dg_no_such_database" does not exist: create it \(createdb dg_no_such_database\) or fix metadata.url/);
  });

  test('SQLite in a folder that does not exist', async () => {
    const e = await reject({ url: 'sqlite:/nonexistent-dg-folder/meta.sqlite', dir: '/tmp' });
    expect(e).toBeInstanceOf(DatagateError);
    expect(e.message).toMatch(/^metadata store \/nonexistent-dg-folder\/meta.sqlite could not be opened.*make sure its folder exists and is writable/);
  });

  test('a store migrated by a newer datagate is refused with a clear message', async () => {
    const s = await openStore({ url: ':memory:', dir: '/tmp' });
    try {
      const newer: StoreMigration = { name: '9999_future', up: async () => {}, down: async () => {} };
      await s.knex.migrate.latest(migratorConfig([...migrations, newer]));
      await expect(s.migrate()).rejects.toThrow(/holds migrations this version of datagate does not know/);
    } finally {
      await s.close();
    }
  });
});

describe.each(KINDS)('migrations on %s', (kind) => {
  test('up from empty creates every table and the grants view; a re-run applies nothing; down and up again', async () => {
    const t = await freshStore(kind);
    try {
      const names = await tableNames(t.store);
      for (const n of [...TABLES, 'grants']) expect(names).toContain(n);
      expect(await t.store.migrate()).toEqual([]);
      // A second process migrating the same store concurrently-later also finds nothing to do.
      const other = await openStore({ url: t.url, dir: t.dir });
      try {
        expect(await other.migrate()).toEqual([]);
      } finally {
        await other.close();
      }
      await t.store.knex.migrate.rollback(migratorConfig(), true);
      const after = await tableNames(t.store);
      for (const n of [...TABLES, 'grants']) expect(after).not.toContain(n);
      expect(await t.store.migrate()).toEqual(migrations.map((m) => m.name));
      await t.store.ping();
    } finally {
      await t.cleanup();
    }
  });
});

test('the default SQLite store is a file next to datagate.yaml', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dg-meta-'));
  try {
    const s = await openStore({ dir });
    expect(s.kind).toBe('sqlite');
    expect(s.location).toBe(path.join(dir, DEFAULT_SQLITE_FILE));
    expect(await s.migrate()).toEqual(['0001_metadata_store']);
    await s.close();
    expect(existsSync(path.join(dir, DEFAULT_SQLITE_FILE))).toBe(true);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('two migrations racing on one PostgreSQL database: both succeed, applied once', async () => {
  const db = await createPgDatabase('meta');
  const [a, b] = await Promise.all([openStore({ url: db.url, dir: '/tmp' }), openStore({ url: db.url, dir: '/tmp' })]);
  try {
    const applied = await Promise.all([a.migrate(), b.migrate()]);
    expect(applied.flat()).toEqual(['0001_metadata_store']);
  } finally {
    await a.close();
    await b.close();
    await db.drop();
  }
});
