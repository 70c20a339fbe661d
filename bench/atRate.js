#!/usr/bin/env node
'use strict';
/**
 * Latency at the same offered load: raw, PostGraphile and datagate on one shape, each sent the same
 * number of requests a second, evenly spaced (bench/openLoop.js, on up to 64 connections), in
 * alternating order per round. Prints each server's p50 / p90 / p99 / max and the rate it reached.
 *
 *   node bench/atRate.js [--shape Q2] [--rate 500] [--rounds 3] [--seconds 10] [--servers raw,postgraphile,datagate]
 *
 * Why beside `npm run bench`: the bench drives every server as fast as it answers (16 clients, each
 * sending its next request when the last answer came). There a faster server has more requests in
 * flight at the database at once, and its latency is mostly queueing: it says how a server behaves
 * saturated. A gateway mostly runs below its limit, where what users feel is the latency at the load
 * they send; this measures that, at a rate every server sustains (pick one below the slowest server's
 * req/s in bench/RESULTS.md). The bench's targets (issue 5) stay those of `npm run bench`.
 *
 * Each latency counts from when its request was due, so a server that falls behind is charged for
 * the wait it causes; past a server's limit its latencies grow without bound (pick a lower rate).
 * The bench data must be loaded (`npm run bench` once), and PostGraphile installed (the same).
 */
const path = require('node:path');
const fs = require('node:fs');
const { parseArgs } = require('node:util');
const S = require('./lib/settings');
const { SHAPES } = require('./lib/shapes');
const { tokensForLoadedData } = require('./lib/roles');
const PGL = require('./lib/postgraphile');
const { startServer, runLoad, cpuMs, installCleanup } = require('./lib/children');

const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: 'Q2' },
    rate: { type: 'string', default: '500' },
    rounds: { type: 'string', default: '3' },
    seconds: { type: 'string', default: '10' },
    servers: { type: 'string', default: 'raw,postgraphile,datagate' },
  },
});

const log = (m) => process.stderr.write(`[at-rate ${new Date().toISOString().slice(11, 19)}] ${m}\n`);
const SCRIPTS = { raw: 'raw.js', postgraphile: 'postgraphile.js', datagate: 'datagate.js' };
/** Sockets the open-loop sender may use at once: enough that requests are not held back by the client at these rates. */
const OPEN_LOOP_SOCKETS = 64;

(async () => {
  installCleanup();
  const rate = Number(values.rate);
  const seconds = Number(values.seconds);
  const rounds = Number(values.rounds);
  if (!Number.isInteger(rate) || rate < 1) throw new Error(`--rate must be a whole number of requests a second, got ${values.rate}`);
  if (!(seconds > 0) || !Number.isInteger(rounds) || rounds < 1) throw new Error('--seconds and --rounds must be positive numbers');
  const servers = values.servers.split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of servers) if (!SCRIPTS[s]) throw new Error(`unknown server ${s}: one of ${Object.keys(SCRIPTS).join(', ')}`);
  const pglShapes = PGL.pglShapes(SHAPES);
  const shape = SHAPES[values.shape];
  if (!shape) throw new Error(`unknown shape ${values.shape}: one of ${Object.keys(SHAPES).join(', ')}`);
  if (servers.includes('postgraphile') && !pglShapes[values.shape]) throw new Error(`PostGraphile does not answer ${values.shape} (it serves ${Object.keys(pglShapes).join(', ')})`);
  if (servers.includes('datagate') && !fs.existsSync(path.join(S.DIST, 'src', 'server', 'index.js'))) throw new Error('dist/ is missing: npm run build');
  if (servers.includes('postgraphile')) PGL.ensureInstalled();

  const { erin } = await tokensForLoadedData();
  const env = S.serverEnv();
  const nodeArgsOf = (name) => (name === 'postgraphile' && typeof Promise.withResolvers !== 'function' ? ['--require', PGL.POLYFILL] : []);

  const results = Object.fromEntries(servers.map((s) => [s, []]));
  for (let round = 1; round <= rounds; round++) {
    const order = round % 2 === 0 ? [...servers].reverse() : servers;
    for (const name of order) {
      fs.rmSync(path.join(__dirname, 'datagate-meta.sqlite'), { force: true });
      const server = await startServer(name, path.join(__dirname, 'servers', SCRIPTS[name]), { cpu: S.SERVER_CPU, env, nodeArgs: nodeArgsOf(name) });
      try {
        const cpu = {};
        const r = await runLoad(
          {
            url: server.url,
            bodies: (name === 'postgraphile' ? pglShapes : SHAPES)[values.shape].bodies,
            headers: name === 'datagate' ? { authorization: `Bearer ${erin}` } : {},
            connections: OPEN_LOOP_SOCKETS,
            rate,
            warmup: Math.min(5, seconds),
            duration: seconds,
            label: `${values.shape} ${name} at ${rate}/s`,
          },
          S.LOADGEN_CPU,
          (phase) => (cpu[phase] = cpuMs(server.pid)),
          'openLoop.js',
        );
        const errors = r.errors + r.non2xx + (r.mismatches ?? 0);
        const cpuUs = ((cpu['measure-end'] - cpu['measure-start']) * 1000) / Math.max(1, r.requests);
        results[name].push({ ...r.latency, rps: r.rps, cpuUs, errors });
        log(`round ${round}, ${name}: reached ${r.rps.toFixed(0)}/s of ${rate}, p50 / p90 / p99 / max ${r.latency.p50} / ${r.latency.p90} / ${r.latency.p99} / ${r.latency.max} ms, server CPU ${cpuUs.toFixed(0)} µs/req, errors ${errors}`);
      } finally {
        await server.stop();
      }
    }
  }
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  process.stdout.write(
    `\n${values.shape} at ${rate} requests/s offered, evenly spaced (up to ${OPEN_LOOP_SOCKETS} connections; latency from when each request was due), ${rounds} round(s) of ${seconds} s, medians over rounds:\n\n` +
      '| server | reached req/s | p50 ms | p90 ms | p99 ms | max ms | server CPU µs/req | errors |\n|---|---:|---:|---:|---:|---:|---:|---:|\n',
  );
  for (const s of servers) {
    const rs = results[s];
    const m = (k) => median(rs.map((x) => x[k]));
    process.stdout.write(`| ${s} | ${m('rps').toFixed(0)} | ${m('p50')} | ${m('p90')} | ${m('p99')} | ${m('max')} | ${m('cpuUs').toFixed(0)} | ${rs.reduce((n, x) => n + x.errors, 0)} |\n`);
  }
})().catch((e) => {
  log(`FAILED: ${e.message}`);
  process.exit(1);
});
