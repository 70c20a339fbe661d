import {
  GraphQLBoolean,
  GraphQLEnumType,
  GraphQLInputObjectType,
  GraphQLInt,
  GraphQLList,
  GraphQLNonNull,
  GraphQLObjectType,
  GraphQLString,
  type GraphQLFieldConfigArgumentMap,
  type GraphQLFieldConfigMap,
  type GraphQLInputFieldConfigMap,
} from 'graphql';
import { NUMERIC_TYPES, ORDERED_TYPES, type Entity, type FieldType, type Registry } from '../model';
import type { RequestContext } from './context';
import { createFilterTypes, OrderDirection } from './filters';
import { aggregateResolver, byKeyResolver, connectionResolver, listResolver, relationshipResolver } from './resolvers';
import { SCALAR_OF } from './scalars';

/** Result types of sum/avg: sums of integers can pass 2^53, so they are exact strings. */
const SUM_TYPE: Partial<Record<FieldType, FieldType>> = { Int: 'BigInt', BigInt: 'BigInt', Decimal: 'Decimal', Float: 'Float' };
const AVG_TYPE: Partial<Record<FieldType, FieldType>> = { Int: 'Float', BigInt: 'Decimal', Decimal: 'Decimal', Float: 'Float' };

const PageInfo = new GraphQLObjectType({
  name: 'PageInfo',
  description: 'Relay page information; cursors are opaque and signed.',
  fields: {
    hasNextPage: { type: new GraphQLNonNull(GraphQLBoolean) },
    hasPreviousPage: { type: new GraphQLNonNull(GraphQLBoolean) },
    startCursor: { type: GraphQLString },
    endCursor: { type: GraphQLString },
  },
});

interface EntityTypes {
  object: GraphQLObjectType;
  where: GraphQLInputObjectType;
  orderBy: GraphQLInputObjectType;
  connection: GraphQLObjectType;
  aggregate: GraphQLObjectType;
  fieldEnum: GraphQLEnumType;
}

/**
 * The data graph, generated from the model with graphql-js types: type-graphql describes
 * classes known at compile time, while these types exist only once a deployment's model is read.
 */
export function buildDataQueryFields(registry: Registry): GraphQLFieldConfigMap<unknown, RequestContext> {
  const filters = createFilterTypes();
  const types = new Map<string, EntityTypes>();
  const typesOf = (name: string) => types.get(name)!;

  for (const entity of registry.entities.values()) types.set(entity.name, entityTypes(entity, registry, filters, typesOf));

  const fields: GraphQLFieldConfigMap<unknown, RequestContext> = {};
  for (const entity of registry.entities.values()) {
    const t = typesOf(entity.name);
    const keyField = entity.fields.get(entity.key)!;
    const from = `from ${entity.table} in source ${entity.source}`;
    fields[entity.plural] = {
      type: new GraphQLList(new GraphQLNonNull(t.object)),
      description: `${entity.name} rows ${from}.`,
      args: listArgs(t),
      resolve: listResolver(entity),
    };
    fields[entity.singular] = {
      type: t.object,
      description: `One ${entity.name} by its key (${entity.key}), or null.`,
      args: { [entity.key]: { type: new GraphQLNonNull(SCALAR_OF[keyField.type]) } },
      resolve: byKeyResolver(entity),
    };
    fields[`${entity.plural}Connection`] = {
      type: t.connection,
      description: `${entity.name} rows as a Relay connection: cursor paging and totalCount.`,
      args: {
        first: { type: GraphQLInt, description: 'Rows per page (default and maximum set by the gateway).' },
        after: { type: GraphQLString, description: 'An endCursor or edge cursor from the previous page.' },
        where: { type: t.where },
        orderBy: { type: new GraphQLList(new GraphQLNonNull(t.orderBy)) },
      },
      resolve: connectionResolver(entity),
    };
    fields[`${entity.plural}Aggregate`] = {
      type: new GraphQLList(new GraphQLNonNull(t.aggregate)),
      description: `Counts and sum/avg/min/max of ${entity.name}, computed in the database; one element per group (one in all without groupBy).`,
      args: {
        where: { type: t.where },
        groupBy: { type: new GraphQLList(new GraphQLNonNull(t.fieldEnum)) },
        limit: { type: GraphQLInt, description: 'Most groups to return.' },
      },
      resolve: aggregateResolver(entity),
    };
  }
  return fields;
}

function listArgs(t: EntityTypes): GraphQLFieldConfigArgumentMap {
  return {
    where: { type: t.where },
    orderBy: { type: new GraphQLList(new GraphQLNonNull(t.orderBy)), description: 'Sort keys in order, one field per element: [{a: ASC}, {b: DESC}].' },
    limit: { type: GraphQLInt, description: 'Most rows to return (default and maximum set by the gateway).' },
    offset: { type: GraphQLInt },
  };
}

