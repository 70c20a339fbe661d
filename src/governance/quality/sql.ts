import type { Knex } from 'knex';
import type { Entity } from '../../model';
import type { Row, SourceAdapter } from '../../sources';

/** The entity's table as a knex builder (`schema` applied), identifiers quoted by the source's dialect. */
export function tableOf(source: SourceAdapter, entity: Entity, alias?: string): Knex.QueryBuilder {
  const q = source.knex.from(alias ? { [alias]: entity.table } : entity.table);
  return entity.schema ? q.withSchema(entity.schema) : q;
}

export function columnOf(entity: Entity, field: string): string {
  const f = entity.fields.get(field);
  if (!f) throw new Error(`${entity.name} has no field ${field}`);
  return f.column;
}

/** Runs a built query through the adapter: its statement timeout and error classification apply. */
export async function runQuery(source: SourceAdapter, q: Knex.QueryBuilder | Knex.Raw): Promise<Row[]> {
  const { sql, bindings } = q.toSQL();
  return source.run({ sql, bindings });
}

/** The one row of an aggregate query. */
export async function oneRow(source: SourceAdapter, q: Knex.QueryBuilder | Knex.Raw): Promise<Row> {
  const rows = await runQuery(source, q);
  return rows[0] ?? {};
}

/** Counts come back as numbers, strings (PostgreSQL bigint) or bigints, by driver. */
export function toNumber(v: unknown): number {
  if (v === null || v === undefined) return 0;
  return typeof v === 'number' ? v : Number(v);
}

/** A timestamp or date as a driver returns it → epoch ms; text without a zone is UTC (SQLite, MySQL in a UTC session). */
export function toEpochMs(v: unknown): number | undefined {
  if (v === null || v === undefined) return undefined;
  if (v instanceof Date) return v.getTime();
  if (typeof v === 'number') return v;
  let s = String(v).trim();
  if (/^\d{4}-\d{2}-\d{2}$/.test(s)) s += 'T00:00:00Z';
  else if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(s)) s = s.replace(' ', 'T') + 'Z';
  const ms = Date.parse(s);
  return Number.isNaN(ms) ? undefined : ms;
}

export function formatAge(ms: number): string {
  const units: [string, number][] = [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000]];
  const neg = ms < 0;
  let rest = Math.abs(ms);
  const parts: string[] = [];
  for (const [u, size] of units) {
    const n = Math.floor(rest / size);
    if (n || (u === 's' && !parts.length)) parts.push(`${n}${u}`);
    rest -= n * size;
    if (parts.length === 2) break;
  }
  return (neg ? '-' : '') + parts.join(' ');
}
