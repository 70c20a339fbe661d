'use strict';
/**
 * PostGraphile 5 on the bench's PostgreSQL data, for `npm run bench` (BENCH_ROLES=postgraphile).
 * Installed for the bench only: bench/postgraphile/ has its own package.json and lock; bench/run.js
 * runs `npm ci` there when node_modules is missing. Node 20 needs bench/postgraphile/polyfill.js
 * (Promise.withResolvers) loaded with --require: bench/run.js starts this script that way.
 *
 * Preset: Amber (PostGraphile's default) + @graphile/pg-aggregates (grouped aggregates, Q4), with
 * PgIndexBehaviorsPlugin disabled (otherwise ordering/filtering only on indexed columns; every
 * column the shapes order or filter by is indexed anyway). The demo's DDL has no foreign key
 * orders.customer_id → customers.id (it was written for two databases), so a smart tag declares it:
 * PostGraphile then offers customer.ordersByCustomerId, as datagate's schema declares Customer.orders.
 * @graphile/pg-aggregates offers no row count in groupedAggregates (only distinctCount, a
 * count(DISTINCT …) that costs PostgreSQL a sort per group): a small plugin adds a `count`
 * aggregate spec, `count(<column>)::int` (on the primary key: count(*), as the raw SQL and datagate).
 * No JWT: PostGraphile answers every request as the bench's PostgreSQL user (the admin view), as
 * the raw server does. grafserv's node adaptor on node:http, NODE_ENV=production, pool 10.
 */
const http = require('node:http');
const path = require('node:path');
const { serveChild } = require('./child');

/** require() from bench/postgraphile/, through the packages' export maps. */
const need = require('node:module').createRequire(path.join(__dirname, '..', 'postgraphile', 'package.json'));

if (typeof Promise.withResolvers !== 'function') {
  process.stderr.write('postgraphile bench server: start it with --require bench/postgraphile/polyfill.js on Node < 22\n');
  process.exit(1);
}

const POOL = Number(process.env.BENCH_POOL_SIZE ?? 10);

/** pg-aggregates' documented extension point: one more aggregate spec, after its own. */
const CountAggregatePlugin = {
  name: 'BenchCountAggregatePlugin',
  version: '1.0.0',
  after: ['PgAggregatesSpecsPlugin'],
  schema: {
    hooks: {
      build(build) {
        const { sql, dataplanPg: { TYPES } } = build;
        build.pgAggregateSpecs.push({
          id: 'count',
          humanLabel: 'count',
          HumanLabel: 'Count',
          isSuitableType: () => true,
          sqlAggregateWrap: (frag) => sql`count(${frag})::int`,
          isNonNull: true,
          pgTypeCodecModifier: () => TYPES.int,
        });
        return build;
      },
    },
  },
};

/** The preset, shared with bench/postgraphile/printSchema.js. */
function makePreset(connectionString) {
  const { PostGraphileAmberPreset } = need('postgraphile/presets/amber');
  const { makePgService } = need('postgraphile/adaptors/pg');
  const { jsonPgSmartTags } = need('postgraphile/utils');
  const { PgAggregatesPreset } = need('@graphile/pg-aggregates');
  return {
    extends: [PostGraphileAmberPreset, PgAggregatesPreset],
    disablePlugins: ['PgIndexBehaviorsPlugin'],
    plugins: [
      CountAggregatePlugin,
      jsonPgSmartTags({
        version: 1,
        config: { class: { orders: { tags: { foreignKey: '(customer_id) references customers (id)' } } } },
      }),
    ],
    pgServices: [makePgService({ connectionString, schemas: ['public'], poolConfig: { max: POOL }, pubsub: false })],
    grafserv: { graphqlPath: '/graphql', graphiql: false, watch: false },
    grafast: { explain: false },
  };
}

module.exports = { makePreset };

if (require.main === module) {
  if (process.env.NODE_ENV !== 'production') {
    process.stderr.write('postgraphile bench server: NODE_ENV must be "production"\n');
    process.exit(1);
  }
  serveChild('postgraphile', async () => {
    const { postgraphile } = need('postgraphile');
    const { grafserv } = need('postgraphile/grafserv/node');
    const pgl = postgraphile(makePreset(process.env.DATAGATE_BENCH_CRM_URL));
    const serv = pgl.createServ(grafserv);
    const server = http.createServer();
    server.keepAliveTimeout = 65_000;
    await serv.addTo(server);
    // Build the schema before reporting ready (otherwise the first requests pay for it).
    await pgl.getSchemaResult();
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
        await pgl.release();
      },
    };
  });
}
