'use strict';
/**
 * npm run soak: a `datagate serve` under a steady mixed load, to see that nothing leaks or breaks.
 *
 *   SOAK_SECONDS=300 SOAK_CLIENTS=50 npm run soak
 *
 * The deployment is the demo's own (datagate.yaml, schema/, policies/, users.yaml: the five demo
 * users and their roles) on real servers instead of the embedded engines: crm on PostgreSQL
 * (database datagate_soak_crm), sales on MariaDB/MySQL (datagate_soak_sales), marketing on a SQLite
 * file (bench/.data/soak-marketing.sqlite), all seeded once with `datagate seed --if-empty` (demo
 * scale 1: 2,000 customers, 20,000 orders); the metadata store (audit records) on PostgreSQL
 * database datagate_soak_meta (SOAK_META=sqlite: the file bench/.data/soak-meta.sqlite), dropped and created anew by every run, so that every audit record in
 * it belongs to this run. The same URLs as the bench (DATAGATE_BENCH_PG_URL, DATAGATE_BENCH_MYSQL_URL).
 *
 * 1. `datagate serve` (bin/datagate.js of SOAK_ROOT, default this checkout: build it first) pinned
 *    to BENCH_SERVER_CPU (0); this process, the client, re-runs itself pinned to BENCH_LOADGEN_CPU (1).
 * 2. SOAK_CLIENTS (50) clients on keep-alive connections, each sending its next request as soon as
 *    the last is answered, for SOAK_SECONDS (300), a weighted mix over the five users (lib: MIX
 *    below): lists, nested and cross-source reads, aggregates, connections (with a second page
 *    through the cursor), catalog, me/myAccess/whyNot, auditLog, quality, and one client that cycles
 *    a mutation pair (bob asks for access, erin denies it). A progress line every 10 s.
 * 3. Then a graceful stop (SIGTERM: the audit queue drains into the store), and the audit records
 *    counted in the store against the GraphQL requests sent.
 *
 * Bounds (exit 1 when one is broken): errors = 0 (network errors, non-200, `errors` in a body);
 * RSS at the end within 10% of RSS at the start; audit records = requests; the server exits 0 on
 * SIGTERM. Prints p50/p99 (whole run, and per operation).
 *
 * RSS is sampled every 2 s. Under this load V8's heap saws up and down by ±25% between collections
 * (the first 5-minute run: 165 to 260 MB from one 10 s sample to the next), so one sample at each
 * end says more about where the last GC happened than about a leak. "Start" is therefore the
 * median of the samples of the first SOAK_WINDOW seconds (default 60, or a fifth of the run) after
 * a warm-up of SOAK_WARMUP seconds (default 10% of the run, min 10 s: start-up, JIT and caches
 * filling are not growth), "end" the median of the last SOAK_WINDOW seconds; the floors (minimum
 * of each window: the heap right after a collection, the first to show a leak) and single samples
 * are reported too, and RSS right after start-up.
 */
const fs = require('node:fs');
const http = require('node:http');
const net = require('node:net');
const path = require('node:path');
const { spawn, spawnSync, execFileSync } = require('node:child_process');
const S = require('./lib/settings');

const SECONDS = Number(process.env.SOAK_SECONDS ?? 300);
const CLIENTS = Number(process.env.SOAK_CLIENTS ?? 50);
const WARMUP = Number(process.env.SOAK_WARMUP ?? Math.max(10, Math.round(SECONDS / 10)));
const RSS_BOUND = 0.1;
const WINDOW = Number(process.env.SOAK_WINDOW ?? Math.min(60, Math.max(2, Math.round((SECONDS - WARMUP) / 5))));
const ROOT = process.env.SOAK_ROOT ? path.resolve(process.env.SOAK_ROOT) : S.ROOT;

if (!process.env.SOAK_PINNED) {
  const r = spawnSync('taskset', ['-c', String(S.LOADGEN_CPU), process.execPath, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, SOAK_PINNED: '1' },
  });
  process.exit(r.status ?? 1);
}

const log = (m) => process.stderr.write(`[soak ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const BIN = path.join(ROOT, 'bin', 'datagate.js');
const CONFIG = path.join(ROOT, 'datagate.yaml');
if (!fs.existsSync(path.join(ROOT, 'dist', 'src', 'cli', 'main.js'))) {
  log(`${ROOT}/dist is missing: run \`npm run build\` first`);
  process.exit(1);
}

