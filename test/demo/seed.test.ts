/**
 * Seeds every demo source into each real database the project supports and checks that what landed is
 * exactly what the generator made: counts, contents (dialect-independent checksums), references, and
 * the DDL the introspection layer will read (types, comments, constraints).
 */
import type { Knex } from 'knex';
import { createDemoDataset } from '../../src/demo/generate';
import { seedDemoSource, type SeedResult } from '../../src/demo/seed';
import { DEMO_SOURCES, DEMO_TABLES, type DemoSource } from '../../src/demo/spec';
import { demoDialectOf } from '../../src/demo/tables';
import { databaseDigest, generatedDigest, type TableDigest } from './checksum';
import { ALL_DATABASES, type DemoTestDatabase } from './databases';

const SCALE = 0.05;

async function count(q: Knex.QueryBuilder): Promise<number> {
  const [row] = (await q.count({ n: '*' })) as { n: number | string }[];
  return Number(row.n); // pg gives a string
}

/** Rows of `child` whose non-null `column` points at no row of `parent`. */
function orphans(knex: Knex, child: string, column: string, parent: string): Promise<number> {
  return count(knex(child).leftJoin(parent, `${child}.${column}`, `${parent}.id`).whereNotNull(`${child}.${column}`).whereNull(`${parent}.id`));
}

async function digests(knex: Knex): Promise<Record<string, TableDigest>> {
  const out: Record<string, TableDigest> = {};
  for (const spec of DEMO_TABLES) out[spec.name] = await databaseDigest(knex, spec);
  return out;
}

