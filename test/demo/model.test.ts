/**
 * The demo model (schema/*.yaml) must describe the demo tables (src/demo/spec.ts) exactly: same tables,
 * fields = columns, matching types and nullability, relationships in both directions, catalog facts on
 * every entity, and retention that keeps every demo row.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config';
import { loadModel } from '../../src/model';
import { createDemoDataset, DEMO_REFERENCE_DATE } from '../../src/demo/generate';
import { type ColumnKind, DEMO_TABLES, type DemoTableName, demoTable } from '../../src/demo/spec';

const ROOT = path.join(__dirname, '../..');
const SCHEMA_DIR = path.join(ROOT, 'schema');

interface FieldDoc {
  type: string;
  column?: string;
  description?: string;
  tags?: string[];
  nullable?: boolean;
}
interface EntityDoc {
  source: string;
  table: string;
  key: string;
  description?: string;
  owner?: { team?: string; steward?: string };
  tags?: string[];
  retention?: { column: string; keep: string };
  checks?: unknown[];
  fields: Record<string, FieldDoc>;
  relationships?: Record<string, { entity: string; many: boolean; on: Record<string, string> }>;
}

const files = readdirSync(SCHEMA_DIR).filter((f) => f.endsWith('.yaml'));
const entities = new Map<string, EntityDoc & { file: string }>();
for (const f of files)
  for (const [name, e] of Object.entries(parse(readFileSync(path.join(SCHEMA_DIR, f), 'utf8')) as Record<string, EntityDoc>))
    entities.set(name, { ...e, file: f });

const TYPES_BY_KIND: Record<ColumnKind, string[]> = {
  id: ['Int', 'ID'],
  int: ['Int', 'ID'],
  string: ['String'],
  decimal: ['Decimal'],
  timestamp: ['DateTime'],
  date: ['Date'],
  boolean: ['Boolean'],
  json: ['JSON'],
};

test('one file per source, and every demo table has exactly one entity', () => {
  expect(files.sort()).toEqual(['crm.yaml', 'marketing.yaml', 'sales.yaml']);
  for (const e of entities.values()) expect(`${e.source}.yaml`).toBe(e.file);
  expect([...entities.values()].map((e) => e.table).sort()).toEqual(DEMO_TABLES.map((t) => t.name).sort());
});

test.each([...entities.keys()])('%s: fields are the columns, with matching types and nullability', (name) => {
  const e = entities.get(name)!;
  const spec = demoTable(e.table);
  expect(e.source).toBe(spec.source);
  expect(Object.keys(e.fields).map((f) => e.fields[f].column ?? f).sort()).toEqual(spec.columns.map((c) => c.name).sort());
  for (const [fname, f] of Object.entries(e.fields)) {
    const col = spec.columns.find((c) => c.name === (f.column ?? fname))!;
    expect({ field: fname, typeOk: TYPES_BY_KIND[col.kind].includes(f.type) }).toEqual({ field: fname, typeOk: true });
    if (fname !== e.key) expect({ field: fname, nullable: f.nullable ?? true }).toEqual({ field: fname, nullable: !!col.nullable });
    expect({ field: fname, described: !!f.description }).toEqual({ field: fname, described: true });
    if (f.type === 'Decimal') expect(f.tags).toContain('financial');
  }
  expect(e.description).toBeTruthy();
  expect(e.owner?.team).toBeTruthy();
  expect(e.owner?.steward).toMatch(/@example\.com$/);
});

test('people’s names, emails and phones are tagged pii', () => {
  for (const [entity, field] of [
    ['Customer', 'name'],
    ['Customer', 'email'],
    ['Customer', 'phone'],
    ['SalesRep', 'name'],
    ['SalesRep', 'email'],
    ['Lead', 'email'],
  ])
    expect({ entity, field, tags: entities.get(entity)!.fields[field].tags ?? [] }).toEqual({ entity, field, tags: expect.arrayContaining(['pii']) });
});

test('the relationships of the brief exist, and each has its inverse', () => {
  const expected = [
    'Customer.orders>Order', 'Customer.rep>SalesRep', 'Customer.leads>Lead', 'Customer.consents>Consent', 'SalesRep.customers>Customer',
    'Order.customer>Customer', 'Order.lines>OrderLine', 'OrderLine.order>Order', 'OrderLine.product>Product', 'Product.lines>OrderLine',
    'Campaign.leads>Lead', 'Lead.campaign>Campaign', 'Lead.customer>Customer', 'Consent.customer>Customer',
  ];
  const declared = [...entities].flatMap(([name, e]) => Object.entries(e.relationships ?? {}).map(([r, rel]) => `${name}.${r}>${rel.entity}`));
  expect(declared.sort()).toEqual(expected.sort());
  for (const [name, e] of entities)
    for (const [r, rel] of Object.entries(e.relationships ?? {})) {
      const target = entities.get(rel.entity)!;
      const inverse = Object.values(target.relationships ?? {}).find(
        (back) => back.entity === name && Object.entries(back.on).every(([l, rf]) => rel.on[rf] === l) && back.many !== rel.many,
      );
      expect({ relationship: `${name}.${r}`, inverse: !!inverse }).toEqual({ relationship: `${name}.${r}`, inverse: true });
    }
});

test('datagate.yaml and the model load with the gateway’s own loaders', () => {
  const { config } = loadConfig(path.join(ROOT, 'datagate.yaml'), {});
  expect(Object.keys(config.sources).sort()).toEqual(['crm', 'marketing', 'sales']);
  expect(config.demo.seed).toBe(true);
  const registry = loadModel(SCHEMA_DIR, Object.keys(config.sources));
  expect([...registry.entities.keys()].sort()).toEqual([...entities.keys()].sort());
});

test('retention keeps every demo row for at least a year after the reference date', () => {
  const { config } = loadConfig(path.join(ROOT, 'datagate.yaml'), {});
  const registry = loadModel(SCHEMA_DIR, Object.keys(config.sources));
  const withRetention = [...registry.entities.values()].filter((e) => e.retention);
  expect(withRetention.length).toBeGreaterThan(0);
  const oneYearLater = DEMO_REFERENCE_DATE.getTime() + 365 * 86_400_000;
  for (const e of withRetention) {
    const column = e.fields.get(e.retention!.column)!.column;
    let oldest = Infinity;
    for (const row of createDemoDataset({ scale: 1 }).rows(e.table as DemoTableName)) oldest = Math.min(oldest, (row[column] as Date).getTime());
    expect({ entity: e.name, keptOneYearLater: oneYearLater - oldest < e.retention!.keepMs }).toEqual({ entity: e.name, keptOneYearLater: true });
  }
});
