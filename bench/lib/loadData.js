'use strict';
/**
 * Loads the bench data set: the demo generator at scale 50 (100,000 customers, 20 sales reps,
 * 1,000,000 orders) into PostgreSQL (sales_reps, customers, orders) and the same orders into
 * MySQL/MariaDB. Tables and indexes come from the demo's own DDL (createDemoTables /
 * addDemoConstraints, constraints deferred until after the load, as the demo seeder does); rows go
 * in as large multi-row statements. A marker table records what was loaded, so a second run
 * skips the load.
 */
const path = require('node:path');
const knexFactory = require('knex');
const pg = require('pg');
const mysql = require('mysql2/promise');
const { DIST, DB_NAME, DATA_VERSION } = require('./settings');
const { log, Progress } = require('./log');

const demo = require(path.join(DIST, 'src', 'demo'));

const MARKER = 'datagate_bench_marker';
/** Rows per INSERT. PostgreSQL takes one array parameter per column (no bind limit); MySQL a formatted VALUES list. */
const PG_CHUNK = 20_000;
const MYSQL_CHUNK = 5_000;

const PG_TYPE = { id: 'int4', int: 'int4', string: 'text', decimal: 'numeric', timestamp: 'timestamptz', date: 'date', boolean: 'bool', json: 'json' };

function expectedMarker(scale) {
  const data = demo.createDemoDataset({ scale });
  return { version: DATA_VERSION, scale, seed: data.seed, sizes: data.sizes };
}

