import { entityNameOf, fieldNameOf, pluralOverride, singularize } from '../../src/sources/introspect/naming';
import type { IntrospectedColumn, IntrospectedSource, IntrospectedTable } from '../../src/sources/introspect';
import { rel, renderAndLoad } from './roundTrip';

const col = (name: string, fieldType?: IntrospectedColumn['fieldType'], extra: Partial<IntrospectedColumn> = {}): IntrospectedColumn => ({
  name,
  dbType: fieldType ? fieldType.toLowerCase() : 'geometry',
  nullable: true,
  ...(fieldType ? { fieldType } : { unknownType: true }),
  ...extra,
});
const tbl = (name: string, columns: IntrospectedColumn[], extra: Partial<IntrospectedTable> = {}): IntrospectedTable => ({
  name,
  kind: 'table',
  columns,
  primaryKey: ['id'],
  foreignKeys: [],
  ...extra,
});
const source = (...tables: IntrospectedTable[]): IntrospectedSource => ({ engine: 'postgres', schema: 'public', tables });

describe('names', () => {
  test.each([
    ['order_lines', 'OrderLine'], ['categories', 'Category'], ['addresses', 'Address'], ['people', 'Person'], ['sales_reps', 'SalesRep'],
    ['customers', 'Customer'], ['customer', 'Customer'], ['statuses', 'Status'], ['status', 'Status'], ['boxes', 'Box'], ['branches', 'Branch'],
    ['warehouses', 'Warehouse'], ['analyses', 'Analysis'], ['data', 'Data'], ['OrderLines', 'OrderLine'], ['order-lines', 'OrderLine'],
    ['HTTPLogs', 'HttpLog'], ['2024_sales', 'T2024Sale'], ['___', 'Table'], ['type_zoo', 'TypeZoo'],
  ])('table %s → entity %s', (table, entity) => {
    expect(entityNameOf(table)).toBe(entity);
  });

  test('singularize leaves singular words alone', () => {
    for (const w of ['address', 'status', 'analysis', 'order', 'news', 'series']) expect(singularize(w)).toBe(w);
  });

  test('a plural table name becomes `plural:` only where the default plural differs', () => {
    expect(pluralOverride('people', 'Person')).toBe('people');
    expect(pluralOverride('customers', 'Customer')).toBeUndefined();
    expect(pluralOverride('order_lines', 'OrderLine')).toBeUndefined();
    expect(pluralOverride('customer', 'Customer')).toBeUndefined();
  });

  test('column names that are not GraphQL names get a field name and keep their column', () => {
    expect(fieldNameOf('created_at')).toBe('created_at');
    expect(fieldNameOf('First Name')).toBe('First_Name');
    expect(fieldNameOf('order-date')).toBe('order_date');
    expect(fieldNameOf('_hidden')).toBe('hidden');
    expect(fieldNameOf('2fa')).toBe('f_2fa');
    expect(fieldNameOf('é')).toBe('f_column');
  });
});