const PG_CRM = S.withDatabase(S.PG_ADMIN_URL, 'datagate_soak_crm');
const PG_META = S.withDatabase(S.PG_ADMIN_URL, 'datagate_soak_meta');
const MYSQL_SALES = S.withDatabase(S.MYSQL_ADMIN_URL, 'datagate_soak_sales');
const MARKETING_FILE = path.join(__dirname, '.data', 'soak-marketing.sqlite');
/** SOAK_META=sqlite: the metadata store is a SQLite file (the default store; audit batches go through its writer thread). */
const META_SQLITE = process.env.SOAK_META === 'sqlite' ? path.join(__dirname, '.data', 'soak-meta.sqlite') : null;

function serverEnv() {
  return {
    ...process.env,
    NODE_ENV: 'production',
    CRM_URL: PG_CRM,
    SALES_URL: MYSQL_SALES,
    MARKETING_URL: `sqlite:${MARKETING_FILE}`,
    DATAGATE_META_URL: META_SQLITE ? `sqlite:${META_SQLITE}` : PG_META,
  };
}

// ------------------------------------------------------------------ the workload

const USERS = ['alice', 'bob', 'carol', 'dave', 'erin'];

/**
 * [weight, user, name, query, variables?]. Every user reads what their role allows; the queries
 * are chosen so that none is refused (a refusal would count as an error).
 */
const MIX = [
  // lists and by key
  [8, 'alice', 'alice customers', `query AliceCustomers { customers(orderBy: [{name: ASC}], limit: 20) { id name email phone region segment } }`],
  [4, 'alice', 'alice customer by key', `query AliceCustomer($id: Int!) { customer(id: $id) { id name email region } }`, () => ({ id: 1 + 20 * Math.floor(rnd() * 100) })],
  [6, 'erin', 'erin customers', `query ErinCustomers { customers(where: {region: {eq: "EU"}}, orderBy: [{name: ASC}], limit: 50) { id name email region segment rep_id } }`],
  [4, 'erin', 'erin customer by key', `query ErinCustomer($id: Int!) { customer(id: $id) { id name email phone region segment rep_id created_at updated_at } }`, () => ({ id: 1 + Math.floor(rnd() * 2000) })],
  [4, 'bob', 'bob leads', `query BobLeads { leads(orderBy: [{score: DESC}], limit: 30) { id email score status campaign { name channel } } }`],
  [3, 'bob', 'bob campaigns', `query BobCampaigns { campaigns(limit: 20) { id name channel starts_at ends_at } }`],
  // nested 1:N and across sources
  [6, 'alice', 'alice customers+orders (crm→sales)', `query AliceNested { customers(orderBy: [{name: ASC}], limit: 10) { id name orders(orderBy: [{created_at: DESC}], limit: 5) { id amount status created_at } } }`],
  [4, 'erin', 'erin customers+orders+lines+leads (3 sources)', `query ErinDeep { customers(where: {region: {eq: "NA"}}, orderBy: [{name: ASC}], limit: 5) { id name rep { name } orders(orderBy: [{created_at: DESC}], limit: 3) { id amount lines { quantity product { name } } } leads { campaign { name channel } } } }`],
  [3, 'dave', 'dave orders+customer', `query DaveOrders { orders(orderBy: [{created_at: DESC}], limit: 20) { id amount status customer { id name email } } }`],
  // aggregates
  [5, 'carol', 'carol orders by status', `query CarolByStatus { ordersAggregate(groupBy: [status]) { group { status } count sum { amount } avg { amount } } }`],
  [3, 'alice', 'alice orders by status', `query AliceByStatus { ordersAggregate(groupBy: [status]) { group { status } count sum { amount } } }`],
  [2, 'carol', 'carol customers by region', `query CarolByRegion { customersAggregate(groupBy: [region, segment]) { group { region segment } count } }`],
  // connections: a first page, then the next through its cursor (two requests)
  [4, 'carol', 'carol orders connection (2 pages)', `query CarolOrdersPage($after: String) { ordersConnection(first: 25, after: $after, orderBy: [{id: ASC}]) { totalCount pageInfo { hasNextPage endCursor } nodes { id amount status } } }`, null, 'paged'],
  [2, 'dave', 'dave customers connection', `query DaveCustomersPage { customersConnection(first: 20, orderBy: [{id: ASC}]) { totalCount edges { cursor node { id name email } } } }`],
  // governance: catalog, me, access, audit, quality
  [3, 'bob', 'bob catalog', `query BobCatalog { catalog { name source owner { team } } }`],
  [2, 'alice', 'alice me + myAccess + whyNot', `query AliceAccess { me { id roles } myAccess { entity masked rowCondition } whyNot(entity: "Customer", field: "phone") { allowed reason } }`],
  [2, 'dave', 'dave auditLog', `query DaveAudit { auditLog(first: 10) { nodes { id at userId roles operationName entities outcome } pageInfo { hasNextPage endCursor } } }`],
  [1, 'erin', 'erin quality', `query ErinQuality { quality { entity status } }`],
];

