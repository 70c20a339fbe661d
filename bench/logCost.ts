/**
 * What the access log costs per request (issue 5): the same cheap operation through a real gateway
 * (embedded SQLite sources, node:http, keep-alive fetch from the same process) with the access line
 * on (LOG_LEVEL=info) and off (warn), alternating rounds, in CPU µs per request (medians); and pino's cost per access line alone.
 * Logs go to /dev/null through the gateway's own pino destination.
 *
 *   NODE_ENV=production node -r ./test/support/swcRegister.js bench/logCost.ts
 */
import { mkdirSync, mkdtempSync, openSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { createGateway } from '../src/server';
import { createLogger } from '../src/server/logger';
import { FIXTURE_MODEL, OPEN_POLICIES } from '../test/support/fixture';

const REQUESTS = Number(process.env.REQUESTS ?? 4000);
const ROUNDS = Number(process.env.ROUNDS ?? 4);

async function gatewayAt(level: string, dir: string) {
  const devnull = pino.destination({ fd: openSync('/dev/null', 'w'), sync: false });
  const gw = await createGateway({ configFile: path.join(dir, 'datagate.yaml'), env: { LOG_LEVEL: level }, logDestination: devnull });
  return { gw, url: await gw.listen(0, '127.0.0.1') };
}

/** CPU µs per request of this process (client and server both: the difference between levels is the log's). */
async function run(url: string, n: number): Promise<number> {
  const body = JSON.stringify({ query: 'query Bench { products(limit: 1) { id } }' });
  const started = process.cpuUsage();
  for (let i = 0; i < n; i++) {
    const r = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await r.arrayBuffer();
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / n;
}

async function main() {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'datagate-logcost-'));
  mkdirSync(path.join(dir, 'schema'));
  mkdirSync(path.join(dir, 'policies'));
  for (const [f, t] of Object.entries(FIXTURE_MODEL)) writeFileSync(path.join(dir, 'schema', f), t);
  for (const [f, t] of Object.entries(OPEN_POLICIES)) writeFileSync(path.join(dir, 'policies', f), t);
  writeFileSync(path.join(dir, 'datagate.yaml'), 'sources:\n  crm: { dialect: sqlite }\n  sales: { dialect: sqlite }\nmetadata: { url: ":memory:" }\n');
  const prep = async (gw: Awaited<ReturnType<typeof createGateway>>) => {
    const k = gw.runtime.sources.get('sales')!.knex;
    await k.schema.createTable('products', (t) => {
      t.integer('id').primary();
      t.string('name');
      t.decimal('price', 12, 2);
    });
    await k('products').insert({ id: 1, name: 'p', price: '1.00' });
  };
  const on = await gatewayAt('info', dir);
  const off = await gatewayAt('warn', dir);
  await prep(on.gw);
  await prep(off.gw);
  await run(on.url, 500);
  await run(off.url, 500);
  const times: Record<string, number[]> = { info: [], warn: [] };
  for (let r = 0; r < ROUNDS; r++) {
    times.warn.push(await run(off.url, REQUESTS));
    times.info.push(await run(on.url, REQUESTS));
  }
  await on.gw.close();
  await off.gw.close();
  rmSync(dir, { recursive: true, force: true });
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

  // pino alone: one access line with the gateway's redaction paths, to /dev/null.
  const log = createLogger({ level: 'info', fields: ['email', 'phone'], destination: pino.destination({ fd: openSync('/dev/null', 'w'), sync: false }) });
  const N = 200_000;
  const rec = { level: 'info', msg: 'request', requestId: '0b6e5f0e-6c1e-4a53-9d4f-6d7d1f3c8a11', method: 'POST', path: '/graphql', status: 200, ms: 1.234, operation: 'Bench', roleSet: 'anonymous', outcome: 'ok' };
  for (let i = 0; i < 20_000; i++) log({ ...rec });
  const t0 = performance.now();
  for (let i = 0; i < N; i++) log({ ...rec });
  const perLine = ((performance.now() - t0) * 1000) / N;
  await log.flush?.();

  const info = median(times.info);
  const warn = median(times.warn);
  console.log(JSON.stringify({ requests: REQUESTS, rounds: ROUNDS, cpuUsPerRequest: { accessLogOn: +info.toFixed(1), accessLogOff: +warn.toFixed(1) }, accessLogUs: +(info - warn).toFixed(1), rounds_us: Object.fromEntries(Object.entries(times).map(([k, v]) => [k, v.map((x) => Math.round(x))])), pinoUsPerAccessLine: +perLine.toFixed(2) }, null, 1));
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