async function readMarker(query) {
  try {
    const rows = await query(`select value from ${MARKER} where name = 'dataset'`);
    return rows.length ? JSON.parse(rows[0].value) : null;
  } catch {
    return null; // no marker table: nothing (complete) was loaded
  }
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Fills one table from the generator, `chunk` rows per statement, with progress on stderr. */
async function fillTable(label, spec, data, total, chunk, insert) {
  const progress = new Progress(label, total);
  let done = 0;
  for (const rows of data.chunks(spec.name, chunk)) {
    await insert(rows);
    done += rows.length;
    progress.update(done);
  }
  progress.finish(done);
  return done;
}

// ---------------------------------------------------------------- PostgreSQL

async function ensurePgDatabase(adminUrl) {
  const c = new pg.Client({ connectionString: adminUrl });
  await c.connect();
  try {
    const r = await c.query('select 1 from pg_database where datname = $1', [DB_NAME]);
    if (!r.rowCount) {
      log(`postgres: creating database ${DB_NAME}`);
      await c.query(`create database ${DB_NAME}`);
    }
  } finally {
    await c.end();
  }
}

function pgInserter(client, spec) {
  const cols = spec.columns;
  const sql =
    `insert into ${spec.name} (${cols.map((c) => c.name).join(', ')}) ` +
    `select * from unnest(${cols.map((c, i) => `$${i + 1}::${PG_TYPE[c.kind]}[]`).join(', ')})`;
  return async (rows) => {
    const arrays = cols.map(() => new Array(rows.length));
    for (let r = 0; r < rows.length; r++) {
      const row = rows[r];
      for (let i = 0; i < cols.length; i++) {
        const v = row[cols[i].name] ?? null;
        arrays[i][r] = v instanceof Date ? v.toISOString() : cols[i].kind === 'json' && v !== null ? JSON.stringify(v) : v;
      }
    }
    await client.query(sql, arrays);
  };
}

async function loadPostgres(url, scale) {
  const want = expectedMarker(scale);
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const knex = knexFactory({ client: 'pg', connection: url, pool: { min: 0, max: 1 } });
  try {
    const have = await readMarker(async (q) => (await client.query(q)).rows);
    if (have && same(have, want)) {
      log(`postgres: ${DB_NAME} already holds the scale-${scale} data (marker v${want.version}); skipping the load`);
      return false;
    }
    log(`postgres: loading scale ${scale} into ${DB_NAME} (${have ? 'marker differs' : 'no marker'})`);
    await client.query(`drop table if exists ${MARKER}`);
    // The demo's DDL, constraints and indexes deferred until the rows are in.
    await demo.createDemoTables(knex, 'crm', { deferConstraints: true });
    await demo.createDemoTables(knex, 'sales', { deferConstraints: true });
    const data = demo.createDemoDataset({ scale });
    const sizes = data.sizes;
    await client.query('begin');
    await client.query('set local synchronous_commit = off');
    for (const [table, total] of [['sales_reps', sizes.salesReps], ['customers', sizes.customers], ['orders', sizes.orders]]) {
      const spec = demo.demoTable(table);
      await fillTable(`postgres ${table}`, spec, data, total, PG_CHUNK, pgInserter(client, spec));
      await client.query(`select setval(pg_get_serial_sequence($1, 'id'), coalesce(max(id), 0) + 1, false) from ${table}`, [table]);
    }
    await client.query('commit');
    let t = Date.now();
    log('postgres: adding the demo indexes and foreign keys');
    await demo.addDemoConstraints(knex, 'crm');
    await demo.addDemoConstraints(knex, 'sales');
    // Only `orders` of the sales tables is part of the bench: drop the empty others.
    await client.query('drop table if exists order_lines');
    await client.query('drop table if exists products');
    log(`postgres: indexes in ${Date.now() - t} ms; analyzing`);
    t = Date.now();
    await client.query('analyze sales_reps, customers, orders');
    await client.query(`create table ${MARKER} (name text primary key, value text not null)`);
    await client.query(`insert into ${MARKER} values ('dataset', $1)`, [JSON.stringify(want)]);
    log(`postgres: analyzed in ${Date.now() - t} ms; marker written`);
    return true;
  } finally {
    await client.end();
    await knex.destroy();
  }
}

// ---------------------------------------------------------------- MySQL / MariaDB

async function ensureMysqlDatabase(adminUrl) {
  const c = await mysql.createConnection(adminUrl);
  try {
    await c.query(`create database if not exists ${DB_NAME} character set utf8mb4 collate utf8mb4_unicode_ci`);
  } finally {
    await c.end();
  }
}

function mysqlInserter(conn, spec) {
  const cols = spec.columns;
  const sql = `insert into ${spec.name} (${cols.map((c) => c.name).join(', ')}) values ?`;
  return async (rows) => {
    const values = rows.map((row) => cols.map((c) => demo.encodeDemoValue(c.kind, row[c.name] ?? null, 'mysql')));
    await conn.query(sql, [values]);
  };
}

async function loadMysql(url, scale) {
  const want = expectedMarker(scale);
  const conn = await mysql.createConnection({ uri: url, timezone: 'Z', multipleStatements: false });
  const u = new URL(url);
  const knex = knexFactory({
    client: 'mysql2',
    connection: { host: u.hostname, port: Number(u.port || 3306), user: decodeURIComponent(u.username), password: decodeURIComponent(u.password), database: DB_NAME, timezone: 'Z' },
    pool: { min: 0, max: 1 },
  });
  try {
    const have = await readMarker(async (q) => (await conn.query(q))[0]);
    if (have && same(have, want)) {
      log(`mysql: ${DB_NAME} already holds the scale-${scale} orders (marker v${want.version}); skipping the load`);
      return false;
    }
    log(`mysql: loading scale-${scale} orders into ${DB_NAME} (${have ? 'marker differs' : 'no marker'})`);
    await conn.query(`drop table if exists ${MARKER}`);
    await demo.createDemoTables(knex, 'sales', { deferConstraints: true });
    const data = demo.createDemoDataset({ scale });
    await conn.query('set unique_checks = 0');
    await conn.query('begin');
    const spec = demo.demoTable('orders');
    await fillTable('mysql orders', spec, data, data.sizes.orders, MYSQL_CHUNK, mysqlInserter(conn, spec));
    await conn.query('commit');
    await conn.query('set unique_checks = 1');
    let t = Date.now();
    log('mysql: adding the demo indexes and foreign keys');
    await demo.addDemoConstraints(knex, 'sales');
    await conn.query('drop table if exists order_lines');
    await conn.query('drop table if exists products');
    log(`mysql: indexes in ${Date.now() - t} ms; analyzing`);
    t = Date.now();
    await conn.query('analyze table orders');
    await conn.query(`create table ${MARKER} (name varchar(64) primary key, value text not null)`);
    await conn.query(`insert into ${MARKER} values ('dataset', ?)`, [JSON.stringify(want)]);
    log(`mysql: analyzed in ${Date.now() - t} ms; marker written`);
    return true;
  } finally {
    await conn.end();
    await knex.destroy();
  }
}

/**
 * The indexes the bench adds to the demo's, one per role's access path to "customers of a region
 * ordered by name" (Q1, Q2, Q5), as a deployment indexes what its queries and its policies filter on:
 * - customers (region, name, id), erin's: an index scan instead of a sort of the region's ~35,000
 *   customers (~25 ms of PostgreSQL CPU per request, which every server would measure alone);
 * - customers (rep_id, region, name, id), alice's: her policy adds `rep_id = $1`, which on the first
 *   index is a filter (PostgreSQL walks ~270 entries and heap rows for her first 50, 4x erin's
 *   buffers); with it her page is an exact range of 50 again. bench/README.md, "Where alice's time goes".
 * BENCH_SHAPE_INDEX=0 drops both, to measure with the demo's indexes alone.
 */
const SHAPE_INDEXES = [
  { name: 'bench_customers_region_name_id', columns: 'region, name, id' },
  { name: 'bench_customers_rep_region_name_id', columns: 'rep_id, region, name, id' },
];

async function ensureShapeIndexes(url, wanted) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    let changed = false;
    for (const { name, columns } of SHAPE_INDEXES) {
      const exists = (await client.query('select 1 from pg_indexes where indexname = $1', [name])).rowCount > 0;
      if (wanted && !exists) {
        log(`postgres: creating the bench index ${name} on customers (${columns})`);
        await client.query(`create index ${name} on customers (${columns})`);
        changed = true;
      } else if (!wanted && exists) {
        log(`postgres: BENCH_SHAPE_INDEX=0: dropping ${name}`);
        await client.query(`drop index ${name}`);
        changed = true;
      }
    }
    if (changed) await client.query('analyze customers');
  } finally {
    await client.end();
  }
}

/** Loads what is missing; `needMysql` false skips MySQL entirely (no cross-source shape selected). */
async function loadData({ pgAdminUrl, pgUrl, mysqlAdminUrl, mysqlUrl, scale, needMysql, shapeIndex }) {
  await ensurePgDatabase(pgAdminUrl);
  await loadPostgres(pgUrl, scale);
  await ensureShapeIndexes(pgUrl, shapeIndex);
  if (needMysql) {
    await ensureMysqlDatabase(mysqlAdminUrl);
    await loadMysql(mysqlUrl, scale);
  }
}

module.exports = { loadData, SHAPE_INDEXES };
