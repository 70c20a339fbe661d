import type { Knex } from 'knex';
import { createMysqlDatabase, createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { createCrm, createSales, FIXTURE_MODEL, fixtureData, MASKED_REP_POLICIES, startGateway, TEST_IDENTITY } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { bearer, mintToken } from '../support/tokens';
import type { Gateway } from '../../src/server';
import type { Plan } from '../../src/planning';
import type { Row } from '../../src/sources';

/**
 * Lineage matches exactly what was read: every statement a request sends is recorded where it is
 * sent (each source adapter's `execute`, below the graph), and the response's `extensions.lineage`
 * must account for each of them (entity, source, table, columns, rows, statements), no more and no
 * less; each entry's row count must equal the rows the response holds at its path; masks and policy
 * are the role's; a column the role cannot read never appears.
 */
const POLICIES = MASKED_REP_POLICIES;
/** Customer columns the rep role cannot read: they must never appear in lineage. */
const HIDDEN = ['score', 'balance', 'created_at'];
const READABLE: Record<string, string[]> = {
  Customer: ['id', 'name', 'email', 'region', 'vip', 'rep_id'],
  Order: ['id', 'customer_id', 'amount', 'status', 'created_at'],
  OrderLine: ['id', 'order_id', 'product_id', 'qty'],
  Product: ['id', 'name', 'price'],
  Rep: ['id', 'name', 'region'],
};
const TABLES: Record<string, [source: string, table: string]> = {
  Customer: ['crm', 'customers'],
  Rep: ['crm', 'reps'],
  Order: ['sales', 'orders'],
  OrderLine: ['sales', 'order_lines'],
  Product: ['sales', 'products'],
};
const REP = 2;
const data = fixtureData();

interface Entry {
  path: string;
  kind: 'select' | 'count' | 'aggregate' | 'lookup';
  entity: string;
  source: string;
  table: string;
  columns: string[];
  fields: string[];
  rows: number;
  read?: number;
  statements: number;
  readWith?: string;
  for?: string;
  masks?: { field: string; mask: string; conditional?: boolean }[];
  policy?: { roles: string[]; rules: string[]; condition: string };
}

interface Executed {
  source: string;
  plan: Plan;
  rows: Row[];
}

async function load(url: string, fn: (k: Knex) => Promise<void>) {
  const k = knexFor(url);
  try {
    await fn(k);
  } finally {
    await k.destroy();
  }
}

/** The objects a response holds at a lineage path (list indexes flattened), distinct by id. */
function distinctAt(root: unknown, path: string): number {
  let level: unknown[] = [root];
  for (const key of path.split('.')) {
    level = level.flatMap((o) => {
      const v = (o as Record<string, unknown> | null)?.[key];
      return v == null ? [] : Array.isArray(v) ? v : [v];
    });
  }
  for (const o of level) expect((o as { id?: unknown }).id).toBeDefined();
  return new Set(level.map((o) => String((o as { id: unknown }).id))).size;
}

/** The objects a response holds at a lineage path (list indexes flattened), repeats counted. */
function countAt(root: unknown, path: string): number {
  let level: unknown[] = [root];
  for (const key of path.split('.')) level = level.flatMap((o) => ((o as Record<string, unknown> | null)?.[key] ?? []) as unknown[]);
  return level.length;
}

/** The key an executed plan and a lineage entry share, with no path (a plan does not know its path). */
const planKey = (entity: string, kind: string) => `${entity} ${kind}`;

describe.each([
  ['postgres', 'mysql'],
  ['mysql', 'postgres'],
] as const)('lineage: crm on %s, sales on %s', (crmEngine, salesEngine) => {
  const dbs: TestDatabase[] = [];
  let gw: Gateway;
  let url: string;
  let token: string;
  const executed: Executed[] = [];

  beforeAll(async () => {
    const create = (e: 'postgres' | 'mysql', name: string) => (e === 'postgres' ? createPgDatabase(name) : createMysqlDatabase(name));
    dbs.push(await create(crmEngine, 'lin_crm'), await create(salesEngine, 'lin_sales'));
    await load(dbs[0].url, (k) => createCrm(k, data));
    await load(dbs[1].url, (k) => createSales(k, data));
    ({ gw, url } = await startGateway(
      { crm: { dialect: crmEngine, url: dbs[0].url }, sales: { dialect: salesEngine, url: dbs[1].url } },
      { model: FIXTURE_MODEL, policies: POLICIES, extraConfig: TEST_IDENTITY },
    ));
    for (const s of gw.runtime.sources.values()) {
      const execute = s.execute.bind(s);
      jest.spyOn(s, 'execute').mockImplementation(async (plan) => {
        const rows = await execute(plan);
        executed.push({ source: s.name, plan, rows });
        return rows;
      });
    }
    token = await mintToken({ sub: 'rep2', roles: ['rep'], employee_id: REP });
  }, 60_000);
  afterAll(async () => {
    await gw?.close();
    await Promise.allSettled(dbs.map((d) => d.drop()));
  });

  /** Runs a query as the rep; returns its data, its lineage and the plans its statements ran. */
  async function run(query: string) {
    executed.length = 0;
    const r = await postGraphQL(url, query, undefined, bearer(token));
    expect(r.body.errors).toBeUndefined();
    const lineage = r.body.extensions?.lineage as Entry[];
    expect(Array.isArray(lineage)).toBe(true);
    checkAgainstPlans(lineage, [...executed]);
    checkRole(lineage, r.text);
    return { data: r.body.data, lineage, executed: [...executed] };
  }

  /** Every statement sent is in lineage, and lineage holds nothing else: per (entity, kind), the same statements, columns and rows. */
  function checkAgainstPlans(lineage: Entry[], runs: Executed[]) {
    type Sum = { source: string; table: string; fields: Set<string>; rows: number; statements: number };
    const expected = new Map<string, Sum>();
    const add = (source: string, plan: Plan, rows: readonly Row[], statements: number) => {
      // resolveCrossSource's key lookups are the only distinct selects.
      const kind = plan.kind === 'select' && plan.distinct ? 'lookup' : plan.kind;
      const k = planKey(plan.entity.name, kind);
      const s = expected.get(k) ?? { source, table: plan.entity.table, fields: new Set<string>(), rows: 0, statements: 0 };
      const fields = plan.kind === 'select' ? plan.fields : plan.kind === 'aggregate' ? [...plan.groupBy, ...plan.aggregates.flatMap((a) => (a.field ? [a.field] : []))] : [];
      for (const f of fields) if (READABLE[plan.entity.name].includes(f)) s.fields.add(f);
      s.rows += plan.kind === 'count' ? Number(rows[0].count) : rows.length;
      s.statements += statements;
      expected.set(k, s);
      // Relationships the statement read inside its rows (graph/nesting.ts): their rows, no statement of their own.
      if (plan.kind === 'select')
        for (const n of plan.nested ?? []) add(source, n.plan, rows.flatMap((r) => (r[n.alias] == null ? [] : ([] as Row[]).concat(r[n.alias] as Row | Row[]))), 0);
    };
    for (const { source, plan, rows } of runs) add(source, plan, rows, 1);
    const actual = new Map<string, Sum>();
    for (const e of lineage) {
      const k = planKey(e.entity, e.kind);
      const s = actual.get(k) ?? { source: e.source, table: e.table, fields: new Set<string>(), rows: 0, statements: 0 };
      expect(e.source).toBe(s.source);
      for (const f of e.fields) s.fields.add(f);
      s.rows += e.read ?? e.rows;
      s.statements += e.statements;
      actual.set(k, s);
      // Columns are the fields' database columns, in the same order (the fixture names them alike).
      expect(e.columns).toEqual(e.fields);
      expect([e.source, e.table]).toEqual(TABLES[e.entity]);
    }
    const norm = (m: Map<string, Sum>) => Object.fromEntries([...m].map(([k, s]) => [k, { ...s, fields: [...s.fields].sort() }]));
    expect(norm(actual)).toEqual(norm(expected));
  }

  /** Masks and policy as the rep role has them; no hidden column anywhere in lineage. */
  function checkRole(lineage: Entry[], text: string) {
    const lineageText = JSON.stringify(lineage);
    for (const h of HIDDEN.filter((h) => h !== 'created_at')) expect(lineageText).not.toContain(h);
    for (const e of lineage) {
      for (const f of e.fields) expect(READABLE[e.entity]).toContain(f);
      if (e.entity === 'Customer') for (const h of HIDDEN) expect(e.fields).not.toContain(h);
      const expectedMasks =
        e.entity === 'Customer' && e.kind === 'select'
          ? [
              { field: 'email', mask: 'email' },
              { field: 'name', mask: 'redact', conditional: true },
            ].filter((m) => e.fields.includes(m.field))
          : [];
      expect([...(e.masks ?? [])].sort((a, b) => a.field.localeCompare(b.field))).toEqual(expectedMasks);
      if (e.kind === 'lookup') expect(e.policy).toBeUndefined();
      else {
        expect(e.policy!.roles).toEqual(['rep']);
        for (const r of e.policy!.rules) expect(r).toMatch(/^rep rep\.yaml:\d+ rules\[\d\]$/);
        const condition = { Customer: `rep_id = ${REP}`, Order: `customer has some Customer where (rep_id = ${REP})` }[e.entity] ?? 'every row';
        expect(e.policy!.condition).toBe(condition);
      }
    }
    // Small: no per-row data, whatever the answer's size.
    expect(Buffer.byteLength(lineageText)).toBeLessThan(6000);
  }

  const byPath = (lineage: Entry[], path: string, kind: Entry['kind'] = 'select', forWhat?: string) => {
    const found = lineage.filter((e) => e.path === path && e.kind === kind && (forWhat === undefined || e.for === forWhat));
    expect(found).toHaveLength(1);
    return found[0];
  };

  test('a list with nested same-source and cross-source relationships: one entry per path, rows as in the answer', async () => {
    const { data: d, lineage } = await run(
      '{ customers(limit: 30, orderBy: [{id: ASC}]) { id name email rep { id name } orders(orderBy: [{id: ASC}]) { id amount lines { id qty product { id name } } } } }',
    );
    const mine = data.customers.filter((c) => c.rep_id === REP);
    expect(d.customers).toHaveLength(Math.min(30, mine.length));
    const paths = ['customers', 'customers.rep', 'customers.orders', 'customers.orders.lines', 'customers.orders.lines.product'];
    // A load reads each related row once (distinct keys); a relationship read inside its parents'
    // statement (graph/nesting.ts: PostgreSQL, same source) reads it once per parent.
    for (const p of paths) expect(byPath(lineage, p).rows).toBe(byPath(lineage, p).readWith ? countAt(d, p) : distinctAt(d, p));
    // Orders come from another source (their own load); on PostgreSQL, their lines and the lines'
    // products are read by the orders' statement; on MySQL, each has its own.
    const folded = salesEngine === 'postgres';
    expect(byPath(lineage, 'customers.orders.lines')).toMatchObject(folded ? { readWith: 'customers.orders', statements: 0 } : { statements: 1 });
    expect(byPath(lineage, 'customers.orders.lines.product')).toMatchObject(folded ? { readWith: 'customers.orders', statements: 0 } : { statements: 1 });
    expect(byPath(lineage, 'customers.rep')).toMatchObject(crmEngine === 'postgres' ? { readWith: 'customers', statements: 0 } : { statements: 1 });
    for (const p of ['customers', 'customers.orders']) expect(byPath(lineage, p).readWith).toBeUndefined();
    expect(lineage.filter((e) => e.kind === 'select').map((e) => e.path).sort()).toEqual(paths.sort());
    const customers = byPath(lineage, 'customers');
    expect(customers).toMatchObject({ entity: 'Customer', source: 'crm', table: 'customers', statements: 1 });
    expect(customers.fields.sort()).toEqual(['email', 'id', 'name', 'rep_id']);
    expect(customers.policy!.rules).toEqual([expect.stringMatching(/^rep rep\.yaml:4 rules\[0\]$/)]);
    expect(byPath(lineage, 'customers.orders')).toMatchObject({ entity: 'Order', source: 'sales', table: 'orders', statements: 1 });
    expect(byPath(lineage, 'customers.orders').fields.sort()).toEqual(['amount', 'customer_id', 'id']);
    // The orders' policy crosses sources ("customer's rep is me"), and their parents were read under
    // "rep is me": they prove it, so no key lookup ran in crm (graph/execute.ts provenByParents). A
    // lookup's entry is checked with the connection below, whose orders have no parents.
    expect(lineage.filter((e) => e.path === 'customers.orders' && e.kind === 'lookup')).toEqual([]);
  });

  test('by key', async () => {
    const id = data.customers.find((c) => c.rep_id === REP && c.email)!.id;
    const { data: d, lineage } = await run(`{ customer(id: ${id}) { id email region } nobody: customer(id: 2) { id } }`);
    expect(d.customer.id).toBe(id);
    expect(d.customer.email).toMatch(/\*\*\*/);
    expect(byPath(lineage, 'customer')).toMatchObject({ rows: 1, fields: ['id', 'email', 'region'], masks: [{ field: 'email', mask: 'email' }] });
    // Customer 2 belongs to another rep: read as nothing, and lineage says so.
    expect(d.nobody).toBeNull();
    expect(byPath(lineage, 'nobody')).toMatchObject({ rows: 0, columns: ['id'] });
  });

  test('a connection with totalCount: the page, the peek row and the count', async () => {
    const { data: d, lineage } = await run('{ ordersConnection(first: 5, orderBy: [{id: ASC}]) { totalCount edges { node { id amount status } } pageInfo { hasNextPage endCursor } } }');
    expect(d.ordersConnection.edges).toHaveLength(5);
    expect(d.ordersConnection.pageInfo.hasNextPage).toBe(true);
    const page = byPath(lineage, 'ordersConnection');
    expect(page.rows).toBe(distinctAt(d, 'ordersConnection.edges.node'));
    expect(page.read).toBe(6);
    expect(byPath(lineage, 'ordersConnection', 'count')).toMatchObject({ rows: d.ordersConnection.totalCount, columns: [], statements: 1 });
    // The page and the count each resolved the cross-source policy: two lookups under one entry.
    expect(byPath(lineage, 'ordersConnection', 'lookup')).toMatchObject({ entity: 'Customer', for: 'Order.customer', statements: 2 });
  });

  test('an aggregate: one entry, its groups and the fields it grouped and summed', async () => {
    const { data: d, lineage } = await run('{ ordersAggregate(groupBy: [status]) { count group { status } sum { amount } } }');
    const agg = byPath(lineage, 'ordersAggregate', 'aggregate');
    expect(agg.rows).toBe(d.ordersAggregate.length);
    expect(agg.fields).toEqual(['status', 'amount']);
    expect(agg.policy!.rules).toEqual([expect.stringMatching(/^rep rep\.yaml:5 rules\[1\]$/)]);
  });

  test('a filter through a cross-source relationship is read as a lookup of the other source', async () => {
    const { data: d, lineage } = await run('{ customers(limit: 100, where: {orders: {amount: {gt: "500"}}}) { id } }');
    const expected = data.customers.filter((c) => c.rep_id === REP && data.orders.some((o) => o.customer_id === c.id && Number(o.amount) > 500));
    expect(d.customers).toHaveLength(expected.length);
    expect(byPath(lineage, 'customers').rows).toBe(expected.length);
    const lookup = byPath(lineage, 'customers', 'lookup', 'Customer.orders');
    expect(lookup).toMatchObject({ entity: 'Order', source: 'sales', table: 'orders', columns: ['customer_id'], statements: 1 });
    expect(lookup.rows).toBe(expected.length);
    // Only orders the rep may read count, and deciding that read crm again: a lookup inside the lookup.
    expect(byPath(lineage, 'customers', 'lookup', 'Order.customer')).toMatchObject({ entity: 'Customer', source: 'crm', columns: ['id'], statements: 1 });
    expect(lineage).toHaveLength(3);
  });

  test('the same relationship at two paths: each path has its own entry and statement', async () => {
    const { data: d, lineage } = await run('{ a: customers(limit: 3, orderBy: [{id: ASC}]) { id rep { id } } b: customers(limit: 5, orderBy: [{id: DESC}]) { id rep { id } } }');
    // On PostgreSQL each list's statement reads its reps itself: once per customer.
    const reps = (p: string) => (crmEngine === 'postgres' ? countAt(d, p) : distinctAt(d, p));
    expect(byPath(lineage, 'a.rep')).toMatchObject({ rows: reps('a.rep'), ...(crmEngine === 'postgres' ? { readWith: 'a', statements: 0 } : { statements: 1 }) });
    expect(byPath(lineage, 'b.rep')).toMatchObject({ rows: reps('b.rep'), ...(crmEngine === 'postgres' ? { readWith: 'b', statements: 0 } : { statements: 1 }) });
  });

  test('a request that reads nothing carries an empty lineage', async () => {
    const r = await postGraphQL(url, '{ me { id roles } }', undefined, bearer(token));
    expect(r.body.errors).toBeUndefined();
    expect(r.body.extensions.lineage).toEqual([]);
  });
});
