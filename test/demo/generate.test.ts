import { createDemoDataset, DEMO_REFERENCE_DATE, demoSizes, type DemoRow } from '../../src/demo/generate';
import { REGIONS } from '../../src/demo/names';
import { DEMO_TABLES, type DemoTableName } from '../../src/demo/spec';
import { generatedDigest } from './checksum';

const REF = DEMO_REFERENCE_DATE.getTime();
const DAY = 86_400_000;
const YEAR = 365 * DAY;

function all(table: DemoTableName, scale = 1): DemoRow[] {
  return [...createDemoDataset({ scale }).rows(table)];
}
const ms = (v: unknown) => (v as Date).getTime();
const cents = (v: unknown) => Math.round(Number(v) * 100);

describe('sizes', () => {
  test('scale 1 is the demo, 0.05 the tests, 50 the benchmark', () => {
    expect(demoSizes(1)).toEqual({ customers: 2000, salesReps: 20, products: 200, campaigns: 12, orders: 20000, leads: 5000 });
    expect(demoSizes(0.05)).toMatchObject({ customers: 100, orders: 1000, leads: 250 });
    expect(demoSizes(50)).toMatchObject({ customers: 100_000, orders: 1_000_000 });
    expect(() => demoSizes(0)).toThrow(/positive/);
  });

  test('a million orders stream: the first chunk comes without generating the rest', () => {
    const started = Date.now();
    const first = createDemoDataset({ scale: 50 }).chunks('order_lines', 500).next();
    expect(first.done).toBe(false);
    expect(first.value).toHaveLength(500);
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('determinism', () => {
  test('the same options give the same rows; another seed gives others', () => {
    for (const spec of DEMO_TABLES) expect(generatedDigest(spec, { scale: 0.05 })).toEqual(generatedDigest(spec, { scale: 0.05 }));
    const customers = DEMO_TABLES.find((s) => s.name === 'customers')!;
    expect(generatedDigest(customers, { scale: 0.05, seed: 7 })).not.toEqual(generatedDigest(customers, { scale: 0.05 }));
  });

  test('rows do not depend on the chunk size', () => {
    const data = createDemoDataset({ scale: 0.05 });
    for (const table of ['orders', 'order_lines', 'consents'] as const) {
      const small = [...data.chunks(table, 7)].flat();
      const big = [...data.chunks(table, 10_000)].flat();
      expect(small).toEqual(big);
    }
  });

  test('a larger scale keeps the reference tables', () => {
    const small = createDemoDataset({ scale: 0.05 });
    const large = createDemoDataset({ scale: 2 });
    for (const table of ['sales_reps', 'products', 'campaigns'] as const) expect([...large.rows(table)]).toEqual([...small.rows(table)]);
  });
});

// Each check collects the rows that break it, so a failure names them (and no expect() runs per row).
describe('realism at scale 1', () => {
  const customers = all('customers');
  const reps = all('sales_reps');
  const orders = all('orders');
  const lines = all('order_lines');
  const leads = all('leads');
  const consents = all('consents');
  const campaigns = all('campaigns');

  test('customers: emails, missing values, regions, segments, reps of their region', () => {
    const nullEmails = customers.filter((c) => c.email === null).length / customers.length;
    expect(nullEmails).toBeGreaterThan(0.01);
    expect(nullEmails).toBeLessThan(0.035);
    expect(customers.filter((c) => c.phone === null).length).toBeGreaterThan(0);
    expect(customers.filter((c) => c.email !== null && !new RegExp(`^[a-z]+\\.[a-z]+${c.id}@example\\.com$`).test(c.email as string))).toEqual([]);
    expect(customers.filter((c) => c.rep_id !== null && reps[(c.rep_id as number) - 1].region !== c.region)).toEqual([]);
    expect(customers.filter((c) => ms(c.updated_at) < ms(c.created_at))).toEqual([]);
    expect(new Set(customers.map((c) => c.region))).toEqual(new Set(REGIONS));
    expect(new Set(customers.map((c) => c.segment))).toEqual(new Set(['SMB', 'Mid-Market', 'Enterprise']));
  });

  test('orders: two years back from the reference date, after the customer joined, amount = sum of lines', () => {
    const byCustomer = new Map(customers.map((c) => [c.id as number, c]));
    const totals = new Map<number, number>();
    for (const l of lines) totals.set(l.order_id as number, (totals.get(l.order_id as number) ?? 0) + cents(l.unit_price) * (l.quantity as number));
    const bad = orders.filter(
      (o) =>
        ms(o.created_at) > REF ||
        ms(o.created_at) < REF - 2 * YEAR ||
        ms(o.created_at) < ms(byCustomer.get(o.customer_id as number)!.created_at) ||
        !/^\d+\.\d\d$/.test(o.amount as string) ||
        cents(o.amount) !== totals.get(o.id as number),
    );
    expect(bad).toEqual([]);
    expect(lines.length / orders.length).toBeGreaterThan(2.8);
    expect(lines.length / orders.length).toBeLessThan(3.2);
    expect(new Set(orders.map((o) => o.status))).toEqual(new Set(['pending', 'paid', 'shipped', 'cancelled', 'refunded']));
    const buyers = new Set(orders.map((o) => o.customer_id));
    expect(customers.length - buyers.size).toBeGreaterThan(customers.length * 0.05); // customers without orders
  });

  test('leads and consents', () => {
    expect(leads.filter((l) => l.customer_id === null).length / leads.length).toBeGreaterThan(0.2);
    const bad = leads.filter((l) => {
      const c = campaigns[(l.campaign_id as number) - 1];
      return (
        ms(l.created_at) < ms(c.starts_at) ||
        ms(l.created_at) > Math.min(ms(c.ends_at), REF) ||
        (l.customer_id === null && l.status === 'converted')
      );
    });
    expect(bad).toEqual([]);
    expect(consents.length / customers.length).toBeGreaterThan(1.3);
    expect(consents.length / customers.length).toBeLessThan(1.7);
    const pairs = new Set(consents.map((c) => `${c.customer_id}/${c.channel}`));
    expect(pairs.size).toBe(consents.length);
  });

  test('nothing lies after the reference date, except campaigns still running', () => {
    const late = [customers, orders, leads, consents].flatMap((rows) =>
      rows.filter((r) => Object.values(r).some((v) => v instanceof Date && v.getTime() > REF)),
    );
    expect(late).toEqual([]);
    expect(campaigns.filter((c) => ms(c.ends_at) <= ms(c.starts_at))).toEqual([]);
  });
});
