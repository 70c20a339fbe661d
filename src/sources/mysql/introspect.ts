import type { Knex } from 'knex';
import { mapMysqlType } from '../introspect/typeMap';
import { typedColumn, type IntrospectedSource, type IntrospectedTable, type IntrospectOptions } from '../introspect/types';

interface TableRow { name: string; table_type: string; comment: string | null }
interface ColumnRow { table_name: string; name: string; column_type: string; is_nullable: string; comment: string | null }
interface KeyRow { table_name: string; constraint_name: string; column_name: string; ref_schema: string | null; ref_table: string | null; ref_column: string | null }
interface CheckRow { table_name: string; check_clause: string }

/** `json_valid(\`col\`)` in a CHECK clause: MariaDB's JSON columns are LONGTEXT with this check. */
const JSON_VALID = /json_valid\(\s*`((?:[^`]|``)+)`\s*\)/gi;

/**
 * Reads the connection's current database (or `opts.schema`) from information_schema, in four queries.
 * Column aliases are lower case because MySQL 8 returns information_schema columns upper case otherwise.
 */
export async function introspectMysql(knex: Knex, opts: IntrospectOptions = {}): Promise<IntrospectedSource> {
  const rows = async <T>(sql: string, bindings: Knex.RawBinding[] = []): Promise<T[]> => ((await knex.raw(sql, bindings)) as [T[]])[0];
  const schema = opts.schema ?? (await rows<{ db: string | null }>('select database() as db'))[0]?.db;
  if (!schema) throw new Error('no database selected: put the database name in the source url (mysql://host:3306/<database>) or pass --schema');

  const tables = await rows<TableRow>(
    `select table_name as name, table_type as table_type, table_comment as comment
     from information_schema.tables
     where table_schema = ? and table_type in ('BASE TABLE', 'VIEW', 'SYSTEM VERSIONED')
     order by table_name`,
    [schema],
  );
  const columns = await rows<ColumnRow>(
    `select table_name as table_name, column_name as name, column_type as column_type, is_nullable as is_nullable, column_comment as comment
     from information_schema.columns
     where table_schema = ?
     order by table_name, ordinal_position`,
    [schema],
  );
  const keys = await rows<KeyRow>(
    `select k.table_name as table_name, k.constraint_name as constraint_name, k.column_name as column_name,
       k.referenced_table_schema as ref_schema, k.referenced_table_name as ref_table, k.referenced_column_name as ref_column
     from information_schema.key_column_usage k
     join information_schema.table_constraints tc
       on tc.constraint_schema = k.constraint_schema and tc.table_name = k.table_name and tc.constraint_name = k.constraint_name
     where k.table_schema = ? and tc.constraint_type in ('PRIMARY KEY', 'FOREIGN KEY')
     order by k.table_name, k.constraint_name, k.ordinal_position`,
    [schema],
  );
  const jsonColumns = await jsonCheckedColumns(rows, schema);
  // By code point, as on the other engines (MySQL collations put `_` after letters).
  tables.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));

  const columnsOf = groupBy(columns, (c) => c.table_name);
  const keysOf = groupBy(keys, (k) => k.table_name);
  const out: IntrospectedTable[] = [];
  for (const [i, t] of tables.entries()) {
    const kind = t.table_type === 'VIEW' ? 'view' : 'table';
    const tableKeys = keysOf.get(t.name) ?? [];
    const fks = groupBy(tableKeys.filter((k) => k.ref_table), (k) => k.constraint_name);
    out.push({
      name: t.name,
      ...(opts.schema ? { schema } : {}),
      kind,
      // MySQL says `VIEW` as the comment of every view.
      ...(t.comment && !(kind === 'view' && t.comment === 'VIEW') ? { comment: t.comment } : {}),
      columns: (columnsOf.get(t.name) ?? []).map((c) =>
        typedColumn(
          { name: c.name, dbType: c.column_type, nullable: c.is_nullable === 'YES', comment: c.comment },
          mapMysqlType(c.column_type, { jsonCheck: jsonColumns.has(`${t.name}\u0000${c.name}`) }),
        ),
      ),
      primaryKey: tableKeys.filter((k) => k.constraint_name === 'PRIMARY').map((k) => k.column_name),
      foreignKeys: [...fks.values()].map((parts) => ({
        columns: parts.map((k) => k.column_name),
        refTable: parts[0].ref_table!,
        ...(parts[0].ref_schema && parts[0].ref_schema !== schema ? { refSchema: parts[0].ref_schema } : {}),
        refColumns: parts.map((k) => k.ref_column!),
      })),
    });
    opts.onProgress?.(i + 1, tables.length, t.name);
  }
  return { engine: 'mysql', schema, tables: out };
}

/** `table\0column` of every column with a `json_valid()` CHECK; empty where the server has no CHECK_CONSTRAINTS (MySQL < 8.0.16). */
async function jsonCheckedColumns(rows: <T>(sql: string, b?: Knex.RawBinding[]) => Promise<T[]>, schema: string): Promise<Set<string>> {
  let checks: CheckRow[];
  try {
    // MariaDB names check constraints per table (and says which table); MySQL 8 per schema, without the table.
    checks = await rows<CheckRow>(
      `select table_name as table_name, check_clause as check_clause from information_schema.check_constraints where constraint_schema = ?`,
      [schema],
    );
  } catch {
    try {
      checks = await rows<CheckRow>(
        `select tc.table_name as table_name, cc.check_clause as check_clause
         from information_schema.table_constraints tc
         join information_schema.check_constraints cc
           on cc.constraint_schema = tc.constraint_schema and cc.constraint_name = tc.constraint_name
         where tc.table_schema = ? and tc.constraint_type = 'CHECK'`,
        [schema],
      );
    } catch {
      return new Set();
    }
  }
  const out = new Set<string>();
  for (const c of checks) for (const m of c.check_clause.matchAll(JSON_VALID)) out.add(`${c.table_name}\u0000${m[1].replace(/``/g, '`')}`);
  return out;
}

function groupBy<T>(items: readonly T[], key: (t: T) => string): Map<string, T[]> {
  const out = new Map<string, T[]>();
  for (const it of items) {
    const k = key(it);
    const list = out.get(k);
    if (list) list.push(it);
    else out.set(k, [it]);
  }
  return out;
}
