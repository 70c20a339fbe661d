import type { GatewayInterface } from '@apollo/server-gateway-interface';
import { execute, GraphQLError, printSchema, type DocumentNode, type ExecutionResult, type GraphQLSchema } from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';

/**
 * Apollo Server's pipeline (parsing, validation, plugins, error formatting) with graphql-jit as
 * the executor: each validated document is compiled once into JavaScript that resolves it, instead
 * of graphql-js walking the document and computing every field's arguments for every row
 * (PERFORMANCE-NOTES: the largest lever for lists). Apollo takes a custom executor only through
 * its gateway interface.
 */
export function createJitGateway(schema: GraphQLSchema): GatewayInterface {
  // Apollo caches parsed documents, so the same query text brings back the same DocumentNode.
  // `null` marks a document graphql-jit cannot compile (it overflows on variables of recursive input
  // types such as CustomerWhere → OrderWhere → CustomerWhere): graphql-js executes those.
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();
  const sdl = printSchema(schema);
  return {
    async load() {
      return {
        executor: async (rc) => {
          let byOperation = compiled.get(rc.document);
          if (!byOperation) compiled.set(rc.document, (byOperation = new Map()));
          const key = rc.operationName ?? '';
          let c = byOperation.get(key);
          if (c === undefined) {
            const attempt = compileQuery(schema, rc.document, rc.operationName ?? undefined);
            c = isCompiledQuery(attempt) ? attempt : null;
            byOperation.set(key, c);
          }
          if (c === null)
            return execute({ schema, document: rc.document, contextValue: rc.context, variableValues: rc.request.variables, operationName: rc.operationName });
          const result = (await c.query(undefined, rc.context, rc.request.variables ?? {})) as ExecutionResult;
          return result.errors ? { data: result.data, errors: result.errors.map(asGraphQLError) } : result;
        },
      };
    },
    onSchemaLoadOrUpdate(callback) {
      callback({ apiSchema: schema, coreSupergraphSdl: sdl });
      return () => {};
    },
    async stop() {},
  };
}

/**
 * graphql-jit's errors inherit GraphQLError's prototype but not its shape (no `extensions` object),
 * which Apollo's error handling reads: rebuild them as graphql-js errors, the thrown error as originalError.
 */
function asGraphQLError(e: unknown): GraphQLError {
  if (e instanceof GraphQLError && e.extensions !== undefined) return e;
  const j = e as { message: string; path?: readonly (string | number)[]; originalError?: Error | null };
  return new GraphQLError(j.message, { path: j.path, originalError: j.originalError ?? undefined });
}
