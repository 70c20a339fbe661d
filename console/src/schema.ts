import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputObjectType,
  type GraphQLObjectType,
  type GraphQLSchema,
  type GraphQLType,
} from 'graphql';
import { gql } from './api';

/** The caller's own schema (only what their roles may read), read once per sign-in. */
export async function loadSchema(): Promise<GraphQLSchema> {
  const r = await gql(getIntrospectionQuery());
  return buildClientSchema(r.data);
}

export interface Relationship {
  name: string;
  target: string;
  many: boolean;
}

/** What the table view needs about an entity, read from the caller's schema. */
export interface EntityApi {
  name: string;
  connection?: string;
  aggregate?: string;
  singular?: string;
  key?: string;
  /** Scalar fields the role reads, in schema order, with their GraphQL type names. */
  columns: { name: string; type: string }[];
  relationships: Relationship[];
  /** Filter operators per field, from the where input (only fields the role may filter by are in it). */
  operators: Map<string, { op: string; type: string; list: boolean }[]>;
  /** Fields the role may sort by. */
  sortable: string[];
  groupable: string[];
  summable: string[];
  /** GraphQL type of each argument of the connection and aggregate fields, for variable definitions. */
  connectionArgs: Record<string, string>;
  aggregateArgs: Record<string, string>;
  keyType?: string;
}

const unwrapList = (t: GraphQLType): boolean => (isNonNullType(t) ? unwrapList(t.ofType) : isListType(t));

export function entityApi(schema: GraphQLSchema, entity: string): EntityApi | null {
  const object = schema.getType(entity);
  if (!object || !isObjectType(object)) return null;
  const query = schema.getQueryType()!;
  const rootFields = Object.values(query.getFields());
  const named = (f: GraphQLField<unknown, unknown>) => getNamedType(f.type).name;
  const connection = rootFields.find((f) => named(f) === `${entity}Connection`);
  const aggregate = rootFields.find((f) => named(f) === `${entity}Aggregate`);
  const singular = rootFields.find((f) => named(f) === entity && !unwrapList(f.type) && f.args.length === 1);
  const columns: EntityApi['columns'] = [];
  const relationships: Relationship[] = [];
  for (const f of Object.values((object as GraphQLObjectType).getFields())) {
    const t = getNamedType(f.type);
    if (isObjectType(t)) relationships.push({ name: f.name, target: t.name, many: unwrapList(f.type) });
    else if (isScalarType(t) || isEnumType(t)) columns.push({ name: f.name, type: t.name });
  }
  const operators = new Map<string, { op: string; type: string; list: boolean }[]>();
  const whereArg = connection?.args.find((a) => a.name === 'where');
  const where = whereArg ? (getNamedType(whereArg.type) as GraphQLInputObjectType) : undefined;
  if (where && isInputObjectType(where))
    for (const f of Object.values(where.getFields())) {
      const t = getNamedType(f.type);
      if (!isInputObjectType(t) || ['and', 'or', 'not'].includes(f.name) || !columns.some((c) => c.name === f.name)) continue;
      operators.set(
        f.name,
        Object.values(t.getFields()).map((o) => ({ op: o.name, type: getNamedType(o.type).name, list: unwrapList(o.type) })),
      );
    }
  const orderArg = connection?.args.find((a) => a.name === 'orderBy');
  const orderType = orderArg ? getNamedType(orderArg.type) : undefined;
  const sortable = orderType && isInputObjectType(orderType) ? Object.keys(orderType.getFields()) : [];
  const groupArg = aggregate?.args.find((a) => a.name === 'groupBy');
  const groupEnum = groupArg ? getNamedType(groupArg.type) : undefined;
  const groupable = groupEnum && isEnumType(groupEnum) ? groupEnum.getValues().map((v) => v.name) : [];
  const aggType = aggregate ? (getNamedType(aggregate.type) as GraphQLObjectType) : undefined;
  const sumType = aggType?.getFields().sum ? (getNamedType(aggType.getFields().sum.type) as GraphQLObjectType) : undefined;
  return {
    name: entity,
    connection: connection?.name,
    aggregate: aggregate?.name,
    singular: singular?.name,
    key: singular?.args[0]?.name,
    columns,
    relationships,
    operators,
    sortable,
    groupable,
    summable: sumType ? Object.keys(sumType.getFields()) : [],
    connectionArgs: Object.fromEntries((connection?.args ?? []).map((a) => [a.name, String(a.type)])),
    aggregateArgs: Object.fromEntries((aggregate?.args ?? []).map((a) => [a.name, String(a.type)])),
    keyType: singular?.args[0] ? String(singular.args[0].type) : undefined,
  };
}

/** A scalar's GraphQL literal type for a variable: the input scalars of the where types. */
export function coerce(value: string, type: string): unknown {
  if (type === 'Int') return Number.parseInt(value, 10);
  if (type === 'Float') return Number(value);
  if (type === 'Boolean') return value === 'true';
  return value;
}
