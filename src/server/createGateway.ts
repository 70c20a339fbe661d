import { ApolloServer } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { GraphQLSchema } from 'graphql';
import { loadConfig, type LoadedConfig } from '../config';
import type { RequestContext, Runtime } from '../graph';
import { loadModel } from '../model';
import { connectSources, type SourceAdapter } from '../sources';
import { createFormatError, type Logger } from './formatError';
import { createHttpHandler } from './httpServer';
import { createJitGateway } from './jitExecutor';
import { buildGatewaySchema } from './schema';

export interface GatewayOptions {
  /** Path of datagate.yaml. */
  configFile: string;
  env?: NodeJS.ProcessEnv;
  /** Runs after sources open and before the schema is served (the demo seeds embedded sources here). */
  prepareSources?: (sources: ReadonlyMap<string, SourceAdapter>, loaded: LoadedConfig) => Promise<void>;
  log?: Logger;
}

export interface Gateway {
  readonly runtime: Runtime;
  readonly schema: GraphQLSchema;
  readonly apollo: ApolloServer<RequestContext>;
  readonly server: http.Server;
  listen(port?: number, host?: string): Promise<string>;
  close(): Promise<void>;
}

const defaultLog: Logger = (r) => process.stderr.write(JSON.stringify({ time: new Date().toISOString(), ...r }) + '\n');

/** Loads the deployment (every problem reported at once), opens sources, builds the schema. */
export async function createGateway(opts: GatewayOptions): Promise<Gateway> {
  const log = opts.log ?? defaultLog;
  const loaded = loadConfig(opts.configFile, opts.env ?? process.env);
  const { config } = loaded;
  const registry = loadModel(path.resolve(loaded.dir, config.model), Object.keys(config.sources));
  const sources = await connectSources(config.sources);
  try {
    await opts.prepareSources?.(sources, loaded);
    const runtime: Runtime = {
      registry,
      sources,
      sourceConfigs: config.sources,
      limits: config.limits,
      cursorKey: config.server.cursorSecret ? Buffer.from(config.server.cursorSecret) : randomBytes(32),
    };
    const schema = await buildGatewaySchema(registry);
    const apollo = new ApolloServer<RequestContext>({
      gateway: createJitGateway(schema),
      plugins: [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled()],
      includeStacktraceInErrorResponses: false,
      formatError: createFormatError(log),
      logger: { debug: () => {}, info: () => {}, warn: (m) => log({ level: 'warn', msg: String(m) }), error: (m) => log({ level: 'error', msg: String(m) }) },
    });
    await apollo.start();
    const http_ = createHttpHandler(apollo, runtime, { maxBodyBytes: 100 * 1024 });
    const server = http.createServer(http_.handler);
    server.keepAliveTimeout = 65_000;
    return {
      runtime,
      schema,
      apollo,
      server,
      listen: (port = config.server.port, host = config.server.host) =>
        new Promise((resolve, reject) => {
          server.once('error', reject);
          server.listen(port, host, () => {
            const a = server.address() as AddressInfo;
            resolve(`http://${a.address === '0.0.0.0' || a.address === '::' ? 'localhost' : a.address}:${a.port}/graphql`);
          });
        }),
      /** Stops accepting, lets requests in flight finish (10 s at most), then closes Apollo and the sources. */
      async close() {
        const closed = new Promise<void>((r) => (server.listening ? server.close(() => r()) : r()));
        server.closeIdleConnections();
        await http_.drain(10_000);
        server.closeAllConnections();
        await closed;
        await apollo.stop();
        await Promise.allSettled([...sources.values()].map((s) => s.close()));
      },
    };
  } catch (e) {
    await Promise.allSettled([...sources.values()].map((s) => s.close()));
    throw e;
  }
}
