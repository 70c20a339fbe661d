import type { FieldType } from '../../src/model';
import { connectSource, type SourceAdapter } from '../../src/sources';
import { introspectDatabase, type IntrospectedSource } from '../../src/sources/introspect';
import { runStatements, sourceConfig } from './databases';
import { fieldTypes, rel, renderAndLoad, table } from './roundTrip';

/** Declared types as written, except that SQLite reports its own INTEGER, REAL and BLOB upper case. */
const ZOO: Record<string, [declared: string, type: FieldType | undefined]> = {
  id: ['INTEGER', 'Int'],
  c_integer: ['INTEGER', 'Int'],
  c_int: ['INT', 'Int'],
  c_smallint: ['smallint', 'Int'],
  c_bigint: ['bigint', 'BigInt'],
  c_real: ['REAL', 'Float'],
  c_double: ['double', 'Float'],
  c_double_precision: ['double precision', 'Float'],
  c_float: ['float', 'Float'],
  c_decimal: ['decimal(12,2)', 'Decimal'],
  c_numeric: ['NUMERIC', 'Decimal'],
  c_boolean: ['boolean', 'Boolean'],
  c_datetime: ['datetime', 'DateTime'],
  c_timestamp: ['timestamp', 'DateTime'],
  c_date: ['date', 'Date'],
  c_json: ['json', 'JSON'],
  c_text: ['TEXT', 'String'],
  c_varchar: ['varchar(40)', 'String'],
  c_char: ['char(3)', 'String'],
  c_nvarchar: ['nvarchar(10)', 'String'],
  c_clob: ['clob', 'String'],
  c_blob: ['BLOB', undefined],
  c_none: ['', undefined],
  c_time: ['time', undefined],
  c_point: ['point', undefined],
};

const DDL = [
  `create table sales_reps (id integer primary key, name text not null, manager_id integer references sales_reps (id))`,
  // A reference without columns means the referenced table's primary key.
  `create table customers (id integer primary key, name varchar(80) not null, rep_id integer references sales_reps)`,
  `create table orders (id bigint primary key, customer_id integer not null references customers (id), total decimal(12,2) not null, customer text, scan blob)`,
  `create table order_lines (order_id bigint not null references orders (id), line_no integer not null, qty integer, primary key (order_id, line_no))`,
  `create table type_zoo (${Object.entries(ZOO).map(([c, [t]]) => `${c} ${t}${c === 'id' ? ' primary key' : c === 'c_integer' ? ' not null' : ''}`).join(', ')})`,
  `create view customer_names as select id, name from customers`,
];

describe('introspection on SQLite', () => {
  let adapter: SourceAdapter;
  let src: IntrospectedSource;
  const progress: string[] = [];

  beforeAll(async () => {
    adapter = await connectSource('marketing', sourceConfig('sqlite'));
    await runStatements(adapter.knex, DDL);
    src = await introspectDatabase('sqlite', adapter.knex, { onProgress: (d, t, n) => progress.push(`${d}/${t} ${n}`) });
  });
  afterAll(async () => {
    await adapter?.close();
  });

  test('lists tables and views from sqlite_master, one progress call per table', () => {
    expect(src).toMatchObject({ engine: 'sqlite', schema: 'main' });
    expect(src.tables.map((t) => [t.name, t.kind])).toEqual([
      ['customer_names', 'view'],
      ['customers', 'table'],
      ['order_lines', 'table'],
      ['orders', 'table'],
      ['sales_reps', 'table'],
      ['type_zoo', 'table'],
    ]);
    expect(progress).toEqual(['1/6 customer_names', '2/6 customers', '3/6 order_lines', '4/6 orders', '5/6 sales_reps', '6/6 type_zoo']);
  });

  test('reads columns, nullability, primary keys and foreign keys (implicit referenced columns resolved)', () => {
    expect(table(src, 'customers')).toEqual({
      name: 'customers',
      kind: 'table',
      columns: [
        { name: 'id', dbType: 'INTEGER', nullable: true, fieldType: 'Int' },
        { name: 'name', dbType: 'varchar(80)', nullable: false, fieldType: 'String' },
        { name: 'rep_id', dbType: 'INTEGER', nullable: true, fieldType: 'Int' },
      ],
      primaryKey: ['id'],
      foreignKeys: [{ columns: ['rep_id'], refTable: 'sales_reps', refColumns: ['id'] }],
    });
    expect(table(src, 'order_lines').primaryKey).toEqual(['order_id', 'line_no']);
    expect(table(src, 'sales_reps').foreignKeys).toEqual([{ columns: ['manager_id'], refTable: 'sales_reps', refColumns: ['id'] }]);
    expect(table(src, 'customer_names')).toMatchObject({ kind: 'view', primaryKey: [], foreignKeys: [] });
  });

  test('maps every declared type of type_zoo by affinity, and marks the unsupported ones', () => {
    const zoo = table(src, 'type_zoo');
    expect(Object.fromEntries(zoo.columns.map((c) => [c.name, [c.dbType, c.fieldType]]))).toEqual(ZOO);
    for (const c of zoo.columns) expect(c.unknownType === true).toBe(c.fieldType === undefined);
  });

  test('renders a model that loads: entities, keys, fields, relationships both ways', () => {
    const { draft, registry } = renderAndLoad(src, 'marketing');
    expect([...registry.entities.keys()].sort()).toEqual(['Customer', 'CustomerName', 'Order', 'SalesRep', 'TypeZoo']);
    expect(registry.entity('Customer')).toMatchObject({ key: 'id', owner: {} });
    expect(registry.entity('Customer').fields.get('name')!.nullable).toBe(false);
    expect(rel(registry, 'Customer', 'salesRep')).toEqual({ target: 'SalesRep', many: false, on: [['rep_id', 'id']] });
    expect(rel(registry, 'SalesRep', 'customers')).toEqual({ target: 'Customer', many: true, on: [['id', 'rep_id']] });
    expect(rel(registry, 'Customer', 'orders')).toEqual({ target: 'Order', many: true, on: [['id', 'customer_id']] });
    expect(rel(registry, 'Order', 'customerRel')).toEqual({ target: 'Customer', many: false, on: [['customer_id', 'id']] });
    const zooTypes = fieldTypes(registry, 'TypeZoo');
    for (const [col, [, type]] of Object.entries(ZOO)) expect([col, zooTypes[col]]).toEqual([col, type]);
    expect(draft.text).toContain('# c_blob: unsupported type BLOB: column left out');
    expect(draft.text).toContain('# c_none: unsupported type (none declared): column left out');
    expect(draft.warnings).toContain('type_zoo.c_point: unsupported type point, column left out');
    expect(draft.warnings).toContain('orders.scan: unsupported type BLOB, column left out');
  });
});
