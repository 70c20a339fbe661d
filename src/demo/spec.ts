/**
 * The demo deployment's tables, as data: DDL (`tables.ts`), value encoding (`seed.ts`) and the tests
 * all read this one declaration, so a column added here reaches all three.
 */

export const DEMO_SOURCES = ['crm', 'sales', 'marketing'] as const;
export type DemoSource = (typeof DEMO_SOURCES)[number];

export type DemoTableName =
  | 'sales_reps'
  | 'customers'
  | 'products'
  | 'orders'
  | 'order_lines'
  | 'campaigns'
  | 'leads'
  | 'consents';

export type ColumnKind =
  | 'id' // integer primary key (auto-increment, but the demo always inserts explicit ids)
  | 'int'
  | 'string'
  | 'decimal' // decimal(12,2); generated as a string with two decimals: "1234.50"
  | 'timestamp' // instant, generated as a Date; PG timestamptz(3), MySQL datetime(3) in UTC, SQLite ISO-8601 text
  | 'date' // calendar date, generated as "YYYY-MM-DD"
  | 'boolean'
  | 'json'; // generated as a plain object

export interface ColumnSpec {
  readonly name: string;
  readonly kind: ColumnKind;
  readonly nullable?: boolean;
  /** varchar length for `string` columns. */
  readonly length?: number;
  /** Foreign key to a table of the same source. */
  readonly references?: { readonly table: string; readonly column: string };
  readonly index?: boolean;
  readonly unique?: boolean;
  readonly comment: string;
}

export interface TableSpec {
  readonly name: DemoTableName;
  readonly source: DemoSource;
  readonly comment: string;
  readonly columns: readonly ColumnSpec[];
  /** Composite unique constraints. */
  readonly uniques?: readonly (readonly string[])[];
}

const t = (name: DemoTableName, source: DemoSource, comment: string, columns: ColumnSpec[], uniques?: string[][]): TableSpec => ({
  name,
  source,
  comment,
  columns,
  uniques,
});