describe.each(ALL_DATABASES)('demo seed on %s', (_name, open) => {
  let db: DemoTestDatabase;
  let knex: Knex;
  const seeded: Partial<Record<DemoSource, SeedResult>> = {};

  beforeAll(async () => {
    db = await open();
    knex = db.knex;
    // All three sources into one database: cross-source references become checkable joins.
    for (const source of DEMO_SOURCES) seeded[source] = await seedDemoSource(knex, source, { scale: SCALE });
  }, 120_000);

  afterAll(async () => {
    await db?.close();
  });

  test('every table has the generated number of rows', async () => {
    const data = createDemoDataset({ scale: SCALE });
    expect(data.sizes).toMatchObject({ customers: 100, orders: 1000, leads: 250, salesReps: 20, products: 200, campaigns: 12 });
    for (const spec of DEMO_TABLES) {
      let expected = 0;
      for (const chunk of data.chunks(spec.name)) expected += chunk.length;
      expect({ table: spec.name, reported: seeded[spec.source]!.tables[spec.name] }).toEqual({ table: spec.name, reported: expected });
      expect({ table: spec.name, rows: await count(knex(spec.name)) }).toEqual({ table: spec.name, rows: expected });
    }
  });

  test('the stored rows are exactly the generated rows', async () => {
    const stored = await digests(knex);
    for (const spec of DEMO_TABLES) expect({ table: spec.name, ...stored[spec.name] }).toEqual({ table: spec.name, ...generatedDigest(spec, { scale: SCALE }) });
  });

  test('seeding again gives identical rows', async () => {
    const before = await digests(knex);
    for (const source of DEMO_SOURCES) await seedDemoSource(knex, source, { scale: SCALE, chunkRows: 37 });
    expect(await digests(knex)).toEqual(before);
  });

  test('references point at existing rows, within and across sources', async () => {
    expect({
      'customers.rep_id': await orphans(knex, 'customers', 'rep_id', 'sales_reps'),
      'orders.customer_id': await orphans(knex, 'orders', 'customer_id', 'customers'),
      'order_lines.order_id': await orphans(knex, 'order_lines', 'order_id', 'orders'),
      'order_lines.product_id': await orphans(knex, 'order_lines', 'product_id', 'products'),
      'leads.campaign_id': await orphans(knex, 'leads', 'campaign_id', 'campaigns'),
      'leads.customer_id': await orphans(knex, 'leads', 'customer_id', 'customers'),
      'consents.customer_id': await orphans(knex, 'consents', 'customer_id', 'customers'),
    }).toEqual({
      'customers.rep_id': 0,
      'orders.customer_id': 0,
      'order_lines.order_id': 0,
      'order_lines.product_id': 0,
      'leads.campaign_id': 0,
      'leads.customer_id': 0,
      'consents.customer_id': 0,
    });
    // The shapes a demo needs: customers without orders, missing emails, prospects without a customer.
    expect(await count(knex('customers').whereNotIn('id', knex('orders').select('customer_id')))).toBeGreaterThan(0);
    expect(await count(knex('customers').whereNull('email'))).toBeGreaterThan(0);
    expect(await count(knex('leads').whereNull('customer_id'))).toBeGreaterThan(0);
  });

  test('foreign keys within a source are declared (and enforced by the servers)', async () => {
    if (demoDialectOf(knex) === 'sqlite') {
      // SQLite enforces them only while a per-connection pragma is on, which knex's DDL toggles: check the declaration.
      const fks = (await knex.raw(`select "from", "table", "to" from pragma_foreign_key_list('order_lines') order by "from"`)) as Record<string, string>[];
      expect(fks).toEqual([
        { from: 'order_id', table: 'orders', to: 'id' },
        { from: 'product_id', table: 'products', to: 'id' },
      ]);
      return;
    }
    await expect(knex('order_lines').insert({ id: 9_999_999, order_id: 9_999_999, product_id: 1, quantity: 1, unit_price: '1.00' })).rejects.toThrow(
      /foreign key/i,
    );
  });

  test('a row inserted without an id gets the next id', async () => {
    const trx = await knex.transaction();
    try {
      const row = { name: 'Test Rep', email: 'test.rep@sales.example.com', region: 'EU', hired_at: '2026-01-05' };
      const result = demoDialectOf(knex) === 'mysql' ? await trx('sales_reps').insert(row) : await trx('sales_reps').insert(row).returning('id');
      const id = typeof result[0] === 'object' ? (result[0] as { id: number }).id : result[0];
      expect(Number(id)).toBe(21);
    } finally {
      await trx.rollback();
    }
  });

  test('columns have real types, and comments where the dialect keeps them', async () => {
    const dialect = demoDialectOf(knex);
    if (dialect === 'postgres') {
      const cols = (
        await knex.raw(
          `select table_name, column_name, data_type, numeric_precision, numeric_scale, datetime_precision,
                  col_description((table_schema || '.' || table_name)::regclass, ordinal_position) as comment
             from information_schema.columns
            where table_schema = current_schema() and table_name in ('orders', 'sales_reps', 'campaigns', 'products')`,
        )
      ).rows as Record<string, unknown>[];
      const col = (t: string, c: string) => cols.find((r) => r.table_name === t && r.column_name === c);
      expect(col('orders', 'amount')).toMatchObject({ data_type: 'numeric', numeric_precision: 12, numeric_scale: 2, comment: 'Order total in EUR' });
      expect(col('orders', 'created_at')).toMatchObject({ data_type: 'timestamp with time zone', datetime_precision: 3 });
      expect(col('sales_reps', 'hired_at')).toMatchObject({ data_type: 'date' });
      expect(col('campaigns', 'attributes')).toMatchObject({ data_type: 'json' });
      expect(col('products', 'active')).toMatchObject({ data_type: 'boolean' });
      const { rows } = await knex.raw(`select obj_description('customers'::regclass, 'pg_class') as comment`);
      expect(rows[0].comment).toBe('People we sell to.');
    } else if (dialect === 'mysql') {
      const [cols] = await knex.raw(
        `select table_name as t, column_name as c, column_type as type, column_comment as comment
           from information_schema.columns where table_schema = database()`,
      );
      const col = (t: string, c: string) => (cols as Record<string, unknown>[]).find((r) => r.t === t && r.c === c);
      expect(col('orders', 'amount')).toMatchObject({ type: 'decimal(12,2)', comment: 'Order total in EUR' });
      expect(col('orders', 'created_at')).toMatchObject({ type: 'datetime(3)' });
      expect(col('sales_reps', 'hired_at')).toMatchObject({ type: 'date' });
      expect(col('products', 'active')).toMatchObject({ type: 'tinyint(1)' });
      const [tables] = await knex.raw(`select table_comment as comment from information_schema.tables where table_schema = database() and table_name = 'customers'`);
      expect(tables[0].comment).toBe('People we sell to.');
    } else {
      const cols = (await knex.raw(`select name, type from pragma_table_info('orders')`)) as { name: string; type: string }[];
      expect(Object.fromEntries(cols.map((c) => [c.name, c.type]))).toEqual({
        id: 'INTEGER',
        customer_id: 'INTEGER',
        amount: 'decimal(12,2)',
        status: 'varchar(16)',
        created_at: 'datetime',
      });
    }
  });
});
