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
import { NUMERIC_TYPES, ORDERED_TYPES, type Field, type FieldType, type Registry } from '../model';
import { clearAlias, MASK_DESCRIPTIONS, visibleAlias, type EntityView, type FieldView, type PolicyEngine, type RoleSetView } from '../policy';
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
  /** Absent when the role may sort by no field. */
  orderBy?: GraphQLInputObjectType;
  connection: GraphQLObjectType;
  aggregate?: { type: GraphQLObjectType; where: GraphQLInputObjectType; fieldEnum?: GraphQLEnumType };
}

/**
 * The data graph of one role set, generated with graphql-js types from the model and the role set's
 * view of the policies: only the entities, fields, relationships and aggregates it may read, so that
 * introspection shows nothing else. type-graphql describes classes known at compile time, while
 * these types exist only once a deployment's model and policies are read.
 */
export function buildDataQueryFields(registry: Registry, view: RoleSetView, policy: PolicyEngine): GraphQLFieldConfigMap<unknown, RequestContext> {
  const filters = createFilterTypes();
  const types = new Map<string, EntityTypes>();
  const typesOf = (name: string) => types.get(name)!;
  const visible = [...view.entities.values()].filter((v) => v.read || v.aggregate);

  for (const v of visible) types.set(v.entity.name, entityTypes(v, view, policy, filters, typesOf));

  const fields: GraphQLFieldConfigMap<unknown, RequestContext> = {};
  for (const v of visible) {
    const { entity } = v;
    const t = typesOf(entity.name);
    const from = `from ${entity.table} in source ${entity.source}`;
    const cap = v.maxRows !== undefined ? ` Your role reads at most ${v.maxRows} rows per list.` : '';
    if (v.read) {
      const keyField = entity.fields.get(entity.key)!;
      fields[entity.plural] = {
        type: new GraphQLList(new GraphQLNonNull(t.object)),
        description: `${entity.name} rows ${from}.${cap}`,
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
        description: `${entity.name} rows as a Relay connection: cursor paging and totalCount.${cap}`,
        args: {
          first: { type: GraphQLInt, description: 'Rows per page (default and maximum set by the gateway).' },
          after: { type: GraphQLString, description: 'An endCursor or edge cursor from the previous page.' },
          where: { type: t.where },
          ...(t.orderBy ? { orderBy: { type: new GraphQLList(new GraphQLNonNull(t.orderBy)) } } : {}),
        },
        resolve: connectionResolver(entity),
      };
    }
    if (t.aggregate) {
      fields[`${entity.plural}Aggregate`] = {
        type: new GraphQLList(new GraphQLNonNull(t.aggregate.type)),
        description: `Counts and sum/avg/min/max of ${entity.name}, computed in the database; one element per group (one in all without groupBy).`,
        args: {
          where: { type: t.aggregate.where },
          ...(t.aggregate.fieldEnum ? { groupBy: { type: new GraphQLList(new GraphQLNonNull(t.aggregate.fieldEnum)) } } : {}),
          limit: { type: GraphQLInt, description: 'Most groups to return.' },
        },
        resolve: aggregateResolver(entity),
      };
    }
  }
  return fields;
}

/** A field's value for the role: nulled on rows where it is not readable, masked where it is not clear. */
function fieldResolver(field: Field, fv: FieldView, policy: PolicyEngine) {
  if (fv.uniform && fv.maskMode === 'none') return undefined;
  const name = field.name;
  const vis = fv.uniform ? undefined : visibleAlias(name);
  const clear = fv.maskMode === 'conditional' ? clearAlias(name) : undefined;
  const mask = fv.mask ? policy.mask(fv.mask, field.type) : undefined;
  // Flags arrive as 1/0, '1'/'0' or 1n/0n depending on the driver: loose equality takes them all.
  return (source: unknown) => {
    const row = source as Record<string, unknown>;
    // eslint-disable-next-line eqeqeq
    if (vis !== undefined && row[vis] != 1) return null;
    const value = row[name];
    // eslint-disable-next-line eqeqeq
    if (!mask || (clear !== undefined && row[clear] == 1)) return value;
    return mask(value);
  };
}

function listArgs(t: EntityTypes): GraphQLFieldConfigArgumentMap {
  return {
    where: { type: t.where },
    ...(t.orderBy ? { orderBy: { type: new GraphQLList(new GraphQLNonNull(t.orderBy)), description: 'Sort keys in order, one field per element: [{a: ASC}, {b: DESC}].' } } : {}),
    limit: { type: GraphQLInt, description: 'Most rows to return (default and maximum set by the gateway).' },
    offset: { type: GraphQLInt },
  };
}

