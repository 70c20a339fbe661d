import { GraphQLBoolean, GraphQLFloat, GraphQLID, GraphQLInt, GraphQLScalarType, GraphQLString, Kind, type GraphQLScalarType as Scalar, type ValueNode } from 'graphql';
import type { FieldType } from '../model';

/**
 * Scalars for values a float would damage. Output values are already canonical strings
 * (the source layer decodes rows once), so `serialize` stays a cheap pass-through.
 */
function stringScalar(name: string, description: string, check: (s: string) => unknown): GraphQLScalarType {
  const parse = (v: unknown) => {
    if (typeof v === 'number' && Number.isFinite(v)) v = String(v);
    if (typeof v !== 'string') throw new TypeError(`${name} expects a string, found ${typeof v}`);
    const out = check(v);
    if (out === undefined) throw new TypeError(`${name} cannot represent ${JSON.stringify(v.length > 40 ? v.slice(0, 40) + '…' : v)}`);
    return out;
  };
  return new GraphQLScalarType({
    name,
    description,
    serialize: (v) => (typeof v === 'string' ? v : v instanceof Date ? v.toISOString() : String(v)),
    parseValue: parse,
    parseLiteral: (ast: ValueNode) => {
      if (ast.kind !== Kind.STRING && ast.kind !== Kind.INT && ast.kind !== Kind.FLOAT) throw new TypeError(`${name} expects a string literal`);
      return parse(ast.value);
    },
  });
}

export const BigIntScalar = stringScalar('BigInt', 'A 64-bit (or larger) integer, as a string so that no digit is lost.', (s) => (/^-?\d{1,40}$/.test(s) ? s : undefined));

export const DecimalScalar = stringScalar('Decimal', 'An exact decimal number (numeric/decimal columns), as a string so that it never passes through a float.', (s) =>
  /^-?\d{1,65}(\.\d{1,30})?$/.test(s) ? s : undefined,
);

const ISO_DATETIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/;
export const DateTimeScalar = stringScalar('DateTime', 'An instant as ISO-8601 with an offset, e.g. 2026-11-01T09:30:00.000Z.', (s) => {
  if (!ISO_DATETIME.test(s)) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
});

export const DateScalar = stringScalar('Date', 'A calendar date, YYYY-MM-DD.', (s) => {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(s)) return undefined;
  const d = new Date(s + 'T00:00:00Z');
  return Number.isNaN(d.getTime()) || d.toISOString().slice(0, 10) !== s ? undefined : s;
});

function literalToJs(ast: ValueNode, variables?: Record<string, unknown> | null): unknown {
  switch (ast.kind) {
    case Kind.STRING:
    case Kind.BOOLEAN:
      return ast.value;
    case Kind.INT:
    case Kind.FLOAT:
      return Number(ast.value);
    case Kind.NULL:
      return null;
    case Kind.LIST:
      return ast.values.map((v) => literalToJs(v, variables));
    case Kind.OBJECT:
      return Object.fromEntries(ast.fields.map((f) => [f.name.value, literalToJs(f.value, variables)]));
    case Kind.VARIABLE:
      return variables?.[ast.name.value];
    default:
      throw new TypeError('JSON cannot represent an enum literal');
  }
}

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value (json/jsonb columns).',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: literalToJs,
});

export const SCALAR_OF: Record<FieldType, Scalar> = {
  ID: GraphQLID,
  String: GraphQLString,
  Int: GraphQLInt,
  Float: GraphQLFloat,
  Boolean: GraphQLBoolean,
  BigInt: BigIntScalar,
  Decimal: DecimalScalar,
  DateTime: DateTimeScalar,
  Date: DateScalar,
  JSON: JSONScalar,
};
