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

/** How long connecting a source waits for its first connection to show the server (then goes on without). */
const FIRST_CONNECTION_WAIT_MS = 2000;

export async function connectMysql(name: string, cfg: SourceConfig & { url: string }): Promise<SourceAdapter> {
  const seconds = cfg.statementTimeout / 1000;
  const dialect = mysqlDialect();
  const log = knexLog(name) as { warn(message: string): void };
  let warned = false;
  const k = knex({
    client: 'mysql2',
    log,
    connection: connectionFromUrl(cfg.url, cfg),
    pool: {
      min: 0,
      max: cfg.pool,
      idleTimeoutMillis: 30_000,
      // A connection the adapter discarded (after a cancel or a timeout) is never lent again.
      validate: isReusable,
      // The session in UTC (TIMESTAMP columns convert to it); server-side statement timeout:
      // MariaDB's max_statement_time (s), else MySQL's max_execution_time (ms).
      afterCreate(conn: { query: (sql: string, cb: (err: unknown, rows?: unknown) => void) => void }, done: (err: unknown, c: unknown) => void) {
        // Then which server this is (dialect.serverIs): on one that folds related rows into JSON_ARRAYAGG,
        // the session's group_concat_max_len (1 MB by default) goes to its maximum, so only the packet size
        // can cut an aggregate, and decode.ts notices that.
        const server = () =>
          conn.query('select version() as v', (vErr, rows) => {
            if (vErr) return done(vErr, conn);
            const version = String((rows as { v: string }[])[0]?.v ?? '');
            if (!dialect.serverIs(version)) {
              if (cfg.nestedRows === true && !warned) {
                warned = true;
                log.warn(`nestedRows: true has no effect on this server (${version}): its JSON_ARRAYAGG neither orders nor pages (MariaDB 10.5 or later does), so each level is a statement of its own`);
              }
              return done(null, conn);
            }
            conn.query('SET SESSION group_concat_max_len = 4294967295', (gErr) => done(gErr, conn));
          });
        conn.query(`SET time_zone = '+00:00'`, (tzErr) => {
          if (tzErr) return done(tzErr, conn);
          conn.query(`SET SESSION max_statement_time = ${seconds}`, (err) => {
            if (!err) return server();
            conn.query(`SET SESSION max_execution_time = ${Math.round(cfg.statementTimeout)}`, (err2) => (err2 ? done(err2, conn) : server()));
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
  const adapter = createAdapter({
    name,
    dialect: cfg.dialect,
    knex: k,
    sql: dialect,
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
  // One connection now, outside the adapter (no statement, no breaker count), so that the first
  // requests already know the server (dialect.serverIs). Waited for up to 2 s (at most connectTimeout):
  // a source that is down still lets the gateway start, and the first connection made later decides.
  const client = k.client as { acquireConnection(): Promise<unknown>; releaseConnection(c: unknown): Promise<unknown> };
  const first = client
    .acquireConnection()
    .then((c) => client.releaseConnection(c))
    .catch(() => {});
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([first, new Promise<void>((resolve) => (timer = setTimeout(resolve, Math.min(cfg.connectTimeout, FIRST_CONNECTION_WAIT_MS))))]);
  clearTimeout(timer);
  return adapter;
}