let seed = 0x9e3779b9;
/** A small deterministic PRNG (mulberry32), so that two runs send the same mix. */
function rnd() {
  seed |= 0;
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const totalWeight = MIX.reduce((a, m) => a + m[0], 0);
function pick() {
  let x = rnd() * totalWeight;
  for (const m of MIX) if ((x -= m[0]) < 0) return m;
  return MIX[MIX.length - 1];
}

// ------------------------------------------------------------------ plumbing

const agent = new http.Agent({ keepAlive: true, maxSockets: CLIENTS + 2 });
let URL_ = null;
const stats = { requests: 0, errors: 0, byOp: new Map(), errorSamples: [], latencies: [] };

function post(token, body) {
  return new Promise((resolve) => {
    const u = new URL(URL_);
    const t0 = process.hrtime.bigint();
    const req = http.request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), authorization: `Bearer ${token}` },
      },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8'), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
        res.on('error', (e) => resolve({ status: 0, text: String(e), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
      },
    );
    req.on('error', (e) => resolve({ status: 0, text: String(e), ms: Number(process.hrtime.bigint() - t0) / 1e6 }));
    req.end(body);
  });
}

/** One GraphQL request, counted; returns the parsed body or null (an error, recorded). */
async function gql(name, user, query, variables) {
  const body = JSON.stringify(variables ? { query, variables } : { query });
  const r = await post(TOKENS[user], body);
  stats.requests++;
  stats.latencies.push(r.ms);
  let op = stats.byOp.get(name);
  if (!op) stats.byOp.set(name, (op = { n: 0, errors: 0, lat: [] }));
  op.n++;
  op.lat.push(r.ms);
  let parsed = null;
  try {
    parsed = JSON.parse(r.text);
  } catch {
    /* not JSON */
  }
  if (r.status !== 200 || !parsed || parsed.errors || !parsed.data) {
    stats.errors++;
    op.errors++;
    if (stats.errorSamples.length < 10) stats.errorSamples.push(`${name} as ${user}: HTTP ${r.status} ${r.text.slice(0, 300)}`);
    return null;
  }
  return parsed.data;
}

async function runOp(m) {
  const [, user, name, query, vars, kind] = m;
  if (kind === 'paged') {
    const first = await gql(name, user, query, { after: null });
    const c = first && first.ordersConnection.pageInfo;
    if (c && c.hasNextPage) await gql(name, user, query, { after: c.endCursor });
    return;
  }
  await gql(name, user, query, vars ? vars() : undefined);
}

/** The mutation pair, serialised on one client: bob asks for Order.amount for a day, erin denies it. */
let cycles = 0;
async function mutationCycle() {
  const asked = await gql(
    'bob requestAccess (mutation)',
    'bob',
    `mutation BobAsks($reason: String!) { requestAccess(entity: "Order", fields: ["amount"], reason: $reason, days: 1) { id status } }`,
    { reason: `soak cycle ${++cycles}` },
  );
  if (!asked) return;
  await gql(
    'erin denyAccessRequest (mutation)',
    'erin',
    `mutation ErinDenies($id: ID!) { denyAccessRequest(id: $id, comment: "soak: not needed") { id status } }`,
    { id: asked.requestAccess.id },
  );
}

