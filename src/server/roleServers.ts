import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import type { GraphQLSchema } from 'graphql';
import type { RequestContext } from '../graph';
import type { Registry } from '../model';
import type { PolicyEngine, RoleSetView } from '../policy';
import { createFormatError, type Logger } from './formatError';
import { CompiledBudget, CompiledOperations, createFastPipeline, type FastPipeline } from './fastPipeline';
import { createJitGateway } from './jitExecutor';
import type { RoleSetApolloOptions } from './limits/requestGuards';
import { buildGatewaySchema } from './schema';

export interface RoleSetServer {
  /** Its own schema, so validation and introspection see only what the role set may read. */
  readonly apollo: ApolloServer<RequestContext>;
  /** The same pipeline for queries `apollo` already validated and compiled (fastPipeline.ts); null: Apollo answers. */
  readonly fast: FastPipeline;
}

export interface RoleServers {
  /** The server of a role set. */
  forView(view: RoleSetView): Promise<RoleSetServer>;
  schemaFor(view: RoleSetView): Promise<GraphQLSchema>;
  stop(): Promise<void>;
}

/** Role sets in use are few (roles × their combinations in tokens); past this many the oldest is dropped. */
const MAX_ROLE_SETS = 256;

/**
 * One Apollo Server per role set, built on first use and kept: Apollo validates against its own
 * schema, and a shared full schema would leak hidden fields through "Did you mean …?" suggestions.
 */
export function createRoleServers(
  registry: Registry,
  policy: PolicyEngine,
  handWritten: GraphQLSchema,
  log: Logger,
  /** Plugins every role set's server runs (audit, lineage, quality notes), in order. */
  plugins: readonly ApolloServerPlugin<RequestContext>[] = [],
  /** The request an error belongs to (createErrorRequests): its id becomes the internal error's id. */
  requestIdOf?: (error: unknown) => string | undefined,
  /** A role set's own options: its limits (graphql-armor rules, row budget, tokens) and introspection (limits/requestGuards). */
  perRoleSet?: (view: RoleSetView) => RoleSetApolloOptions,
  /** Off: Apollo answers every request (GatewayOptions.fastPipeline). */
  fastPipeline = true,
): RoleServers {
  const servers = new Map<string, Promise<RoleSetServer & { schema: GraphQLSchema; operations: CompiledOperations }>>();
  const formatError = createFormatError(log, requestIdOf);
  const budget = new CompiledBudget();
  const build = async (view: RoleSetView) => {
    const schema = buildGatewaySchema(registry, view, policy, handWritten);
    const own = perRoleSet?.(view);
    const all = [ApolloServerPluginLandingPageDisabled(), ApolloServerPluginCacheControlDisabled(), ...plugins, ...(own?.plugins ?? [])];
    const operations = new CompiledOperations(budget);
    const apollo = new ApolloServer<RequestContext>({
      ...own,
      gateway: createJitGateway(schema, fastPipeline ? operations : undefined),
      plugins: all,
      includeStacktraceInErrorResponses: false,
      // The gateway stops on SIGTERM itself (gateway.close(): drain requests, flush the audit log, close
      // stores). Apollo's own handler would stop this server early and re-raise the signal mid-close.
      stopOnTerminationSignals: false,
      formatError,
      logger: { debug: () => {}, info: () => {}, warn: (m) => log({ level: 'warn', msg: String(m) }), error: (m) => log({ level: 'error', msg: String(m) }) },
    });
    await apollo.start();
    return { apollo, schema, operations, fast: createFastPipeline({ schema, plugins: all, formatError, operations }) };
  };
  const get = (view: RoleSetView) => {
    let s = servers.get(view.key);
    if (!s) {
      if (servers.size >= MAX_ROLE_SETS) {
        const oldest = servers.keys().next().value!;
        // Its compiled operations go back to the budget the other role sets share.
        void servers.get(oldest)!.then((o) => o.operations.clear(), () => {});
        servers.delete(oldest);
      }
      s = build(view);
      s.catch(() => servers.delete(view.key));
      servers.set(view.key, s);
    }
    return s;
  };
  return {
    forView: (view) => get(view),
    schemaFor: async (view) => (await get(view)).schema,
    async stop() {
      const all = await Promise.allSettled(servers.values());
      await Promise.allSettled(all.flatMap((r) => (r.status === 'fulfilled' ? [r.value.apollo.stop()] : [])));
    },
  };
}
