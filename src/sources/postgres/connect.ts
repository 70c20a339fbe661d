import knex, { type Knex } from 'knex';
import pg from 'pg';
import type { SourceConfig } from '../../config';
import { createAdapter, guardOf, type RunStatement } from '../createAdapter';
import { isReusable, markDiscarded } from '../createStatementRunner';
import { wireTimestampToIso } from '../decode';
import { knexLog } from '../knexLog';
import type { Row, SourceAdapter } from '../SourceAdapter';
import { postgresDialect } from './dialect';

const DATE_OID = 1082;
const TIMESTAMP_OID = 1114;
const TIMESTAMPTZ_OID = 1184;

const asText = (v: string): string => v;

/**
 * Per-connection type parsers (never pg's global ones): DATE stays text, timestamps become ISO text.
 * pg asks for every column of every result: the same function each time, nothing allocated.
 */
function getTypeParser(oid: number, format?: string): (v: string) => unknown {
  if (oid === DATE_OID) return asText;
  if (oid === TIMESTAMP_OID || oid === TIMESTAMPTZ_OID) return wireTimestampToIso;
  return pg.types.getTypeParser(oid, format as 'text');
}

/** `?` markers → `$1…$n` once per statement (statements are cached by shape, so this is not per request). */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}

/**
 * Named statements one connection may hold. A statement is named once per query shape and
 * connection, and PostgreSQL keeps it (its text and cached plan) as long as the session lives: a
 * caller sending ever new shapes would otherwise grow every backend of the pool without bound. Past
 * this many, the connection runs the new shape unnamed and is replaced when it goes back to the pool.
 */
export const MAX_NAMED_STATEMENTS = 500;

/** The statement names each connection has prepared (pg keeps its own record, without a count). */
const namedOn = new WeakMap<pg.Client, Set<string>>();

/** Whether `conn` may prepare (or has) `statementName`; marks it for replacement when it may not. */
function mayName(conn: pg.Client, statementName: string): boolean {
  let names = namedOn.get(conn);
  if (!names) namedOn.set(conn, (names = new Set()));
  if (names.has(statementName)) return true;
  if (names.size < MAX_NAMED_STATEMENTS) {
    names.add(statementName);
    return true;
  }
  markDiscarded(conn);
  return false;
}

/** Submits `query` on `conn`; its rows when it answers. */
function submit(conn: pg.Client, query: pg.Query): Promise<Row[]> {
  return new Promise<Row[]>((resolve, reject) => {
    (query as unknown as { callback: (err: Error | null, res: pg.QueryResult) => void }).callback = (err, res) => (err ? reject(err) : resolve(res.rows as Row[]));
    conn.query(query);
  });
}

/** Runs `query` with the session's plan_cache_mode at auto, then puts force_generic_plan back. */
async function customPlanned(conn: pg.Client, query: pg.Query): Promise<Row[]> {
  const discard = () => markDiscarded(conn);
  try {
    await submit(conn, new pg.Query('set plan_cache_mode = auto'));
  } catch (err) {
    discard();
    throw err;
  }
  try {
    return await submit(conn, query);
  } finally {
    await submit(conn, new pg.Query('set plan_cache_mode = force_generic_plan')).catch(discard);
  }
}

