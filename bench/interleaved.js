'use strict';
/**
 * alice against erin in ONE datagate process, in alternating short blocks: a cross-check of the
 * role comparison that other work on a shared machine disturbs much less. `npm run bench` runs
 * each user for 20 s in a server of its own, so a burst of someone else's work that lasts a run
 * lands on one user only; here the two users alternate every few seconds (ABBA order) against
 * the same warm server, and the ratio is the geometric mean over many pairs, with its standard
 * error. Prints only (RESULTS.md untouched). Needs the bench data (`npm run bench` once) and dist/.
 *
 *   node bench/interleaved.js [Q1,Q2,Q3,Q5]
 *   BENCH_PAIRS=12 BENCH_BLOCK=3 BENCH_CONNECTIONS=16
 *
 * The server is pinned to BENCH_SERVER_CPU (0); this process, the client, re-runs itself pinned to
 * BENCH_LOADGEN_CPU (1). The client is node:http with keep-alive, not autocannon: compare the
 * ratios, not the absolute req/s, with those of `npm run bench`.
 */
const path = require('node:path');
const http = require('node:http');
const { spawnSync } = require('node:child_process');
const S = require('./lib/settings');

if (!process.env.BENCH_INTERLEAVED_PINNED) {
  const r = spawnSync('taskset', ['-c', String(S.LOADGEN_CPU), process.execPath, __filename, ...process.argv.slice(2)], {
    stdio: 'inherit',
    env: { ...process.env, BENCH_INTERLEAVED_PINNED: '1' },
  });
  process.exit(r.status ?? 1);
}

const { log } = require('./lib/log');
const { installCleanup, startServer, cpuMs } = require('./lib/children');
const { SHAPES } = require('./lib/shapes');
const { openDb } = require('./lib/db');
const { mintTokens, pickAlice, roleShapes } = require('./lib/roles');

installCleanup();
const shapes = (process.argv[2] ?? 'Q1,Q2,Q3,Q5').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
for (const s of shapes) if (!SHAPES[s]) throw new Error(`unknown shape ${s}`);
const PAIRS = Number(process.env.BENCH_PAIRS ?? 12);
const BLOCK_S = Number(process.env.BENCH_BLOCK ?? 3);
const CONNECTIONS = S.CONNECTIONS;

const agent = new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS });
function post(url, body, token) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
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
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          if (res.statusCode !== 200 || !text.startsWith('{"data":') || text.includes('"errors":')) reject(new Error(`HTTP ${res.statusCode}: ${text.slice(0, 300)}`));
          else resolve();
        });
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const geomean = (xs) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);
/** Standard error of the geometric mean, as a fraction (from the spread of the logs). */
function relStdErr(xs) {
  const logs = xs.map(Math.log);
  const m = logs.reduce((a, b) => a + b, 0) / logs.length;
  return Math.sqrt(logs.reduce((a, b) => a + (b - m) ** 2, 0) / (logs.length - 1) / logs.length);
}
const pct = (x) => `${(100 * x).toFixed(1)}%`;

async function measureShape(shape, bodies, tokens) {
  const env = S.serverEnv();
  const server = await startServer('datagate', path.join(__dirname, 'servers', 'datagate.js'), { cpu: S.SERVER_CPU, env });
  let next = 0;
  const block = async (user, seconds) => {
    const end = Date.now() + seconds * 1000;
    let done = 0;
    const cpu0 = cpuMs(server.pid);
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (Date.now() < end) {
          await post(server.url, bodies[next++ % bodies.length], tokens[user]);
          done++;
        }
      }),
    );
    return { rps: done / ((Date.now() - t0) / 1000), cpuUs: ((cpuMs(server.pid) - cpu0) * 1000) / done };
  };
  try {
    log(`${shape}: warm-up, then ${PAIRS} pairs of ${BLOCK_S} s blocks (alice, erin alternating first), ${CONNECTIONS} connections, server pid ${server.pid}`);
    await block('alice', 4);
    await block('erin', 4);
    const res = { alice: [], erin: [] };
    for (let p = 0; p < PAIRS; p++) for (const user of p % 2 ? ['erin', 'alice'] : ['alice', 'erin']) res[user].push(await block(user, BLOCK_S));
    const rps = res.alice.map((a, i) => a.rps / res.erin[i].rps);
    const cpu = res.alice.map((a, i) => res.erin[i].cpuUs / a.cpuUs);
    return {
      shape,
      rps: geomean(rps),
      rpsErr: relStdErr(rps),
      perPair: rps,
      cpu: geomean(cpu),
      alice: { rps: geomean(res.alice.map((x) => x.rps)), cpuUs: geomean(res.alice.map((x) => x.cpuUs)) },
      erin: { rps: geomean(res.erin.map((x) => x.rps)), cpuUs: geomean(res.erin.map((x) => x.cpuUs)) },
    };
  } finally {
    await server.stop();
  }
}

(async () => {
  const db = openDb({ pgUrl: S.PG_URL, pool: 1 });
  let alice;
  try {
    alice = await pickAlice(db.pg);
  } finally {
    await db.end();
  }
  const tokens = await mintTokens(alice);
  const roleSet = roleShapes(SHAPES, alice);
  log(`alice: employee_id ${alice.repId}; machine load ${require('node:fs').readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')}`);
  const rows = [];
  for (const shape of shapes) {
    const r = await measureShape(shape, roleSet[shape].bodies, tokens);
    log(`${shape}: alice ${pct(r.rps)} of erin's req/s (±${pct(r.rpsErr)}), per pair ${r.perPair.map((x) => (100 * x).toFixed(0)).join(' ')}`);
    rows.push(r);
  }
  const out = [
    `| shape | alice req/s as % of erin (± s.e.) | erin CPU/req as % of alice | req/s alice / erin | server CPU µs/req alice / erin |`,
    `|---|---:|---:|---:|---:|`,
    ...rows.map((r) => `| ${r.shape} | ${pct(r.rps)} (±${pct(r.rpsErr)}) | ${pct(r.cpu)} | ${r.alice.rps.toFixed(0)} / ${r.erin.rps.toFixed(0)} | ${r.alice.cpuUs.toFixed(0)} / ${r.erin.cpuUs.toFixed(0)} |`),
  ];
  process.stdout.write(`\n${PAIRS} pairs of ${BLOCK_S} s blocks per shape, ${CONNECTIONS} connections, ${new Date().toISOString()}\n\n${out.join('\n')}\n`);
  process.exit(0);
})().catch((e) => {
  log(`FAILED: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