function rssKb(pid) {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    return { rss: Number(/VmRSS:\s+(\d+)/.exec(s)[1]), hwm: Number(/VmHWM:\s+(\d+)/.exec(s)[1]) };
  } catch {
    return null;
  }
}

const pctl = (xs, p) => {
  if (!xs.length) return null;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const mb = (kb) => (kb / 1024).toFixed(0);

async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

async function prepareDatabases() {
  const pg = require('pg');
  const admin = new pg.Client({ connectionString: S.PG_ADMIN_URL });
  await admin.connect();
  try {
    if (!(await admin.query(`select 1 from pg_database where datname = 'datagate_soak_crm'`)).rowCount) await admin.query('create database datagate_soak_crm');
    await admin.query('drop database if exists datagate_soak_meta with (force)');
    if (META_SQLITE) for (const f of [META_SQLITE, `${META_SQLITE}-wal`, `${META_SQLITE}-shm`]) fs.rmSync(f, { force: true });
    else await admin.query('create database datagate_soak_meta');
  } finally {
    await admin.end();
  }
  const mysql = require('mysql2/promise');
  const m = await mysql.createConnection(S.MYSQL_ADMIN_URL);
  try {
    await m.query('create database if not exists datagate_soak_sales character set utf8mb4 collate utf8mb4_unicode_ci');
  } finally {
    await m.end();
  }
  fs.mkdirSync(path.dirname(MARKETING_FILE), { recursive: true });
  log('seeding the demo data where missing (datagate seed --if-empty)');
  execFileSync(process.execPath, [BIN, 'seed', '--config', CONFIG, '--if-empty'], { cwd: ROOT, env: serverEnv(), stdio: ['ignore', 2, 2] });
}

function mintTokens() {
  const out = {};
  for (const u of USERS) out[u] = execFileSync(process.execPath, [BIN, 'token', u, '--config', CONFIG, '--ttl', '2h'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  return out;
}

let TOKENS = null;
let server = null;

async function waitReady(url, child, timeoutMs = 120_000) {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    if (child.exitCode !== null) throw new Error(`datagate serve exited during start-up (code ${child.exitCode})`);
    const ok = await new Promise((resolve) => {
      const req = http.get(url.replace('/graphql', '/ready'), (res) => {
        res.resume();
        resolve(res.statusCode === 200);
      });
      req.on('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error('datagate serve was not ready within 120 s');
}

async function countAudit() {
  if (META_SQLITE) {
    const db = new (require('better-sqlite3'))(META_SQLITE, { readonly: true });
    try {
      const total = db.prepare('select count(*) as n from audit_records').get().n;
      const byOutcome = db.prepare('select outcome, count(*) as n from audit_records group by outcome order by 2 desc').all();
      return { total, byOutcome };
    } finally {
      db.close();
    }
  }
  const pg = require('pg');
  const c = new pg.Client({ connectionString: PG_META });
  await c.connect();
  try {
    const total = Number((await c.query('select count(*)::int as n from audit_records')).rows[0].n);
    const byOutcome = (await c.query('select outcome, count(*)::int as n from audit_records group by outcome order by 2 desc')).rows;
    return { total, byOutcome };
  } finally {
    await c.end();
  }
}

(async () => {
  log(`datagate at ${ROOT}; ${CLIENTS} clients for ${SECONDS} s (RSS baseline after ${WARMUP} s); server on core ${S.SERVER_CPU}, clients on core ${S.LOADGEN_CPU}`);
  await prepareDatabases();
  TOKENS = mintTokens();
  const port = await freePort();
  URL_ = `http://127.0.0.1:${port}/graphql`;
  server = spawn('taskset', ['-c', String(S.SERVER_CPU), process.execPath, ...S.SERVER_NODE_ARGS, BIN, 'serve', '--config', CONFIG, '--port', String(port)], {
    cwd: ROOT,
    env: serverEnv(),
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let serverErr = '';
  server.stderr.on('data', (d) => {
    serverErr += d;
    if (serverErr.length > 20000) serverErr = serverErr.slice(-20000);
  });
  const killServer = () => server.exitCode === null && server.kill('SIGKILL');
  process.on('exit', killServer);
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
  await waitReady(URL_, server);
  // taskset runs node in place (exec): the pid is datagate's.
  const pid = server.pid;
  const rssReady = rssKb(pid);
  log(`datagate serve pid ${pid} ready at ${URL_}; RSS ${mb(rssReady.rss)} MB`);

  const t0 = Date.now();
  const end = t0 + SECONDS * 1000;
  let rssWarm = null;
  let rssPeakWindow = 0;
  const samples = [];
  /** RSS every 2 s: { s, rss } (KiB). */
  const rssSamples = [];
  const sampler = setInterval(() => {
    const r = rssKb(pid);
    if (r) rssSamples.push({ s: (Date.now() - t0) / 1000, rss: r.rss });
  }, 2000);
  let lastReq = 0;
  let lastT = t0;
  const ticker = setInterval(() => {
    const now = Date.now();
    const r = rssKb(pid);
    if (!r) return;
    const s = (now - t0) / 1000;
    if (!rssWarm && s >= WARMUP) {
      rssWarm = r;
      log(`warm-up over: RSS ${mb(r.rss)} MB is the baseline`);
    }
    if (rssWarm) rssPeakWindow = Math.max(rssPeakWindow, r.rss);
    const rate = (stats.requests - lastReq) / ((now - lastT) / 1000);
    lastReq = stats.requests;
    lastT = now;
    const recent = stats.latencies.slice(-2000);
    samples.push({ s, rss: r.rss, rate });
    log(
      `${s.toFixed(0)}/${SECONDS} s: ${stats.requests} requests (${rate.toFixed(0)} req/s now), ${stats.errors} errors, ` +
        `p99 of the last 2000 ${pctl(recent, 99)?.toFixed(0)} ms, server RSS ${mb(r.rss)} MB`,
    );
  }, 10_000);

  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      while (Date.now() < end) {
        // Client 0 interleaves the mutation pair every 20th request of its own.
        if (i === 0 && stats.requests > 0 && rnd() < 0.05) await mutationCycle();
        else await runOp(pick());
      }
    }),
  );
  clearInterval(ticker);
  clearInterval(sampler);
  const elapsed = (Date.now() - t0) / 1000;
  const rssEnd = rssKb(pid);
  if (!rssWarm) rssWarm = rssEnd;
  log(`load done: ${stats.requests} requests in ${elapsed.toFixed(0)} s, ${stats.errors} errors; RSS ${mb(rssEnd.rss)} MB; stopping datagate (SIGTERM)`);

  server.kill('SIGTERM');
  const exit = await new Promise((resolve) => {
    const timer = setTimeout(() => {
      server.kill('SIGKILL');
    }, 30_000);
    server.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
  log(`datagate serve exited (code ${exit.code}, signal ${exit.signal})`);
  const audit = await countAudit();

  const inWindow = rssSamples.filter((x) => x.s >= WARMUP);
  const first = inWindow.filter((x) => x.s < WARMUP + WINDOW).map((x) => x.rss);
  const last = inWindow.filter((x) => x.s > elapsed - WINDOW).map((x) => x.rss);
  const median = (xs) => pctl(xs, 50);
  const rssStart = first.length ? median(first) : rssWarm.rss;
  const rssStop = last.length ? median(last) : rssEnd.rss;
  const growth = (rssStop - rssStart) / rssStart;
  const floorGrowth = first.length && last.length ? (Math.min(...last) - Math.min(...first)) / Math.min(...first) : null;
  const singleGrowth = (rssEnd.rss - rssWarm.rss) / rssWarm.rss;
  const p50 = pctl(stats.latencies, 50);
  const p99 = pctl(stats.latencies, 99);
  const lines = [];
  lines.push(`soak: ${CLIENTS} clients, ${elapsed.toFixed(0)} s, ${new Date().toISOString()}, datagate ${ROOT}`);
  lines.push('');
  lines.push('| measure | value | bound | ok |');
  lines.push('|---|---:|---|---|');
  lines.push(`| requests (GraphQL operations) | ${stats.requests} (${(stats.requests / elapsed).toFixed(0)} req/s) | | |`);
  lines.push(`| errors | ${stats.errors} | 0 | ${stats.errors === 0 ? 'yes' : 'NO'} |`);
  lines.push(`| RSS after start-up | ${mb(rssReady.rss)} MB | | |`);
  lines.push(`| RSS at the start: median of ${first.length} samples, ${WARMUP}-${WARMUP + WINDOW} s (min, max) | ${mb(rssStart)} MB (${mb(Math.min(...first))}, ${mb(Math.max(...first))}) | | |`);
  lines.push(`| RSS at the end: median of ${last.length} samples, last ${WINDOW} s (min, max) | ${mb(rssStop)} MB (${mb(Math.min(...last))}, ${mb(Math.max(...last))}) | | |`);
  lines.push(`| RSS growth, end vs start (medians) | ${(100 * growth).toFixed(1)}% | < ${100 * RSS_BOUND}% | ${growth < RSS_BOUND ? 'yes' : 'NO'} |`);
  lines.push(`| RSS growth of the floor (window minimum, just after a GC) | ${floorGrowth === null ? 'n/a' : `${(100 * floorGrowth).toFixed(1)}%`} | (reported) | |`);
  lines.push(`| single samples: after the warm-up / at the end / growth | ${mb(rssWarm.rss)} MB / ${mb(rssEnd.rss)} MB / ${(100 * singleGrowth).toFixed(1)}% (peak in the run ${mb(rssPeakWindow || rssEnd.rss)} MB, VmHWM ${mb(rssEnd.hwm)} MB) | (reported) | |`);
  lines.push(`| RSS growth, end vs after start-up | ${((100 * (rssStop - rssReady.rss)) / rssReady.rss).toFixed(1)}% | (reported: start-up, JIT, caches) | |`);
  lines.push(`| latency p50 / p99 | ${p50?.toFixed(1)} / ${p99?.toFixed(1)} ms | | |`);
  lines.push(`| audit records in the store | ${audit.total} (${audit.byOutcome.map((r) => `${r.outcome} ${r.n}`).join(', ')}) | = requests (${stats.requests}) | ${audit.total === stats.requests ? 'yes' : 'NO'} |`);
  lines.push(`| server exit on SIGTERM | code ${exit.code}${exit.signal ? `, signal ${exit.signal}` : ''} | 0 | ${exit.code === 0 ? 'yes' : 'NO'} |`);
  lines.push('');
  lines.push('| operation | user | requests | errors | p50 ms | p99 ms |');
  lines.push('|---|---|---:|---:|---:|---:|');
  const users = new Map(MIX.map((m) => [m[2], m[1]]));
  users.set('bob requestAccess (mutation)', 'bob');
  users.set('erin denyAccessRequest (mutation)', 'erin');
  for (const [name, op] of [...stats.byOp.entries()].sort((a, b) => b[1].n - a[1].n))
    lines.push(`| ${name} | ${users.get(name)} | ${op.n} | ${op.errors} | ${pctl(op.lat, 50).toFixed(1)} | ${pctl(op.lat, 99).toFixed(1)} |`);
  lines.push('');
  lines.push(`RSS (MB) every 10 s: ${samples.map((x) => mb(x.rss)).join(' ')}`);
  lines.push(`RSS (MB) every 2 s: ${rssSamples.map((x) => mb(x.rss)).join(' ')}`);
  lines.push(`req/s every 10 s: ${samples.map((x) => x.rate.toFixed(0)).join(' ')}`);
  if (stats.errorSamples.length) lines.push('', 'First errors:', ...stats.errorSamples.map((e) => `- ${e}`));
  process.stdout.write(lines.join('\n') + '\n');
  if (process.env.SOAK_RESULTS_FILE) fs.writeFileSync(process.env.SOAK_RESULTS_FILE, lines.join('\n') + '\n');
  const broken = [];
  if (stats.errors) broken.push(`${stats.errors} errors`);
  if (!(growth < RSS_BOUND)) broken.push(`RSS grew ${(100 * growth).toFixed(1)}%`);
  if (audit.total !== stats.requests) broken.push(`${audit.total} audit records for ${stats.requests} requests`);
  if (exit.code !== 0) broken.push(`datagate serve exited with code ${exit.code} (signal ${exit.signal})`);
  if (broken.length) {
    log(`FAILED: ${broken.join('; ')}`);
    if (exit.code !== 0 || stats.errors) process.stderr.write(`datagate's stderr (last part):\n${serverErr.slice(-4000)}\n`);
    process.exit(1);
  }
  log('all bounds met');
  process.exit(0);
})().catch((e) => {
  log(`FAILED: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
