#!/usr/bin/env node
'use strict';
/**
 * CPU per request of one or more datagate builds, alternating, in one run:
 *   node bench/cpuPerRequest.js [--user erin] [--rounds 3] [--requests 2000] [--query '{…}'] <checkout> [<checkout> …]
 * Each checkout must be built (dist/). Each round starts that build's embedded demo in a child
 * process (in-memory metadata store, scale 0.25), warms up with 300 requests, then times
 * `--requests` requests from 4 concurrent loops in the same process, and prints the process's CPU
 * time per request (client and server together, so compare builds, not absolute figures).
 * Before/after a change: `git worktree add /tmp/old <rev> && (cd /tmp/old && ln -s $PWD/node_modules && npx tsc -p tsconfig.build.json)`.
 */
const { execFileSync } = require('node:child_process');
const path = require('node:path');
const { parseArgs } = require('node:util');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    user: { type: 'string', default: 'erin' },
    rounds: { type: 'string', default: '3' },
    requests: { type: 'string', default: '2000' },
    query: { type: 'string', default: '{ products(limit: 20) { id name price } }' },
    child: { type: 'boolean', default: false },
  },
});

async function child(root) {
  process.env.NODE_ENV = 'production';
  const { createGateway } = require(path.join(root, 'dist/src/server/index.js'));
  const { seedIfEmbedded } = require(path.join(root, 'dist/src/cli/embeddedDemo.js'));
  const config = path.join(root, 'datagate.yaml');
  const gw = await createGateway({
    configFile: config,
    env: { DATAGATE_META_URL: ':memory:' },
    log: () => {},
    prepareSources: async (s) => {
      for (const x of s.values()) await seedIfEmbedded(x, 0.25, () => {});
    },
  });
  const url = await gw.listen(0, '127.0.0.1');
  const token = execFileSync(process.execPath, [path.join(root, 'bin/datagate.js'), 'token', values.user, '--config', config], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  const body = JSON.stringify({ query: values.query });
  const headers = { 'content-type': 'application/json', authorization: `Bearer ${token}` };
  const loop = async (n) => {
    for (let i = 0; i < n; i++) {
      const r = await fetch(url, { method: 'POST', headers, body });
      const text = await r.text();
      if (r.status !== 200 || text.includes('"errors"')) throw new Error(`HTTP ${r.status}: ${text.slice(0, 300)}`);
    }
  };
  await loop(300);
  const n = Number(values.requests);
  const c0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await Promise.all(Array.from({ length: 4 }, () => loop(Math.ceil(n / 4))));
  const wall = Number(process.hrtime.bigint() - t0) / 1e6;
  const cpu = process.cpuUsage(c0);
  await gw.close();
  process.stdout.write(JSON.stringify({ cpuUs: (cpu.user + cpu.system) / n, wallMs: wall }) + '\n');
}

async function main() {
  if (values.child) return child(positionals[0]);
  if (!positionals.length) throw new Error('usage: node bench/cpuPerRequest.js [--user erin] [--rounds 3] <checkout> [<checkout> …]');
  const roots = positionals.map((p) => path.resolve(p));
  const results = new Map(roots.map((r) => [r, []]));
  for (let round = 1; round <= Number(values.rounds); round++) {
    const order = round % 2 ? roots : [...roots].reverse();
    for (const root of order) {
      const out = execFileSync(process.execPath, [__filename, '--child', '--user', values.user, '--requests', values.requests, '--query', values.query, root], { encoding: 'utf8' });
      const r = JSON.parse(out.trim().split('\n').pop());
      results.get(root).push(r.cpuUs);
      process.stderr.write(`round ${round}: ${root} ${r.cpuUs.toFixed(0)} µs CPU/request (${r.wallMs.toFixed(0)} ms wall)\n`);
    }
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const base = median(results.get(roots[0]));
  for (const [root, a] of results)
    console.log(`${root}: median ${median(a).toFixed(0)} µs CPU/request (${a.map((x) => x.toFixed(0)).join(', ')}), ${((100 * median(a)) / base).toFixed(0)}% of the first`);
}

main().catch((e) => {
  console.error(e.message);
  process.exit(1);
});
