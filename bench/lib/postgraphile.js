'use strict';
/**
 * PostGraphile 5 in the bench: its install (bench/postgraphile/, its own package.json and lock,
 * `npm ci` when node_modules is missing), the four shapes it shares with datagate written as
 * PostGraphile queries, and the mapping of its answers onto the raw server's for the equality check.
 *
 * Names differ (PostGraphile's Amber preset: `allCustomers { nodes }`, `rowId` for the `id` column
 * (its `id` is the global Node ID), camelCase columns, `ordersByCustomerId`, `customerByRowId`,
 * `groupedAggregates { keys … }`) and so does one value format: timestamps come as PostgreSQL's text
 * (`2026-09-25T18:32:25.064000+00:00`), the raw server and datagate send ISO 8601 (`…25.064Z`); the
 * mapping turns them into ISO (the columns are timestamp(3): nothing is lost). Everything else
 * (numeric as string, ints) is the same JSON. The data, mapped, must equal the raw server's.
 */
const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');
const { REGION, Q3_IDS } = require('./shapes');
const { log } = require('./log');

const DIR = path.join(__dirname, '..', 'postgraphile');
const POLYFILL = path.join(DIR, 'polyfill.js');

/** `npm ci` in bench/postgraphile/ when its node_modules is missing (the registry must be reachable). */
function ensureInstalled() {
  if (fs.existsSync(path.join(DIR, 'node_modules', 'postgraphile', 'package.json'))) return;
  log('postgraphile: bench/postgraphile/node_modules is missing: npm ci (from bench/postgraphile/package-lock.json)');
  execFileSync('npm', ['ci', '--no-audit', '--no-fund', '--loglevel=error'], { cwd: DIR, stdio: ['ignore', 2, 2] });
}

function versions() {
  const v = (p) => {
    try {
      return require(path.join(DIR, 'node_modules', p, 'package.json')).version;
    } catch {
      return '?';
    }
  };
  return { postgraphile: v('postgraphile'), aggregates: v('@graphile/pg-aggregates'), grafast: v('grafast'), grafserv: v('grafserv') };
}

const Q1 = `query Q1 {
  allCustomers(condition: {region: "${REGION}"}, orderBy: [NAME_ASC, ROW_ID_ASC], first: 50) { nodes { rowId name email region segment } }
}`;

const Q2 = `query Q2 {
  allCustomers(condition: {region: "${REGION}"}, orderBy: [NAME_ASC, ROW_ID_ASC], first: 20) {
    nodes {
      rowId name region
      ordersByCustomerId(orderBy: [CREATED_AT_DESC, ROW_ID_ASC], first: 10) { nodes { rowId amount status createdAt } }
    }
  }
}`;

const Q3 = `query Q3($id: Int!) {
  customerByRowId(rowId: $id) { rowId name email phone region segment repId createdAt updatedAt }
}`;

// `count` is the bench's aggregate spec (bench/servers/postgraphile.js): count(id)::int per group.
const Q4 = `query Q4 {
  allOrders { groupedAggregates(groupBy: [STATUS]) { keys count { rowId } sum { amount } } }
}`;

const body = (query, operationName, variables) => JSON.stringify(variables ? { query, variables, operationName } : { query, operationName });

const iso = (s) => (s == null ? s : new Date(s).toISOString());
const order = (o) => ({ id: o.rowId, amount: o.amount, status: o.status, created_at: iso(o.createdAt) });

/** PostGraphile's `data` → the raw server's `data`, per shape. */
const TO_RAW = {
  Q1: (d) => ({ customers: d.allCustomers.nodes.map((c) => ({ id: c.rowId, name: c.name, email: c.email, region: c.region, segment: c.segment })) }),
  Q2: (d) => ({
    customers: d.allCustomers.nodes.map((c) => ({ id: c.rowId, name: c.name, region: c.region, orders: c.ordersByCustomerId.nodes.map(order) })),
  }),
  Q3: (d) => {
    const c = d.customerByRowId;
    return {
      customer: c && {
        id: c.rowId,
        name: c.name,
        email: c.email,
        phone: c.phone,
        region: c.region,
        segment: c.segment,
        rep_id: c.repId,
        created_at: iso(c.createdAt),
        updated_at: iso(c.updatedAt),
      },
    };
  },
  // Groups sorted by status, as the raw SQL orders them (PostGraphile does not promise an order).
  Q4: (d) => ({
    ordersAggregate: d.allOrders.groupedAggregates
      .map((g) => ({ group: { status: g.keys[0] }, count: g.count.rowId, sum: { amount: g.sum.amount } }))
      .sort((a, b) => (a.group.status < b.group.status ? -1 : a.group.status > b.group.status ? 1 : 0)),
  }),
};

/** The shapes PostGraphile answers (not Q5: it serves PostgreSQL only), same titles as SHAPES. */
function pglShapes(SHAPES) {
  const out = {};
  const queries = { Q1, Q2, Q4 };
  for (const s of ['Q1', 'Q2', 'Q4']) out[s] = { ...SHAPES[s], bodies: [body(queries[s], s)], query: queries[s] };
  out.Q3 = { ...SHAPES.Q3, bodies: Q3_IDS.map((id) => body(Q3, 'Q3', { id })), query: Q3 };
  return out;
}

module.exports = { ensureInstalled, versions, pglShapes, TO_RAW, POLYFILL, DIR };