function entityTypes(
  entity: Entity,
  registry: Registry,
  filters: Map<FieldType, GraphQLInputObjectType>,
  typesOf: (name: string) => EntityTypes,
): EntityTypes {
  const n = entity.name;
  const fieldList = [...entity.fields.values()];
  const describe = (f: { description?: string; tags: readonly string[] }) =>
    [f.description, f.tags.length ? `Tags: ${f.tags.join(', ')}.` : ''].filter(Boolean).join(' ') || undefined;

  const object: GraphQLObjectType = new GraphQLObjectType({
    name: n,
    description: [entity.description, `Source: ${entity.source}.${entity.table}.`, entity.owner.team ? `Owner: ${entity.owner.team}.` : ''].filter(Boolean).join(' '),
    fields: () => {
      const out: GraphQLFieldConfigMap<unknown, RequestContext> = {};
      for (const f of fieldList) {
        const scalar = SCALAR_OF[f.type];
        out[f.name] = { type: f.nullable ? scalar : new GraphQLNonNull(scalar), description: describe(f) };
      }
      for (const rel of entity.relationships.values()) {
        const target = registry.entity(rel.target);
        const tt = typesOf(rel.target);
        const cross = target.source !== entity.source ? ` Crosses to source ${target.source}.` : '';
        // Nullable, so that a failing source nulls only this field, never its parent.
        out[rel.name] = rel.many
          ? { type: new GraphQLList(new GraphQLNonNull(tt.object)), args: listArgs(tt), description: (rel.description ?? `${target.name} rows related by ${rel.on.map((p) => p.join(' = ')).join(', ')}.`) + cross, resolve: relationshipResolver(rel, target) }
          : { type: tt.object, description: (rel.description ?? `The related ${target.name}.`) + cross, resolve: relationshipResolver(rel, target) };
      }
      return out;
    },
  });

  const where: GraphQLInputObjectType = new GraphQLInputObjectType({
    name: `${n}Where`,
    description: `Conditions on ${n}; keys AND together. A relationship key matches when some related row matches.`,
    fields: () => {
      const out: GraphQLInputFieldConfigMap = {
        and: { type: new GraphQLList(new GraphQLNonNull(where)) },
        or: { type: new GraphQLList(new GraphQLNonNull(where)) },
        not: { type: where },
      };
      for (const f of fieldList) out[f.name] = { type: filters.get(f.type)! };
      for (const rel of entity.relationships.values()) out[rel.name] = { type: typesOf(rel.target).where };
      return out;
    },
  });

  const sortable = fieldList.filter((f) => ORDERED_TYPES.has(f.type) || f.type === 'Boolean');
  const orderBy = new GraphQLInputObjectType({
    name: `${n}OrderBy`,
    description: 'One sort key: set exactly one field.',
    fields: Object.fromEntries(sortable.map((f) => [f.name, { type: OrderDirection }])),
  });

  const edge = new GraphQLObjectType({
    name: `${n}Edge`,
    fields: { node: { type: new GraphQLNonNull(object) }, cursor: { type: new GraphQLNonNull(GraphQLString) } },
  });
  const connection = new GraphQLObjectType({
    name: `${n}Connection`,
    fields: {
      edges: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(edge))) },
      nodes: { type: new GraphQLNonNull(new GraphQLList(new GraphQLNonNull(object))) },
      pageInfo: { type: new GraphQLNonNull(PageInfo) },
      totalCount: { type: GraphQLInt, description: 'Rows matching `where`, across all pages.' },
    },
  });

  const groupable = fieldList.filter((f) => f.type !== 'JSON');
  const fieldEnum = new GraphQLEnumType({
    name: `${n}Field`,
    values: Object.fromEntries(groupable.map((f) => [f.name, { value: f.name }])),
  });
  const scalarFields = (list: typeof fieldList, typeOf: (t: FieldType) => FieldType | undefined) =>
    Object.fromEntries(list.flatMap((f) => (typeOf(f.type) ? [[f.name, { type: SCALAR_OF[typeOf(f.type)!] }]] : [])));
  const numeric = fieldList.filter((f) => NUMERIC_TYPES.has(f.type));
  const ordered = fieldList.filter((f) => ORDERED_TYPES.has(f.type));
  const aggFields: GraphQLFieldConfigMap<unknown, RequestContext> = {
    group: { type: new GraphQLNonNull(new GraphQLObjectType({ name: `${n}Group`, description: 'The values of the groupBy fields (others are null).', fields: scalarFields(groupable, (t) => t) })) },
    count: { type: new GraphQLNonNull(GraphQLInt) },
    countDistinct: { type: new GraphQLNonNull(new GraphQLObjectType({ name: `${n}CountDistinct`, fields: Object.fromEntries(groupable.map((f) => [f.name, { type: GraphQLInt }])) })) },
  };
  if (numeric.length) {
    aggFields.sum = { type: new GraphQLNonNull(new GraphQLObjectType({ name: `${n}Sum`, fields: scalarFields(numeric, (t) => SUM_TYPE[t]) })) };
    aggFields.avg = { type: new GraphQLNonNull(new GraphQLObjectType({ name: `${n}Avg`, fields: scalarFields(numeric, (t) => AVG_TYPE[t]) })) };
  }
  if (ordered.length) {
    const minMax = new GraphQLObjectType({ name: `${n}MinMax`, fields: scalarFields(ordered, (t) => t) });
    aggFields.min = { type: new GraphQLNonNull(minMax) };
    aggFields.max = { type: new GraphQLNonNull(minMax) };
  }
  const aggregate = new GraphQLObjectType({ name: `${n}Aggregate`, fields: aggFields });
  return { object, where, orderBy, connection, aggregate, fieldEnum };
}

