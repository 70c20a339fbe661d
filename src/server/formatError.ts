import { unwrapResolverError } from '@apollo/server/errors';
import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, isDatagateError } from '../errors';

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

export type Logger = (record: Record<string, unknown>) => void;

/**
 * What a client sees of an error. Datagate's own errors carry safe messages and a code;
 * GraphQL's parse/validation errors describe the client's own query; anything else is
 * replaced by "internal error (id …)" and logged in full under that id.
 */
export function createFormatError(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = originalOf(error);
    if (isDatagateError(original)) {
      if (original.cause) log({ level: 'warn', code: original.code, path: formatted.path, cause: String((original.cause as Error)?.message ?? original.cause) });
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
    const id = randomUUID();
    log({ level: 'error', errorId: id, path: formatted.path, error: original instanceof Error ? original.stack : String(original) });
    return { message: `internal error (id ${id})`, locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.INTERNAL, errorId: id } };
  };
}
