'use strict';
/**
 * An open-loop load generator for bench/atRate.js: requests are due at a fixed rate (one every
 * 1000/rate ms, whatever the server does), sent on up to `connections` keep-alive sockets, and each
 * latency is counted from when its request was due, not from when a free socket let it go. So a
 * server that falls behind is charged for the wait it causes (no coordinated omission), and arrivals
 * are evenly spread rather than sent in one burst per second (autocannon's overallRate does that, and
 * corrects its histogram with an expected interval of ceil(1 / rate) ms).
 *
 * Job (JSON in argv[2]): { url, bodies, headers, rate, connections, warmup, duration, label }.
 * Writes one JSON line on stdout (the shape bench/loadgen.js writes), progress on stderr, and tells
 * its parent `measure-start` / `measure-end` around the measured run.
 */
const http = require('node:http');

const job = JSON.parse(process.argv[2]);
const url = new URL(job.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: job.connections });
const verifyBody = (body) => body.startsWith('{"data":') && !body.includes('"errors":');
const tell = (type) => (process.send ? new Promise((resolve) => process.send({ type }, resolve)) : Promise.resolve());

let next = 0;
function send(due, onDone) {
  const body = job.bodies[next++ % job.bodies.length];
  const req = http.request(
    {
      agent,
      host: url.hostname,
      port: url.port,
      path: url.pathname,
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', 'content-length': Buffer.byteLength(body), ...(job.headers ?? {}) },
    },
    (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => onDone(performance.now() - due, res.statusCode === 200, verifyBody(text)));
    },
  );
  req.on('error', () => onDone(performance.now() - due, false, false));
  req.setTimeout(30_000, () => req.destroy(new Error('timeout')));
  req.end(body);
}

/** Sends at `job.rate` for `seconds`; resolves once every request sent has been answered. */
function phase(label, seconds) {
  return new Promise((resolve) => {
    const interval = 1000 / job.rate;
    const start = performance.now();
    const total = Math.max(1, Math.round(seconds * job.rate));
    const latencies = [];
    let sent = 0;
    let answered = 0;
    let errors = 0;
    let mismatches = 0;
    const done = (ms, ok, matches) => {
      answered++;
      latencies.push(ms);
      if (!ok) errors++;
      else if (!matches) mismatches++;
      if (answered === total) {
        clearInterval(progress);
        resolve({ latencies, errors, mismatches, seconds: (performance.now() - start) / 1000 });
      }
    };
    const pump = () => {
      const dueNow = Math.min(total, Math.floor((performance.now() - start) / interval) + 1);
      while (sent < dueNow) send(start + sent++ * interval, done);
      if (sent < total) setTimeout(pump, Math.max(0, start + sent * interval - performance.now()));
    };
    const progress = setInterval(() => process.stderr.write(`[bench]   ${label}: ${answered}/${total} answered\n`), 5000);
    pump();
  });
}

(async () => {
  if (job.warmup > 0) await phase(`${job.label} warm-up`, job.warmup);
  await tell('measure-start');
  const r = await phase(`${job.label} measured`, job.duration);
  await tell('measure-end');
  const sorted = r.latencies.sort((a, b) => a - b);
  const at = (p) => Math.round(sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] * 10) / 10;
  const out = {
    requests: sorted.length,
    duration: r.seconds,
    rps: sorted.length / r.seconds,
    latency: { p50: at(0.5), p90: at(0.9), p99: at(0.99), max: at(1), mean: sorted.reduce((s, x) => s + x, 0) / sorted.length },
    errors: r.errors,
    timeouts: 0,
    non2xx: 0,
    mismatches: r.mismatches,
  };
  process.stdout.write(JSON.stringify(out) + '\n', () => process.exit(0));
})();
