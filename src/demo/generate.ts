/**
 * Deterministic demo data, streamed in chunks.
 *
 * Nothing here reads the clock: every date is relative to DEMO_REFERENCE_DATE, and every row comes from
 * its own seeded generator (see random.ts), so the same options always give the same rows, in any chunk
 * size, and a million orders never sit in one array.
 *
 * Values are logical, not encoded for a driver: timestamps are `Date`s, dates "YYYY-MM-DD" strings,
 * decimals strings with two decimals ("1234.50"), JSON plain objects. `seed.ts` encodes them per dialect.
 */
import {
  CAMPAIGN_CHANNELS,
  CAMPAIGN_THEMES,
  CONSENT_CHANNELS,
  CONSENT_RATES,
  FIRST_NAMES,
  LAST_NAMES,
  LEAD_STATUSES,
  ORDER_STATUSES,
  PHONE_PLANS,
  PRODUCT_BRANDS,
  PRODUCT_CATEGORIES,
  PRODUCT_TIERS,
  REGION_WEIGHTS,
  REGIONS,
  SEGMENT_WEIGHTS,
  SEGMENTS,
  UTM_SOURCES,
} from './names';
import { hashString, type Rng, rowRng } from './random';
import type { DemoTableName } from './spec';

/** "Now" for the demo data. Fixed, so the data is the same on every run and every day. */
export const DEMO_REFERENCE_DATE = new Date('2026-11-01T00:00:00.000Z');
export const DEFAULT_DEMO_SEED = 20261101;

const DAY = 86_400_000;
const REF = DEMO_REFERENCE_DATE.getTime();

export type DemoValue = string | number | boolean | Date | null | Record<string, unknown>;
export type DemoRow = Record<string, DemoValue>;

export interface DemoSizes {
  customers: number;
  salesReps: number;
  products: number;
  campaigns: number;
  orders: number;
  leads: number;
}

export interface DemoOptions {
  /** 1 = 2 000 customers, 20 000 orders, 5 000 leads; reps, products and campaigns do not scale. */
  scale?: number;
  seed?: number;
  /** Overrides of single sizes (after scaling). */
  sizes?: Partial<DemoSizes>;
}

export function demoSizes(scale = 1): DemoSizes {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new Error(`demo scale must be a positive number, got ${scale}`);
  const n = (base: number) => Math.max(1, Math.round(base * scale));
  return { customers: n(2_000), salesReps: 20, products: 200, campaigns: 12, orders: n(20_000), leads: n(5_000) };
}

const iso = (ms: number) => new Date(Math.floor(ms));
const pad = (n: number, width: number) => String(n).padStart(width, '0');
const money = (cents: number) => `${Math.trunc(cents / 100)}.${pad(cents % 100, 2)}`;
const isoDate = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const gcd = (a: number, b: number): number => (b === 0 ? a : gcd(b, a % b));

function digits(rng: Rng, count: number): string {
  let s = '';
  for (let i = 0; i < count; i++) s += String(rng.int(0, 9));
  return s;
}

const salt = (name: string) => hashString(name);
const S = {
  rep: salt('sales_reps'),
  customer: salt('customers'),
  customerCreated: salt('customers.created_at'),
  product: salt('products'),
  order: salt('orders'),
  campaign: salt('campaigns'),
  lead: salt('leads'),
  consent: salt('consents'),
};

export interface DemoDataset {
  readonly seed: number;
  readonly scale: number;
  readonly sizes: Readonly<DemoSizes>;
  /** Rows of one table in key order, `chunkSize` rows at a time (the last chunk may be shorter). */
  chunks(table: DemoTableName, chunkSize?: number): Generator<DemoRow[]>;
  /** Rows of one table, one at a time, in key order. */
  rows(table: DemoTableName): Generator<DemoRow>;
}

