import 'reflect-metadata';
import { GraphQLObjectType, GraphQLSchema, type GraphQLFieldConfigMap } from 'graphql';
import { buildSchema } from 'type-graphql';
import { HealthResolver } from '../../resolvers/HealthResolver';
import { buildDataQueryFields, type RequestContext } from '../graph';
import type { Registry } from '../model';

/**
 * One schema: the generated data graph (graphql-js types from the model) plus the
 * hand-written API (type-graphql resolvers), joined at the Query type.
 */
export async function buildGatewaySchema(registry: Registry): Promise<GraphQLSchema> {
  const handWritten = await buildSchema({ resolvers: [HealthResolver], validate: false });
  const data = buildDataQueryFields(registry);
  const tgQuery = handWritten.getQueryType()!.toConfig().fields as GraphQLFieldConfigMap<unknown, RequestContext>;
  for (const name of Object.keys(tgQuery)) if (name in data) throw new Error(`Query.${name} is defined by both the model and a resolver`);
  const query = new GraphQLObjectType<unknown, RequestContext>({
    name: 'Query',
    description: 'Read the federated data model, and ask the gateway about itself.',
    fields: { ...data, ...tgQuery },
  });
  const extraTypes = Object.values(handWritten.getTypeMap()).filter((t) => !t.name.startsWith('__') && t.name !== 'Query');
  return new GraphQLSchema({ query, types: extraTypes });
}
