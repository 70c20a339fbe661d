import 'reflect-metadata';
import { GraphQLObjectType, GraphQLSchema, specifiedDirectives, type GraphQLFieldConfigMap } from 'graphql';
import { buildSchema } from 'type-graphql';
import { AccessRequestResolver } from '../../resolvers/AccessRequestResolver';
import { AccessResolver } from '../../resolvers/AccessResolver';
import { CatalogResolver } from '../../resolvers/CatalogResolver';
import { AuditResolver } from '../../resolvers/AuditResolver';
import { HealthResolver } from '../../resolvers/HealthResolver';
import { QualityResolver } from '../../resolvers/QualityResolver';
import { buildDataQueryFields, type RequestContext } from '../graph';
import type { Registry } from '../model';
import type { PolicyEngine, RoleSetView } from '../policy';
import { CachedDirective } from './plugins/cache';

/** The hand-written API (type-graphql resolvers): the same for every role, built once. */
export function buildHandWrittenSchema(): Promise<GraphQLSchema> {
  return buildSchema({ resolvers: [HealthResolver, AccessResolver, AccessRequestResolver, CatalogResolver, QualityResolver, AuditResolver], validate: false });
}

/**
 * One role set's schema: its generated data graph (graphql-js types from the model, cut to what
 * the role set may read) plus the hand-written API, joined at the Query type.
 */
export function buildGatewaySchema(registry: Registry, view: RoleSetView, policy: PolicyEngine, handWritten: GraphQLSchema): GraphQLSchema {
  const data = buildDataQueryFields(registry, view, policy);
  const tgQuery = handWritten.getQueryType()!.toConfig().fields as GraphQLFieldConfigMap<unknown, RequestContext>;
  for (const name of Object.keys(tgQuery)) if (name in data) throw new Error(`Query.${name} is defined by both the model and a resolver`);
  const query = new GraphQLObjectType<unknown, RequestContext>({
    name: 'Query',
    description: 'Read the federated data model, and ask the gateway about itself and your access.',
    fields: { ...data, ...tgQuery },
  });
  const mutation = handWritten.getMutationType() ?? undefined;
  const extraTypes = Object.values(handWritten.getTypeMap()).filter((t) => !t.name.startsWith('__') && t.name !== 'Query' && t.name !== 'Mutation');
  return new GraphQLSchema({ query, mutation, types: extraTypes, directives: [...specifiedDirectives, CachedDirective] });
}
