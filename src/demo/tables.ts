/**
 * DDL of the demo tables through knex's schema builder, so one declaration (spec.ts) gives real types on
 * PostgreSQL and PGlite, MySQL and MariaDB, and SQLite.
 */
import type { Knex } from 'knex';
import { type ColumnSpec, type DemoSource, demoTablesOf, type TableSpec } from './spec';

export type DemoDialect = 'postgres' | 'mysql' | 'sqlite';

/**
 * The dialect family of a knex instance. `client.dialect` is 'postgresql' for pg and knex-pglite (whose
 * client class extends knex's pg client), 'mysql' for mysql and mysql2, 'sqlite3' for sqlite3 and
 * better-sqlite3.
 */
export function demoDialectOf(knex: Knex): DemoDialect {
  const dialect = (knex.client as { dialect?: string }).dialect;
  switch (dialect) {
    case 'postgresql':
      return 'postgres';
    case 'mysql':
    case 'mysql2':
      return 'mysql';
    case 'sqlite3':
    case 'better-sqlite3':
      return 'sqlite';
    default:
      throw new Error(`the demo data supports PostgreSQL, MySQL/MariaDB and SQLite; this knex client's dialect is ${String(dialect)}`);
  }
}

/** Drops the source's demo tables, children first. */
export async function dropDemoTables(knex: Knex, source: DemoSource): Promise<void> {
  for (const spec of [...demoTablesOf(source)].reverse()) await knex.schema.dropTableIfExists(spec.name);
}

export interface CreateDemoTablesOptions {
  /**
   * Leave secondary indexes, unique and foreign keys out, for `addDemoConstraints` to add after a bulk
   * load (one index build and one FK validation pass instead of per-row work). Not on SQLite, which
   * cannot add a foreign key to an existing table.
   */
  deferConstraints?: boolean;
}

/** Drops and recreates the source's demo tables, with indexes, foreign keys and comments. */
export async function createDemoTables(knex: Knex, source: DemoSource, opts: CreateDemoTablesOptions = {}): Promise<void> {
  const dialect = demoDialectOf(knex);
  if (opts.deferConstraints && dialect === 'sqlite') throw new Error('SQLite cannot add foreign keys to an existing table: create the demo tables with their constraints');
  await dropDemoTables(knex, source);
  for (const spec of demoTablesOf(source)) {
    await knex.schema.createTable(spec.name, (t) => {
      defineColumns(t, spec, dialect);
      if (!opts.deferConstraints) defineConstraints(t, spec);
    });
  }
}

/** Adds what `createDemoTables(..., { deferConstraints: true })` left out. */
export async function addDemoConstraints(knex: Knex, source: DemoSource): Promise<void> {
  for (const spec of demoTablesOf(source)) await knex.schema.alterTable(spec.name, (t) => defineConstraints(t, spec));
}

function defineColumns(t: Knex.CreateTableBuilder, spec: TableSpec, dialect: DemoDialect): void {
  // SQLite has no comments: knex would drop them silently there anyway.
  const comments = dialect !== 'sqlite';
  if (comments) t.comment(spec.comment);
  for (const col of spec.columns) {
    const c = defineColumn(t, col, dialect);
    if (col.kind !== 'id') {
      if (col.nullable) c.nullable();
      else c.notNullable();
    }
    if (comments) c.comment(col.comment);
  }
}

function defineConstraints(t: Knex.CreateTableBuilder | Knex.AlterTableBuilder, spec: TableSpec): void {
  for (const col of spec.columns) {
    if (col.unique) t.unique([col.name]);
    // Indexes on every reference and on columns the demo filters and sorts on.
    else if (col.index) t.index([col.name]);
    if (col.references) t.foreign(col.name).references(col.references.column).inTable(col.references.table);
  }
  for (const cols of spec.uniques ?? []) t.unique([...cols]);
}

function defineColumn(t: Knex.CreateTableBuilder, col: ColumnSpec, dialect: DemoDialect): Knex.ColumnBuilder {
  switch (col.kind) {
    case 'id':
      return t.increments(col.name, { primaryKey: true });
    case 'int': {
      const c = t.integer(col.name);
      // MySQL: `increments` is INT UNSIGNED, and a foreign key must match its signedness.
      return dialect === 'mysql' && col.name.endsWith('_id') ? c.unsigned() : c;
    }
    case 'string':
      return t.string(col.name, col.length ?? 255);
    case 'decimal':
      // knex declares `float` on SQLite; keep the declared type, so introspection sees a decimal there too.
      return dialect === 'sqlite' ? t.specificType(col.name, 'decimal(12,2)') : t.decimal(col.name, 12, 2);
    case 'timestamp':
      // MySQL TIMESTAMP ends in 2038 and converts with the session time zone: DATETIME(3), written in UTC.
      if (dialect === 'postgres') return t.timestamp(col.name, { useTz: true, precision: 3 });
      if (dialect === 'mysql') return t.datetime(col.name, { precision: 3 });
      return t.datetime(col.name);
    case 'date':
      return t.date(col.name);
    case 'boolean':
      return t.boolean(col.name);
    case 'json':
      return t.json(col.name);
    default: {
      const never: never = col.kind;
      throw new Error(`unknown column kind ${String(never)}`);
    }
  }
}
