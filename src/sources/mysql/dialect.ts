import knex from 'knex';
import { badInput } from '../../errors';
import type { FieldType } from '../../model';
import type { Capabilities } from '../SourceAdapter';
import { baseOperators, columnsSql, field, int64Json, isLargeList, jsonKeySet, ref, type JsonCell } from '../sql/operators';
import { bindValue } from '../sql/params';
import type { SqlDialect } from '../sql/SqlDialect';

/** mysql2 binds Date in the connection's time zone (UTC). ISO text becomes MySQL's own `YYYY-MM-DD HH:MM:SS.ffffff`. */
export function encodeMysql(type: FieldType, v: unknown): unknown {
  return type === 'DateTime' && typeof v === 'string' ? v.replace('T', ' ').replace(/Z$/, '') : v;
}

/**
 * JSON_TABLE column type per field type, for large key sets: the values then compare as the
 * column's own type, exactly (BIGINT beyond 2^53, DECIMAL to 30 places, DATETIME to the
 * microsecond), and the optimizer can materialise the set (NOT IN stays a hash lookup per row).
 * Text types are missing on purpose: a JSON_TABLE string column has a collation of its own, not
 * the compared column's (on MariaDB 10.11 the database's default), which either fails ("Illegal
 * mix of collations" against a column of another collation) or, where MySQL lets a _bin collation
 * win, silently compares in the wrong one.
 */
const JSON_TABLE_TYPE: Partial<Record<FieldType, string>> = {
  Int: 'bigint',
  BigInt: 'bigint',
  Boolean: 'bigint',
  Float: 'double',
  Decimal: 'decimal(65,30)',
  DateTime: 'datetime(6)',
  Date: 'date',
};

/**
 * A large key set that mysql2 writes out as literals where its one `?` stands (`'a', 'b'`, or
 * `('a', 1), ('b', 2)` for composite keys), escaped as every other value (UTC, the session's
 * sql_mode). Not a plain array: knex refuses arrays in raw where clauses.
 */
