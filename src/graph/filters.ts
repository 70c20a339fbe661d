import { GraphQLBoolean, GraphQLEnumType, GraphQLInputObjectType, GraphQLList, GraphQLNonNull, type GraphQLInputFieldConfigMap } from 'graphql';
import { ORDERED_TYPES, type FieldType } from '../model';
import { SCALAR_OF } from './scalars';

const LIKE_TYPES: ReadonlySet<FieldType> = new Set(['String', 'ID']);

const ops: Record<string, string> = {
  eq: 'Equal to.',
  neq: 'Not equal to (never matches NULL; use isNull).',
  in: 'One of the values.',
  nin: 'None of the values (never matches NULL).',
  lt: 'Less than.',
  lte: 'Less than or equal to.',
  gt: 'Greater than.',
  gte: 'Greater than or equal to.',
  like: 'SQL LIKE, case-sensitive: % any run, _ one character, \\ escapes.',
  ilike: 'Like `like`, ignoring case.',
};

/** `StringFilter`, `IntFilter`, …: the operators a field of that type offers, built once. */
export function createFilterTypes(): Map<FieldType, GraphQLInputObjectType> {
  const out = new Map<FieldType, GraphQLInputObjectType>();
  for (const type of Object.keys(SCALAR_OF) as FieldType[]) {
    const scalar = SCALAR_OF[type];
    const fields: GraphQLInputFieldConfigMap = {};
    if (type !== 'JSON') {
      fields.eq = { type: scalar, description: ops.eq };
      fields.neq = { type: scalar, description: ops.neq };
      fields.in = { type: new GraphQLList(new GraphQLNonNull(scalar)), description: ops.in };
      fields.nin = { type: new GraphQLList(new GraphQLNonNull(scalar)), description: ops.nin };
    }
    if (ORDERED_TYPES.has(type)) for (const op of ['lt', 'lte', 'gt', 'gte']) fields[op] = { type: scalar, description: ops[op] };
    if (LIKE_TYPES.has(type)) {
      fields.like = { type: scalar, description: ops.like };
      fields.ilike = { type: scalar, description: ops.ilike };
    }
    fields.isNull = { type: GraphQLBoolean, description: 'true: only NULLs; false: only non-NULLs.' };
    out.set(type, new GraphQLInputObjectType({ name: `${type}Filter`, description: `Conditions on a ${type} field; several operators AND together.`, fields }));
  }
  return out;
}

export const OrderDirection = new GraphQLEnumType({
  name: 'OrderDirection',
  description: 'Sort direction. Without NULLS_*, NULLs sort last ascending and first descending.',
  values: {
    ASC: {}, DESC: {}, ASC_NULLS_FIRST: {}, ASC_NULLS_LAST: {}, DESC_NULLS_FIRST: {}, DESC_NULLS_LAST: {},
  },
});
