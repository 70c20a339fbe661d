import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Knex } from 'knex';
import { createGateway, type Gateway } from '../../src/server';
import type { SourceAdapter } from '../../src/sources';

/**
 * A small federated deployment for the behavioural suite: `crm` (customers, reps) and
 * `sales` (orders, lines, products) in two databases. Data is generated deterministically
 * here, so tests compute expected answers from these arrays (an oracle independent of SQL).
 */
export interface Customer { id: number; name: string; email: string | null; region: string | null; score: number | null; balance: string | null; vip: boolean; created_at: Date; rep_id: number | null }
export interface Rep { id: number; name: string; region: string }
export interface Order { id: number; customer_id: number; amount: string; status: string; created_at: Date }
export interface Line { id: number; order_id: number; product_id: number; qty: number }
export interface Product { id: number; name: string; price: string }

export const SPECIAL_NAMES: Record<number, string> = {
  1: `O'Brien "Quote"`,
  2: '100% Pure_Name',
  3: 'Back\\slash',
  4: 'Emoji 😀 Ltd',
  5: 'Ünïcode Straße',
};

export function fixtureData() {
  const regions = ['EU', 'NA', 'APAC', 'LATAM'];
  const statuses = ['pending', 'paid', 'shipped', 'cancelled'];
  const reps: Rep[] = ['Ana', 'Ben', 'Cleo', 'Dan'].map((name, i) => ({ id: i + 1, name, region: regions[i] }));
  const customers: Customer[] = [];
  const orders: Order[] = [];
  const lines: Line[] = [];
  const products: Product[] = Array.from({ length: 10 }, (_, i) => ({ id: i + 1, name: `product ${i + 1}`, price: `${(i + 1) * 3}.25` }));
  for (let i = 1; i <= 120; i++) {
    const created = new Date(Date.UTC(2025, 0, 1) + i * 86_400_000 + i * 17 * 60_000 + ((i * 7) % 1000));
    customers.push({
      id: i,
      name: SPECIAL_NAMES[i] ?? `customer ${String(i).padStart(3, '0')}`,
      email: i % 7 === 0 ? null : `c${i}@example.com`,
      region: i % 11 === 0 ? null : regions[i % 4],
      score: i % 5 === 0 ? null : (i * 37) % 100,
      balance: i % 13 === 0 ? null : (((i * 12345) % 100000) / 100).toFixed(2),
      vip: i % 3 === 0,
      created_at: created,
      rep_id: i % 6 === 0 ? null : (i % 4) + 1,
    });
    for (let k = 0; k < i % 5; k++) {
      const id = orders.length + 1;
      orders.push({
        id,
        customer_id: i,
        amount: (((i * 997 + k * 131) % 100000) / 100).toFixed(2),
        status: statuses[(i + k) % 4],
        created_at: new Date(created.getTime() + (k + 1) * 86_400_000 + k * 1000),
      });
      for (let l = 0; l < 1 + (id % 2); l++) lines.push({ id: lines.length + 1, order_id: id, product_id: ((id + l) % 10) + 1, qty: 1 + ((id + l) % 4) });
    }
  }
  return { customers, reps, orders, lines, products };
}

export type Engine = 'postgres' | 'mysql' | 'sqlite' | 'pglite';

function engineOf(k: Knex): 'postgres' | 'mysql' | 'sqlite' {
  const d = (k.client as { dialect?: string }).dialect ?? '';
  return d.startsWith('postgres') ? 'postgres' : d.startsWith('mysql') ? 'mysql' : 'sqlite';
}

/** Values as each driver wants them bound (SQLite: ISO text and 0/1). */
function encodeRow(k: Knex, row: object): Record<string, unknown> {
  const sqlite = engineOf(k) === 'sqlite';
  return Object.fromEntries(
    Object.entries(row).map(([key, v]) => [key, sqlite && v instanceof Date ? v.toISOString() : sqlite && typeof v === 'boolean' ? (v ? 1 : 0) : v]),
  );
}

async function insert(k: Knex, table: string, rows: object[]): Promise<void> {
  for (let i = 0; i < rows.length; i += 200) await k(table).insert(rows.slice(i, i + 200).map((r) => encodeRow(k, r)));
}

function timestamp(t: Knex.CreateTableBuilder, k: Knex, name: string) {
  return engineOf(k) === 'mysql' ? t.specificType(name, 'datetime(3)') : t.timestamp(name, { useTz: true, precision: 3 });
}

