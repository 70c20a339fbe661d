import knex, { type Knex } from 'knex';
import type { SourceConfig } from '../../config';
import { createAdapter } from '../createAdapter';
import { knexLog } from '../knexLog';
import type { Row, SourceAdapter } from '../SourceAdapter';
import { postgresDialect } from './dialect';

const DATE_OID = 1082;
const TIMESTAMP_OID = 1114;

/** Per-connection type parsers (never pg's global ones): DATE stays text, zone-less TIMESTAMP is read as UTC. */
function getTypeParser(oid: number, format?: string): (v: string) => unknown {
  if (oid === DATE_OID) return (v) => v;
  if (oid === TIMESTAMP_OID) return (v) => new Date(v.replace(' ', 'T') + 'Z');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('pg').types.getTypeParser(oid, format);
}

export async function connectPostgres(name: string, cfg: SourceConfig): Promise<SourceAdapter> {
  const rowsOf = (r: unknown) => (r as { rows: Row[] }).rows;
  if (cfg.url) {
    const k = knex({
      client: 'pg',
      log: knexLog(name),
      connection: {
        connectionString: cfg.url,
        statement_timeout: cfg.statementTimeout,
        connectionTimeoutMillis: cfg.connectTimeout,
        application_name: 'datagate',
        types: { getTypeParser },
      } as Knex.PgConnectionConfig,
      pool: { min: 0, max: cfg.pool, idleTimeoutMillis: 30_000 },
      acquireConnectionTimeout: cfg.connectTimeout,
    });
    return createAdapter({ name, dialect: cfg.dialect, knex: k, sql: postgresDialect(false), rowsOf, queryTimeoutMs: cfg.statementTimeout + 1000 });
  }
  // Embedded: PGlite, in memory. It allows one connection, so knex-pglite pins the pool to 1.
  /* eslint-disable @typescript-eslint/no-require-imports */
  const { PGlite } = require('@electric-sql/pglite') as typeof import('@electric-sql/pglite');
  const ClientPgLite = require('knex-pglite') as unknown;
  // As for pg: DATE stays text, a zone-less TIMESTAMP is UTC, whatever the host's time zone.
  const pglite = new PGlite({ parsers: { [DATE_OID]: (v: string) => v, [TIMESTAMP_OID]: (v: string) => new Date(v.replace(' ', 'T') + 'Z') } });
  const k = knex({ client: ClientPgLite, dialect: 'postgres', connection: { pglite }, log: knexLog(name) } as unknown as Knex.Config);
  return createAdapter({ name, dialect: cfg.dialect, knex: k, sql: postgresDialect(true), rowsOf, queryTimeoutMs: cfg.statementTimeout + 1000, onClose: async () => { if (!pglite.closed) await pglite.close(); } });
}
