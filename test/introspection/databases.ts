/**
 * Real databases for the introspection tests: a uniquely named database per test file on the local
 * PostgreSQL and MariaDB servers, dropped afterwards. A server that does not answer fails the tests with
 * how to start it; nothing is skipped.
 */
import knex, { type Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import type { SourceConfig } from '../../src/config';

export const PG_URL = process.env.DATAGATE_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export const MYSQL_URL = process.env.DATAGATE_TEST_MYSQL_URL || 'mysql://root@127.0.0.1:3306/';

const START_HINT = 'Start the test databases with `bash .ci/services.sh`';

export function sourceConfig(dialect: SourceConfig['dialect'], url?: string, extra: Partial<SourceConfig> = {}): SourceConfig {
  return { dialect, url, pool: 2, statementTimeout: 10_000, connectTimeout: 5_000, ...extra };
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
}

function withDatabase(url: string, db: string): string {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

function where(url: string): string {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol.startsWith('postgres') ? 5432 : 3306)}`;
}

export interface TestDatabase {
  /** URL of the new database, for a datagate.yaml. */
  url: string;
  name: string;
  drop(): Promise<void>;
}

/** Creates an empty PostgreSQL database; fails with how to start the server when it does not answer. */
export async function createPostgresDatabase(prefix = 'dg_introspect'): Promise<TestDatabase> {
  const admin = knex({ client: 'pg', connection: { connectionString: PG_URL, connectionTimeoutMillis: 5000 }, pool: { min: 0, max: 1 } });
  const name = uniqueName(prefix);
  try {
    await admin.raw(`create database ${name}`);
  } catch (e) {
    await admin.destroy();
    throw new Error(
      `PostgreSQL is not usable at ${where(PG_URL)} (${(e as { code?: string }).code ?? (e as Error).message}). ` +
        `${START_HINT}, or set DATAGATE_TEST_PG_URL to a server where the user may create databases.`,
    );
  }
  return {
    url: withDatabase(PG_URL, name),
    name,
    async drop() {
      try {
        await admin.raw(`drop database if exists ${name} with (force)`);
      } finally {
        await admin.destroy();
      }
    },
  };
}

/** Creates an empty MySQL/MariaDB database; fails with how to start the server when it does not answer. */
export async function createMysqlDatabase(prefix = 'dg_introspect'): Promise<TestDatabase> {
  const u = new URL(MYSQL_URL);
  const admin = knex({
    client: 'mysql2',
    connection: { host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), connectTimeout: 5000 },
    pool: { min: 0, max: 1 },
  });
  const name = uniqueName(prefix);
  try {
    await admin.raw(`create database ${name}`);
  } catch (e) {
    await admin.destroy();
    throw new Error(
      `MariaDB/MySQL is not usable at ${where(MYSQL_URL)} (${(e as { code?: string }).code ?? (e as Error).message}). ` +
        `${START_HINT}, or set DATAGATE_TEST_MYSQL_URL to a server where the user may create databases.`,
    );
  }
  return {
    url: withDatabase(MYSQL_URL, name),
    name,
    async drop() {
      try {
        await admin.raw(`drop database if exists ${name}`);
      } finally {
        await admin.destroy();
      }
    },
  };
}

/** Runs DDL one statement at a time (mysql2 refuses several in one query). */
export async function runStatements(k: Knex, statements: readonly string[]): Promise<void> {
  for (const s of statements) await k.raw(s);
}
