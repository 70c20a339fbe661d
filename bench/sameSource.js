'use strict';
/**
 * Q2 (20 customers with their 10 latest orders, both in PostgreSQL) answered two ways, to decide
 * whether a nested same-source selection should be one SQL statement:
 *   batched: two statements (customers, then one ROW_NUMBER query for all their orders), rows mapped in JS
 *            (what datagate did until 2026-11-27, and still does for a relationship across sources);
 *   lateral: one statement, orders aggregated per customer with LATERAL + json_agg (Hasura's form).
 * Datagate now reads a same-source relationship in its parents' statement in another single-statement
 * form (graph/nesting.ts: a correlated ARRAY of json_build_array rows), measured under load in
 * bench/RESULTS.md; this script's sequential, one-connection view is kept for the latency side.
 * Each strategy runs sequentially on one connection; reported: client wall time per answer and the
 * server time PostgreSQL itself spends (EXPLAIN ANALYZE), median of the runs.
 * Usage: node bench/sameSource.js  (after `npm run bench` has loaded datagate_bench)
 */
const { Client } = require('pg');

const URL = process.env.DATAGATE_BENCH_PG_URL ? process.env.DATAGATE_BENCH_PG_URL.replace(/\/[^/]*$/, '/datagate_bench') : 'postgres://postgres@127.0.0.1:5432/datagate_bench';
const N = Number(process.env.SAME_SOURCE_RUNS || 2000);

const customers = `select id, name, region from customers where region = $1 order by name, id limit 20`;
const orders = `select id, customer_id, amount, status, created_at from (
  select id, customer_id, amount, status, created_at, row_number() over (partition by customer_id order by created_at desc, id) as rn
  from orders where customer_id = any($1)) o where rn <= 10 order by rn`;
const lateral = `select c.id, c.name, c.region, coalesce(o.orders, '[]') as orders
  from (select id, name, region from customers where region = $1 order by name, id limit 20) c
  left join lateral (select json_agg(json_build_object('id', x.id, 'amount', x.amount::text, 'status', x.status, 'created_at', x.created_at) order by x.created_at desc, x.id) as orders
    from (select id, amount, status, created_at from orders where customer_id = c.id order by created_at desc, id limit 10) x) o on true
  order by c.name, c.id`;

async function batched(client) {
  const cs = (await client.query({ name: 'c', text: customers, values: ['EU'] })).rows;
  const os = (await client.query({ name: 'o', text: orders, values: [cs.map((c) => c.id)] })).rows;
  const by = new Map();
  for (const o of os) (by.get(o.customer_id) || by.set(o.customer_id, []).get(o.customer_id)).push(o);
  return cs.map((c) => ({ ...c, orders: by.get(c.id) || [] }));
}

async function oneStatement(client) {
  return (await client.query({ name: 'l', text: lateral, values: ['EU'] })).rows;
}

async function serverMs(client, sql, values) {
  const plan = (await client.query({ text: `explain (analyze, format json) ${sql}`, values })).rows[0]['QUERY PLAN'][0];
  return plan['Planning Time'] + plan['Execution Time'];
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

(async () => {
  const client = new Client({ connectionString: URL });
  await client.connect();
  const results = {};
  for (const [name, fn] of [['batched (2 statements)', batched], ['lateral json_agg (1 statement)', oneStatement]]) {
    for (let i = 0; i < 200; i++) await fn(client); // warm-up
    const t = [];
    for (let i = 0; i < N; i++) {
      const s = process.hrtime.bigint();
      await fn(client);
      t.push(Number(process.hrtime.bigint() - s) / 1e6);
      if (i % 500 === 0) process.stderr.write(`\r${name}: ${i}/${N}`);
    }
    process.stderr.write('\n');
    results[name] = { wall: median(t) };
  }
  const cIds = (await client.query(customers, ['EU'])).rows.map((c) => c.id);
  const srv = { batched: [], lateral: [] };
  for (let i = 0; i < 50; i++) {
    srv.batched.push((await serverMs(client, customers, ['EU'])) + (await serverMs(client, orders, [cIds])));
    srv.lateral.push(await serverMs(client, lateral, ['EU']));
  }
  results['batched (2 statements)'].server = median(srv.batched);
  results['lateral json_agg (1 statement)'].server = median(srv.lateral);
  console.log('| strategy | client wall ms/answer (median) | PostgreSQL ms/answer (plan+exec, median) |');
  console.log('|---|---:|---:|');
  for (const [k, v] of Object.entries(results)) console.log(`| ${k} | ${v.wall.toFixed(3)} | ${v.server.toFixed(3)} |`);
  await client.end();
})().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
