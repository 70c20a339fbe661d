'use strict';
/**
 * datagate on the bench deployment (bench/datagate.yaml, or BENCH_CONFIG: a copy with one setting
 * changed, its schema/ and policies/ beside it), through createGateway from dist/ (BENCH_DIST).
 */
const path = require('node:path');
const { serveChild } = require('./child');

if (process.env.NODE_ENV !== 'production') {
  process.stderr.write('datagate bench server: NODE_ENV must be "production" (graphql-js development checks would skew the numbers)\n');
  process.exit(1);
}

const { DIST } = require('../lib/settings');
const { createGateway } = require(path.join(DIST, 'src', 'server'));

serveChild('datagate', async () => {
  // Once closing, requests whose client already left (the load generator stops mid-request) fail
  // as their source closes: not worth a line each.
  let closing = false;
  const gateway = await createGateway({
    configFile: process.env.BENCH_CONFIG ? path.resolve(process.env.BENCH_CONFIG) : path.resolve(__dirname, '..', 'datagate.yaml'),
    env: process.env,
    log: (r) => {
      if (!closing && r.level !== 'debug' && r.level !== 'info') process.stderr.write(`datagate: ${JSON.stringify(r)}\n`);
    },
  });
  const url = await gateway.listen(0, '127.0.0.1');
  return {
    url,
    close: () => {
      closing = true;
      return gateway.close();
    },
  };
});
