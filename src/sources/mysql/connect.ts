import knex, { type Knex } from 'knex';
import type { SourceConfig } from '../../config';
import { createAdapter, guardOf, type RunStatement } from '../createAdapter';
import { isReusable } from '../createStatementRunner';
import { knexLog } from '../knexLog';
import type { Row, SourceAdapter } from '../SourceAdapter';
import { mysqlDialect } from './dialect';

function connectionFromUrl(url: string, cfg: SourceConfig): Knex.MySql2ConnectionConfig {
  const u = new URL(url);
  return {
    host: decodeURIComponent(u.hostname),
    port: u.port ? Number(u.port) : 3306,
    user: decodeURIComponent(u.username),
    password: decodeURIComponent(u.password),
    database: decodeURIComponent(u.pathname.replace(/^\//, '')) || undefined,
    connectTimeout: cfg.connectTimeout,
    // Dates and times as UTC text (microseconds kept), exact BIGINT/DECIMAL as strings: nothing passes through a float.
    timezone: 'Z',
    dateStrings: ['DATE', 'DATETIME', 'TIMESTAMP'],
    supportBigNumbers: true,
    bigNumberStrings: true,
    charset: 'utf8mb4',
  } as unknown as Knex.MySql2ConnectionConfig;
}

export async function connectMysql(name: string, cfg: SourceConfig & { url: string }): Promise<SourceAdapter> {
  const seconds = cfg.statementTimeout / 1000;
  const k = knex({
    client: 'mysql2',
    log: knexLog(name),
    connection: connectionFromUrl(cfg.url, cfg),
    pool: {
      min: 0,
      max: cfg.pool,
      idleTimeoutMillis: 30_000,
      // A connection the adapter discarded (after a cancel or a timeout) is never lent again.
      validate: isReusable,
      // The session in UTC (TIMESTAMP columns convert to it); server-side statement timeout:
      // MariaDB's max_statement_time (s), else MySQL's max_execution_time (ms).
      afterCreate(conn: { query: (sql: string, cb: (err: unknown) => void) => void }, done: (err: unknown, c: unknown) => void) {
        conn.query(`SET time_zone = '+00:00'`, (tzErr) => {
          if (tzErr) return done(tzErr, conn);
          conn.query(`SET SESSION max_statement_time = ${seconds}`, (err) => {
            if (!err) return done(null, conn);
            conn.query(`SET SESSION max_execution_time = ${Math.round(cfg.statementTimeout)}`, (err2) => done(err2, conn));
          });
        });
      },
    },
    acquireConnectionTimeout: cfg.connectTimeout,
  });
  // Client-side guard if the server stops answering altogether; max_statement_time comes first.
  const timeout = cfg.statementTimeout + 2000;
  const run: RunStatement = (conn, sql, bindings) =>
    new Promise<Row[]>((resolve, reject) =>
      conn.query({ sql, values: bindings, timeout }, (err: unknown, rows: Row[]) => (err ? reject(err) : resolve(rows))),
    );
  return createAdapter({
    name,
    dialect: cfg.dialect,
    knex: k,
    sql: mysqlDialect(),
    run,
    guard: guardOf(cfg),
    // knex's own: `KILL QUERY <threadId>` on a new connection outside the pool (a full pool cannot block it).
    cancel: (conn) => (k.client as { cancelQuery(c: unknown): Promise<unknown> }).cancelQuery(conn),
    // Closes the socket at once: a reply still on its way must not reach the connection's next statement.
    discard: (conn: { destroy(): void; stream?: { destroy(): void } }) => {
      conn.destroy();
      conn.stream?.destroy();
    },
  });
}
