import type { ApolloServerPlugin, GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import { getDirectiveValues, GraphQLBoolean, GraphQLDirective, GraphQLError, GraphQLInt, DirectiveLocation } from 'graphql';
import { roundedUp, type RequestContext } from '../../graph';
import type { ResultCache } from '../../sources';

/** Seconds a `@cached` answer may be old when the request does not say (Hasura's default). */
export const DEFAULT_CACHE_TTL_S = 60;

/**
 * `query Q @cached(ttl: 120) { … }`: the request may be answered from results of the same
 * statements read at most `ttl` seconds ago (src/sources/ResultCache.ts). `refresh: true` runs the
 * statements and keeps their new results. Hasura's directive, with the same arguments.
 */
export const CachedDirective = new GraphQLDirective({
  name: 'cached',
  description:
    'Answer this query from results no older than `ttl` seconds, read by the same statements (the same policy conditions), or read them and keep them. ' +
    'The deployment caps ttl (cache.maxTtl), an entity may cap it lower (cache.maxTtl in the model) or forbid it; lineage says how old each cached part is. ' +
    '`refresh: true` reads again and replaces what is kept. Every read is audited, cached or not.',
  locations: [DirectiveLocation.QUERY],
  args: {
    ttl: { type: GraphQLInt, defaultValue: DEFAULT_CACHE_TTL_S, description: 'Seconds (at least 1).' },
    refresh: { type: GraphQLBoolean, defaultValue: false },
  },
});

/** 1 minute: retention cut-offs of cached requests are rounded up to it (RequestCache.retentionNow). */
const RETENTION_STEP_MS = 60_000;

/**
 * Reads `@cached` once the operation is known, before anything runs, and tells the request's
 * statements (ctx.cache). A ttl below 1 is refused (400, BAD_USER_INPUT); one above the deployment's
 * `cache.maxTtl` is cut to it. With the cache off (maxTtl or maxBytes 0) the directive is accepted and
 * every statement runs.
 */
export function cachePlugin(cache: ResultCache): ApolloServerPlugin<RequestContext> {
  const listener = {
    async didResolveOperation(rc: GraphQLRequestContextDidResolveOperation<RequestContext>) {
      const op = rc.operation;
      if (!op?.directives?.length || op.operation !== 'query') return;
      let args: { ttl?: unknown; refresh?: unknown } | undefined;
      try {
        args = getDirectiveValues(CachedDirective, op, rc.request.variables ?? {});
      } catch {
        // A variable of the wrong type: the operation fails on its variables, before anything runs.
        return;
      }
      if (!args) return;
      const ttl = typeof args.ttl === 'number' ? args.ttl : DEFAULT_CACHE_TTL_S;
      if (!(ttl >= 1)) {
        throw new GraphQLError(`@cached(ttl: ${ttl}): ttl is in seconds and must be at least 1`, { extensions: { code: 'BAD_USER_INPUT', http: { status: 400 } } });
      }
      if (!cache.enabled) return;
      const ctx = rc.contextValue;
      ctx.cache = {
        ttlMs: Math.min(ttl * 1000, cache.maxTtlMs),
        refresh: args.refresh === true,
        retentionNow: roundedUp(ctx.now, RETENTION_STEP_MS),
      };
    },
  };
  return { requestDidStart: async () => listener };
}
