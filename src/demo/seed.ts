/**
 * Seeds one demo source: recreate its tables, then stream the generated rows into them in chunks.
 */
import type { Knex } from 'knex';
import { createDemoDataset, type DemoOptions, type DemoRow, type DemoValue } from './generate';
import { type ColumnKind, type DemoSource, demoTablesOf, type TableSpec } from './spec';
import { addDemoConstraints, createDemoTables, type DemoDialect, demoDialectOf } from './tables';

export interface SeedOptions extends DemoOptions {
  /** Rows per INSERT statement; lowered when a chunk would pass the dialect's bind-parameter limit. */
  chunkRows?: number;
  onProgress?: (msg: string) => void;
}

export interface SeedResult {
  /** Rows inserted per table. */
  tables: Record<string, number>;
  ms: number;
}

/** Bind parameters one statement may carry: SQLite's SQLITE_MAX_VARIABLE_NUMBER, MySQL's 16-bit count. PostgreSQL binds one JSON value per chunk. */
const MAX_BIND_PARAMS: Record<Exclude<DemoDialect, 'postgres'>, number> = { mysql: 65_535, sqlite: 32_766 };
const DEFAULT_CHUNK_ROWS: Record<DemoDialect, number> = { postgres: 5_000, mysql: 2_000, sqlite: 1_000 };

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** "2026-10-31 12:00:00.000" in UTC: what a MySQL DATETIME(3) column holds, whatever the session time zone. */
function mysqlDateTime(d: Date): string {
  return (
    `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}`
  );
}

/**
 * How a generated value is bound for a dialect. Timestamps: a Date for PostgreSQL (timestamptz, exact),
 * a UTC "YYYY-MM-DD HH:MM:SS.mmm" string for MySQL (mysql2 would otherwise convert a Date with its
 * `timezone` option), ISO-8601 text with Z for SQLite. Booleans are 0/1 on SQLite; JSON is always text.
 */
export function encodeDemoValue(kind: ColumnKind, value: DemoValue, dialect: DemoDialect): unknown {
  if (value === null) return null;
  switch (kind) {
    case 'timestamp': {
      const d = value as Date;
      if (dialect === 'postgres') return d;
      return dialect === 'mysql' ? mysqlDateTime(d) : d.toISOString();
    }
    case 'boolean':
      return dialect === 'sqlite' ? (value ? 1 : 0) : value;
    case 'json':
      return JSON.stringify(value);
    default:
      return value;
  }
}

export function encodeDemoRow(spec: TableSpec, row: DemoRow, dialect: DemoDialect): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const col of spec.columns) out[col.name] = encodeDemoValue(col.kind, row[col.name] ?? null, dialect);
  return out;
}

/**
 * One INSERT per chunk. PostgreSQL: the whole chunk is one JSON parameter expanded by
 * json_populate_recordset, which PGlite runs about three times faster than a VALUES list with a bind
 * parameter per cell, and which has no bind-parameter limit. Others: a multi-row VALUES list (not knex's
 * insert, which SQLite compiles to `select … union all select …`, limited to 500 terms).
 */
async function insertChunk(db: Knex, spec: TableSpec, chunk: DemoRow[], dialect: DemoDialect): Promise<void> {
  const cols = spec.columns.map((c) => c.name);
  const names = cols.map(() => '??').join(', ');
  if (dialect === 'postgres') {
    // JSON.stringify writes Dates as ISO-8601 with Z, which timestamptz reads exactly; JSON columns stay nested JSON.
    await db.raw(`insert into ?? (${names}) select ${names} from json_populate_recordset(null::??, ?)`, [
      spec.name,
      ...cols,
      ...cols,
      spec.name,
      JSON.stringify(chunk),
    ]);
    return;
  }
  const tuple = `(${cols.map(() => '?').join(', ')})`;
  const bindings: unknown[] = [spec.name, ...cols];
  for (const row of chunk) for (const col of spec.columns) bindings.push(encodeDemoValue(col.kind, row[col.name] ?? null, dialect));
  await db.raw(`insert into ?? (${names}) values ${chunk.map(() => tuple).join(', ')}`, bindings as Knex.RawBinding[]);
}

function rowsPerChunk(spec: TableSpec, dialect: DemoDialect, wanted: number | undefined): number {
  const limit = dialect === 'postgres' ? Infinity : Math.floor(MAX_BIND_PARAMS[dialect] / spec.columns.length);
  return Math.max(1, Math.min(wanted ?? DEFAULT_CHUNK_ROWS[dialect], limit));
}

/**
 * Drops and recreates the source's demo tables and fills them with the dataset of `opts` (scale, seed).
 * Rows go in inside one transaction (on MySQL, whose DDL commits implicitly, only the rows). On
 * PostgreSQL and MySQL, secondary indexes and foreign keys are added after the load.
 */
export async function seedDemoSource(knex: Knex, source: DemoSource, opts: SeedOptions = {}): Promise<SeedResult> {
  const started = Date.now();
  const dialect = demoDialectOf(knex);
  const data = createDemoDataset(opts);
  const specs = demoTablesOf(source);
  const progress = opts.onProgress ?? (() => undefined);
  const tables: Record<string, number> = {};
  const deferConstraints = dialect !== 'sqlite';

  const fill = async (db: Knex) => {
    for (const spec of specs) {
      let count = 0;
      for (const chunk of data.chunks(spec.name, rowsPerChunk(spec, dialect, opts.chunkRows))) {
        await insertChunk(db, spec, chunk, dialect);
        count += chunk.length;
      }
      tables[spec.name] = count;
      if (dialect === 'postgres') {
        // The ids were explicit: move the serial sequence past them so later inserts do not collide.
        await db.raw(`select setval(pg_get_serial_sequence(?, 'id'), coalesce(max(id), 0) + 1, false) from ??`, [
          spec.name,
          spec.name,
        ]);
      }
      progress(`${source}.${spec.name}: ${count} rows`);
    }
  };

  progress(`${source}: seeding demo data (scale ${data.scale}) on ${dialect}`);
  if (dialect === 'mysql') {
    await createDemoTables(knex, source, { deferConstraints });
    await knex.transaction((trx) => fill(trx));
    await addDemoConstraints(knex, source);
    for (const spec of specs) await knex.raw('analyze table ??', [spec.name]);
  } else {
    await knex.transaction(async (trx) => {
      await createDemoTables(trx, source, { deferConstraints });
      await fill(trx);
      if (deferConstraints) await addDemoConstraints(trx, source);
      // Fresh planner statistics, so the first queries of a benchmark do not run on guesses.
      for (const spec of specs) await trx.raw('analyze ??', [spec.name]);
    });
  }
  const ms = Date.now() - started;
  progress(`${source}: seeded ${Object.values(tables).reduce((a, b) => a + b, 0)} rows in ${ms} ms`);
  return { tables, ms };
}
