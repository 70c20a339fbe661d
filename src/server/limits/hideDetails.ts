import type { ApolloServerPlugin } from '@apollo/server';
import type { RequestContext } from '../../graph';

/**
 * Production mode: no error tells a name of the schema or a limit. Apollo's
 * `hideSchemaDetailsFromClientErrors` strips "Did you mean" from validation errors only; variable
 * coercion errors (an enum value in variables) carry suggestions too, and graphql-js's token limit
 * says its number ("more that N tokens" in graphql 16).
 */
export function hideDetailsPlugin(): ApolloServerPlugin<RequestContext> {
  const listener = {
    async didEncounterErrors(rc: { errors: readonly { message: string }[] }) {
      for (const e of rc.errors) {
        (e as { message: string }).message = e.message
          .replace(/ ?Did you mean[^?]*\?/g, '')
          .replace(/Document contains more tha[nt] \d+ tokens\. Parsing aborted\./, 'the query has more tokens than this gateway allows (limits.maxTokens)');
      }
    },
  };
  return { requestDidStart: async () => listener };
}