/** Tables in creation order: a table comes after the tables it references. */
export const DEMO_TABLES: readonly TableSpec[] = [
  t('sales_reps', 'crm', 'Account managers; each covers one region.', [
    { name: 'id', kind: 'id', comment: 'Sales rep number (also the employee id used by policies)' },
    { name: 'name', kind: 'string', length: 120, comment: 'Full name' },
    { name: 'email', kind: 'string', length: 200, unique: true, comment: 'Work email address' },
    { name: 'region', kind: 'string', length: 8, index: true, comment: 'Region covered: EU, NA, APAC or LATAM' },
    { name: 'hired_at', kind: 'date', comment: 'First working day' },
  ]),
  t('customers', 'crm', 'People we sell to.', [
    { name: 'id', kind: 'id', comment: 'Customer number' },
    { name: 'name', kind: 'string', length: 120, comment: 'Full name' },
    { name: 'email', kind: 'string', length: 200, nullable: true, index: true, comment: 'Contact email; null when never given' },
    { name: 'phone', kind: 'string', length: 32, nullable: true, comment: 'Contact phone in international format' },
    { name: 'region', kind: 'string', length: 8, index: true, comment: 'Sales region: EU, NA, APAC or LATAM' },
    { name: 'segment', kind: 'string', length: 16, index: true, comment: 'SMB, Mid-Market or Enterprise' },
    {
      name: 'rep_id',
      kind: 'int',
      nullable: true,
      references: { table: 'sales_reps', column: 'id' },
      index: true,
      comment: 'Account manager; null for self-service customers',
    },
    { name: 'created_at', kind: 'timestamp', index: true, comment: 'When the customer record was created' },
    { name: 'updated_at', kind: 'timestamp', index: true, comment: 'Last change to the record' },
  ]),
  t('products', 'sales', 'Catalogue of things we sell.', [
    { name: 'id', kind: 'id', comment: 'Product number' },
    { name: 'sku', kind: 'string', length: 32, unique: true, comment: 'Stock keeping unit' },
    { name: 'name', kind: 'string', length: 120, comment: 'Display name' },
    { name: 'category', kind: 'string', length: 32, index: true, comment: 'Catalogue category' },
    { name: 'price', kind: 'decimal', comment: 'List price in EUR' },
    { name: 'active', kind: 'boolean', comment: 'Still on sale' },
  ]),
  t('orders', 'sales', 'Customer orders; amount is the sum of the lines.', [
    { name: 'id', kind: 'id', comment: 'Order number' },
    { name: 'customer_id', kind: 'int', index: true, comment: 'Customer (crm.customers.id, another database)' },
    { name: 'amount', kind: 'decimal', comment: 'Order total in EUR' },
    { name: 'status', kind: 'string', length: 16, index: true, comment: 'pending, paid, shipped, cancelled or refunded' },
    { name: 'created_at', kind: 'timestamp', index: true, comment: 'When the order was placed' },
  ]),
  t('order_lines', 'sales', 'One product on an order.', [
    { name: 'id', kind: 'id', comment: 'Line number' },
    { name: 'order_id', kind: 'int', references: { table: 'orders', column: 'id' }, index: true, comment: 'Order' },
    { name: 'product_id', kind: 'int', references: { table: 'products', column: 'id' }, index: true, comment: 'Product' },
    { name: 'quantity', kind: 'int', comment: 'Units ordered' },
    { name: 'unit_price', kind: 'decimal', comment: 'Price per unit in EUR after discount' },
  ]),
  t('campaigns', 'marketing', 'Marketing campaigns.', [
    { name: 'id', kind: 'id', comment: 'Campaign number' },
    { name: 'name', kind: 'string', length: 120, comment: 'Campaign name' },
    { name: 'channel', kind: 'string', length: 16, index: true, comment: 'email, social, search, events or display' },
    { name: 'budget', kind: 'decimal', comment: 'Budget in EUR' },
    { name: 'starts_at', kind: 'timestamp', comment: 'Start of the campaign' },
    { name: 'ends_at', kind: 'timestamp', comment: 'End of the campaign' },
    { name: 'attributes', kind: 'json', comment: 'Targeting and tracking settings' },
  ]),
  t('leads', 'marketing', 'People who responded to a campaign.', [
    { name: 'id', kind: 'id', comment: 'Lead number' },
    {
      name: 'customer_id',
      kind: 'int',
      nullable: true,
      index: true,
      comment: 'Matching customer (crm.customers.id, another database); null for prospects',
    },
    { name: 'campaign_id', kind: 'int', references: { table: 'campaigns', column: 'id' }, index: true, comment: 'Campaign' },
    { name: 'email', kind: 'string', length: 200, comment: 'Email the lead gave' },
    { name: 'score', kind: 'int', comment: 'Lead score, 0 to 100' },
    { name: 'status', kind: 'string', length: 16, index: true, comment: 'new, contacted, qualified, converted or disqualified' },
    { name: 'created_at', kind: 'timestamp', index: true, comment: 'When the lead came in' },
  ]),
  t(
    'consents',
    'marketing',
    'Marketing consent per customer and channel.',
    [
      { name: 'id', kind: 'id', comment: 'Consent record number' },
      // Indexed through the unique (customer_id, channel) below.
      { name: 'customer_id', kind: 'int', comment: 'Customer (crm.customers.id, another database)' },
      { name: 'channel', kind: 'string', length: 16, comment: 'email, sms, phone or post' },
      { name: 'granted', kind: 'boolean', comment: 'Whether the customer agreed' },
      { name: 'updated_at', kind: 'timestamp', index: true, comment: 'When the customer last decided' },
    ],
    [['customer_id', 'channel']],
  ),
];

export function demoTablesOf(source: DemoSource): TableSpec[] {
  return DEMO_TABLES.filter((s) => s.source === source);
}

export function demoTable(name: string): TableSpec {
  const spec = DEMO_TABLES.find((s) => s.name === name);
  if (!spec) throw new Error(`unknown demo table "${name}" (known: ${DEMO_TABLES.map((s) => s.name).join(', ')})`);
  return spec;
}
