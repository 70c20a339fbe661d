import type { Knex } from 'knex';
import { mapPostgresType } from '../introspect/typeMap';
import { typedColumn, type IntrospectedSource, type IntrospectedTable, type IntrospectOptions } from '../introspect/types';

const FROM_RELATIONS = `
  from pg_catalog.pg_class c
  join pg_catalog.pg_namespace n on n.oid = c.relnamespace`;
/** Tables, partitioned and foreign tables (r, p, f), views and materialized views (v, m); not partitions, not what an extension owns. */
const WHERE_RELATIONS = `
  where n.nspname = ? and c.relkind in ('r', 'p', 'f', 'v', 'm') and not c.relispartition
    and not exists (select 1 from pg_catalog.pg_depend d
                    where d.classid = 'pg_catalog.pg_class'::regclass and d.objid = c.oid and d.deptype = 'e')`;

interface RelationRow { name: string; relkind: string; comment: string | null }
interface ColumnRow { table_name: string; name: string; db_type: string; base_type: string | null; is_enum: boolean; nullable: boolean; comment: string | null }
interface ConstraintRow { table_name: string; contype: 'p' | 'f'; columns: string[]; ref_schema: string | null; ref_table: string | null; ref_columns: string[] | null }

/**
 * Reads a PostgreSQL schema (default `public`) from pg_catalog in three queries, whatever its size.
 * Works on PGlite too. Domains are typed by their base type; enums are strings.
 */
export async function introspectPostgres(knex: Knex, opts: IntrospectOptions = {}): Promise<IntrospectedSource> {
  const schema = opts.schema ?? 'public';
  const rows = async <T>(sql: string): Promise<T[]> => ((await knex.raw(sql, [schema])) as { rows: T[] }).rows;

  const relations = await rows<RelationRow>(`
    select c.relname as name, c.relkind::text as relkind, pg_catalog.obj_description(c.oid, 'pg_class') as comment
    ${FROM_RELATIONS}
    ${WHERE_RELATIONS}
    order by c.relname`);
  const columns = await rows<ColumnRow>(`
    select c.relname as table_name, a.attname as name,
      pg_catalog.format_type(a.atttypid, a.atttypmod) as db_type,
      case when t.typtype = 'd' then pg_catalog.format_type(t.typbasetype, t.typtypmod) end as base_type,
      coalesce(bt.typtype, t.typtype) = 'e' as is_enum,
      not (a.attnotnull or (t.typtype = 'd' and t.typnotnull)) as nullable,
      pg_catalog.col_description(c.oid, a.attnum) as comment
    ${FROM_RELATIONS}
    join pg_catalog.pg_attribute a on a.attrelid = c.oid and a.attnum > 0 and not a.attisdropped
    join pg_catalog.pg_type t on t.oid = a.atttypid
    left join pg_catalog.pg_type bt on t.typtype = 'd' and bt.oid = t.typbasetype
    ${WHERE_RELATIONS}
    order by c.relname, a.attnum`);
  // Key columns in key order, as JSON arrays (parsed the same way by pg and PGlite).
  const constraints = await rows<ConstraintRow>(`
    select c.relname as table_name, k.contype::text as contype,
      pg_catalog.array_to_json(array(
        select a.attname from unnest(k.conkey) with ordinality as u(attnum, ord)
        join pg_catalog.pg_attribute a on a.attrelid = k.conrelid and a.attnum = u.attnum order by u.ord)) as columns,
      rn.nspname as ref_schema, rc.relname as ref_table,
      pg_catalog.array_to_json(array(
        select a.attname from unnest(k.confkey) with ordinality as u(attnum, ord)
        join pg_catalog.pg_attribute a on a.attrelid = k.confrelid and a.attnum = u.attnum order by u.ord)) as ref_columns
    from pg_catalog.pg_constraint k
    join pg_catalog.pg_class c on c.oid = k.conrelid
    join pg_catalog.pg_namespace n on n.oid = c.relnamespace
    left join pg_catalog.pg_class rc on rc.oid = k.confrelid
    left join pg_catalog.pg_namespace rn on rn.oid = rc.relnamespace
    where n.nspname = ? and k.contype in ('p', 'f')
    order by c.relname, k.conname`);

  const byTable = new Map<string, ColumnRow[]>();
  for (const c of columns) (byTable.get(c.table_name) ?? byTable.set(c.table_name, []).get(c.table_name)!).push(c);
  const keysByTable = new Map<string, ConstraintRow[]>();
  for (const k of constraints) (keysByTable.get(k.table_name) ?? keysByTable.set(k.table_name, []).get(k.table_name)!).push(k);
  const tables: IntrospectedTable[] = [];
  for (const [i, r] of relations.entries()) {
    const keys = keysByTable.get(r.name) ?? [];
    tables.push({
      name: r.name,
      ...(schema !== 'public' ? { schema } : {}),
      kind: r.relkind === 'v' || r.relkind === 'm' ? 'view' : 'table',
      ...(r.comment ? { comment: r.comment } : {}),
      columns: (byTable.get(r.name) ?? []).map((c) =>
        typedColumn({ ...c, dbType: c.db_type }, mapPostgresType(c.base_type ?? c.db_type, { enum: c.is_enum })),
      ),
      primaryKey: keys.find((k) => k.contype === 'p')?.columns ?? [],
      foreignKeys: keys
        .filter((k) => k.contype === 'f' && k.ref_table)
        .map((k) => ({
          columns: k.columns,
          refTable: k.ref_table!,
          ...(k.ref_schema !== schema ? { refSchema: k.ref_schema! } : {}),
          refColumns: k.ref_columns ?? [],
        })),
    });
    opts.onProgress?.(i + 1, relations.length, r.name);
  }
  return { engine: 'postgres', schema, tables };
}
