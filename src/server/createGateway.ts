import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import type { ApolloServerPlugin } from '@apollo/server';
import type { DestinationStream } from 'pino';
import { loadConfig, type LoadedConfig } from '../config';
import { AuditLog, createAccessBook, createRowEstimates, type Governance } from '../governance';
import { createQualityMonitor } from '../governance/quality';
import type { RequestContext, Runtime } from '../graph';
import { AuthenticationError, createTokenVerifier, type TokenVerifier } from '../identity';
import { loadModel } from '../model';
import { createPolicyEngine, loadPolicies } from '../policy';
import { connectSources, ResultCache, type SourceAdapter } from '../sources';
import { insertAuditRecords } from '../store';
import { openMetadataStore } from '../store/openMetadataStore';
import { createErrorRequests, type Logger } from './formatError';
import { createLogger, logLevelOf } from './logger';
import { metricsPlugin, RequestMetrics } from './plugins/metrics';
import { instrumentSources, resultCacheMetrics } from './sourceMetrics';
import { consoleRoute, defaultConsoleDir } from './consoleAssets';
import { csvExportRoute } from './csvExport';
import { demoSignInRoutes } from './demoSignIn';
import { createHttpHandler, type RouteHandler } from './httpServer';
import { createMetricsRegistry, metricsRoute } from './metrics';
import { readyRoute } from './readiness';
import { auditPlugin } from './plugins/audit';
import { lineagePlugin } from './plugins/lineage';
import { qualityPlugin } from './plugins/quality';
import { cachePlugin } from './plugins/cache';
import { createRequestGuards } from './limits/requestGuards';
import { createRoleServers, type RoleServers } from './roleServers';
import { buildHandWrittenSchema } from './schema';

export interface GatewayOptions {
  /** Path of datagate.yaml. */
  configFile: string;
  env?: NodeJS.ProcessEnv;
  /** Runs after sources open and before the schema is served (the demo seeds embedded sources here). */
  prepareSources?: (sources: ReadonlyMap<string, SourceAdapter>, loaded: LoadedConfig) => Promise<void>;
  /** Where logs go; default: the gateway's own pino logger (level from LOG_LEVEL or server.logLevel) on stderr. */
  log?: Logger;
  /** The gateway's own pino logger, writing here instead of stderr (tests read its lines). Ignored with `log`. */
  logDestination?: DestinationStream;
  /** The web console's built files (default: console/dist of the package). */
  consoleDir?: string;
  /**
   * Answer queries Apollo has already validated and compiled without Apollo's per-request pipeline
   * (fastPipeline.ts; default true). Off, Apollo answers every request: the tests compare the two.
   */
  fastPipeline?: boolean;
}

