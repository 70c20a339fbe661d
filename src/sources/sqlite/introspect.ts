import type { Knex } from 'knex';
import { mapSqliteType } from '../introspect/typeMap';
import type { IntrospectedForeignKey, IntrospectedSource, IntrospectedTable, IntrospectOptions } from '../introspect/types';
import { typedColumn } from '../introspect/types';

interface ObjectRow { name: string; type: 'table' | 'view' }
// Integers may arrive as BigInt (the adapter opens SQLite with safeIntegers): read them through Number().
interface ColumnRow { name: string; type: string; notnull: number | bigint; pk: number | bigint }
interface ForeignKeyRow { id: number | bigint; seq: number | bigint; table: string; from: string; to: string | null }

const quoteIdent = (id: string) => `"${id.replace(/"/g, '""')}"`;

/**
 * Reads an SQLite database (`main`, or an attached one named by `opts.schema`) from sqlite_master and the
 * pragma table-valued functions. SQLite keeps no comments; types are the declared ones.
 */
export async function introspectSqlite(knex: Knex, opts: IntrospectOptions = {}): Promise<IntrospectedSource> {
  const schema = opts.schema ?? 'main';
  const rows = async <T>(sql: string, bindings: Knex.RawBinding[] = []): Promise<T[]> => (await knex.raw(sql, bindings)) as T[];
  const objects = await rows<ObjectRow>(
    `select name, type from ${quoteIdent(schema)}.sqlite_master
     where type in ('table', 'view') and name not like 'sqlite!_%' escape '!'
     order by name`,
  );
  const tables: IntrospectedTable[] = [];
  for (const [i, o] of objects.entries()) {
    const cols = await rows<ColumnRow>('select name, type, "notnull" as "notnull", pk from pragma_table_info(?, ?) order by cid', [o.name, schema]);
    const fkRows = await rows<ForeignKeyRow>('select id, seq, "table", "from", "to" from pragma_foreign_key_list(?, ?) order by id, seq', [o.name, schema]);
    const fks = new Map<number, ForeignKeyRow[]>();
    for (const r of fkRows) (fks.get(Number(r.id)) ?? fks.set(Number(r.id), []).get(Number(r.id))!).push(r);
    tables.push({
      name: o.name,
      ...(schema !== 'main' ? { schema } : {}),
      kind: o.type,
      columns: cols.map((c) => typedColumn({ name: c.name, dbType: c.type, nullable: Number(c.notnull) === 0 }, mapSqliteType(c.type))),
      primaryKey: cols.filter((c) => Number(c.pk) > 0).sort((a, b) => Number(a.pk) - Number(b.pk)).map((c) => c.name),
      foreignKeys: [...fks.values()].map((parts) => ({
        columns: parts.map((p) => p.from),
        refTable: parts[0].table,
        // `to` is null when the reference names no columns: it then means the referenced table's primary key.
        refColumns: parts.map((p) => p.to ?? ''),
      })),
    });
    opts.onProgress?.(i + 1, objects.length, o.name);
  }
  for (const t of tables) for (const fk of t.foreignKeys) resolveImplicitKey(fk, tables);
  return { engine: 'sqlite', schema, tables };
}

function resolveImplicitKey(fk: IntrospectedForeignKey, tables: readonly IntrospectedTable[]): void {
  if (fk.refColumns.every((c) => c !== '')) return;
  const pk = tables.find((t) => t.name === fk.refTable)?.primaryKey ?? [];
  fk.refColumns.splice(0, fk.refColumns.length, ...fk.columns.map((_c, i) => fk.refColumns[i] || pk[i] || ''));
}
