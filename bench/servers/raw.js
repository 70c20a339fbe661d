'use strict';
/**
 * The raw baseline: node:http + a pg Pool (and a mysql2 pool for the cross-source shape) answering
 * the bench shapes with hand-written SQL. Same request handling as a lean GraphQL server has to do
 * (read the body, JSON.parse, one end() with content-length), no GraphQL.
 */
const http = require('node:http');
const { openDb } = require('../lib/db');
const { RAW } = require('../lib/shapes');
const { serveChild } = require('./child');

const POOL = Number(process.env.BENCH_POOL_SIZE ?? 10);

function send(res, status, s) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(s) });
  res.end(s);
}

serveChild('raw', async () => {
  const db = openDb({ pgUrl: process.env.DATAGATE_BENCH_CRM_URL, mysqlUrl: process.env.DATAGATE_BENCH_SALES_URL || null, pool: POOL });
  const server = http.createServer((req, res) => {
    if (req.method !== 'POST' || req.url !== '/graphql') return send(res, 404, '{"errors":[{"message":"not found"}]}');
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', async () => {
      try {
        const { operationName, variables } = JSON.parse(Buffer.concat(chunks).toString('utf8'));
        const handler = RAW[operationName];
        if (!handler) return send(res, 400, JSON.stringify({ errors: [{ message: `unknown shape ${operationName}` }] }));
        // Apollo Server ends its JSON with a newline; so does the baseline, for byte-identical answers.
        send(res, 200, JSON.stringify({ data: await handler(db, variables ?? {}) }) + '\n');
      } catch (e) {
        process.stderr.write(`raw: ${e && e.stack ? e.stack : e}\n`);
        send(res, 500, JSON.stringify({ errors: [{ message: String(e && e.message) }] }));
      }
    });
  });
  server.keepAliveTimeout = 65_000;
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    url: `http://127.0.0.1:${port}/graphql`,
    async close() {
      await new Promise((r) => server.close(() => r()));
      server.closeAllConnections?.();
      await db.end();
    },
  };
});
