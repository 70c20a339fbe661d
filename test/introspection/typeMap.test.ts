import { mapDbType, mapMysqlType, mapPostgresType, mapSqliteType } from '../../src/sources/introspect';

// `undefined` = unknown: reported and left out of the model, never guessed.
describe('PostgreSQL type map', () => {
  test.each([
    ['smallint', 'Int'], ['int2', 'Int'], ['smallserial', 'Int'], ['serial2', 'Int'],
    ['integer', 'Int'], ['int', 'Int'], ['int4', 'Int'], ['serial', 'Int'], ['serial4', 'Int'], ['INTEGER', 'Int'],
    ['bigint', 'BigInt'], ['int8', 'BigInt'], ['bigserial', 'BigInt'], ['serial8', 'BigInt'],
    ['numeric', 'Decimal'], ['numeric(12,2)', 'Decimal'], ['numeric(12, 2)', 'Decimal'], ['decimal', 'Decimal'], ['decimal(5)', 'Decimal'], ['money', 'Decimal'],
    ['real', 'Float'], ['float4', 'Float'], ['double precision', 'Float'], ['float8', 'Float'], ['float(24)', 'Float'],
    ['boolean', 'Boolean'], ['bool', 'Boolean'],
    ['text', 'String'], ['character varying', 'String'], ['character varying(40)', 'String'], ['varchar', 'String'], ['varchar(40)', 'String'],
    ['character(3)', 'String'], ['char(3)', 'String'], ['bpchar', 'String'], ['"char"', 'String'], ['name', 'String'],
    ['uuid', 'String'], ['citext', 'String'], ['public.citext', 'String'], ['ext.citext', 'String'], ['inet', 'String'], ['cidr', 'String'], ['macaddr', 'String'],
    ['timestamp with time zone', 'DateTime'], ['timestamp(3) with time zone', 'DateTime'], ['timestamptz', 'DateTime'], ['timestamptz(6)', 'DateTime'],
    ['timestamp without time zone', 'DateTime'], ['timestamp', 'DateTime'], ['timestamp(0) without time zone', 'DateTime'],
    ['date', 'Date'],
    ['json', 'JSON'], ['jsonb', 'JSON'],
    ['bytea', undefined], ['integer[]', undefined], ['text[]', undefined], ['_int4', undefined], ['character varying(20)[]', undefined],
    ['interval', undefined], ['interval year to month', undefined], ['time', undefined], ['time without time zone', undefined],
    ['time with time zone', undefined], ['timetz', undefined], ['xml', undefined], ['point', undefined], ['geometry', undefined],
    ['geometry(Point,4326)', undefined], ['tsvector', undefined], ['bit(1)', undefined], ['bit varying(8)', undefined], ['int4range', undefined],
    ['oid', undefined], ['mood', undefined], ['', undefined],
  ] as const)('%s → %s', (type, expected) => {
    expect(mapPostgresType(type)).toBe(expected);
  });

  test('an enum (the catalog says which types are enums) is a String; an array of one is unknown', () => {
    expect(mapPostgresType('mood', { enum: true })).toBe('String');
    expect(mapPostgresType('mood[]', { enum: true })).toBeUndefined();
  });
});

