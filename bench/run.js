'use strict';
/**
 * npm run bench: datagate against a raw node-postgres/mysql2 server answering the same shapes with
 * hand-written SQL and the same JSON bytes. See bench/README.md.
 *
 *   1. load the data (skipped when the marker says it is there)
 *   2. check that both servers answer every shape with the same bytes (fail loudly otherwise)
 *   3. per round, shape and server: a fresh server pinned to one core, autocannon pinned to
 *      another, a discarded warm-up, a measured run, the server's peak RSS; the best round counts
 *   4. print the table and the ratios, write bench/RESULTS.md
 *   5. optionally (BENCH_PROFILE=Q1,Q3): a steady-state CPU profile of datagate per shape, summarised
 */
const fs = require('node:fs');
const path = require('node:path');
const { isDeepStrictEqual } = require('node:util');
const S = require('./lib/settings');
const { log } = require('./lib/log');
const { installCleanup, interruptedBy, startServer, runLoad, peakRssKb, cpuMs } = require('./lib/children');

installCleanup();
process.on('unhandledRejection', (e) => {
  log(`FAILED: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});

if (!fs.existsSync(path.join(S.DIST, 'src', 'server', 'index.js'))) {
  log('dist/src/server/index.js is missing: run `npm run build` (or `npx tsc -p tsconfig.build.json --noEmitOnError false`) first');
  process.exit(1);
}

const { loadData, SHAPE_INDEX } = require('./lib/loadData');
const { SHAPES, SQL, Q3_IDS } = require('./lib/shapes');
const { describeMachine } = require('./lib/machine');
const { summarizeProfile, profileMarkdown } = require('./lib/profile');

const list = (v) => (v ?? '').split(',').map((s) => s.trim().toUpperCase()).filter(Boolean);
const selected = list(process.env.BENCH_SHAPES).length ? list(process.env.BENCH_SHAPES) : Object.keys(SHAPES);
for (const s of selected) if (!SHAPES[s]) throw new Error(`BENCH_SHAPES: unknown shape ${s} (known: ${Object.keys(SHAPES).join(', ')})`);
const profileShapes = list(process.env.BENCH_PROFILE);
for (const s of profileShapes) if (!SHAPES[s]) throw new Error(`BENCH_PROFILE: unknown shape ${s}`);
const profileOnly = process.env.BENCH_PROFILE_ONLY === '1';
const shapeIndex = process.env.BENCH_SHAPE_INDEX !== '0';
const needMysql = [...selected, ...profileShapes].some((s) => SHAPES[s].needsMysql);

const SERVERS = {
  raw: path.join(__dirname, 'servers', 'raw.js'),
  datagate: path.join(__dirname, 'servers', 'datagate.js'),
};

function serverEnv() {
  return {
    ...process.env,
    NODE_ENV: 'production',
    DATAGATE_BENCH_CRM_URL: S.PG_URL,
    DATAGATE_BENCH_SALES_URL: S.MYSQL_URL,
    BENCH_POOL_SIZE: String(S.POOL_SIZE),
  };
}

const start = (name, opts = {}) => startServer(name, SERVERS[name], { cpu: S.SERVER_CPU, env: serverEnv(), ...opts });

async function post(url, body) {
  const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json' }, body });
  return { status: r.status, text: await r.text() };
}

/** Every body of every shape, to both servers: same bytes, or the bench stops here. */
async function checkEquality(shapes) {
  log(`checking that raw and datagate answer ${shapes.join(', ')} with the same bytes`);
  const raw = await start('raw');
  const dg = await start('datagate');
  const problems = [];
  const notes = {};
  try {
    for (const shape of shapes) {
      let keyOrderOnly = 0;
      let bytes = 0;
      for (const body of SHAPES[shape].bodies) {
        const [a, b] = await Promise.all([post(raw.url, body), post(dg.url, body)]);
        if (a.status !== 200 || b.status !== 200) {
          problems.push(`${shape}: HTTP ${a.status} from raw, ${b.status} from datagate for ${body}\n  raw: ${a.text.slice(0, 300)}\n  datagate: ${b.text.slice(0, 300)}`);
          continue;
        }
        const pa = JSON.parse(a.text);
        const pb = JSON.parse(b.text);
        if (pb.errors || !pb.data) problems.push(`${shape}: datagate answered with errors: ${b.text.slice(0, 500)}`);
        else if (a.text !== b.text) {
          if (isDeepStrictEqual(pa, pb)) keyOrderOnly++;
          else problems.push(`${shape}: different answers for ${body}\n  raw:      ${a.text.slice(0, 400)}\n  datagate: ${b.text.slice(0, 400)}`);
        }
        bytes += b.text.length;
      }
      const n = SHAPES[shape].bodies.length;
      notes[shape] = keyOrderOnly
        ? `same values, but the bytes differ (key order or whitespace) in ${keyOrderOnly}/${n}`
        : `identical bytes (${n} request${n > 1 ? 's' : ''}, ${Math.round(bytes / n)} B each)`;
      log(`  ${shape}: ${notes[shape]}`);
      if (keyOrderOnly) log(`  WARNING ${shape}: the answers parse to the same values but are not byte-identical`);
    }
  } finally {
    await Promise.all([raw.stop(), dg.stop()]);
  }
  if (problems.length) {
    log(`FAILED: raw and datagate disagree:\n${problems.join('\n')}`);
    process.exit(2);
  }
  return notes;
}

async function measure(serverName, shape, { label } = {}) {
  const server = await start(serverName);
  const loadBefore = fs.readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
  try {
    log(`${label ?? `${shape} ${serverName}`}: server pid ${server.pid} on core ${S.SERVER_CPU} at ${server.url}; load on core ${S.LOADGEN_CPU}, -c ${S.CONNECTIONS}, warm-up ${S.WARMUP_S} s, measured ${S.DURATION_S} s`);
    const cpu = {};
    const result = await runLoad(
      { url: server.url, bodies: SHAPES[shape].bodies, connections: S.CONNECTIONS, warmup: S.WARMUP_S, duration: S.DURATION_S, label: `${shape} ${serverName}` },
      S.LOADGEN_CPU,
      (phase) => (cpu[phase] = cpuMs(server.pid)),
    );
    result.peakRssKb = peakRssKb(server.pid);
    // Server CPU per request: much less sensitive than req/s to other work stealing the core.
    result.cpuMsPerReq = result.requests ? (cpu['measure-end'] - cpu['measure-start']) / result.requests : null;
    result.cpuBusy = (cpu['measure-end'] - cpu['measure-start']) / (result.duration * 1000);
    result.loadavg = loadBefore;
    result.failures = result.errors + result.timeouts + result.non2xx + result.mismatches;
    log(
      `${label ?? `${shape} ${serverName}`}: ${result.rps.toFixed(0)} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms, ` +
        `server CPU ${(result.cpuMsPerReq * 1000).toFixed(0)} µs/req (core ${(100 * result.cpuBusy).toFixed(0)}% busy), ` +
        `peak RSS ${(result.peakRssKb / 1024).toFixed(0)} MB${result.failures ? `, FAILURES ${result.failures} (errors ${result.errors}, timeouts ${result.timeouts}, non-2xx ${result.non2xx}, bad bodies ${result.mismatches})` : ''}`,
    );
    return result;
  } finally {
    await server.stop();
  }
}

// ------------------------------------------------------------------ report

/** Per (shape, server): the round with the most req/s (noise on a shared machine only ever slows a run down); peak RSS: the largest. */
function best(runs) {
  const out = [];
  for (const shape of selected)
    for (const server of ['raw', 'datagate']) {
      const mine = runs.filter((r) => r.shape === shape && r.server === server);
      if (!mine.length) continue;
      const top = mine.reduce((a, b) => (b.result.rps > a.result.rps ? b : a));
      const failures = mine.reduce((n, r) => n + r.result.failures, 0);
      const peak = Math.max(...mine.map((r) => r.result.peakRssKb));
      const cpu = median(mine.map((r) => r.result.cpuMsPerReq));
      out.push({ shape, server, result: { ...top.result, peakRssKb: peak, failures, cpuMsPerReq: cpu } });
    }
  return out;
}

const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);

function median(xs) {
  const s = xs.filter((x) => x !== null && Number.isFinite(x)).sort((a, b) => a - b);
  if (!s.length) return null;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

const geomean = (xs) => Math.exp(xs.reduce((a, x) => a + Math.log(x), 0) / xs.length);

function runRows(runs) {
  return [
    ['round', 'shape', 'server', 'req/s', 'p50 ms', 'p99 ms', 'server CPU µs/req', 'server core busy', 'peak RSS MB', 'failed', 'load avg before'],
    ...runs.map((r) => [
      r.round,
      r.shape,
      r.server,
      r.result.rps.toFixed(0),
      r.result.latency.p50,
      r.result.latency.p99,
      (r.result.cpuMsPerReq * 1000).toFixed(0),
      `${(100 * r.result.cpuBusy).toFixed(0)}%`,
      (r.result.peakRssKb / 1024).toFixed(0),
      r.result.failures,
      r.result.loadavg,
    ]),
  ];
}

function table(results) {
  const rows = [['shape', 'server', 'req/s', 'p50 ms', 'p99 ms', 'CPU µs/req', 'peak RSS MB', 'errors/non-2xx', 'flag']];
  for (const r of results) {
    const m = r.result;
    rows.push([
      r.shape,
      r.server,
      m.rps.toFixed(0),
      String(m.latency.p50),
      String(m.latency.p99),
      (m.cpuMsPerReq * 1000).toFixed(0),
      (m.peakRssKb / 1024).toFixed(0),
      `${m.errors + m.timeouts}/${m.non2xx}${m.mismatches ? ` (+${m.mismatches} bad bodies)` : ''}`,
      m.failures ? 'FAILED REQUESTS' : '',
    ]);
  }
  return rows;
}

/**
 * datagate/raw per shape. req/s: the geometric mean of the per-round ratios (each round's two runs
 * are back to back, so they share the machine's load of the moment); CPU: raw's median CPU per
 * request over datagate's (what datagate would reach on an idle, CPU-bound core).
 */
function ratios(results, runs) {
  const out = [];
  for (const shape of [...new Set(results.map((r) => r.shape))]) {
    const raw = results.find((r) => r.shape === shape && r.server === 'raw');
    const dg = results.find((r) => r.shape === shape && r.server === 'datagate');
    if (!raw || !dg) continue;
    const perRound = [];
    for (const round of [...new Set(runs.map((r) => r.round))]) {
      const a = runs.find((r) => r.round === round && r.shape === shape && r.server === 'raw');
      const b = runs.find((r) => r.round === round && r.shape === shape && r.server === 'datagate');
      if (a && b && a.result.rps > 0) perRound.push(b.result.rps / a.result.rps);
    }
    out.push({
      shape,
      rps: perRound.length ? geomean(perRound) : dg.result.rps / raw.result.rps,
      perRound,
      // With the server's core mostly idle (a database-bound shape), CPU per request is mostly background work: no ratio.
      cpu: raw.result.cpuMsPerReq && dg.result.cpuMsPerReq && raw.result.cpuBusy >= 0.2 && dg.result.cpuBusy >= 0.2 ? raw.result.cpuMsPerReq / dg.result.cpuMsPerReq : null,
      p50: dg.result.latency.p50 / raw.result.latency.p50,
      p99: dg.result.latency.p99 / raw.result.latency.p99,
      rss: dg.result.peakRssKb / raw.result.peakRssKb,
    });
  }
  return out;
}

function textTable(rows) {
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  return rows.map((r) => r.map((c, i) => (i >= 2 && /^[\d.,%x ]+$/.test(String(c)) ? lpad(c, widths[i]) : pad(c, widths[i]))).join('  ').trimEnd()).join('\n');
}

function mdTable(rows, rightFrom = 2, rightTo = 6) {
  const head = `| ${rows[0].join(' | ')} |`;
  const sep = `|${rows[0].map((_, i) => (i >= rightFrom && i <= rightTo ? '---:' : '---')).join('|')}|`;
  return [head, sep, ...rows.slice(1).map((r) => `| ${r.join(' | ')} |`)].join('\n');
}

function ratioRows(rs) {
  return [
    ['shape', 'datagate req/s as % of raw', 'per round', 'raw CPU/req as % of datagate', 'p50 datagate/raw', 'p99 datagate/raw', 'peak RSS datagate/raw'],
    ...rs.map((r) => [
      r.shape,
      `${(100 * r.rps).toFixed(0)}%`,
      r.perRound.map((x) => `${(100 * x).toFixed(0)}%`).join(', '),
      r.cpu === null ? 'n/a (server core mostly idle: database-bound)' : `${(100 * r.cpu).toFixed(0)}%`,
      `${r.p50.toFixed(2)}x`,
      `${r.p99.toFixed(2)}x`,
      `${r.rss.toFixed(2)}x`,
    ]),
  ];
}

function writeResults(machine, results, runs, equality, profiles) {
  const rs = ratios(results, runs);
  const codeBlock = (s) => '```graphql\n' + s + '\n```';
  const shapeDocs = selected
    .map((s) => {
      const body = JSON.parse(SHAPES[s].bodies[0]);
      return `- **${s}**: ${SHAPES[s].title}. Check: ${equality[s] ?? 'n/a'}.\n\n${codeBlock(body.query)}`;
    })
    .join('\n\n');
  const flagged = runs.filter((r) => r.result.failures);
  const md = `# datagate bench results

Generated by \`npm run bench\` (bench/run.js) on ${machine.date}. Quote ratios, not absolute req/s: this machine is shared and noisy.

## Machine and versions

| | |
|---|---|
| date | ${machine.date} |
| CPUs (nproc) | ${machine.nproc} |
| CPU | ${machine.cpu} |
| memory | ${machine.memory} |
| kernel | ${machine.kernel} |
| Node.js | ${machine.node} |
| PostgreSQL | ${machine.postgres} |
| MariaDB/MySQL | ${machine.mysql ?? 'not used'} |
| datagate commit | ${machine.commit}${machine.dirty ? ` (+ ${machine.dirty} uncommitted file(s) in src/ or resolvers/ at bench time)` : ''} |

## Method

- Data: the demo generator (\`createDemoDataset\`) at scale ${S.SCALE}: 100,000 customers, 20 sales reps and 1,000,000 orders in PostgreSQL database \`${S.DB_NAME}\`; the same 1,000,000 orders in MariaDB database \`${S.DB_NAME}\`. Tables and indexes from the demo's DDL (\`createDemoTables\`/\`addDemoConstraints\`), ANALYZEd after the load.${shapeIndex ? ` One index added for the bench: \`${SHAPE_INDEX}\` on customers (region, name, id), so that "customers of a region by name" is an index scan rather than a ~25 ms sort of the region's 35,000 rows that would make every server measure only PostgreSQL (BENCH_SHAPE_INDEX=0 leaves it out).` : ' Demo indexes only (BENCH_SHAPE_INDEX=0).'}
- Servers, each a fresh process per (shape, server), pinned with \`taskset -c ${S.SERVER_CPU}\`, listening on 127.0.0.1:
  - **datagate**: \`createGateway\` from dist/ on bench/datagate.yaml + bench/schema/*.yaml (Customer, SalesRep, Order in source crm = PostgreSQL; SalesOrder in source sales = MariaDB), \`NODE_ENV=production\`, pool ${S.POOL_SIZE} per source.
  - **raw**: node:http + \`pg\` Pool (and a mysql2 pool for Q5), pool ${S.POOL_SIZE}, hand-written SQL (bench/lib/shapes.js), reads and JSON-parses the same POST body, answers \`{"data":…}\` with one \`end()\`. Nested shapes use the same strategy as datagate: one query per level, \`row_number() over (partition by customer_id …)\` for the 10 latest orders per customer.
- Before measuring, every request body of every shape (all ${Q3_IDS.length} Q3 keys) went to both servers and the answers were compared byte for byte (the bench stops on any difference).
- Load: autocannon ${require('autocannon/package.json').version} (programmatic API) in a child process pinned with \`taskset -c ${S.LOADGEN_CPU}\`, ${S.CONNECTIONS} connections, no pipelining; a ${S.WARMUP_S} s warm-up (discarded), then a ${S.DURATION_S} s measured run; ${S.ROUNDS} round(s), alternating which server goes first, and the tables report each (shape, server)'s best round (noise from other work on the machine only slows a run down; every round is listed below). Q3 takes its body from a list of ${Q3_IDS.length} keys through one counter, identically for both servers. A response counts as failed when it is not 2xx or its body does not start with \`{"data":\` or contains \`"errors":\`.
- req/s = requests completed in the measured run / its duration; p50/p99 from autocannon's latency histogram; CPU µs/req = the server process's user+system CPU time (/proc/<pid>/stat) over the measured run / its requests (median of the rounds), a figure that other work on the machine disturbs much less than req/s; peak RSS = VmHWM of the server process (/proc/<pid>/status) after its measured run (so it covers start-up, warm-up and the run of that one shape; the largest of the rounds).
- Ratios: "datagate req/s as % of raw" is the geometric mean of the per-round ratios (a round's two runs are back to back and share the machine's load of the moment); "raw CPU/req as % of datagate" is what datagate's throughput would be, as a share of raw's, if the server's core were the only bottleneck.
- PostgreSQL and MariaDB are not pinned: their processes run on any core, the load generator's included.

## Results

Best round per (shape, server); CPU µs/req is the median of the rounds.

${mdTable(table(results), 2, 7)}

### datagate / raw

${mdTable(ratioRows(rs), 1, 6)}
${flagged.length ? `\n**Flagged:** ${flagged.map((r) => `${r.shape} ${r.server} round ${r.round}: ${r.result.failures} failed requests`).join('; ')}.\n` : ''}
### Every run

${mdTable(runRows(runs), 3, 9)}

## Shapes

${shapeDocs}

Raw SQL (PostgreSQL; Q5's orders query on MariaDB):

\`\`\`sql
${Object.entries(SQL)
  .map(([k, v]) => `-- ${k}\n${v.replace(/\n\s+/g, '\n  ')};`)
  .join('\n')}
\`\`\`
${profiles.length ? `\n## CPU profiles of datagate\n\n${profiles.join('\n')}` : ''}`;
  fs.writeFileSync(path.join(__dirname, 'RESULTS.md'), md);
  log('wrote bench/RESULTS.md');
}

/**
 * datagate under the V8 sampling profiler, steady state only: a fresh server, the warm-up
 * unprofiled, then the profiler on for one measured-length run. Summary: bench/profiles/.
 */
async function profileShape(shape) {
  const dir = path.join(__dirname, 'profiles');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `datagate-${shape}.cpuprofile`);
  const server = await start('datagate');
  let result;
  try {
    const job = { url: server.url, bodies: SHAPES[shape].bodies, connections: S.CONNECTIONS, label: `${shape} datagate (profiling)` };
    log(`${shape} datagate: profiling run, server pid ${server.pid}: warm-up ${S.WARMUP_S} s unprofiled, then ${S.DURATION_S} s under the profiler`);
    await runLoad({ ...job, warmup: 0, duration: S.WARMUP_S }, S.LOADGEN_CPU);
    await server.request({ type: 'profile-start' }, 'profile-started');
    result = await runLoad({ ...job, warmup: 0, duration: S.DURATION_S }, S.LOADGEN_CPU);
    await server.request({ type: 'profile-stop', file }, 'profile-written');
  } finally {
    await server.stop();
  }
  const summary = summarizeProfile(file, { root: S.ROOT, top: 25 });
  const title = `${shape} (${SHAPES[shape].title}): ${result.rps.toFixed(0)} req/s while profiled`;
  const md = profileMarkdown(summary, title, result.requests);
  fs.writeFileSync(path.join(dir, `datagate-${shape}.md`), md);
  log(`profile of ${shape}: bench/profiles/datagate-${shape}.cpuprofile, summary in bench/profiles/datagate-${shape}.md`);
  process.stdout.write('\n' + md);
  return md;
}

