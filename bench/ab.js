#!/usr/bin/env node
'use strict';
/**
 * A/B of datagate builds on the bench deployment, alternating in one run: server CPU per request,
 * req/s and p99 of each build, per shape, as erin or alice.
 *
 *   node bench/ab.js [--shape Q3] [--as erin] [--rounds 3] [--seconds 10] <dist> [<dist> …]
 *
 * A <dist> may carry node flags for its server after `::` (`dist::--max-semi-space-size=32`): an
 * A/B of V8 settings on one build; and environment variables after a second `::`
 * (`dist::::DATAGATE_BENCH_PLAN_CACHE=generic`): an A/B of bench/datagate.yaml settings read from the
 * environment.
 *
 * Each <dist> is a compiled datagate (`dist/` of a checkout: `git worktree add /tmp/old <rev> && cd
 * /tmp/old && ln -s $PWD/node_modules && npx tsc -p tsconfig.build.json`). The bench data must be
 * loaded (`npm run bench` once). Each round starts every build in turn (bench/servers/datagate.js
 * with BENCH_DIST, pinned to the server core, on this checkout's bench/datagate.yaml), warms it up,
 * measures it with the bench's load generator (pinned to the other core) and reads the server's CPU
 * time from /proc: the same method as `npm run bench`, without the equality checks and the report.
 * Compare builds within one run; the machine's noise moves both.
 */
const path = require('node:path');
const fs = require('node:fs');
const { parseArgs } = require('node:util');
const S = require('./lib/settings');
const { SHAPES } = require('./lib/shapes');
const { tokensForLoadedData } = require('./lib/roles');
const { startServer, runLoad, cpuMs, databaseCpuMs, installCleanup } = require('./lib/children');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    shape: { type: 'string', default: 'Q3' },
    as: { type: 'string', default: 'erin' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
  },
});

const log = (m) => process.stderr.write(`[ab ${new Date().toISOString().slice(11, 19)}] ${m}\n`);

(async () => {
  installCleanup();
  if (!positionals.length) throw new Error('name at least one compiled datagate: node bench/ab.js <dist> [<dist> …]');
  const builds = positionals.map((p) => {
    const [dir, flags = '', vars = ''] = p.split('::');
    const env = Object.fromEntries(
      vars
        .split(/\s+/)
        .filter(Boolean)
        .map((v) => {
          const eq = v.indexOf('=');
          if (eq < 1) throw new Error(`${p}: environment settings after the second :: are NAME=value, found ${v}`);
          return [v.slice(0, eq), v.slice(eq + 1)];
        }),
    );
    return { dir: path.resolve(dir), nodeArgs: flags.split(/\s+/).filter(Boolean), env };
  });
  const dists = builds.map((b) => b.dir);
  for (const d of dists) if (!fs.existsSync(path.join(d, 'src', 'server', 'index.js'))) throw new Error(`${d} is not a compiled datagate (no src/server/index.js): build it with npx tsc -p tsconfig.build.json`);
  const shape = SHAPES[values.shape];
  if (!shape) throw new Error(`unknown shape ${values.shape}: one of ${Object.keys(SHAPES).join(', ')}`);
  const tokens = await tokensForLoadedData();
  const token = tokens[values.as];
  if (!token) throw new Error(`--as must be erin or alice`);
  const seconds = Number(values.seconds);
  const results = dists.map(() => []);
  for (let round = 1; round <= Number(values.rounds); round++) {
    // Alternate the order per round, as the bench does.
    const order = dists.map((_, i) => i);
    if (round % 2 === 0) order.reverse();
    for (const i of order) {
      fs.rmSync(path.join(__dirname, 'datagate-meta.sqlite'), { force: true });
      const server = await startServer('datagate', path.join(__dirname, 'servers', 'datagate.js'), {
        cpu: S.SERVER_CPU,
        nodeArgs: builds[i].nodeArgs,
        env: S.serverEnv({ ...builds[i].env, BENCH_DIST: dists[i] }),
      });
      try {
        const cpu = {};
        const db = {};
        const r = await runLoad(
          { url: server.url, bodies: shape.bodies, headers: { authorization: `Bearer ${token}` }, connections: S.CONNECTIONS, warmup: Math.min(5, seconds), duration: seconds, label: `${values.shape} build ${i + 1}` },
          S.LOADGEN_CPU,
          (phase) => {
            cpu[phase] = cpuMs(server.pid);
            db[phase] = databaseCpuMs();
          },
        );
        const us = ((cpu['measure-end'] - cpu['measure-start']) * 1000) / Math.max(1, r.requests);
        const dbUs = ((db['measure-end'] - db['measure-start']) * 1000) / Math.max(1, r.requests);
        const errors = r.errors + r.non2xx + (r.mismatches ?? 0);
        results[i].push({ rps: r.rps, p99: r.latency.p99, cpuUs: us, dbUs, errors });
        log(`round ${round}, build ${i + 1} (${dists[i]}): ${r.rps.toFixed(0)} req/s, p50 / p90 / p99 / max ${r.latency.p50} / ${r.latency.p90} / ${r.latency.p99} / ${r.latency.max} ms, server CPU ${us.toFixed(0)} µs/req, database CPU ${dbUs.toFixed(0)} µs/req, errors ${errors}`);
      } finally {
        await server.stop();
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  process.stdout.write(`\n${values.shape} as ${values.as}, ${values.rounds} round(s) of ${seconds} s, medians:\n\n| build | server CPU µs/req | database CPU µs/req | req/s | p99 ms | errors |\n|---|---:|---:|---:|---:|---:|\n`);
  positionals.forEach((d, i) => {
    const rs = results[i];
    process.stdout.write(`| ${d} | ${median(rs.map((x) => x.cpuUs)).toFixed(0)} | ${median(rs.map((x) => x.dbUs)).toFixed(0)} | ${median(rs.map((x) => x.rps)).toFixed(0)} | ${median(rs.map((x) => x.p99))} | ${rs.reduce((s, x) => s + x.errors, 0)} |\n`);
  });
})().catch((e) => {
  log(`failed: ${e.message}`);
  process.exit(1);
});
