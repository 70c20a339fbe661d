import { unwrapResolverError } from '@apollo/server/errors';
import { randomUUID } from 'node:crypto';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { ErrorCode, isDatagateError } from '../errors';

export type Logger = (record: Record<string, unknown>) => void;

/**
 * What a client sees of an error. Datagate's own errors carry safe messages and a code;
 * GraphQL's parse/validation errors describe the client's own query; anything else is
 * replaced by "internal error (id …)" and logged in full under that id.
 */
export function createFormatError(log: Logger) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const original = unwrapResolverError(error);
    if (isDatagateError(original)) {
      if (original.cause) log({ level: 'warn', code: original.code, path: formatted.path, cause: String((original.cause as Error)?.message ?? original.cause) });
      return { message: original.message, locations: formatted.locations, path: formatted.path, extensions: { code: original.code, ...original.details } };
    }
    if (original instanceof GraphQLError && !original.originalError) {
      // Parse, validation and variable-coercion errors: safe, they speak of the query only.
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code: formatted.extensions?.code ?? 'GRAPHQL_VALIDATION_FAILED' } };
    }
    if (original instanceof TypeError && formatted.extensions?.code === 'BAD_USER_INPUT') {
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code: 'BAD_USER_INPUT' } };
    }
    const id = randomUUID();
    log({ level: 'error', errorId: id, path: formatted.path, error: original instanceof Error ? original.stack : String(original) });
    return { message: `internal error (id ${id})`, locations: formatted.locations, path: formatted.path, extensions: { code: ErrorCode.INTERNAL, errorId: id } };
  };
}