describe('MySQL/MariaDB type map', () => {
  test.each([
    ['tinyint(1)', 'Boolean'], ['tinyint(1) unsigned', 'Boolean'], ['TINYINT(1)', 'Boolean'], ['bool', 'Boolean'], ['boolean', 'Boolean'],
    ['bit(1)', 'Boolean'], ['bit', 'Boolean'],
    ['tinyint', 'Int'], ['tinyint(4)', 'Int'], ['tinyint(3) unsigned', 'Int'], ['tinyint unsigned', 'Int'],
    ['smallint', 'Int'], ['smallint(6)', 'Int'], ['smallint(5) unsigned', 'Int'],
    ['mediumint', 'Int'], ['mediumint(9)', 'Int'], ['mediumint(8) unsigned', 'Int'],
    ['int', 'Int'], ['int(11)', 'Int'], ['integer', 'Int'],
    ['int unsigned', 'BigInt'], ['int(10) unsigned', 'BigInt'], ['int(10) unsigned zerofill', 'BigInt'], ['integer unsigned', 'BigInt'],
    ['bigint', 'BigInt'], ['bigint(20)', 'BigInt'], ['bigint(20) unsigned', 'BigInt'], ['bigint unsigned', 'BigInt'], ['serial', 'BigInt'],
    ['decimal(12,2)', 'Decimal'], ['decimal(10,0) unsigned', 'Decimal'], ['numeric(5,2)', 'Decimal'], ['decimal', 'Decimal'],
    ['float', 'Float'], ['float(7,4)', 'Float'], ['double', 'Float'], ['double precision', 'Float'], ['double unsigned', 'Float'], ['real', 'Float'],
    ['char(3)', 'String'], ['varchar(40)', 'String'], ['tinytext', 'String'], ['text', 'String'], ['mediumtext', 'String'], ['longtext', 'String'],
    ["enum('a','b')", 'String'], ["enum('x(y)','z')", 'String'], ["set('x','y')", 'String'], ['uuid', 'String'],
    ['datetime', 'DateTime'], ['datetime(3)', 'DateTime'], ['timestamp', 'DateTime'], ['timestamp(6)', 'DateTime'],
    ['date', 'Date'],
    ['json', 'JSON'],
    ['bit(8)', undefined], ['bit(64)', undefined], ['blob', undefined], ['tinyblob', undefined], ['longblob', undefined],
    ['binary(16)', undefined], ['varbinary(255)', undefined], ['time', undefined], ['time(3)', undefined], ['year', undefined], ['year(4)', undefined],
    ['geometry', undefined], ['point', undefined], ['polygon', undefined], ['inet6', undefined], ['vector(3)', undefined], ['', undefined],
  ] as const)('%s → %s', (type, expected) => {
    expect(mapMysqlType(type)).toBe(expected);
  });

  test("MariaDB's JSON: LONGTEXT with a json_valid() check", () => {
    expect(mapMysqlType('longtext', { jsonCheck: true })).toBe('JSON');
    expect(mapMysqlType('longtext')).toBe('String');
    expect(mapMysqlType('text', { jsonCheck: true })).toBe('JSON');
    // A json_valid check on a non-text column changes nothing.
    expect(mapMysqlType('int', { jsonCheck: true })).toBe('Int');
    expect(mapMysqlType('blob', { jsonCheck: true })).toBeUndefined();
  });
});

describe('SQLite type map (declared types)', () => {
  test.each([
    ['INTEGER', 'Int'], ['integer', 'Int'], ['INT', 'Int'], ['SMALLINT', 'Int'], ['TINYINT', 'Int'], ['MEDIUMINT', 'Int'], ['INT2', 'Int'],
    ['BIGINT', 'BigInt'], ['bigint', 'BigInt'], ['INT8', 'BigInt'], ['UNSIGNED BIG INT', 'BigInt'],
    ['REAL', 'Float'], ['DOUBLE', 'Float'], ['double precision', 'Float'], ['FLOAT', 'Float'],
    ['DECIMAL', 'Decimal'], ['DECIMAL(12,2)', 'Decimal'], ['decimal(12, 2)', 'Decimal'], ['NUMERIC', 'Decimal'],
    ['BOOLEAN', 'Boolean'], ['bool', 'Boolean'],
    ['DATETIME', 'DateTime'], ['TIMESTAMP', 'DateTime'], ['timestamptz', 'DateTime'],
    ['DATE', 'Date'],
    ['JSON', 'JSON'], ['jsonb', 'JSON'],
    ['TEXT', 'String'], ['VARCHAR', 'String'], ['VARCHAR(255)', 'String'], ['varchar(40)', 'String'], ['CHAR(3)', 'String'], ['CHARACTER(20)', 'String'],
    ['NCHAR(55)', 'String'], ['NVARCHAR(100)', 'String'], ['VARYING CHARACTER(255)', 'String'], ['NATIVE CHARACTER(70)', 'String'], ['CLOB', 'String'],
    ['UUID', 'String'], ['MEDIUMTEXT', 'String'], ['LONGTEXT', 'String'],
    ['BLOB', undefined], ['', undefined], ['TIME', undefined], ['POINT', undefined], ['INTERVAL', undefined], ['BINARY(16)', undefined], ['ANYTHING', undefined],
  ] as const)('%s → %s', (type, expected) => {
    expect(mapSqliteType(type)).toBe(expected);
  });
});

test('mapDbType dispatches on the engine', () => {
  expect(mapDbType('postgres', 'int4')).toBe('Int');
  expect(mapDbType('postgres', 'mood', { enum: true })).toBe('String');
  expect(mapDbType('mysql', 'tinyint(1)')).toBe('Boolean');
  expect(mapDbType('mysql', 'longtext', { jsonCheck: true })).toBe('JSON');
  expect(mapDbType('sqlite', 'tinyint(1)')).toBe('Int');
});