export async function connectPostgres(name: string, cfg: SourceConfig): Promise<SourceAdapter> {
  if (cfg.url) {
    const generic = cfg.planCacheMode === 'generic';
    const k = knex({
      client: 'pg',
      log: knexLog(name),
      connection: {
        connectionString: cfg.url,
        statement_timeout: cfg.statementTimeout,
        connectionTimeoutMillis: cfg.connectTimeout,
        application_name: 'datagate',
        // PostgreSQL's default plan caching: a named statement may move to a generic plan after five runs,
        // which saves planning on every request (forcing a plan per execution, tried for issue 5, halved
        // a sales rep's nested Q2 in the bench). The statements where a generic plan went wrong, grouped
        // aggregates and counts (388 ms against 242 ms for Q4, bench/RESULTS.md), run unnamed instead and
        // are planned for their values each time (createAdapter.ts). `planCacheMode: generic` sets the
        // session to force_generic_plan, and sets it back to auto around each unnamed statement (below).
        options: generic ? '-c TimeZone=UTC -c plan_cache_mode=force_generic_plan' : '-c TimeZone=UTC',
        // Client-side guard if the server stops answering altogether; the server's statement_timeout comes first.
        query_timeout: cfg.statementTimeout + 2000,
        types: { getTypeParser },
      } as Knex.PgConnectionConfig,
      // A connection the adapter discarded (after a cancel or a timeout) is never lent again.
      pool: { min: 0, max: cfg.pool, idleTimeoutMillis: 30_000, validate: isReusable },
      acquireConnectionTimeout: cfg.connectTimeout,
    });
    const texts = new Map<string, string>();
    // Named statements: PostgreSQL parses and plans each query shape once per connection.
    const run: RunStatement = (conn: pg.Client, sql, bindings, statementName) => {
      let text = texts.get(sql);
      if (text === undefined) {
        if (texts.size >= 4000) texts.clear();
        texts.set(sql, (text = numbered(sql)));
      }
      // A Query built from text and values, named afterwards: pg copies a config object's own
      // properties on every call (cloneQueryConfig, through property descriptors: ~6-8 µs here), not
      // a query text. Submitted as a query object, it answers through its callback.
      const query = new pg.Query(text, bindings as unknown[]);
      const named = statementName !== '' && mayName(conn, statementName);
      if (named) (query as unknown as { name: string }).name = statementName;
      if (!generic || named || bindings.length === 0) return submit(conn, query);
      // An unnamed statement with values (an aggregate, a count) on a force_generic_plan session: planned
      // for its values under auto, then the session goes back (two round trips more, on statements that
      // scan). A session that cannot be set back is never lent again.
      return customPlanned(conn, query);
    };
    return createAdapter({
      name,
      dialect: cfg.dialect,
      knex: k,
      sql: postgresDialect(false),
      run,
      guard: guardOf(cfg),
      // knex's own: `select pg_cancel_backend(pid)` on a new connection outside the pool (a full pool cannot block it).
      cancel: (conn) => (k.client as { cancelQuery(c: unknown): Promise<unknown> }).cancelQuery(conn),
      discard: (conn: pg.Client) => {
        // knex's 'end' listener would log the close as an unexpected disconnection; end() also drops a hung query's socket.
        conn.removeAllListeners('end');
        conn.end().catch(() => {});
      },
    });
  }
  // Embedded: PGlite, in memory. It allows one connection, so knex-pglite pins the pool to 1.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const ClientPgLite = require('knex-pglite') as unknown;
  // As for pg: DATE stays text, a zone-less TIMESTAMP is UTC, whatever the host's time zone.
  const pglite = new PGlite({ parsers: { [DATE_OID]: (v: string) => v, [TIMESTAMP_OID]: wireTimestampToIso, [TIMESTAMPTZ_OID]: (v: string) => wireTimestampToIso(v) } });
  const k = knex({ client: ClientPgLite, dialect: 'postgres', connection: { pglite }, log: knexLog(name) } as unknown as Knex.Config);
  // The pool's one connection is the PGlite instance itself; borrowing it keeps statements out of a running transaction.
  const run: RunStatement = async (db: InstanceType<typeof PGlite>, sql, bindings) => (await db.query<Row>(numbered(sql), bindings as unknown[])).rows;
  // In-process: a statement cannot be cancelled (a deadline still fails its field at once).
  return createAdapter({
    name,
    dialect: cfg.dialect,
    knex: k,
    sql: postgresDialect(true),
    run,
    guard: guardOf(cfg),
    onClose: async () => {
      if (!pglite.closed) await pglite.close();
    },
  });
}
