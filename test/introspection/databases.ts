/**
 * Helpers of the introspection tests. Databases come from the shared harness (test/support/databases.ts):
 * a uniquely named database per test file, dropped afterwards, and a clear failure with how to start
 * a server that does not answer.
 */
import type { Knex } from 'knex';
import type { SourceConfig } from '../../src/config';
import { createMysqlDatabase as createMysql, createPgDatabase, type TestDatabase } from '../support/databases';

export type { TestDatabase };

export function sourceConfig(dialect: SourceConfig['dialect'], url?: string, extra: Partial<SourceConfig> = {}): SourceConfig {
  return { dialect, url, pool: 2, statementTimeout: 10_000, connectTimeout: 5_000, ...extra };
}

export const createPostgresDatabase = (prefix = 'introspect'): Promise<TestDatabase> => createPgDatabase(prefix);
export const createMysqlDatabase = (prefix = 'introspect'): Promise<TestDatabase> => createMysql(prefix);

/** Runs DDL one statement at a time (mysql2 refuses several in one query). */
export async function runStatements(k: Knex, statements: readonly string[]): Promise<void> {
  for (const s of statements) await k.raw(s);
}
