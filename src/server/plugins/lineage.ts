import type { ApolloServerPlugin, GraphQLRequestListener } from '@apollo/server';
import { buildLineage, type RequestContext } from '../../graph';

/** Holds no per-request state, so every request shares one listener. */
const listener: GraphQLRequestListener<RequestContext> = {
  async willSendResponse({ response, contextValue }) {
    if (response.body.kind !== 'single') return;
    const result = response.body.singleResult;
    // A request refused before execution (parse or validation errors) read nothing.
    const lineage = contextValue?.trace ? buildLineage(contextValue) : [];
    result.extensions = { ...result.extensions, lineage };
  },
};

/**
 * Every response carries `extensions.lineage`: where each part of the answer came from (source,
 * table, columns, policy, masks, row counts), built once per response from the statements the
 * request ran (`ctx.trace`), never per row. See src/graph/lineage.ts for the format.
 */
export function lineagePlugin(): ApolloServerPlugin<RequestContext> {
  return {
    async requestDidStart() {
      return listener;
    },
  };
}
