import type { FieldType } from '../../src/model';
import { connectSource, type SourceAdapter } from '../../src/sources';
import { introspectDatabase, type IntrospectedSource } from '../../src/sources/introspect';
import { createMysqlDatabase, runStatements, sourceConfig, type TestDatabase } from './databases';
import { fieldTypes, rel, renderAndLoad, table } from './roundTrip';

/** Column type as information_schema spells it on MariaDB 10.11 (MySQL 8 drops display widths other than tinyint(1)). */
const ZOO: Record<string, [columnType: RegExp, type: FieldType | undefined]> = {
  id: [/^int(\(11\))?$/, 'Int'],
  c_tinyint1: [/^tinyint\(1\)$/, 'Boolean'],
  c_bool: [/^tinyint\(1\)$/, 'Boolean'],
  c_tinyint: [/^tinyint(\(4\))?$/, 'Int'],
  c_tinyint_u: [/^tinyint(\(3\))? unsigned$/, 'Int'],
  c_smallint: [/^smallint(\(6\))?$/, 'Int'],
  c_smallint_u: [/^smallint(\(5\))? unsigned$/, 'Int'],
  c_mediumint: [/^mediumint(\(9\))?$/, 'Int'],
  c_int: [/^int(\(11\))?$/, 'Int'],
  c_int_u: [/^int(\(10\))? unsigned$/, 'BigInt'],
  c_bigint: [/^bigint(\(20\))?$/, 'BigInt'],
  c_bigint_u: [/^bigint(\(20\))? unsigned$/, 'BigInt'],
  c_decimal: [/^decimal\(12,2\)$/, 'Decimal'],
  c_float: [/^float$/, 'Float'],
  c_double: [/^double$/, 'Float'],
  c_char: [/^char\(3\)$/, 'String'],
  c_varchar: [/^varchar\(40\)$/, 'String'],
  c_tinytext: [/^tinytext$/, 'String'],
  c_text: [/^text$/, 'String'],
  c_mediumtext: [/^mediumtext$/, 'String'],
  c_longtext: [/^longtext$/, 'String'],
  c_enum: [/^enum\('a','b'\)$/, 'String'],
  c_set: [/^set\('x','y'\)$/, 'String'],
  c_datetime: [/^datetime\(3\)$/, 'DateTime'],
  c_timestamp: [/^timestamp$/, 'DateTime'],
  c_date: [/^date$/, 'Date'],
  // MariaDB: LONGTEXT with a json_valid() check; MySQL: json.
  c_json: [/^(longtext|json)$/, 'JSON'],
  c_bit1: [/^bit\(1\)$/, 'Boolean'],
  c_blob: [/^blob$/, undefined],
  c_varbinary: [/^varbinary\(16\)$/, undefined],
  c_binary: [/^binary\(4\)$/, undefined],
  c_time: [/^time$/, undefined],
  c_year: [/^year(\(4\))?$/, undefined],
  c_geometry: [/^geometry$/, undefined],
  c_point: [/^point$/, undefined],
  c_bit8: [/^bit\(8\)$/, undefined],
};

const DDL = [
  `create table sales_reps (
     id int unsigned not null auto_increment primary key,
     name varchar(80) not null comment 'Full name.',
     manager_id int unsigned,
     foreign key (manager_id) references sales_reps (id)) comment 'Account managers.'`,
  `create table customers (
     id int not null auto_increment primary key,
     name varchar(80) not null,
     rep_id int unsigned comment 'Account manager.',
     foreign key (rep_id) references sales_reps (id))`,
  `create table orders (
     id bigint not null primary key,
     customer_id int not null,
     total decimal(12, 2) not null,
     customer varchar(80),
     scan blob,
     foreign key (customer_id) references customers (id))`,
  `create table order_lines (
     order_id bigint not null, line_no int not null, qty int not null,
     primary key (order_id, line_no), foreign key (order_id) references orders (id))`,
  `create table type_zoo (
     id int not null primary key,
     c_tinyint1 tinyint(1) not null, c_bool boolean, c_tinyint tinyint, c_tinyint_u tinyint unsigned,
     c_smallint smallint, c_smallint_u smallint unsigned, c_mediumint mediumint, c_int int, c_int_u int unsigned,
     c_bigint bigint, c_bigint_u bigint unsigned, c_decimal decimal(12, 2), c_float float, c_double double,
     c_char char(3), c_varchar varchar(40), c_tinytext tinytext, c_text text, c_mediumtext mediumtext, c_longtext longtext,
     c_enum enum('a', 'b'), c_set set('x', 'y'), c_datetime datetime(3), c_timestamp timestamp null, c_date date,
     c_json json, c_bit1 bit(1),
     c_blob blob, c_varbinary varbinary(16), c_binary binary(4), c_time time, c_year year, c_geometry geometry,
     c_point point, c_bit8 bit(8)) comment 'Every type.'`,
  `create view customer_names as select id, name from customers`,
];