export class LiteralList {
  constructor(readonly values: readonly unknown[]) {}
  toSqlString(sqlMode?: string): string {
    // Loaded on use, so that importing the dialects does not load mysql2.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { escape } = require('mysql2') as typeof import('mysql2');
    return escape(this.values as never, true, 'Z', sqlMode as never);
  }
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');
function utcText(d: Date, withTime: boolean): string {
  const date = `${pad(d.getUTCFullYear(), 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  return withTime ? `${date} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}.${pad(d.getUTCMilliseconds(), 3)}` : date;
}

/**
 * One key as a JSON value for a JSON_TABLE column of JSON_TABLE_TYPE[type]. JSON_TABLE turns what it
 * cannot convert into a clamped or zero value without an error (`18446744073709551615` becomes
 * BIGINT's maximum, `"abc"` becomes 0), which would match the wrong rows: integer keys must be
 * 64-bit integers and numbers finite, or the query is refused.
 */
export function mysqlJson(type: FieldType, value: unknown): JsonCell {
  if (value === null || value === undefined) return null;
  if (type === 'Int' || type === 'BigInt') {
    const n = int64Json(value);
    if (n === undefined) throw badInput(`a key of type ${type} is not a 64-bit integer`);
    return n;
  }
  if (value instanceof Date) return utcText(value, type !== 'Date');
  if (typeof value === 'number' && !Number.isFinite(value)) throw badInput(`a key of type ${type} is not a finite number`);
  if (typeof value === 'bigint') return int64Json(value) ?? value.toString();
  return encodeMysql(type, value) as JsonCell;
}

/** Field types whose MariaDB values JSON carries exactly (INT, text, TINYINT(1) as 0/1); the rest go as their text. */
const NATIVE_JSON: ReadonlySet<FieldType> = new Set(['Int', 'String', 'Boolean']);

/**
 * Whether a server (its `version()`) reads related rows inside their parents' statement: MariaDB
 * 10.5 and later, whose JSON_ARRAYAGG orders and pages (`ORDER BY … LIMIT n OFFSET m`). MySQL's
 * JSON_ARRAYAGG does neither (8.x), so MySQL keeps a statement per level.
 */
export function foldsRelatedRows(version: string): boolean {
  const m = /^(?:5\.5\.5-)?(\d+)\.(\d+)\.\d+-MariaDB/i.exec(version);
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > 10 || (major === 10 && minor >= 5);
}

/** The MySQL/MariaDB dialect; `serverIs(version())` of a connection decides whether it folds related rows (foldsRelatedRows). */
export function mysqlDialect(): SqlDialect & { serverIs(version: string): boolean } {
  const capabilities: { -readonly [K in keyof Capabilities]: Capabilities[K] } = {
    engine: 'mysql',
    embedded: false,
    statementTimeout: true,
    windowFunctions: true,
    maxBindParams: 65535,
    arrayParams: false,
    nestedRows: false,
  };
  return {
    capabilities,
    // Every new connection reports its server: a source moved to a server without the aggregate stops folding.
    serverIs(version) {
      const folds = foldsRelatedRows(version);
      // Opt-in (`nestedRows: true`): on the bench's Q6 MariaDB spent more CPU on the aggregate than on a
      // statement per level (bench/README.md, "One statement or two", MariaDB).
      capabilities.nestedRows = folds ? { maxCells: 100, byDefault: false } : false;
      return folds;
    },
    // Related rows as arrays of cells, a to-many relationship as one ordered, paged JSON_ARRAYAGG beside
    // its row count (NestedList 'aggregate'); used only once a connection has shown a MariaDB that has it.
    nestedRows: {
      row: (cells) => `json_array(${cells.join(', ')})`,
      list: {
        kind: 'aggregate',
        aggregate: (row, order, limit, offset) => {
          let inside = row;
          if (order) inside += ` order by ${order}`;
          // An offset needs a limit before it: MariaDB's largest when there is none.
          if (limit !== undefined || offset) inside += ` limit ${limit ?? '18446744073709551615'}`;
          if (offset) inside += ` offset ${offset}`;
          return `json_array(count(*), json_arrayagg(${inside}))`;
        },
      },
      cell: (type) => (NATIVE_JSON.has(type) ? '??' : 'cast(?? as char)'),
    },
    builder: knex({ client: 'mysql2' }),
    // mysql2 binds Date in the connection's time zone (UTC). ISO text (a cursor's exact DateTime)
    // becomes MySQL's own `YYYY-MM-DD HH:MM:SS.ffffff`, which it compares with full precision.
    encode: encodeMysql,
    // DATETIME text needs its T and Z, MariaDB's JSON is text, a binary string column is a Buffer.
    decodedTypes: new Set(['String', 'DateTime', 'JSON', 'Boolean']),
    // MySQL sorts NULL as the smallest value and has no NULLS FIRST/LAST: sort on `is null` first.
    orderTerm: (r, t) => {
      const isDefault = (t.nulls === 'first') === (t.direction === 'asc');
      if (isDefault) return { sql: `?? ${t.direction}`, bindings: [r] };
      return { sql: `(?? is null) ${t.nulls === 'last' ? 'asc' : 'desc'}, ?? ${t.direction}`, bindings: [r, r] };
    },
    // AVG of integers is DECIMAL with 4 digits (div_precision_increment); average as a double instead.
    aggregateTemplate: (fn, type) => (fn === 'avg' && (type === 'Int' || type === 'Float') ? 'avg(?? * 1e0)' : undefined),
    operators: {
      ...baseOperators,
      // A large key set is one parameter, whatever its length, so one statement serves every size:
      // - numbers, dates and booleans: a JSON array read by JSON_TABLE as the column's type;
      // - any text column among the key's: one `?` bound to the list of values, which mysql2
      //   writes out as a literal list (`in ('a', 'b')`, rows as `(('a', 1), ('b', 2))`) when it
      //   formats the statement (the adapter sends text statements through `query`, never
      //   server-side prepared ones, so no placeholder limit applies). Literals take the column's
      //   collation exactly as a small list's values do, and MariaDB turns a long list into a
      //   hashed lookup itself. Measured on 120,000 rows and 2,000 string keys, the JSON_TABLE
      //   forms that keep the column's collation (`json_unquote` of a JSON column, which MariaDB
      //   treats as a literal) took 65 s for IN on an unindexed column and 197 s for NOT IN on an
      //   indexed one: the values could not be materialised in the column's collation, so each
      //   row re-read the JSON. The literal list took 0.1 s for both.
      in: (b, n, s, c) => {
        if (!isLargeList(n.values)) return baseOperators.in(b, n, s, c);
        const types = n.fields.map((f) => field(s, f).type);
        const { sql, refs } = columnsSql(s, n.fields);
        const op = n.negate ? 'not in' : 'in';
        const sqlTypes = types.map((t) => JSON_TABLE_TYPE[t]);
        if (sqlTypes.every((t) => t !== undefined)) {
          const json = bindValue(n.values, (list) => jsonKeySet(list as unknown[][], types.length, (col, v) => mysqlJson(types[col], v)));
          const columns = sqlTypes.map((t, i) => `v${i} ${t} path '$${types.length === 1 ? '' : `[${i}]`}'`).join(', ');
          const keys = `select ${sqlTypes.map((_, i) => `j.v${i}`).join(', ')} from json_table(?, '$[*]' columns (${columns})) as j`;
          b.whereRaw(`${sql} ${op} (${keys})`, [...refs, json as string]);
          return;
        }
        const list = bindValue(
          n.values,
          (l) => new LiteralList((l as unknown[][]).map((key) => (types.length === 1 ? encodeMysql(types[0], key[0]) : key.map((v, i) => encodeMysql(types[i], v))))),
        );
        b.whereRaw(`${sql} ${op} (?)`, [...refs, list as never]);
      },
      // Case-sensitive whatever the column's collation; ilike compares lower-cased under the column's own collation.
      like: (b, n, s) => {
        if (n.caseInsensitive) b.whereRaw('lower(??) like lower(?)', [ref(s, n.field), bindValue(n.pattern) as string]);
        else b.whereRaw('?? like convert(? using utf8mb4) collate utf8mb4_bin', [ref(s, n.field), bindValue(n.pattern) as string]);
      },
    },
  };
}
