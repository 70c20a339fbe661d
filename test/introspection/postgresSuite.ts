/** The PostgreSQL round trip, run on a real server (postgres.test.ts) and on PGlite (pglite.test.ts). */
import type { SourceAdapter } from '../../src/sources';
import { introspectDatabase } from '../../src/sources/introspect';
import type { IntrospectedSource } from '../../src/sources/introspect';
import { runStatements } from './databases';
import { POSTGRES_ZOO, postgresDdl } from './postgresFixture';
import { fieldTypes, rel, renderAndLoad, table } from './roundTrip';

export function postgresRoundTrip(open: () => Promise<SourceAdapter>, opts: { citext: boolean }): void {
  let adapter: SourceAdapter;
  let src: IntrospectedSource;
  const progress: [number, number, string][] = [];

  beforeAll(async () => {
    adapter = await open();
    await runStatements(adapter.knex, postgresDdl(opts));
    src = await introspectDatabase('postgres', adapter.knex, { onProgress: (d, t, n) => progress.push([d, t, n]) });
  });
  afterAll(async () => {
    await adapter?.close();
  });

  test('lists the tables and views of schema public, nothing from other schemas or extensions', () => {
    const names = ['addresses', 'audit_events', 'customer_profiles', 'customer_totals', 'customers', 'order_counts', 'order_lines', 'orders', 'people', 'sales_reps', 'type_zoo'];
    expect(src.engine).toBe('postgres');
    expect(src.schema).toBe('public');
    expect(src.tables.map((t) => t.name)).toEqual(names);
    expect(progress).toEqual(names.map((n, i) => [i + 1, names.length, n]));
    expect(table(src, 'customer_totals').kind).toBe('view');
    expect(table(src, 'customers').kind).toBe('table');
  });

  test('reads columns, nullability, comments, primary and foreign keys', () => {
    expect(table(src, 'customers')).toEqual({
      name: 'customers',
      kind: 'table',
      comment: 'People we sell to.',
      columns: [
        { name: 'id', dbType: 'integer', nullable: false, fieldType: 'Int' },
        { name: 'name', dbType: 'text', nullable: false, comment: 'Full name.', fieldType: 'String' },
        { name: 'email', dbType: opts.citext ? 'citext' : 'text', nullable: true, fieldType: 'String' },
        { name: 'rep_id', dbType: 'integer', nullable: true, comment: 'Account manager.', fieldType: 'Int' },
        { name: 'created_at', dbType: 'timestamp with time zone', nullable: false, fieldType: 'DateTime' },
      ],
      primaryKey: ['id'],
      foreignKeys: [{ columns: ['rep_id'], refTable: 'sales_reps', refColumns: ['id'] }],
    });
    expect(table(src, 'order_lines').primaryKey).toEqual(['order_id', 'line_no']);
    expect(table(src, 'orders').foreignKeys).toEqual(
      expect.arrayContaining([
        { columns: ['customer_id'], refTable: 'customers', refColumns: ['id'] },
        { columns: ['billing_address_id'], refTable: 'addresses', refColumns: ['id'] },
        { columns: ['shipping_address_id'], refTable: 'addresses', refColumns: ['id'] },
      ]),
    );
    expect(table(src, 'orders').foreignKeys).toHaveLength(3);
    const view = table(src, 'customer_totals');
    expect(view).toMatchObject({ kind: 'view', comment: 'Revenue per customer.', primaryKey: [], foreignKeys: [] });
    expect(view.columns.map((c) => [c.name, c.fieldType])).toEqual([['id', 'Int'], ['name', 'String'], ['total', 'Decimal']]);
  });

  test('maps every column type of type_zoo, and marks the unsupported ones', () => {
    const zoo = table(src, 'type_zoo');
    const expected = { ...POSTGRES_ZOO, c_citext: [opts.citext ? 'citext' : 'text', 'String'] as const };
    const got = Object.fromEntries(zoo.columns.map((c) => [c.name, [c.dbType, c.fieldType]]));
    expect(got).toEqual(expected);
    for (const c of zoo.columns) expect(c.unknownType === true).toBe(c.fieldType === undefined);
    expect(zoo.columns.find((c) => c.name === 'c_int2')!.nullable).toBe(false);
    expect(zoo.columns.find((c) => c.name === 'c_domain')!.nullable).toBe(false);
    expect(zoo.columns.find((c) => c.name === 'c_int4')!.nullable).toBe(true);
  });

  test('renders a model that loads: entities, keys, fields, relationships both ways', () => {
    const { draft, registry } = renderAndLoad(src, 'crm', 'crm-team');
    expect([...registry.entities.keys()].sort()).toEqual(['Address', 'Customer', 'CustomerProfile', 'CustomerTotal', 'Order', 'Person', 'SalesRep', 'TypeZoo']);
    expect(draft.entities).toHaveLength(8);

    const customer = registry.entity('Customer');
    expect(customer).toMatchObject({ source: 'crm', table: 'customers', key: 'id', description: 'People we sell to.', owner: { team: 'crm-team' }, plural: 'customers' });
    expect(customer.schema).toBeUndefined();
    expect(fieldTypes(registry, 'Customer')).toEqual({ id: 'Int', name: 'String', email: 'String', rep_id: 'Int', created_at: 'DateTime' });
    expect(customer.fields.get('name')).toMatchObject({ nullable: false, description: 'Full name.' });
    expect(customer.fields.get('email')!.nullable).toBe(true);
    expect(customer.fields.get('id')!.nullable).toBe(false);

    // Many-to-one named after the target, one-to-many after the referencing table.
    expect(rel(registry, 'Customer', 'salesRep')).toEqual({ target: 'SalesRep', many: false, on: [['rep_id', 'id']] });
    expect(rel(registry, 'SalesRep', 'customers')).toEqual({ target: 'Customer', many: true, on: [['id', 'rep_id']] });
    expect(rel(registry, 'Customer', 'orders')).toEqual({ target: 'Order', many: true, on: [['id', 'customer_id']] });
    // A column called `customer` takes the name: the relationship gets a suffix.
    expect(rel(registry, 'Order', 'customerRel')).toEqual({ target: 'Customer', many: false, on: [['customer_id', 'id']] });
    expect(registry.entity('Order').fields.get('customer')!.type).toBe('String');
    // Two references to one table and a self reference are named after their columns.
    expect(rel(registry, 'Order', 'billingAddress')).toEqual({ target: 'Address', many: false, on: [['billing_address_id', 'id']] });
    expect(rel(registry, 'Order', 'shippingAddress')).toEqual({ target: 'Address', many: false, on: [['shipping_address_id', 'id']] });
    expect(rel(registry, 'Address', 'ordersByBillingAddress')).toEqual({ target: 'Order', many: true, on: [['id', 'billing_address_id']] });
    expect(rel(registry, 'Address', 'ordersByShippingAddress')).toEqual({ target: 'Order', many: true, on: [['id', 'shipping_address_id']] });
    expect(rel(registry, 'SalesRep', 'manager')).toEqual({ target: 'SalesRep', many: false, on: [['manager_id', 'id']] });
    expect(rel(registry, 'SalesRep', 'salesRepsByManager')).toEqual({ target: 'SalesRep', many: true, on: [['id', 'manager_id']] });
    // The referencing column is the key: one-to-one.
    expect(registry.entity('CustomerProfile').key).toBe('customer_id');
    expect(rel(registry, 'Customer', 'customerProfile')).toEqual({ target: 'CustomerProfile', many: false, on: [['id', 'customer_id']] });
    expect(rel(registry, 'CustomerProfile', 'customer')).toEqual({ target: 'Customer', many: false, on: [['customer_id', 'id']] });
    expect([...registry.entity('Order').relationships.keys()].sort()).toEqual(['billingAddress', 'customerRel', 'shippingAddress']);

    // A table named in the plural keeps its plural; a view gets `id` as its (guessed) key.
    expect(registry.entity('Person')).toMatchObject({ table: 'people', singular: 'person', plural: 'people' });
    expect(registry.entity('CustomerTotal')).toMatchObject({ table: 'customer_totals', key: 'id', description: 'Revenue per customer.' });
    expect(draft.text).toMatch(/table: customer_totals # a view/);
    expect(draft.text).toMatch(/key: id # guessed/);

    // Every supported type becomes a field; unsupported ones are left out, said in a comment and a warning.
    const zooTypes = fieldTypes(registry, 'TypeZoo');
    for (const [col, [dbType, type]] of Object.entries({ ...POSTGRES_ZOO, c_citext: ['citext', 'String'] as const })) {
      expect([col, zooTypes[col]]).toEqual([col, type]);
      if (!type) {
        expect(draft.text).toContain(`# ${col}: unsupported type ${dbType}: column left out`);
        expect(draft.warnings).toContain(`type_zoo.${col}: unsupported type ${dbType}, column left out`);
      }
    }
    expect(registry.entity('TypeZoo').fields.get('c_int2')!.nullable).toBe(false);
    expect(draft.warnings).toContain('orders.scan: unsupported type bytea, column left out');

    // Tables without a usable key are left out, with the reason.
    expect(draft.warnings).toEqual(
      expect.arrayContaining([
        'order_lines: composite primary key (order_id, line_no) and no id column, table left out (add it by hand with a key)',
        'audit_events: no primary key and no id column, table left out (add it by hand with a key)',
        'order_counts: views have no primary key and this one has no id column, view left out (add it by hand with a key)',
      ]),
    );
    expect(draft.text).toContain('#   order_lines: composite primary key (order_id, line_no) and no id column');
    expect(draft.text).toContain('# TODO: description, owner steward, tags\nCustomer:');
  });

  test('reads another schema when asked, and says which references lead out of it', async () => {
    const other = await introspectDatabase('postgres', adapter.knex, { schema: 'other' });
    expect(other.tables).toEqual([
      {
        name: 'things',
        schema: 'other',
        kind: 'table',
        columns: [
          { name: 'id', dbType: 'integer', nullable: false, fieldType: 'Int' },
          { name: 'customer_id', dbType: 'integer', nullable: true, fieldType: 'Int' },
          { name: 'label', dbType: 'text', nullable: true, fieldType: 'String' },
        ],
        primaryKey: ['id'],
        foreignKeys: [{ columns: ['customer_id'], refTable: 'customers', refSchema: 'public', refColumns: ['id'] }],
      },
    ]);
    const { draft, registry } = renderAndLoad(other, 'crm');
    expect(registry.entity('Thing')).toMatchObject({ table: 'things', schema: 'other', owner: {} });
    expect(registry.entity('Thing').relationships.size).toBe(0);
    expect(draft.warnings).toEqual(['things(customer_id) → public.customers: references a table outside schema other, relationship left out']);
  });
}
