'use strict';
/**
 * The load generator, run by bench/run.js as a child pinned to its own core: autocannon's
 * programmatic API, a warm-up run that is discarded, then the measured run. Reads its job as JSON
 * from argv[2]; writes the measured result as one JSON line on stdout, progress on stderr.
 *
 * Every request body is taken in turn from `bodies` (one body for most shapes; one per key for Q3),
 * through one counter shared by all connections, identically for every server. `headers` (e.g.
 * `authorization: Bearer <token>`: whom datagate answers as) go with every request.
 */
const autocannon = require('autocannon');

const job = JSON.parse(process.argv[2]);
const tty = process.stderr.isTTY;

// A GraphQL error comes back as 200 with "errors": count it as a mismatch, not a success.
const verifyBody = (body) => body.startsWith('{"data":') && !body.includes('"errors":');

function run(label, seconds) {
  let next = 0;
  const headers = { 'content-type': 'application/json', accept: 'application/json', ...(job.headers ?? {}) };
  const opts = {
    url: job.url,
    connections: job.connections,
    duration: seconds,
    pipelining: 1,
    timeout: 30,
    verifyBody,
    requests: [
      {
        method: 'POST',
        path: new URL(job.url).pathname,
        headers,
        setupRequest: (req) => {
          req.body = job.bodies[next++ % job.bodies.length];
          return req;
        },
      },
    ],
  };
  return new Promise((resolve, reject) => {
    const started = Date.now();
    let done = 0;
    const instance = autocannon(opts, (err, result) => {
      if (tty) process.stderr.write('\r\x1b[K');
      if (err) reject(err);
      else resolve(result);
    });
    instance.on('response', () => done++);
    const timer = setInterval(() => {
      const s = (Date.now() - started) / 1000;
      const line = `[bench]   ${label}: ${s.toFixed(0)}/${seconds} s, ${done} requests, ${Math.round(done / s)} req/s`;
      if (tty) process.stderr.write(`\r${line}\x1b[K`);
      else if (Math.round(s) % 5 === 0) process.stderr.write(line + '\n');
    }, 1000);
    instance.on('done', () => clearInterval(timer));
    process.on('SIGTERM', () => {
      instance.stop();
      process.exit(1);
    });
  });
}

const tell = (type) => (process.send ? new Promise((resolve) => process.send({ type }, resolve)) : Promise.resolve());

(async () => {
  if (job.warmup > 0) await run(`${job.label} warm-up`, job.warmup);
  // The parent samples the server's CPU time at these two moments.
  await tell('measure-start');
  const r = await run(`${job.label} measured`, job.duration);
  await tell('measure-end');
  const out = {
    requests: r.requests.total,
    duration: r.duration,
    rps: r.requests.total / r.duration,
    rpsAverage: r.requests.average,
    latency: { p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, mean: r.latency.average },
    errors: r.errors,
    timeouts: r.timeouts,
    non2xx: r.non2xx,
    mismatches: r.mismatches,
    bytesPerRequest: r.requests.total ? r.throughput.total / r.requests.total : 0,
  };
  process.stdout.write(JSON.stringify(out) + '\n');
  process.disconnect?.();
})().catch((e) => {
  process.stderr.write(`loadgen: ${e && e.stack ? e.stack : e}\n`);
  process.exit(1);
});