(async () => {
  const t0 = Date.now();
  log(`shapes ${selected.join(', ')}; warm-up ${S.WARMUP_S} s, measured ${S.DURATION_S} s; servers on core ${S.SERVER_CPU}, load on core ${S.LOADGEN_CPU}`);
  await loadData({ pgAdminUrl: S.PG_ADMIN_URL, pgUrl: S.PG_URL, mysqlAdminUrl: S.MYSQL_ADMIN_URL, mysqlUrl: S.MYSQL_URL, scale: S.SCALE, needMysql, shapeIndex });
  const equality = await checkEquality(profileOnly ? profileShapes : selected);
  const runs = [];
  const results = [];
  if (!profileOnly) {
    for (let round = 1; round <= S.ROUNDS; round++) {
      for (const shape of selected) {
        // Alternate which server goes first, so a drift in the machine's load hits both alike.
        const order = round % 2 ? ['raw', 'datagate'] : ['datagate', 'raw'];
        for (const server of order) runs.push({ round, shape, server, result: await measure(server, shape, { label: `${shape} ${server} (round ${round}/${S.ROUNDS})` }) });
      }
    }
    results.push(...best(runs));
    process.stdout.write('\n' + textTable(table(results)) + '\n\n' + textTable(ratioRows(ratios(results, runs))) + '\n');
  }
  const profiles = [];
  for (const shape of profileShapes) profiles.push(await profileShape(shape));
  if (!profileOnly) {
    const machine = await describeMachine({ root: S.ROOT, pgUrl: S.PG_URL, mysqlUrl: needMysql ? S.MYSQL_URL : null });
    writeResults(machine, results, runs, equality, profiles);
  }
  const failed = runs.filter((r) => r.result.failures);
  log(`done in ${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (failed.length) {
    log(`FLAGGED: failed requests in ${failed.map((r) => `${r.shape}/${r.server}`).join(', ')}`);
    process.exit(3);
  }
  process.exit(0);
})().catch((e) => {
  if (interruptedBy()) {
    log(`interrupted (${interruptedBy()})`);
    process.exit(130);
  }
  log(`FAILED: ${e && e.stack ? e.stack : e}`);
  process.exit(1);
});
