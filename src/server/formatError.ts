import type { ApolloServerPlugin } from '@apollo/server';
import { unwrapResolverError } from '@apollo/server/errors';
import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { describeError, ErrorCode, isDatagateError, scrubValues } from '../errors';
import type { RequestContext } from '../graph';
import type { Logger } from './logger';

export type { Logger } from './logger';

/** The error a resolver threw, through graphql-js's, graphql-jit's and Apollo's wrappers. */
function originalOf(error: unknown): unknown {
  let cur: unknown = error;
  for (let depth = 0; depth < 5 && cur; depth++) {
    if (isDatagateError(cur)) return cur;
    cur = (cur as { originalError?: unknown }).originalError;
  }
  return unwrapResolverError(error);
}

/** Apollo's codes for errors about the request itself, raised before any resolver runs. */
const REQUEST_ERROR_CODES = new Set(['GRAPHQL_PARSE_FAILED', 'GRAPHQL_VALIDATION_FAILED', 'BAD_USER_INPUT', 'BAD_REQUEST', 'PERSISTED_QUERY_NOT_FOUND', 'PERSISTED_QUERY_NOT_SUPPORTED', 'OPERATION_RESOLUTION_FAILURE']);

/**
 * Apollo's `formatError` sees an error, not its request: this plugin notes which request each error
 * belongs to (`didEncounterErrors` runs before formatting, with the same error objects), so the
 * id shown to the client is the request id, found again in the log lines and the audit record.
 */
export function createErrorRequests() {
  const requestOf = new WeakMap<object, string>();
  const plugin: ApolloServerPlugin<RequestContext> = {
    async requestDidStart() {
      return {
        async didEncounterErrors(rc) {
          for (const e of rc.errors) requestOf.set(e, rc.contextValue.requestId);
        },
      };
    },
  };
  return { plugin, requestIdOf: (error: unknown): string | undefined => (typeof error === 'object' && error !== null ? requestOf.get(error) : undefined) };
}

/**
 * What a client sees of an error. Datagate's own errors carry safe messages and a code;
 * GraphQL's parse/validation errors describe the client's own query; anything else is
 * replaced by "internal error (id …)", the id being the request's (x-request-id), and logged
 * under it: class, code, the message with its quoted values scrubbed, the stack's frames.
 */
export function createFormatError(log: Logger, requestIdOf: (error: unknown) => string | undefined = () => undefined) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = originalOf(error);
    if (isDatagateError(original)) {
      if (original.cause) {
        const cause = describeError(original.cause);
        log({ level: 'warn', requestId: requestIdOf(error), code: original.code, path: formatted.path, cause: cause.code ? `${cause.code}: ${cause.message}` : cause.message });
      }
      return { message: original.message, locations: formatted.locations, path: formatted.path, extensions: { code: original.code, ...original.details } };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && REQUEST_ERROR_CODES.has(code) && !formatted.path) {
      // Parse, validation and variable-coercion errors: safe, they speak of the client's own query.
      return { message: formatted.message, locations: formatted.locations, extensions: { code } };
    }
    if (original instanceof GraphQLError && !original.originalError && !formatted.path) {
      return { message: formatted.message, locations: formatted.locations, extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } };
    }
    const requestId = requestIdOf(error);
    const id = requestId ?? randomUUID();
    log({ level: 'error', requestId, errorId: id, path: formatted.path, msg: `internal error: ${scrubValues(original instanceof Error ? original.message : String(original))}`, error: describeError(original) });
    return { message: `internal error (id ${id})`, locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.INTERNAL, errorId: id } };
  };
}
