import { ApolloArmor } from '@escape.tech/graphql-armor';
import type { GraphQLArmorRejectCallback } from '@escape.tech/graphql-armor-types';
import { GraphQLError, type ValidationRule } from 'graphql';
import type { LimitValues } from '../../config';

/** What a client is told in production mode, where the limits and the found values stay private. */
const PRIVATE_MESSAGES = {
  maxDepth: 'the query is nested deeper than this gateway allows',
  maxAliases: 'the query uses more aliases than this gateway allows',
  maxDirectives: 'the query uses more directives than this gateway allows',
  maxCost: 'the query costs more than this gateway allows',
} as const;

/**
 * graphql-armor's validation rules for one role set's limits: depth (fragments flattened, so a
 * fragment is no way around it), aliases, directives and cost. They run with the other rules once
 * per document: Apollo caches validated documents, so a repeated query pays nothing.
 *
 * Armor's own token plugin is left off: it parses every new document a second time, and its
 * `unexpectedErrorProcessingRequest` hook turns any unexpected error of the request (not only its
 * own) into a GRAPHQL_VALIDATION_FAILED carrying the raw message. graphql-js's parser counts tokens
 * itself (`parseOptions.maxTokens`) and stops there. Its field-suggestion plugin is left off too:
 * Apollo's `hideSchemaDetailsFromClientErrors` and the gateway's own production plugin hide them.
 */
export function armorRules(limits: LimitValues, exposeLimits: boolean): ValidationRule[] {
  const reject =
    (key: keyof typeof PRIVATE_MESSAGES): GraphQLArmorRejectCallback =>
    (ctx, error) => {
      const said = exposeLimits ? error.message.replace(/^Syntax Error: /, '').replace(/\.$/, '') : PRIVATE_MESSAGES[key];
      ctx?.reportError(new GraphQLError(`${said} (limits.${key})`, { extensions: { limit: key } }));
    };
  const common = (key: keyof typeof PRIVATE_MESSAGES) => ({ exposeLimits, propagateOnRejection: false, onReject: [reject(key)] });
  const { validationRules } = new ApolloArmor({
    blockFieldSuggestion: { enabled: false },
    maxTokens: { enabled: false },
    maxDepth: { n: limits.maxDepth, flattenFragments: true, ignoreIntrospection: true, ...common('maxDepth') },
    maxAliases: { n: limits.maxAliases, ...common('maxAliases') },
    maxDirectives: { n: limits.maxDirectives, ...common('maxDirectives') },
    costLimit: { maxCost: limits.maxCost, flattenFragments: true, ignoreIntrospection: true, ...common('maxCost') },
  }).protect();
  return validationRules as ValidationRule[];
}