export async function createCrm(k: Knex, data = fixtureData()): Promise<void> {
  await k.schema.dropTableIfExists('customers');
  await k.schema.dropTableIfExists('reps');
  await k.schema.createTable('reps', (t) => {
    t.integer('id').primary();
    t.string('name', 100).notNullable();
    t.string('region', 20).notNullable();
  });
  await k.schema.createTable('customers', (t) => {
    t.integer('id').primary();
    t.string('name', 200).notNullable();
    t.string('email', 200).nullable();
    t.string('region', 20).nullable().index();
    t.integer('score').nullable();
    t.decimal('balance', 12, 2).nullable();
    t.boolean('vip').notNullable();
    timestamp(t, k, 'created_at').notNullable();
    t.integer('rep_id').nullable().index();
  });
  await insert(k, 'reps', data.reps);
  await insert(k, 'customers', data.customers);
}

export async function createSales(k: Knex, data = fixtureData()): Promise<void> {
  for (const t of ['order_lines', 'orders', 'products']) await k.schema.dropTableIfExists(t);
  await k.schema.createTable('products', (t) => {
    t.integer('id').primary();
    t.string('name', 100).notNullable();
    t.decimal('price', 12, 2).notNullable();
  });
  await k.schema.createTable('orders', (t) => {
    t.integer('id').primary();
    t.integer('customer_id').notNullable().index();
    t.decimal('amount', 12, 2).notNullable();
    t.string('status', 20).notNullable();
    timestamp(t, k, 'created_at').notNullable();
  });
  await k.schema.createTable('order_lines', (t) => {
    t.integer('id').primary();
    t.integer('order_id').notNullable().index();
    t.integer('product_id').notNullable();
    t.integer('qty').notNullable();
  });
  await insert(k, 'products', data.products);
  await insert(k, 'orders', data.orders);
  await insert(k, 'order_lines', data.lines);
}

export const FIXTURE_MODEL = {
  'crm.yaml': `
Customer:
  source: crm
  table: customers
  key: id
  description: Customers.
  owner: { team: crm-team }
  fields:
    id: { type: Int }
    name: { type: String, nullable: false }
    email: { type: String, tags: [pii] }
    region: { type: String }
    score: { type: Int }
    balance: { type: Decimal, scale: 2 }
    vip: { type: Boolean, nullable: false }
    created_at: { type: DateTime, nullable: false }
    rep_id: { type: Int }
  relationships:
    rep: { entity: Rep, on: { rep_id: id } }
    orders: { entity: Order, many: true, on: { id: customer_id } }
Rep:
  source: crm
  table: reps
  key: id
  fields:
    id: { type: Int }
    name: { type: String }
    region: { type: String }
  relationships:
    customers: { entity: Customer, many: true, on: { id: rep_id } }
`,
  'sales.yaml': `
Order:
  source: sales
  table: orders
  key: id
  fields:
    id: { type: Int }
    customer_id: { type: Int, nullable: false }
    amount: { type: Decimal, scale: 2, nullable: false }
    status: { type: String, nullable: false }
    created_at: { type: DateTime, nullable: false }
  relationships:
    customer: { entity: Customer, on: { customer_id: id } }
    lines: { entity: OrderLine, many: true, on: { id: order_id } }
OrderLine:
  source: sales
  table: order_lines
  key: id
  fields:
    id: { type: Int }
    order_id: { type: Int, nullable: false }
    product_id: { type: Int, nullable: false }
    qty: { type: Int, nullable: false }
  relationships:
    order: { entity: Order, on: { order_id: id } }
    product: { entity: Product, on: { product_id: id } }
Product:
  source: sales
  table: products
  key: id
  fields:
    id: { type: Int }
    name: { type: String }
    price: { type: Decimal, scale: 2 }
`,
};

/** Policies of the behavioural suites, which test reading, not access: a request without a token reads everything. */
export const OPEN_POLICIES: Record<string, string> = {
  'anonymous.yaml': `
role: anonymous
description: Test deployments only; a real deployment's anonymous role sees nothing unless a policy says so.
rules:
  - { action: [read, aggregate], subject: all }
`,
};

/**
 * An account manager's role over the fixture (rows by `rep_id = employeeId`, orders through the
 * customer), with an always-on and a conditional mask: lineage and export check what reaches the answer.
 */
