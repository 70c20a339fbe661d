import type { GatewayInterface } from '@apollo/server-gateway-interface';
import {
  execute,
  getNamedType,
  GraphQLError,
  isInputObjectType,
  Kind,
  printSchema,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLInputObjectType,
  type GraphQLSchema,
  type TypeNode,
} from 'graphql';
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import type { CompiledOperations } from './fastPipeline';

/**
 * Apollo Server's pipeline (parsing, validation, plugins, error formatting) with graphql-jit as
 * the executor: each validated document is compiled once into JavaScript that resolves it, instead
 * of graphql-js walking the document and computing every field's arguments for every row
 * (PERFORMANCE-NOTES: the largest lever for lists). Apollo takes a custom executor only through
 * its gateway interface.
 */
export function createJitGateway(schema: GraphQLSchema, known?: CompiledOperations): GatewayInterface {
  // Apollo caches parsed documents, so the same query text brings back the same DocumentNode.
  // `null` marks a document graphql-jit cannot compile (it overflows on variables of recursive input
  // types such as CustomerWhere → OrderWhere → CustomerWhere): graphql-js executes those.
  const compiled = new WeakMap<DocumentNode, Map<string, CompiledQuery | null>>();
  const sdl = printSchema(schema);
  const recursive = recursiveInputTypes(schema);
  return {
    async load() {
      return {
        executor: async (rc) => {
          let byOperation = compiled.get(rc.document);
          if (!byOperation) compiled.set(rc.document, (byOperation = new Map()));
          const key = rc.operationName ?? '';
          let c = byOperation.get(key);
          if (c === undefined) {
            // graphql-jit recurses without end on variables of recursive input types (graphql-jit #81,
            // #175) and fails only after seconds of blocking the event loop: never ask it to.
            const attempt = usesRecursiveVariable(rc.document, rc.operationName ?? undefined, recursive) ? null : compileQuery(schema, rc.document, rc.operationName ?? undefined);
            c = attempt && isCompiledQuery(attempt) ? attempt : null;
            byOperation.set(key, c);
          }
          // Validated by this role set's server and compiled: later requests of the same text may take
          // the fast pipeline (fastPipeline.ts). Queries only: a mutation always runs through Apollo.
          if (c && known && rc.operation?.operation === 'query' && rc.source !== undefined && rc.queryHash !== undefined)
            known.add(rc.request.operationName ?? null, rc.source, { document: rc.document, operation: rc.operation, operationName: rc.operationName ?? null, queryHash: rc.queryHash, compiled: c });
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
export function asGraphQLError(e: unknown): GraphQLError {
  if (e instanceof GraphQLError && e.extensions !== undefined) return e;
  const j = e as { message: string; path?: readonly (string | number)[]; originalError?: Error | null };
  return new GraphQLError(j.message, { path: j.path, originalError: j.originalError ?? undefined });
}

/** Input object types that can contain themselves (CustomerWhere.and, CustomerWhere → OrderWhere → CustomerWhere). */
function recursiveInputTypes(schema: GraphQLSchema): ReadonlySet<string> {
  const out = new Set<string>();
  const inputs = Object.values(schema.getTypeMap()).filter(isInputObjectType);
  for (const start of inputs) {
    const seen = new Set<string>();
    const stack: GraphQLInputObjectType[] = [start];
    while (stack.length) {
      const t = stack.pop()!;
      for (const f of Object.values(t.getFields())) {
        const n = getNamedType(f.type);
        if (!isInputObjectType(n)) continue;
        if (n === start) out.add(start.name);
        if (!seen.has(n.name)) {
          seen.add(n.name);
          stack.push(n);
        }
      }
      if (out.has(start.name)) break;
    }
  }
  return out;
}

function namedTypeOf(t: TypeNode): string {
  return t.kind === Kind.NAMED_TYPE ? t.name.value : namedTypeOf(t.type);
}

function usesRecursiveVariable(doc: DocumentNode, operationName: string | undefined, recursive: ReadonlySet<string>): boolean {
  if (!recursive.size) return false;
  for (const d of doc.definitions) {
    if (d.kind !== Kind.OPERATION_DEFINITION || (operationName !== undefined && d.name?.value !== operationName)) continue;
    if (d.variableDefinitions?.some((v) => recursive.has(namedTypeOf(v.type)))) return true;
  }
  return false;
}