function entityTypes(
  v: EntityView,
  view: RoleSetView,
  policy: PolicyEngine,
  filters: Map<FieldType, GraphQLInputObjectType>,
  typesOf: (name: string) => EntityTypes,
): EntityTypes {
  const { entity } = v;
  const n = entity.name;
  const readable = [...v.fields.values()].map((fv) => ({ f: entity.fields.get(fv.name)!, fv }));
  const clearFields = [...entity.fields.values()].filter((f) => v.clear.has(f.name));
  const describe = (f: { description?: string; tags: readonly string[] }, fv?: FieldView) =>
    [
      f.description,
      f.tags.length ? `Tags: ${f.tags.join(', ')}.` : '',
      fv && fv.mask ? `Masked for your role${fv.maskMode === 'conditional' ? ' on some rows' : ''}: ${MASK_DESCRIPTIONS[fv.mask]}.` : '',
      fv && !fv.uniform ? 'Null on rows where your role may not read it.' : '',
    ]
      .filter(Boolean)
      .join(' ') || undefined;

  const object: GraphQLObjectType = new GraphQLObjectType({
    name: n,
    description: [entity.description, `Source: ${entity.source}.${entity.table}.`, entity.owner.team ? `Owner: ${entity.owner.team}.` : ''].filter(Boolean).join(' '),
    fields: () => {
      const out: GraphQLFieldConfigMap<unknown, RequestContext> = {};
      for (const { f, fv } of readable) {
        const scalar = SCALAR_OF[f.type];
        out[f.name] = { type: fv.nullable ? scalar : new GraphQLNonNull(scalar), description: describe(f, fv), resolve: fieldResolver(f, fv, policy) };
      }
      for (const rel of v.relationships) {
        const target = view.entities.get(rel.target)!.entity;
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

  const whereType = (name: string, fieldList: readonly Field[], withRelationships: boolean): GraphQLInputObjectType => {
    const t: GraphQLInputObjectType = new GraphQLInputObjectType({
      name,
      description: `Conditions on ${n}; keys AND together. A relationship key matches when some related row matches. Fields your role reads masked or on some rows only are not offered.`,
      fields: () => {
        const out: GraphQLInputFieldConfigMap = {
          and: { type: new GraphQLList(new GraphQLNonNull(t)) },
          or: { type: new GraphQLList(new GraphQLNonNull(t)) },
          not: { type: t },
        };
        for (const f of fieldList) out[f.name] = { type: filters.get(f.type)! };
        if (withRelationships) for (const rel of v.relationships) out[rel.name] = { type: typesOf(rel.target).where };
        return out;
      },
    });
    return t;
  };
  const where = whereType(`${n}Where`, clearFields, true);

  const sortable = clearFields.filter((f) => ORDERED_TYPES.has(f.type) || f.type === 'Boolean');
  const orderBy = sortable.length
    ? new GraphQLInputObjectType({
        name: `${n}OrderBy`,
        description: 'One sort key: set exactly one field.',
        fields: Object.fromEntries(sortable.map((f) => [f.name, { type: OrderDirection }])),
      })
    : undefined;

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

  return { object, where, orderBy, connection, aggregate: v.aggregate ? aggregateTypes(v, clearFields, where, whereType) : undefined };
}

/** Aggregate types over the fields the role set may aggregate (its own right, apart from reading). */
function aggregateTypes(
  v: EntityView,
  clearFields: readonly Field[],
  readWhere: GraphQLInputObjectType,
  whereType: (name: string, fields: readonly Field[], withRelationships: boolean) => GraphQLInputObjectType,
): NonNullable<EntityTypes['aggregate']> {
  const n = v.entity.name;
  const fieldList = [...v.entity.fields.values()].filter((f) => v.aggregate!.has(f.name));
  const sameAsRead = v.read && fieldList.length === clearFields.length && fieldList.every((f) => v.clear.has(f.name));
  const where = sameAsRead ? readWhere : whereType(`${n}AggregateWhere`, fieldList, v.read);
  const fieldEnum = fieldList.length
    ? new GraphQLEnumType({ name: `${n}Field`, values: Object.fromEntries(fieldList.map((f) => [f.name, { value: f.name }])) })
    : undefined;
  const scalarFields = (list: readonly Field[], typeOf: (t: FieldType) => FieldType | undefined) =>
    Object.fromEntries(list.flatMap((f) => (typeOf(f.type) ? [[f.name, { type: SCALAR_OF[typeOf(f.type)!] }]] : [])));
  const numeric = fieldList.filter((f) => NUMERIC_TYPES.has(f.type));
  const ordered = fieldList.filter((f) => ORDERED_TYPES.has(f.type));
  const aggFields: GraphQLFieldConfigMap<unknown, RequestContext> = { count: { type: new GraphQLNonNull(GraphQLInt) } };
  if (fieldList.length) {
    aggFields.group = { type: new GraphQLNonNull(new GraphQLObjectType({ name: `${n}Group`, description: 'The values of the groupBy fields (others are null).', fields: scalarFields(fieldList, (t) => t) })) };
    aggFields.countDistinct = { type: new GraphQLNonNull(new GraphQLObjectType({ name: `${n}CountDistinct`, fields: Object.fromEntries(fieldList.map((f) => [f.name, { type: GraphQLInt }])) })) };
  }
  if (numeric.length) {
    aggFields.sum = { type: new GraphQLNonNull(new GraphQLObjectType({ name: `${n}Sum`, fields: scalarFields(numeric, (t) => SUM_TYPE[t]) })) };
    aggFields.avg = { type: new GraphQLNonNull(new GraphQLObjectType({ name: `${n}Avg`, fields: scalarFields(numeric, (t) => AVG_TYPE[t]) })) };
  }
  if (ordered.length) {
    const minMax = new GraphQLObjectType({ name: `${n}MinMax`, fields: scalarFields(ordered, (t) => t) });
    aggFields.min = { type: new GraphQLNonNull(minMax) };
    aggFields.max = { type: new GraphQLNonNull(minMax) };
  }
  return { type: new GraphQLObjectType({ name: `${n}Aggregate`, fields: aggFields }), where, fieldEnum };
}
