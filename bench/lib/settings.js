'use strict';
/**
 * Everything the bench reads from the environment, in one place.
 */
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..', '..');
/** The compiled datagate to measure; BENCH_DIST points at another build (an A/B of a change). */
const DIST = process.env.BENCH_DIST ? path.resolve(process.env.BENCH_DIST) : path.join(ROOT, 'dist');

function withDatabase(url, db) {
  const u = new URL(url);
  u.pathname = `/${db}`;
  return u.toString();
}

const DB_NAME = 'datagate_bench';
const PG_ADMIN_URL = process.env.DATAGATE_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MYSQL_ADMIN_URL = process.env.DATAGATE_BENCH_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';

function seconds(name, fallback) {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  const n = Number(v);
  if (!(n > 0)) throw new Error(`${name} must be a positive number of seconds, found ${JSON.stringify(v)}`);
  return n;
}

const PG_URL = withDatabase(PG_ADMIN_URL, DB_NAME);
const MYSQL_URL = withDatabase(MYSQL_ADMIN_URL, DB_NAME);
const POOL_SIZE = 10;

/** The environment of a bench server child (bench/servers/*.js): production mode, the bench databases, the pool size; `extra` on top. */
function serverEnv(extra = {}) {
  return { ...process.env, NODE_ENV: 'production', DATAGATE_BENCH_CRM_URL: PG_URL, DATAGATE_BENCH_SALES_URL: MYSQL_URL, BENCH_POOL_SIZE: String(POOL_SIZE), ...extra };
}

module.exports = {
  ROOT,
  DIST,
  DB_NAME,
  PG_ADMIN_URL,
  MYSQL_ADMIN_URL,
  /** The bench database on each server (the admin URL with its database replaced). */
  PG_URL,
  MYSQL_URL,
  /** Demo scale: 50 = 100,000 customers, 1,000,000 orders. */
  SCALE: Number(process.env.BENCH_SCALE ?? 50),
  /** Bumped whenever the bench's tables or loading change, so old data is reloaded. */
  DATA_VERSION: 1,
  POOL_SIZE,
  CONNECTIONS: Number(process.env.BENCH_CONNECTIONS ?? 16),
  WARMUP_S: seconds('BENCH_WARMUP', 5),
  DURATION_S: seconds('BENCH_DURATION', 10),
  /** Measured rounds per (shape, server); the table reports the best round. */
  ROUNDS: Number(process.env.BENCH_ROUNDS ?? 2),
  SERVER_CPU: process.env.BENCH_SERVER_CPU ?? '0',
  /**
   * Node flags for every server the bench starts (raw, PostGraphile, datagate): the same V8 settings
   * for all three. The default is what `datagate serve` runs with (bin/datagate.js, npm start, the
   * Dockerfile): a 64 MB young generation and no allocation-site pretenuring (README, Operations,
   * Memory). BENCH_NODE_ARGS='' runs Node's defaults.
   */
  SERVER_NODE_ARGS: (process.env.BENCH_NODE_ARGS ?? '--max-semi-space-size=64 --no-allocation-site-pretenuring').split(/\s+/).filter(Boolean),
  LOADGEN_CPU: process.env.BENCH_LOADGEN_CPU ?? '1',
  withDatabase,
  serverEnv,
};
