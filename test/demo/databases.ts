/**
 * The four engines the demo must seed, each as a knex instance on an empty database: SQLite and PGlite in
 * memory, and a throwaway database on the PostgreSQL and MariaDB/MySQL servers CI provides (see
 * test/support/databases.ts: an unreachable server fails the test with how to start it, never skips it).
 */
import { PGlite } from '@electric-sql/pglite';
import knex, { type Knex } from 'knex';
import ClientPgLite from 'knex-pglite';
import { createMysqlDatabase, createPgDatabase } from '../support/databases';

export interface DemoTestDatabase {
  readonly knex: Knex;
  close(): Promise<void>;
}

export async function openSqlite(): Promise<DemoTestDatabase> {
  // Foreign-key enforcement is a per-connection pragma in SQLite; say it instead of relying on the build's default.
  const db = knex({
    client: 'better-sqlite3',
    connection: { filename: ':memory:' },
    useNullAsDefault: true,
    pool: { min: 1, max: 1, afterCreate: (conn: { pragma: (s: string) => unknown }, done: (e: unknown, c: unknown) => void) => (conn.pragma('foreign_keys = ON'), done(null, conn)) },
  });
  return { knex: db, close: () => db.destroy() };
}

export async function openPglite(): Promise<DemoTestDatabase> {
  const db = knex({ client: ClientPgLite, dialect: 'postgres', connection: { pglite: new PGlite() } } as Knex.Config);
  return { knex: db, close: () => db.destroy() };
}

export async function openPostgres(): Promise<DemoTestDatabase> {
  const created = await createPgDatabase('demo');
  const db = knex({ client: 'pg', connection: created.url, pool: { min: 0, max: 4 } });
  return {
    knex: db,
    close: async () => {
      await db.destroy();
      await created.drop();
    },
  };
}

export async function openMysql(): Promise<DemoTestDatabase> {
  const created = await createMysqlDatabase('demo');
  const u = new URL(created.url);
  const db = knex({
    client: 'mysql2',
    connection: {
      host: u.hostname,
      port: Number(u.port || 3306),
      user: decodeURIComponent(u.username || 'root'),
      password: decodeURIComponent(u.password),
      database: created.name,
      // DATETIME has no zone; the demo writes UTC, so read it as UTC whatever the machine's zone.
      timezone: 'Z',
    },
    pool: { min: 0, max: 4 },
  });
  return {
    knex: db,
    close: async () => {
      await db.destroy();
      await created.drop();
    },
  };
}

export const ALL_DATABASES: readonly (readonly [string, () => Promise<DemoTestDatabase>])[] = [
  ['sqlite', openSqlite],
  ['pglite', openPglite],
  ['postgres', openPostgres],
  ['mysql', openMysql],
];