export function createDemoDataset(opts: DemoOptions = {}): DemoDataset {
  const scale = opts.scale ?? 1;
  const seed = (opts.seed ?? DEFAULT_DEMO_SEED) >>> 0;
  const sizes: DemoSizes = { ...demoSizes(scale), ...opts.sizes };
  const rng = (s: number, id: number) => rowRng(seed, s, id);

  // Reps are assigned by region: rep ids of each region, in order.
  const repsByRegion = REGIONS.map((_, r) => {
    const ids: number[] = [];
    for (let id = r + 1; id <= sizes.salesReps; id += REGIONS.length) ids.push(id);
    return ids;
  });
  const repRegion = (id: number) => REGIONS[(id - 1) % REGIONS.length];

  function salesRep(id: number): DemoRow {
    const r = rng(S.rep, id);
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    const hired = Date.UTC(2012, 0, 1) + Math.floor(r.next() * (Date.UTC(2026, 5, 1) - Date.UTC(2012, 0, 1)));
    return {
      id,
      name: `${first} ${last}`,
      email: `${first}.${last}${id}@sales.example.com`.toLowerCase(),
      region: repRegion(id),
      hired_at: isoDate(hired),
    };
  }

  /** Customers joined over the last five years; a separate stream so orders can ask for it cheaply. */
  function customerCreatedAt(id: number): number {
    return REF - Math.floor(rng(S.customerCreated, id).next() * 5 * 365 * DAY) - DAY;
  }

  function customer(id: number): DemoRow {
    const r = rng(S.customer, id);
    const first = r.pick(FIRST_NAMES);
    const last = r.pick(LAST_NAMES);
    const region = r.weighted(REGIONS, REGION_WEIGHTS);
    const segment = r.weighted(SEGMENTS, SEGMENT_WEIGHTS);
    const reps = repsByRegion[REGIONS.indexOf(region)];
    // Self-service SMB customers have no account manager.
    const repId = reps.length === 0 || (segment === 'SMB' && r.chance(0.15)) ? null : reps[r.int(0, reps.length - 1)];
    const plan = r.pick(PHONE_PLANS[region]);
    const phone = r.chance(0.12) ? null : plan.prefix + digits(r, plan.digits);
    const email = r.chance(0.02) ? null : `${first}.${last}${id}@example.com`.toLowerCase();
    const created = customerCreatedAt(id);
    const updated = REF - Math.floor((REF - created) * r.next() ** 3);
    return {
      id,
      name: `${first} ${last}`,
      email,
      phone,
      region,
      segment,
      rep_id: repId,
      created_at: iso(created),
      updated_at: iso(updated),
    };
  }

  function productPriceCents(r: Rng, category: (typeof PRODUCT_CATEGORIES)[number]): number {
    // Prices end in 0 or 9, as price lists do.
    const raw = r.int(category.minCents, category.maxCents);
    return Math.max(99, Math.floor(raw / 100) * 100 + (r.chance(0.6) ? 99 : 0) - (r.chance(0.6) ? 100 : 0));
  }

  const productCache = new Map<number, { row: DemoRow; priceCents: number }>();
  function productEntry(id: number) {
    let e = productCache.get(id);
    if (!e) {
      const r = rng(S.product, id);
      const category = PRODUCT_CATEGORIES[(id - 1) % PRODUCT_CATEGORIES.length];
      const priceCents = productPriceCents(r, category);
      const row: DemoRow = {
        id,
        sku: `${category.code}-${pad(id, 5)}`,
        name: `${r.pick(PRODUCT_BRANDS)} ${r.pick(category.nouns)}${r.pick(PRODUCT_TIERS)}`,
        category: category.name,
        price: money(priceCents),
        active: r.chance(0.9),
      };
      e = { row, priceCents };
      productCache.set(id, e);
    }
    return e;
  }

  // Orders pick customers by a skewed popularity rank mapped onto ids by a fixed permutation, so big
  // buyers are spread over the id range; ranks past `activeCustomers` never order (about 10% of customers).
  const activeCustomers = Math.max(1, Math.ceil(sizes.customers * 0.9));
  let stride = Math.max(1, Math.floor(sizes.customers * 0.6180339887)) | 1;
  while (gcd(stride, sizes.customers) !== 1) stride += 2;
  const customerByRank = (rank: number) => ((rank * stride) % sizes.customers) + 1;

  function orderWithLines(id: number): { order: DemoRow; lines: DemoRow[] } {
    const r = rng(S.order, id);
    const customerId = customerByRank(Math.floor(activeCustomers * r.next() ** 1.5));
    const since = Math.max(customerCreatedAt(customerId), REF - 2 * 365 * DAY);
    const created = since + Math.floor((REF - since) * r.next());
    const ageDays = (REF - created) / DAY;
    const status =
      ageDays < 3
        ? r.weighted(ORDER_STATUSES, [0.5, 0.3, 0.15, 0.05, 0])
        : r.weighted(ORDER_STATUSES, [0.02, 0.13, 0.72, 0.08, 0.05]);
    const lineCount = Math.min(sizes.products, r.weighted([1, 2, 3, 4, 5], [0.15, 0.2, 0.3, 0.2, 0.15]));
    const lines: DemoRow[] = [];
    const used = new Set<number>();
    let total = 0;
    while (lines.length < lineCount) {
      const productId = r.int(1, sizes.products);
      if (used.has(productId)) continue;
      used.add(productId);
      const quantity = r.weighted([1, 2, 3, 4, 5, 10], [0.5, 0.2, 0.1, 0.08, 0.07, 0.05]);
      const list = productEntry(productId).priceCents;
      const unitCents = r.chance(0.2) ? Math.round(list * (1 - r.int(5, 25) / 100)) : list;
      total += unitCents * quantity;
      lines.push({ order_id: id, product_id: productId, quantity, unit_price: money(unitCents) });
    }
    return {
      order: { id, customer_id: customerId, amount: money(total), status, created_at: iso(created) },
      lines,
    };
  }

  /** The first two draws of a campaign's generator; leads recompute them to fall inside the window. */
  function campaignWindow(r: Rng): { starts: number; ends: number } {
    // Campaigns ran over the last 18 months; each lasted two weeks to four months; some still run.
    const starts = REF - Math.floor((30 + r.next() * 510) * DAY);
    const ends = starts + Math.floor((14 + r.next() * 106) * DAY);
    return { starts, ends };
  }

  function campaign(id: number): DemoRow {
    const r = rng(S.campaign, id);
    const { starts, ends } = campaignWindow(r);
    const startDate = new Date(starts);
    const quarter = Math.floor(startDate.getUTCMonth() / 3) + 1;
    const theme = CAMPAIGN_THEMES[(id - 1) % CAMPAIGN_THEMES.length];
    const channel = r.pick(CAMPAIGN_CHANNELS);
    const budgetCents = r.int(50, 2_500) * 10_000;
    const audience = SEGMENTS.filter(() => r.chance(0.6));
    return {
      id,
      name: `${theme} Q${quarter} ${startDate.getUTCFullYear()}${id > CAMPAIGN_THEMES.length ? ` #${id}` : ''}`,
      channel,
      budget: money(budgetCents),
      starts_at: iso(starts),
      ends_at: iso(ends),
      attributes: {
        audience: audience.length ? audience : ['SMB'],
        regions: REGIONS.filter(() => r.chance(0.5)),
        utm: { source: r.pick(UTM_SOURCES), medium: channel, campaign: `c${pad(id, 3)}` },
        ab_test: r.chance(0.3),
        creative_version: r.int(1, 4),
      },
    };
  }

  function lead(id: number): DemoRow {
    const r = rng(S.lead, id);
    const campaignId = r.int(1, sizes.campaigns);
    const { starts, ends } = campaignWindow(rng(S.campaign, campaignId));
    const last = Math.min(ends, REF - 1);
    const created = starts + Math.floor((last - starts) * r.next());
    const customerId = r.chance(0.7) ? r.int(1, sizes.customers) : null;
    const customerEmail = customerId === null ? null : (customer(customerId).email as string | null);
    const email =
      customerEmail ?? `${r.pick(FIRST_NAMES)}.${r.pick(LAST_NAMES)}.lead${id}@example.net`.toLowerCase();
    const status =
      customerId === null
        ? r.weighted(LEAD_STATUSES, [0.35, 0.3, 0.15, 0, 0.2])
        : r.weighted(LEAD_STATUSES, [0.15, 0.25, 0.2, 0.25, 0.15]);
    const score = Math.min(100, Math.max(0, Math.round(r.next() * 60 + (status === 'converted' || status === 'qualified' ? 40 : 0))));
    return { id, customer_id: customerId, campaign_id: campaignId, email, score, status, created_at: iso(created) };
  }

  function consentsOf(customerId: number): DemoRow[] {
    const r = rng(S.consent, customerId);
    const created = customerCreatedAt(customerId);
    const out: DemoRow[] = [];
    CONSENT_CHANNELS.forEach((channel, i) => {
      if (!r.chance(CONSENT_RATES[i])) return;
      const granted = r.chance(channel === 'email' ? 0.8 : 0.55);
      const updated = created + Math.floor((REF - created) * r.next());
      out.push({ customer_id: customerId, channel, granted, updated_at: iso(updated) });
    });
    return out;
  }

  function* byId(count: number, row: (id: number) => DemoRow): Generator<DemoRow> {
    for (let id = 1; id <= count; id++) yield row(id);
  }

  function* numbered(parents: number, children: (parentId: number) => DemoRow[]): Generator<DemoRow> {
    let id = 0;
    for (let p = 1; p <= parents; p++) for (const c of children(p)) yield { id: ++id, ...c };
  }

  function rows(table: DemoTableName): Generator<DemoRow> {
    switch (table) {
      case 'sales_reps':
        return byId(sizes.salesReps, salesRep);
      case 'customers':
        return byId(sizes.customers, customer);
      case 'products':
        return byId(sizes.products, (id) => productEntry(id).row);
      case 'orders':
        return byId(sizes.orders, (id) => orderWithLines(id).order);
      case 'order_lines':
        return numbered(sizes.orders, (id) => orderWithLines(id).lines);
      case 'campaigns':
        return byId(sizes.campaigns, campaign);
      case 'leads':
        return byId(sizes.leads, lead);
      case 'consents':
        return numbered(sizes.customers, consentsOf);
      default: {
        const never: never = table;
        throw new Error(`unknown demo table "${String(never)}"`);
      }
    }
  }

  function* chunks(table: DemoTableName, chunkSize = 500): Generator<DemoRow[]> {
    if (!(chunkSize >= 1)) throw new Error(`chunkSize must be at least 1, got ${chunkSize}`);
    let chunk: DemoRow[] = [];
    for (const row of rows(table)) {
      chunk.push(row);
      if (chunk.length >= chunkSize) {
        yield chunk;
        chunk = [];
      }
    }
    if (chunk.length) yield chunk;
  }

  return { seed, scale, sizes: Object.freeze({ ...sizes }), chunks, rows };
}
