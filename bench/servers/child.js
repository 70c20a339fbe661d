'use strict';
/**
 * The protocol between bench/run.js and a server child: the child reports its URL over IPC once
 * it listens, and shuts down (exiting normally, so --cpu-prof can write its profile) on SIGTERM,
 * SIGINT, a 'stop' message, or when the parent goes away.
 */
/**
 * A CPU profile of the steady state only (what `--cpu-prof` records from start-up to exit would
 * mix module loading and schema building in): started and stopped by the parent around a run.
 */
const profiler = {
  session: null,
  async start() {
    const inspector = require('node:inspector');
    this.session = new inspector.Session();
    this.session.connect();
    const post = (method, params) => new Promise((res, rej) => this.session.post(method, params, (e, r) => (e ? rej(e) : res(r))));
    this.post = post;
    await post('Profiler.enable');
    await post('Profiler.setSamplingInterval', { interval: 500 });
    await post('Profiler.start');
  },
  async stop(file) {
    const { profile } = await this.post('Profiler.stop');
    require('node:fs').writeFileSync(file, JSON.stringify(profile));
    this.session.disconnect();
    this.session = null;
  },
};

/**
 * Where a steady state allocates: V8's sampling heap profiler, keeping the samples of objects the
 * young and old generation collections freed (without them it shows only what is still alive).
 */
const allocations = {
  session: null,
  async start() {
    const inspector = require('node:inspector');
    this.session = new inspector.Session();
    this.session.connect();
    this.post = (method, params) => new Promise((res, rej) => this.session.post(method, params, (e, r) => (e ? rej(e) : res(r))));
    await this.post('HeapProfiler.enable');
    await this.post('HeapProfiler.startSampling', { samplingInterval: 16384, includeObjectsCollectedByMajorGC: true, includeObjectsCollectedByMinorGC: true });
  },
  async stop(file) {
    const { profile } = await this.post('HeapProfiler.stopSampling');
    require('node:fs').writeFileSync(file, JSON.stringify(profile));
    this.session.disconnect();
    this.session = null;
  },
};

function serveChild(name, start) {
  let close = null;
  let stopping = false;
  const stop = async (why) => {
    if (stopping) return;
    stopping = true;
    const timer = setTimeout(() => process.exit(1), 5000);
    timer.unref();
    try {
      if (close) await close();
    } catch (e) {
      process.stderr.write(`${name}: error while closing (${why}): ${e && e.stack ? e.stack : e}\n`);
    }
    process.exit(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('disconnect', () => stop('parent gone'));
  process.on('message', (m) => {
    if (m && m.type === 'stop') stop('stop message');
    else if (m && m.type === 'profile-start') profiler.start().then(() => process.send({ type: 'profile-started' }));
    else if (m && m.type === 'profile-stop') profiler.stop(m.file).then(() => process.send({ type: 'profile-written', file: m.file }));
    else if (m && m.type === 'alloc-start') allocations.start().then(() => process.send({ type: 'alloc-started' }));
    else if (m && m.type === 'alloc-stop') allocations.stop(m.file).then(() => process.send({ type: 'alloc-written', file: m.file }));
  });
  start().then(
    ({ url, close: c }) => {
      close = c;
      if (process.send) process.send({ type: 'ready', url, pid: process.pid });
      else process.stdout.write(`${name} ready at ${url}\n`);
    },
    (e) => {
      process.stderr.write(`${name}: failed to start: ${e && e.stack ? e.stack : e}\n`);
      process.exit(1);
    },
  );
}

module.exports = { serveChild };
