'use strict';
/**
 * The measured request shapes: the GraphQL body every server receives (fixed), and the raw
 * baseline's hand-written SQL for it. The raw answers must be byte-identical to datagate's:
 * objects are built with their keys in the query's selection order.
 *
 * The same handlers, given a scope `{ repId }`, compute what a sales rep's policy
 * (bench/policies/sales_rep.yaml) lets through, before masks: the role comparison checks datagate's
 * answers as alice against them (bench/lib/roles.js).
 */

const REGION = 'EU';

const Q1 = `query Q1 {
  customers(where: {region: {eq: "${REGION}"}}, orderBy: [{name: ASC}], limit: 50) { id name email region segment }
}`;

const Q2 = `query Q2 {
  customers(where: {region: {eq: "${REGION}"}}, orderBy: [{name: ASC}], limit: 20) {
    id name region
    orders(orderBy: [{created_at: DESC}], limit: 10) { id amount status created_at }
  }
}`;

const Q3 = `query Q3($id: Int!) {
  customer(id: $id) { id name email phone region segment rep_id created_at updated_at }
}`;

const Q4 = `query Q4 {
  ordersAggregate(groupBy: [status]) { group { status } count sum { amount } }
}`;

/** Q4 as a dashboard would send it when a minute-old answer will do: datagate's result cache (README, Cached answers). */
const Q4C = Q4.replace('query Q4 {', 'query Q4C @cached(ttl: 60) {');

const Q5 = `query Q5 {
  customers(where: {region: {eq: "${REGION}"}}, orderBy: [{name: ASC}], limit: 20) {
    id name region
    salesOrders(orderBy: [{created_at: DESC}], limit: 10) { id amount status created_at }
  }
}`;

/**
 * Q6 (opt-in): Q2's nesting within MySQL/MariaDB alone: 20 paid orders, each with its customer's 10
 * latest orders (SalesOrder.customerOrders, bench/schema/sales.yaml). datagate sends a statement per
 * level, MariaDB's default; with the sales source's `nestedRows: true`, one statement (JSON_ARRAYAGG).
 */
const Q6 = `query Q6 {
  salesOrders(where: {status: {eq: "paid"}}, orderBy: [{id: ASC}], limit: 20) {
    id amount
    customerOrders(orderBy: [{created_at: DESC}], limit: 10) { id amount status created_at }
  }
}`;

/** Q3 cycles through these keys: 100 ids spread over the 100,000 customers (deterministic). */
const Q3_IDS = Array.from({ length: 100 }, (_, i) => ((i * 7919 + 13) % 100_000) + 1);

/** The role comparison's Q3: the same query, through keys that alice may read (picked at run time). */
const q3Bodies = (ids) => ids.map((id) => body(Q3, 'Q3', { id }));

const body = (query, operationName, variables) => JSON.stringify(variables ? { query, variables, operationName } : { query, operationName });

// ------------------------------------------------------------------ raw SQL

function q2Folded(scope) {
  return `select t0.id, t0.name, t0.region,
      array_to_json(array(select json_build_array(t1.id, t1.amount::text, t1.status, to_char(t1.created_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
        from orders t1 where t1.customer_id = t0.id order by t1.created_at desc, t1.id limit 10)) as orders
    from customers t0 where t0.region = $1${scope} order by t0.name, t0.id limit 20`;
}

const SQL = {
  q1: `select id, name, email, region, segment from customers where region = $1 order by name, id limit 50`,
  q2customers: `select id, name, region from customers where region = $1 order by name, id limit 20`,
  // The same strategy as datagate (graph/nesting.ts): one statement, each customer's 10 latest orders
  // a correlated ARRAY of json_build_array rows; timestamps written as datagate writes them.
  q2: q2Folded(''),
  q3: `select id, name, email, phone, region, segment, rep_id, created_at, updated_at from customers where id = $1`,
  q4: `select status, count(*)::int as count, sum(amount)::text as amount from orders group by status order by status`,
  q6orders: `select id, amount, customer_id from orders where status = 'paid' order by id limit 20`,
  q5orders: `select id, customer_id, amount, status, created_at from (
      select id, customer_id, amount, status, created_at,
             row_number() over (partition by customer_id order by created_at desc, id) as rn
      from orders where customer_id in (?)) o
    where rn <= 10 order by customer_id, rn`,
};

/**
 * The rows a sales rep may read (Customer: rep_id = $2; Order and SalesOrder: those whose customer
 * is one of hers). Nested orders need no variant: their parents are already hers.
 */
const SCOPED_SQL = {
  q1: `select id, name, email, region, segment from customers where region = $1 and rep_id = $2 order by name, id limit 50`,
  q2customers: `select id, name, region from customers where region = $1 and rep_id = $2 order by name, id limit 20`,
  q2: q2Folded(' and t0.rep_id = $2'),
  q3: `select id, name, email, phone, region, segment, rep_id, created_at, updated_at from customers where id = $1 and rep_id = $2`,
  q4: `select o.status, count(*)::int as count, sum(o.amount)::text as amount from orders o join customers c on c.id = o.customer_id
    where c.rep_id = $1 group by o.status order by o.status`,
};