export interface Gateway {
  readonly runtime: Runtime;
  readonly governance: Governance;
  /** The schema and Apollo Server of each role set. */
  readonly roleServers: RoleServers;
  /** The schema a set of roles sees. */
  schemaFor(roles: readonly string[]): Promise<GraphQLSchema>;
  readonly server: http.Server;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

/** Field names whose values a log must never show: every field some role masks, and every field tagged pii. */
function sensitiveFields(registry: ReturnType<typeof loadModel>, policies: ReturnType<typeof loadPolicies>): Set<string> {
  const out = new Set<string>();
  for (const role of policies.roles.values()) for (const fields of role.masks.values()) for (const f of fields.keys()) out.add(f);
  for (const e of registry.entities.values())
    for (const f of e.fields.values())
      if (f.tags.includes('pii')) {
        out.add(f.name);
        out.add(f.column);
      }
  return out;
}

/** Loads the deployment (every problem reported at once), opens sources, builds the schema. */
export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const loaded = loadConfig(opts.configFile, opts.env ?? process.env);
  const { config } = loaded;
  const registry = loadModel(path.resolve(loaded.dir, config.model), Object.keys(config.sources));
  const policies = loadPolicies(path.resolve(loaded.dir, config.policies), registry, {
    attributes: Object.keys(config.identity.claims.attributes),
    anonymousRole: config.identity.anonymousRole,
  });
  // One pino logger per gateway (JSON lines on stderr), unless the caller brings its own.
  const log: Logger = opts.log ?? createLogger({ level: logLevelOf(config.server.logLevel, opts.env ?? process.env), fields: sensitiveFields(registry, policies), destination: opts.logDestination });
  const jwt = config.identity.jwt;
  // Without key material the gateway accepts no token: every request is the anonymous role.
  const verifier: TokenVerifier | null = jwt.secret || jwt.jwksFile || jwt.jwksUrl ? createTokenVerifier(config.identity, loaded.dir) : null;
  if (!config.masking.secret) log({ level: 'warn', msg: 'masking.secret is not set: hashed values change at every restart and differ between replicas' });
  const unowned = [...registry.entities.values()].filter((e) => !e.owner.roles.length && !e.owner.users.length).map((e) => e.name);
  if (unowned.length)
    log({
      level: 'warn',
      msg: `${unowned.length} entit${unowned.length === 1 ? 'y has' : 'ies have'} no owner to approve access requests (set owner.roles or owner.users in the model): ${unowned.join(', ')}`,
      entities: unowned,
    });
  const policy = createPolicyEngine(policies, registry, { maskSecret: config.masking.secret });
  const handWritten = await buildHandWrittenSchema();
  const store = await openMetadataStore(loaded, opts.env ?? process.env, log);
  let sources: Map<string, SourceAdapter> | ReadonlyMap<string, SourceAdapter> = new Map();
  /** Background work of the governance plane, stopped on close (and on a failed start) before the store closes. */
  const stops: (() => Promise<void>)[] = [];
  try {
    sources = await connectSources(config.sources);
    await opts.prepareSources?.(sources, loaded);
    const metrics = createMetricsRegistry();
    // Statement latency and errors per source, pool and breaker gauges: every part below sees the instrumented adapters.
    sources = instrumentSources(sources, metrics);
    const resultCache = new ResultCache(config.cache.maxBytes, config.cache.maxTtl);
    resultCacheMetrics(resultCache, metrics);
    const runtime: Runtime = {
      registry,
      sources,
      sourceConfigs: config.sources,
      limits: config.limits,
      cursorKey: config.server.cursorSecret ? Buffer.from(config.server.cursorSecret) : randomBytes(32),
      policy,
      resultCache,
    };
    const access = createAccessBook(store, registry, policy, { pollIntervalMs: config.access.pollInterval, maxDays: config.access.maxDays, log });
    await access.start();
    stops.push(() => access.stop());
    const quality = createQualityMonitor({ registry, sources, store, metrics, schedule: config.quality.schedule, runAtStart: config.quality.runAtStart, log });
    // After prepareSources: the demo's first run sees its seeded data.
    await quality.start();
    stops.push(() => quality.stop());
    // Records queue in memory and are written in batches; close() drains them (SIGTERM) before the store closes.
    const audit = new AuditLog((records) => insertAuditRecords(store, records), metrics, { ...config.audit, log });
    stops.push(() => audit.close());
    const governance: Governance = { store, metrics, access, quality, audit, rowEstimate: createRowEstimates(sources) };
    const requestMetrics = new RequestMetrics(metrics);
    const errorRequests = createErrorRequests();
    const plugins: ApolloServerPlugin<RequestContext>[] = [errorRequests.plugin, metricsPlugin(requestMetrics, log), auditPlugin(audit), qualityPlugin(quality), lineagePlugin(), cachePlugin(resultCache)];
    let closing = false;
    const routes = new Map<string, RouteHandler>([
      ['/metrics', metricsRoute(metrics)],
      ['/ready', readyRoute({ audit, sources, store, storeRequired: config.audit.onStoreFailure !== 'serve', closing: () => closing })],
      // The web console: CSV downloads through this gateway's own /graphql, demo sign-in where identity.users is set.
      ['/export.csv', csvExportRoute({ maxBodyBytes: 100 * 1024 })],
      ...demoSignInRoutes(loaded),
    ]);
    const guards = createRequestGuards({ limits: config.limits, server: config.server, configDir: loaded.dir, runtime, registry, roles: [...policies.roles.keys()], log });
    const roleServers = createRoleServers(registry, policy, handWritten, log, plugins, errorRequests.requestIdOf, (view) => guards.forView(view).apollo, opts.fastPipeline ?? true);
    // The anonymous role's server is built now: a broken schema shows at start, not at the first request.
    await roleServers.forView(policy.view(policy.rolesFor(verifier?.anonymous ?? anonymousUser(config.identity.anonymousRole))));
    const http_ = createHttpHandler(roleServers, runtime, verifier ?? noTokens(config.identity.anonymousRole), { maxBodyBytes: guards.readCap, guards, governance, routes, log, metrics: requestMetrics, fallback: consoleRoute(opts.consoleDir ?? defaultConsoleDir()) });
    const server = http.createServer(http_.handler);
    server.keepAliveTimeout = 65_000;
    return {
      runtime,
      governance,
      roleServers,
      schemaFor: (roles) => roleServers.schemaFor(policy.view(roles)),
      server,
      listen: (port = config.server.port, host = config.server.host) =>
        new Promise((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => {
            const a = server.address() as AddressInfo;
            resolve(`http://${a.address === '0.0.0.0' || a.address === '::' ? 'localhost' : a.address}:${a.port}/graphql`);
          });
        }),
      /**
       * In this order: stop accepting connections (and answer /ready 503 on those still open), let
       * requests in flight finish (10 s at most), flush the audit log, stop background schedules,
       * close the sources' pools and the metadata store. Each step is logged.
       */
      async close() {
        if (closing) return;
        closing = true;
        const t0 = performance.now();
        const step = (msg: string) => log({ level: 'info', component: 'shutdown', msg, ms: Math.round(performance.now() - t0) });
        const closed = new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
        server.closeIdleConnections();
        step('stopped accepting connections');
        const finished = await http_.drain(10_000);
        step(finished ? 'requests in flight finished' : 'grace period over: requests still in flight are cut');
        server.closeAllConnections();
        await closed;
        await roleServers.stop();
        // The audit log drains first (the last requests' records), then the schedules stop.
        await audit.close().catch(() => {});
        step('audit log flushed');
        await Promise.allSettled([access.stop(), quality.stop()]);
        step('schedules stopped');
        await Promise.allSettled([...sources.values()].map((s) => s.close()));
        await store.close();
        step('sources and metadata store closed');
        await log.flush?.();
      },
    };
  } catch (e) {
    await Promise.allSettled(stops.map((stop) => stop()));
    await Promise.allSettled([...sources.values()].map((s) => s.close()));
    await store.close().catch(() => {});
    throw e;
  }
}

function anonymousUser(role: string) {
  return Object.freeze({ id: null, roles: Object.freeze([role]), attributes: Object.freeze({}) });
}

/** A verifier for a deployment without identity.jwt: no token can be checked, so none is accepted. */
function noTokens(anonymousRole: string): TokenVerifier {
  return {
    anonymous: anonymousUser(anonymousRole),
    async verify() {
      throw new AuthenticationError('this gateway accepts no tokens (identity.jwt is not configured)');
    },
  };
}