describe('introspection on MariaDB/MySQL', () => {
  let db: TestDatabase;
  let adapter: SourceAdapter;
  let src: IntrospectedSource;

  beforeAll(async () => {
    db = await createMysqlDatabase();
    adapter = await connectSource('sales', sourceConfig('mysql', db.url));
    await runStatements(adapter.knex, DDL);
    src = await introspectDatabase('mysql', adapter.knex);
  });
  afterAll(async () => {
    await adapter?.close();
    await db?.drop();
  });

  test('lists the tables and views of the current database', () => {
    expect(src).toMatchObject({ engine: 'mysql', schema: db.name });
    expect(src.tables.map((t) => [t.name, t.kind])).toEqual([
      ['customer_names', 'view'],
      ['customers', 'table'],
      ['order_lines', 'table'],
      ['orders', 'table'],
      ['sales_reps', 'table'],
      ['type_zoo', 'table'],
    ]);
  });

  test('reads columns, nullability, comments, primary and foreign keys', () => {
    const reps = table(src, 'sales_reps');
    expect(reps).toMatchObject({ comment: 'Account managers.', primaryKey: ['id'], foreignKeys: [{ columns: ['manager_id'], refTable: 'sales_reps', refColumns: ['id'] }] });
    expect(reps.schema).toBeUndefined();
    expect(reps.columns.map((c) => [c.name, c.fieldType, c.nullable, c.comment])).toEqual([
      ['id', 'BigInt', false, undefined],
      ['name', 'String', false, 'Full name.'],
      ['manager_id', 'BigInt', true, undefined],
    ]);
    expect(table(src, 'customers').foreignKeys).toEqual([{ columns: ['rep_id'], refTable: 'sales_reps', refColumns: ['id'] }]);
    expect(table(src, 'order_lines').primaryKey).toEqual(['order_id', 'line_no']);
    const view = table(src, 'customer_names');
    expect(view).toMatchObject({ kind: 'view', primaryKey: [], foreignKeys: [] });
    expect(view.comment).toBeUndefined(); // not MySQL's placeholder `VIEW`
  });

  test('maps every column type of type_zoo, JSON behind a MariaDB check included, and marks the unsupported ones', () => {
    const zoo = table(src, 'type_zoo');
    expect(zoo.comment).toBe('Every type.');
    expect(zoo.columns.map((c) => c.name)).toEqual(Object.keys(ZOO));
    for (const c of zoo.columns) {
      const [dbType, type] = ZOO[c.name];
      expect([c.name, c.dbType]).toEqual([c.name, expect.stringMatching(dbType)]);
      expect([c.name, c.fieldType, c.unknownType]).toEqual([c.name, type, type ? undefined : true]);
    }
    expect(zoo.columns.find((c) => c.name === 'c_tinyint1')!.nullable).toBe(false);
  });

  test('renders a model that loads: entities, keys, fields, relationships both ways', () => {
    const { draft, registry } = renderAndLoad(src, 'sales', 'sales-ops');
    expect([...registry.entities.keys()].sort()).toEqual(['Customer', 'CustomerName', 'Order', 'SalesRep', 'TypeZoo']);
    expect(registry.entity('SalesRep')).toMatchObject({ table: 'sales_reps', key: 'id', description: 'Account managers.', owner: { team: 'sales-ops' } });
    expect(registry.entity('SalesRep').fields.get('name')).toMatchObject({ type: 'String', nullable: false, description: 'Full name.' });
    expect(rel(registry, 'Customer', 'salesRep')).toEqual({ target: 'SalesRep', many: false, on: [['rep_id', 'id']] });
    expect(rel(registry, 'SalesRep', 'customers')).toEqual({ target: 'Customer', many: true, on: [['id', 'rep_id']] });
    expect(rel(registry, 'SalesRep', 'manager')).toEqual({ target: 'SalesRep', many: false, on: [['manager_id', 'id']] });
    expect(rel(registry, 'SalesRep', 'salesRepsByManager')).toEqual({ target: 'SalesRep', many: true, on: [['id', 'manager_id']] });
    expect(rel(registry, 'Order', 'customerRel')).toEqual({ target: 'Customer', many: false, on: [['customer_id', 'id']] });
    expect(rel(registry, 'Customer', 'orders')).toEqual({ target: 'Order', many: true, on: [['id', 'customer_id']] });
    expect(registry.entity('CustomerName').key).toBe('id');

    const zooTypes = fieldTypes(registry, 'TypeZoo');
    for (const [col, [, type]] of Object.entries(ZOO)) expect([col, zooTypes[col]]).toEqual([col, type]);
    for (const col of ['c_blob', 'c_varbinary', 'c_binary', 'c_time', 'c_year', 'c_geometry', 'c_point', 'c_bit8']) {
      const dbType = table(src, 'type_zoo').columns.find((c) => c.name === col)!.dbType;
      expect(draft.text).toContain(`# ${col}: unsupported type ${dbType}: column left out`);
      expect(draft.warnings).toContain(`type_zoo.${col}: unsupported type ${dbType}, column left out`);
    }
    expect(draft.warnings).toContain('orders.scan: unsupported type blob, column left out');
    expect(draft.warnings).toContain('order_lines: composite primary key (order_id, line_no) and no id column, table left out (add it by hand with a key)');
  });

  test('reads another database when named', async () => {
    const other = await introspectDatabase('mysql', adapter.knex, { schema: db.name });
    expect(other.tables.map((t) => t.name)).toEqual(src.tables.map((t) => t.name));
    expect(other.tables.every((t) => t.schema === db.name)).toBe(true);
  });
});