const iso = (d) => (d instanceof Date ? d.toISOString() : d);
const orderOut = (o) => ({ id: o.id, amount: o.amount, status: o.status, created_at: iso(o.created_at) });

function groupOrders(rows) {
  const by = new Map();
  for (const o of rows) {
    let g = by.get(o.customer_id);
    if (!g) by.set(o.customer_id, (g = []));
    g.push(orderOut(o));
  }
  return by;
}

/**
 * Raw handlers: (db, variables, scope?) → the `data` object. db = { pg: pg.Pool, mysql: mysql2 pool
 * or null }. The raw server never passes a scope; with `{ repId }`, the rows that sales rep may read.
 */
const customersOfRegion = (db, sql, scope) => (scope ? db.pg.query(SCOPED_SQL[sql], [REGION, scope.repId]) : db.pg.query(SQL[sql], [REGION]));

const RAW = {
  async Q1(db, _variables, scope) {
    const { rows } = await customersOfRegion(db, 'q1', scope);
    return { customers: rows };
  },
  async Q2(db, _variables, scope) {
    const { rows } = await customersOfRegion(db, 'q2', scope);
    return { customers: rows.map((c) => ({ id: c.id, name: c.name, region: c.region, orders: c.orders.map((o) => ({ id: o[0], amount: o[1], status: o[2], created_at: o[3] })) })) };
  },
  async Q3(db, variables, scope) {
    const { rows } = await (scope ? db.pg.query(SCOPED_SQL.q3, [variables.id, scope.repId]) : db.pg.query(SQL.q3, [variables.id]));
    const c = rows[0];
    return { customer: c ? { ...c, created_at: iso(c.created_at), updated_at: iso(c.updated_at) } : null };
  },
  async Q4(db, _variables, scope) {
    const { rows } = await (scope ? db.pg.query(SCOPED_SQL.q4, [scope.repId]) : db.pg.query(SQL.q4));
    return { ordersAggregate: rows.map((r) => ({ group: { status: r.status }, count: r.count, sum: { amount: r.amount } })) };
  },
  /** The raw server has no cache: it runs Q4's statement (the check compares the data). */
  Q4C(db, variables, scope) {
    return RAW.Q4(db, variables, scope);
  },
  async Q5(db, _variables, scope) {
    const { rows: customers } = await customersOfRegion(db, 'q2customers', scope);
    const [orders] = await db.mysql.query(SQL.q5orders, [customers.map((c) => c.id)]);
    const by = groupOrders(orders);
    return { customers: customers.map((c) => ({ id: c.id, name: c.name, region: c.region, salesOrders: by.get(c.id) ?? [] })) };
  },
  /** Two statements on MariaDB, as Q5's orders level: the paid orders, then their customers' 10 latest orders each. */
  async Q6(db) {
    const [parents] = await db.mysql.query(SQL.q6orders);
    const [orders] = await db.mysql.query(SQL.q5orders, [[...new Set(parents.map((o) => o.customer_id))]]);
    const by = groupOrders(orders);
    return { salesOrders: parents.map((o) => ({ id: o.id, amount: o.amount, customerOrders: by.get(o.customer_id) ?? [] })) };
  },
};

/** name → { title, bodies (one, or one per Q3 id), needsMysql } */
const SHAPES = {
  Q1: { title: 'flat list: 50 customers of a region ordered by name, 5 columns', bodies: [body(Q1, 'Q1')], needsMysql: false },
  Q2: { title: 'nested 1:N: 20 customers, each with its latest 10 orders (PG)', bodies: [body(Q2, 'Q2')], needsMysql: false },
  Q3: { title: 'by key: one customer, 9 columns, cycling through 100 ids', bodies: Q3_IDS.map((id) => body(Q3, 'Q3', { id })), needsMysql: false },
  Q4: { title: 'grouped aggregate: count and sum(amount) of 1M orders by status', bodies: [body(Q4, 'Q4')], needsMysql: false },
  // Opt-in (BENCH_SHAPES=Q4C): not a shared shape, datagate answers from a result PostgreSQL computed up to a minute before.
  Q4C: { title: 'Q4 marked @cached(ttl: 60): datagate answers from its result cache; raw runs the statement (no PostGraphile equivalent)', bodies: [body(Q4C, 'Q4C')], needsMysql: false, optIn: true },
  Q5: { title: 'cross-source: 20 customers (PG), each with its latest 10 salesOrders (MySQL)', bodies: [body(Q5, 'Q5')], needsMysql: true },
  // Opt-in (BENCH_SHAPES=Q6): nesting within MariaDB (bench/README.md, "One statement or two", MariaDB).
  Q6: { title: 'nested 1:N on MariaDB: 20 paid orders, each with its customer\'s latest 10 orders (MySQL)', bodies: [body(Q6, 'Q6')], needsMysql: true, optIn: true },
};

module.exports = { SHAPES, RAW, SQL, SCOPED_SQL, Q3_IDS, REGION, q3Bodies };
