import knex, { type Knex } from 'knex';
import pg from 'pg';
import type { SourceConfig } from '../../config';
import { createAdapter, withConnection, type RunStatement } from '../createAdapter';
import { knexLog } from '../knexLog';
import type { Row, SourceAdapter } from '../SourceAdapter';
import { postgresDialect } from './dialect';

const DATE_OID = 1082;
const TIMESTAMP_OID = 1114;
const TIMESTAMPTZ_OID = 1184;

/**
 * Timestamp text → ISO-8601 UTC with milliseconds, straight from the wire format, without a Date
 * round trip: the session runs in UTC, so timestamptz reads `2026-10-31 12:00:00.123456+00`, and a
 * zone-less timestamp is taken as UTC. Anything unusual (infinity, BC, other offsets) goes through Date.
 */
const WIRE_TIMESTAMP = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(?:\.(\d{1,6}))?(\+00)?$/;
export function timestampToIso(v: string): string {
  const m = WIRE_TIMESTAMP.exec(v);
  if (m) return `${m[1]}T${m[2]}.${(m[3] ?? '').padEnd(3, '0').slice(0, 3)}Z`;
  const d = new Date(v.replace(' ', 'T').replace(/([+-]\d\d)$/, '$1:00'));
  return Number.isNaN(d.getTime()) ? v : d.toISOString();
}

/** Per-connection type parsers (never pg's global ones): DATE stays text, timestamps become ISO text. */
function getTypeParser(oid: number, format?: string): (v: string) => unknown {
  if (oid === DATE_OID) return (v) => v;
  if (oid === TIMESTAMP_OID || oid === TIMESTAMPTZ_OID) return timestampToIso;
  return pg.types.getTypeParser(oid, format as 'text');
}

export async function connectPostgres(name: string, cfg: SourceConfig): Promise<SourceAdapter> {
/** `?` markers → `$1…$n` once per statement (statements are cached by shape, so this is not per request). */
function numbered(sql: string): string {
  let i = 0;
  return sql.replace(/\?/g, () => `$${++i}`);
}
  if (cfg.url) {
    const k = knex({
      client: 'pg',
      log: knexLog(name),
      connection: {
        connectionString: cfg.url,
        statement_timeout: cfg.statementTimeout,
        connectionTimeoutMillis: cfg.connectTimeout,
        application_name: 'datagate',
        options: '-c TimeZone=UTC',
        // Client-side guard if the server stops answering altogether; the server's statement_timeout comes first.
        query_timeout: cfg.statementTimeout + 2000,
        types: { getTypeParser },
      } as Knex.PgConnectionConfig,
      pool: { min: 0, max: cfg.pool, idleTimeoutMillis: 30_000 },
      acquireConnectionTimeout: cfg.connectTimeout,
    });
    const texts = new Map<string, string>();
    // Named statements: PostgreSQL parses and plans each query shape once per connection.
    const run: RunStatement = (sql, bindings, statementName) =>
      withConnection(k, async (conn) => {
        let text = texts.get(sql);
        if (text === undefined) texts.set(sql, (text = numbered(sql)));
        const result = await conn.query(statementName ? { name: statementName, text, values: bindings } : { text, values: bindings });
        return result.rows as Row[];
      });
    return createAdapter({ name, dialect: cfg.dialect, knex: k, sql: postgresDialect(false), run });
  }
  // Embedded: PGlite, in memory. It allows one connection, so knex-pglite pins the pool to 1.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const ClientPgLite = require('knex-pglite') as unknown;
  // As for pg: DATE stays text, a zone-less TIMESTAMP is UTC, whatever the host's time zone.
  const pglite = new PGlite({ parsers: { [DATE_OID]: (v: string) => v, [TIMESTAMP_OID]: (v: string) => new Date(v.replace(' ', 'T') + 'Z') } });
  const k = knex({ client: ClientPgLite, dialect: 'postgres', connection: { pglite }, log: knexLog(name) } as unknown as Knex.Config);
  // The pool's one connection is the PGlite instance itself; borrowing it keeps statements out of a running transaction.
  const run: RunStatement = (sql, bindings) =>
    withConnection(k, async (db: InstanceType<typeof PGlite>) => (await db.query<Row>(numbered(sql), bindings as unknown[])).rows);
  return createAdapter({ name, dialect: cfg.dialect, knex: k, sql: postgresDialect(true), run, onClose: async () => { if (!pglite.closed) await pglite.close(); } });
}
