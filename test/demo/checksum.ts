/**
 * A dialect-independent checksum of a demo table: every driver's values are brought back to one form
 * (decimals "12.50", instants ISO-8601 UTC, dates "YYYY-MM-DD", booleans, canonical JSON), so the
 * database's content can be compared with the generator's rows and across dialects.
 */
import { createHash } from 'node:crypto';
import type { Knex } from 'knex';
import { createDemoDataset, type DemoOptions } from '../../src/demo/generate';
import type { ColumnKind, TableSpec } from '../../src/demo/spec';
import { demoDialectOf } from '../../src/demo/tables';

function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(',')}]`;
  if (v && typeof v === 'object')
    return `{${Object.keys(v as object)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonicalJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(v);
}

export function normalize(kind: ColumnKind, v: unknown, where: string): unknown {
  if (v === null || v === undefined) return null;
  switch (kind) {
    case 'id':
    case 'int':
      return Number(v);
    case 'string':
      return String(v);
    case 'decimal':
      return Number(v).toFixed(2);
    case 'timestamp':
      if (v instanceof Date) return v.toISOString();
      if (typeof v === 'string' && /Z$/.test(v)) return new Date(v).toISOString();
      throw new Error(`${where}: expected a Date or an ISO-8601 UTC string, found ${JSON.stringify(v)}`);
    case 'date':
      if (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
      throw new Error(`${where}: expected "YYYY-MM-DD", found ${JSON.stringify(v)}`);
    case 'boolean':
      if (v === true || v === 1 || v === '1') return true;
      if (v === false || v === 0 || v === '0') return false;
      throw new Error(`${where}: expected a boolean, found ${JSON.stringify(v)}`);
    case 'json':
      return canonicalJson(typeof v === 'string' ? JSON.parse(v) : v);
    default: {
      const never: never = kind;
      throw new Error(`unknown kind ${String(never)}`);
    }
  }
}

export interface TableDigest {
  rows: number;
  sha256: string;
}

function digest(spec: TableSpec, rows: Iterable<Record<string, unknown>>): TableDigest {
  const hash = createHash('sha256');
  let n = 0;
  for (const row of rows) {
    hash.update(JSON.stringify(spec.columns.map((c) => normalize(c.kind, row[c.name], `${spec.name}.${c.name}`))));
    hash.update('\n');
    n++;
  }
  return { rows: n, sha256: hash.digest('hex') };
}

export function generatedDigest(spec: TableSpec, opts: DemoOptions): TableDigest {
  return digest(spec, createDemoDataset(opts).rows(spec.name));
}

/** Reads the whole table in key order. Dates are read as text: drivers turn DATE into a local-midnight Date. */
export async function databaseDigest(knex: Knex, spec: TableSpec): Promise<TableDigest> {
  const dialect = demoDialectOf(knex);
  const cols = spec.columns.map((c) => {
    if (c.kind !== 'date' || dialect === 'sqlite') return c.name;
    return dialect === 'postgres' ? knex.raw('??::text as ??', [c.name, c.name]) : knex.raw("date_format(??, '%Y-%m-%d') as ??", [c.name, c.name]);
  });
  const rows = (await knex.select(cols).from(spec.name).orderBy('id')) as Record<string, unknown>[];
  return digest(spec, rows);
}