export const MASKED_REP_POLICIES: Record<string, string> = {
  'rep.yaml': `
role: rep
rules:
  - { action: read, subject: Customer, fields: [id, name, email, region, vip, rep_id], conditions: { rep_id: "\${user.employeeId}" } }
  - { action: [read, aggregate], subject: Order, conditions: { "customer.rep_id": "\${user.employeeId}" } }
  - { action: read, subject: [OrderLine, Product, Rep] }
masks:
  Customer.email: email
  Customer.name: { mask: redact, unless: { vip: true } }
`,
};

/** An administrator's role: reads and aggregates everything, in clear. */
export const ADMIN_POLICY: Record<string, string> = {
  'admin.yaml': `
role: admin
rules:
  - { action: [read, aggregate], subject: all }
`,
};

/** Identity settings of test deployments: HS256 with TEST_JWT_SECRET (tokens from test/support/tokens.ts). */
export const TEST_JWT_SECRET = 'test-secret-0123456789-0123456789-abcdef';
export const TEST_IDENTITY = `identity:
  jwt: { secret: ${TEST_JWT_SECRET}, issuer: datagate-test, audience: datagate }
  claims: { attributes: { employeeId: employee_id, region: region, team: team } }
masking: { secret: test-mask-secret-0123456789 }`;

export interface SourceSpec {
  dialect: 'postgres' | 'mysql' | 'sqlite';
  url?: string;
  statementTimeout?: string;
  connectTimeout?: string;
  /** More keys of the source, each a YAML value: `{ pool: '1', breaker: '{ failures: 3, openFor: 1s }' }`. */
  options?: Record<string, string>;
}

export interface DeploymentFiles {
  model?: Record<string, string>;
  /** Policy files by file name; default: the anonymous role reads and aggregates everything (OPEN_POLICIES). */
  policies?: Record<string, string>;
  /** Extra top-level YAML appended to datagate.yaml (e.g. TEST_IDENTITY). */
  extraConfig?: string;
  limits?: Record<string, number>;
}

/** Writes datagate.yaml, the model and the policies into a fresh temp folder; returns the folder. */
export function writeDeployment(sources: Record<string, SourceSpec>, opts: DeploymentFiles = {}, prefix = 'datagate-test-'): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  mkdirSync(path.join(dir, 'schema'));
  mkdirSync(path.join(dir, 'policies'));
  for (const [f, text] of Object.entries(opts.model ?? FIXTURE_MODEL)) writeFileSync(path.join(dir, 'schema', f), text);
  for (const [f, text] of Object.entries(opts.policies ?? OPEN_POLICIES)) writeFileSync(path.join(dir, 'policies', f), text);
  const lines = ['sources:'];
  for (const [name, s] of Object.entries(sources)) {
    lines.push(`  ${name}:`, `    dialect: ${s.dialect}`);
    if (s.url) lines.push(`    url: ${JSON.stringify(s.url)}`);
    lines.push(`    statementTimeout: ${s.statementTimeout ?? '5s'}`, `    connectTimeout: ${s.connectTimeout ?? '2s'}`);
    for (const [k, v] of Object.entries(s.options ?? {})) lines.push(`    ${k}: ${v}`);
  }
  if (opts.limits) lines.push('limits:', ...Object.entries(opts.limits).map(([k, v]) => `  ${k}: ${v}`));
  if (opts.extraConfig) lines.push(opts.extraConfig);
  writeFileSync(path.join(dir, 'datagate.yaml'), lines.join('\n') + '\n');
  return dir;
}

/** Writes the deployment (writeDeployment) and starts a gateway on it on a free port. */
export async function startGateway(
  sources: Record<string, SourceSpec>,
  opts: DeploymentFiles & { prepare?: (s: ReadonlyMap<string, SourceAdapter>) => Promise<void>; fastPipeline?: boolean } = {},
): Promise<{ gw: Gateway; url: string; logs: Record<string, unknown>[]; dir: string }> {
  const dir = writeDeployment(sources, opts);
  const logs: Record<string, unknown>[] = [];
  const gw = await createGateway({ configFile: path.join(dir, 'datagate.yaml'), env: {}, log: (r) => logs.push(r), prepareSources: opts.prepare, fastPipeline: opts.fastPipeline });
  const url = await gw.listen(0, '127.0.0.1');
  return { gw, url, logs, dir };
}