describe('toModelYaml', () => {
  test('odd column names load, with `column:`', () => {
    const { registry, draft } = renderAndLoad(source(tbl('things', [col('id', 'Int'), col('First Name', 'String'), col('First_Name', 'String'), col('2fa', 'Boolean')])), 'src');
    const fields = [...registry.entity('Thing').fields.values()].map((f) => [f.name, f.column]);
    expect(fields).toEqual([['id', 'id'], ['First_Name', 'First Name'], ['First_Name2', 'First_Name'], ['f_2fa', '2fa']]);
    expect(draft.text).toContain('column: First Name');
  });

  test('key: the primary key, else an `id` column (said to be a guess), else the table is left out', () => {
    const { registry, draft } = renderAndLoad(
      source(
        tbl('a_rows', [col('id', 'Int'), col('code', 'String')], { primaryKey: ['code'] }),
        tbl('b_rows', [col('id', 'String'), col('x', 'Int'), col('y', 'Int')], { primaryKey: ['x', 'y'] }),
        tbl('c_rows', [col('shape'), col('id', 'Int')], { primaryKey: ['shape'] }),
        tbl('d_rows', [col('shape'), col('n', 'Int')], { primaryKey: ['shape'] }),
        tbl('e_rows', [col('id', 'JSON'), col('n', 'Int')], { primaryKey: [] }),
      ),
      'src',
    );
    expect(registry.entity('ARow').key).toBe('code');
    expect(registry.entity('BRow').key).toBe('id');
    expect(registry.entity('CRow').key).toBe('id');
    expect([...registry.entities.keys()]).toEqual(['ARow', 'BRow', 'CRow']);
    expect(draft.text).toMatch(/BRow:\n(.*\n)*?  key: id # guessed: the table has no single-column primary key; check id is unique/);
    expect(draft.warnings).toEqual([
      'c_rows.shape: unsupported type geometry, column left out',
      'd_rows.shape: unsupported type geometry, column left out',
      'd_rows: primary key shape has an unsupported type (geometry) and no id column, table left out (add it by hand with a key)',
      'e_rows: no primary key and no id column, table left out (add it by hand with a key)',
    ]);
  });

  test('entity names stay unique and clear of the built-in root fields', () => {
    const { registry } = renderAndLoad(
      source(tbl('order', [col('id', 'Int')]), tbl('orders', [col('id', 'Int')]), tbl('nodes', [col('id', 'Int')]), tbl('sources', [col('id', 'Int')])),
      'src',
    );
    expect([...registry.entities.values()].map((e) => [e.name, e.table]).sort()).toEqual([
      ['NodeRecord', 'nodes'],
      ['Order', 'order'],
      ['OrderRecord', 'orders'],
      ['SourceRecord', 'sources'],
    ]);
    expect(registry.entity('OrderRecord').plural).toBe('orderRecords');
  });

  test('composite foreign keys, references to a left-out table, relationship names that collide', () => {
    const { registry, draft } = renderAndLoad(
      source(
        tbl('shipments', [col('id', 'Int'), col('order_id', 'Int'), col('line_no', 'Int'), col('orders', 'String')], {
          foreignKeys: [{ columns: ['order_id', 'line_no'], refTable: 'order_lines', refColumns: ['order_id', 'line_no'] }],
        }),
        tbl('order_lines', [col('id', 'Int'), col('order_id', 'Int'), col('line_no', 'Int'), col('shipments', 'Int'), col('shipmentsRel', 'Int')], {
          foreignKeys: [{ columns: ['order_id'], refTable: 'orders', refColumns: ['id'] }],
        }),
        tbl('pictures', [col('id', 'Int'), col('line_id', 'Int'), col('blob')], {
          foreignKeys: [
            { columns: ['line_id'], refTable: 'order_lines', refColumns: ['id'] },
            { columns: ['blob'], refTable: 'order_lines', refColumns: ['id'] },
          ],
        }),
      ),
      'src',
    );
    expect(rel(registry, 'Shipment', 'orderLine')).toEqual({ target: 'OrderLine', many: false, on: [['order_id', 'order_id'], ['line_no', 'line_no']] });
    // `shipments` and `shipmentsRel` are fields of OrderLine already.
    expect(rel(registry, 'OrderLine', 'shipmentsRel2')).toEqual({ target: 'Shipment', many: true, on: [['order_id', 'order_id'], ['line_no', 'line_no']] });
    // No `orders` table: no relationship, no entity.
    expect([...registry.entity('OrderLine').relationships.keys()].sort()).toEqual(['picturesByLine', 'shipmentsRel2']);
    expect(rel(registry, 'Picture', 'line')).toEqual({ target: 'OrderLine', many: false, on: [['line_id', 'id']] });
    expect(draft.warnings).toContain('pictures(blob) → order_lines: a key column has an unsupported type, relationship left out');
  });

  test('a YAML file a person can read: TODO per entity, owner, descriptions, aligned fields, trailing comments', () => {
    const { draft } = renderAndLoad(
      source(
        tbl('customers', [col('id', 'Int', { nullable: false }), col('name', 'String', { nullable: false, comment: 'Full name: "quoted".' }), col('shape')], {
          comment: 'People we sell to.',
        }),
      ),
      'crm',
      'crm-team',
    );
    expect(draft.text).toBe(
      [
        '# Draft model of source "crm" (PostgreSQL, schema public), written by `datagate introspect crm`.',
        '# Review it before use: entity and relationship names, descriptions, owners, tags, retention and checks.',
        '',
        '# TODO: description, owner steward, tags',
        'Customer:',
        '  source: crm',
        '  table: customers',
        '  key: id',
        '  description: People we sell to.',
        '  owner: { team: crm-team }',
        '  fields:',
        '    id:   { type: Int }',
        `    name: { type: String, nullable: false, description: 'Full name: "quoted".' }`,
        '    # shape: unsupported type geometry: column left out',
        '',
      ].join('\n'),
    );
  });
});

test('a decimal column with a declared scale keeps it in the draft, so doubles print with it', () => {
  const { registry } = renderAndLoad(
    source(tbl('invoices', [col('id', 'Int'), col('total', 'Decimal', { dbType: 'numeric(12,2)' }), col('rate', 'Decimal', { dbType: 'decimal(9, 4)' }), col('any', 'Decimal', { dbType: 'numeric' })])),
    'billing',
  );
  const f = registry.entity('Invoice').fields;
  expect([f.get('total')!.scale, f.get('rate')!.scale, f.get('any')!.scale]).toEqual([2, 4, undefined]);
});
