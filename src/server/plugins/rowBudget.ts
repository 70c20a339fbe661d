import type { ApolloServerPlugin, GraphQLRequestContextDidResolveOperation } from '@apollo/server';
import { getVariableValues, GraphQLError, Kind, type DocumentNode, type FragmentDefinitionNode } from 'graphql';
import type { LimitValues } from '../../config';
import { isDatagateError } from '../../errors';
import type { RequestContext } from '../../graph';
import { estimateRows, rowBudgetError, type RowEstimate, type RowFields } from '../../graph/rowEstimate';

/** A refusal Apollo answers with HTTP 400; formatError finds the DatagateError inside for code and message. */
function refusal(e: unknown): GraphQLError {
  if (!isDatagateError(e)) throw e;
  return new GraphQLError(e.message, { originalError: e, extensions: { code: e.code, http: { status: 400 } } });
}

/**
 * The row budget of one role set (limits.rowBudget): after the operation is known and before any
 * resolver runs, its estimated rows (graph/rowEstimate) are held against the budget. An operation
 * whose estimate no variable decided always estimates the same, so its estimate is kept with its
 * document (Apollo caches documents by query text, per role set: a repeated query costs a WeakMap lookup).
 */
export function rowBudgetPlugin(fields: RowFields, limits: LimitValues): ApolloServerPlugin<RequestContext> {
  const fixed = new WeakMap<DocumentNode, Map<string, RowEstimate>>();
  const fragmentsOf = new WeakMap<DocumentNode, Map<string, FragmentDefinitionNode>>();
  const fragments = (doc: DocumentNode) => {
    let f = fragmentsOf.get(doc);
    if (!f) fragmentsOf.set(doc, (f = new Map(doc.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])))));
    return f;
  };
  const listener = {
    async didResolveOperation(rc: GraphQLRequestContextDidResolveOperation<RequestContext>) {
      const op = rc.operation;
      if (!op) return;
      const name = op.name?.value ?? '';
      let estimate = fixed.get(rc.document)?.get(name);
      if (!estimate) {
        let variables: Record<string, unknown> = {};
        if (op.variableDefinitions?.length) {
          const coerced = getVariableValues(rc.schema, op.variableDefinitions, rc.request.variables ?? {});
          // Variables that do not coerce fail in execution with their own message, before any resolver.
          if (coerced.errors) return;
          variables = coerced.coerced;
        }
        try {
          estimate = estimateRows(rc.schema, fields, limits, fragments(rc.document), op, variables);
        } catch (e) {
          throw refusal(e);
        }
        // No variable decided it (`customer(id: $id)`, a fixed limit): every request of the operation estimates the same.
        if (!estimate.usesVariables) {
          let m = fixed.get(rc.document);
          if (!m) fixed.set(rc.document, (m = new Map()));
          m.set(name, estimate);
        }
      }
      if (estimate.rows > limits.rowBudget) throw refusal(rowBudgetError(estimate, limits.rowBudget));
    },
  };
  return { requestDidStart: async () => listener };
}
