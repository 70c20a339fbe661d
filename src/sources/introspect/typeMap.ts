import type { FieldType } from '../../model';
import type { Engine } from '../SourceAdapter';

/**
 * Database type → datagate field type, one table per engine. A type that is not listed is unknown
 * (`undefined`): introspection reports the column and leaves it out, rather than guess a type that would
 * mangle its values (bytea as text, intervals as strings, geometry as bytes).
 */

const POSTGRES: Readonly<Record<string, FieldType>> = {
  smallint: 'Int', int2: 'Int', smallserial: 'Int', serial2: 'Int',
  integer: 'Int', int: 'Int', int4: 'Int', serial: 'Int', serial4: 'Int',
  bigint: 'BigInt', int8: 'BigInt', bigserial: 'BigInt', serial8: 'BigInt',
  numeric: 'Decimal', decimal: 'Decimal', money: 'Decimal',
  real: 'Float', float4: 'Float', 'double precision': 'Float', float8: 'Float', float: 'Float',
  boolean: 'Boolean', bool: 'Boolean',
  text: 'String', 'character varying': 'String', varchar: 'String', character: 'String', char: 'String', bpchar: 'String',
  '"char"': 'String', name: 'String', citext: 'String', uuid: 'String', inet: 'String', cidr: 'String', macaddr: 'String', macaddr8: 'String',
  'timestamp with time zone': 'DateTime', timestamptz: 'DateTime', 'timestamp without time zone': 'DateTime', timestamp: 'DateTime',
  date: 'Date',
  json: 'JSON', jsonb: 'JSON',
};

/**
 * PostgreSQL: `type` as `format_type()` or a DDL spells it (`character varying(40)`, `timestamp(3) with time zone`,
 * `int4`, `integer[]`). Enums are user-named, so the catalog says so through `hints.enum`.
 */
export function mapPostgresType(type: string, hints: { enum?: boolean } = {}): FieldType | undefined {
  const t = type.trim().toLowerCase();
  if (t.endsWith('[]') || /^_/.test(t)) return undefined; // arrays (format_type or udt name)
  if (hints.enum) return 'String';
  const base = t
    .replace(/\([^)]*\)/g, '') // modifiers: varchar(40), numeric(12,2), timestamp(3) with time zone
    .replace(/^(?:[a-z_][a-z0-9_$]*|"[^"]+")\./, '') // schema qualification: ext.citext
    .replace(/\s+/g, ' ')
    .trim();
  return POSTGRES[base];
}

const MYSQL: Readonly<Record<string, FieldType>> = {
  bool: 'Boolean', boolean: 'Boolean',
  tinyint: 'Int', smallint: 'Int', mediumint: 'Int', int: 'Int', integer: 'Int',
  bigint: 'BigInt', serial: 'BigInt',
  decimal: 'Decimal', numeric: 'Decimal', dec: 'Decimal', fixed: 'Decimal',
  float: 'Float', double: 'Float', 'double precision': 'Float', real: 'Float',
  char: 'String', varchar: 'String', tinytext: 'String', text: 'String', mediumtext: 'String', longtext: 'String',
  enum: 'String', set: 'String', uuid: 'String',
  datetime: 'DateTime', timestamp: 'DateTime',
  date: 'Date',
  json: 'JSON',
};

/**
 * MySQL and MariaDB: `columnType` as information_schema.COLUMNS.COLUMN_TYPE spells it (`tinyint(1)`,
 * `int(10) unsigned`, `enum('a','b')`). MariaDB stores JSON as LONGTEXT with a `json_valid()` CHECK:
 * `hints.jsonCheck` says the column has one.
 */
export function mapMysqlType(columnType: string, hints: { jsonCheck?: boolean } = {}): FieldType | undefined {
  const t = columnType.trim().toLowerCase();
  const m = /^([a-z]+(?: precision)?)\s*(?:\(([^)]*)\))?(.*)$/.exec(t);
  if (!m) return undefined;
  const [, base, args, rest] = m;
  const unsigned = /\bunsigned\b/.test(rest);
  if (base === 'tinyint' && args?.trim() === '1') return 'Boolean';
  // BIT(1) is the other common boolean; wider BIT columns are bit strings.
  if (base === 'bit') return args === undefined || args.trim() === '1' ? 'Boolean' : undefined;
  // INT UNSIGNED reaches 4,294,967,295: past a GraphQL Int (32-bit signed).
  if ((base === 'int' || base === 'integer') && unsigned) return 'BigInt';
  const mapped = MYSQL[base];
  if (mapped === 'String' && hints.jsonCheck && /text$/.test(base)) return 'JSON';
  return mapped;
}

const SQLITE: Readonly<Record<string, FieldType>> = {
  INTEGER: 'Int', INT: 'Int', SMALLINT: 'Int', TINYINT: 'Int', MEDIUMINT: 'Int', INT2: 'Int',
  BIGINT: 'BigInt', INT8: 'BigInt', 'UNSIGNED BIG INT': 'BigInt',
  REAL: 'Float', DOUBLE: 'Float', 'DOUBLE PRECISION': 'Float', FLOAT: 'Float',
  DECIMAL: 'Decimal', NUMERIC: 'Decimal',
  BOOLEAN: 'Boolean', BOOL: 'Boolean',
  DATETIME: 'DateTime', TIMESTAMP: 'DateTime', TIMESTAMPTZ: 'DateTime',
  DATE: 'Date',
  JSON: 'JSON', JSONB: 'JSON',
  TEXT: 'String', VARCHAR: 'String', CHAR: 'String', CHARACTER: 'String', NCHAR: 'String', NVARCHAR: 'String',
  'VARYING CHARACTER': 'String', 'NATIVE CHARACTER': 'String', CLOB: 'String', UUID: 'String',
};

/**
 * SQLite: the declared type of a column (anything goes there). Known names map directly; other names
 * that give SQLite's TEXT affinity (containing CHAR, CLOB or TEXT) are strings. Everything else is unknown,
 * including SQLite's INTEGER-affinity accidents such as `POINT` and an empty declared type.
 */
export function mapSqliteType(declared: string): FieldType | undefined {
  const t = declared.trim().toUpperCase().replace(/\([^)]*\)/g, '').replace(/\s+/g, ' ').trim();
  if (!t) return undefined;
  return SQLITE[t] ?? (/CHAR|CLOB|TEXT/.test(t) ? 'String' : undefined);
}

export function mapDbType(engine: Engine, type: string, hints: { enum?: boolean; jsonCheck?: boolean } = {}): FieldType | undefined {
  switch (engine) {
    case 'postgres':
      return mapPostgresType(type, hints);
    case 'mysql':
      return mapMysqlType(type, hints);
    case 'sqlite':
      return mapSqliteType(type);
  }
}
