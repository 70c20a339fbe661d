import type { Entity, Field, Registry } from '../model';
import { and, FALSE, not, or, TRUE, type CompareOp, type Condition } from '../planning';
import { BadValue, coerceValue, PROBE } from './coerce';

/** A node of the ucast condition tree that CASL parses each rule's `conditions` into. */
export interface AstNode {
  readonly operator: string;
  readonly field?: string;
  readonly value: unknown;
}

/** A condition the policy language cannot express, with the fix; stops start-up. */
export class UnsupportedCondition extends Error {}

interface Env {
  readonly registry: Registry;
  readonly entity: Entity;
}

type FieldOp = (field: Field, value: unknown, env: Env) => Condition;

const coerce = (field: Field, v: unknown) => coerceValue(field, v);


const INVERSE: Record<CompareOp, CompareOp> = { eq: 'neq', neq: 'eq', lt: 'gte', gte: 'lt', gt: 'lte', lte: 'gt' };

/**
 * NOT in CASL's sense: true wherever the condition is not true, NULLs included. Policy conditions
 * are two-valued, as CASL's matcher is: a test on a NULL column is false, never SQL's unknown. That
 * matters under NOT: a `cannot … where region = 'NA'` must leave NULL-region rows readable, where
 * SQL's `NOT (region = 'NA')` would be unknown and drop them. The negation is pushed down to the
 * leaves (De Morgan), each negated test on a nullable column also matching NULL.
 */
export function negate(c: Condition, entity: Entity): Condition {
  const nullable = (name: string) => entity.fields.get(name)?.nullable ?? true;
  const orNull = (name: string, x: Condition): Condition => (nullable(name) ? or(x, { kind: 'isNull', field: name, isNull: true }) : x);
  switch (c.kind) {
    case 'true':
      return FALSE;
    case 'false':
      return TRUE;
    case 'and':
      return or(...c.items.map((i) => negate(i, entity)));
    case 'or':
      return and(...c.items.map((i) => negate(i, entity)));
    case 'not':
      return twoValued(c.item, entity);
    case 'compare':
      return orNull(c.field, { ...c, op: INVERSE[c.op] });
    case 'in':
      return c.fields.length === 1 ? orNull(c.fields[0], { ...c, negate: !c.negate }) : or(not(c), ...c.fields.filter(nullable).map((f): Condition => ({ kind: 'isNull', field: f, isNull: true })));
    case 'isNull':
      return { ...c, isNull: !c.isNull };
    case 'like':
      return orNull(c.field, not(c));
    case 'related':
      return not(c);
  }
}

/** The condition with every SQL unknown made false: a test on a nullable column also asks that it is not NULL. */
function twoValued(c: Condition, entity: Entity): Condition {
  const nullable = (name: string) => entity.fields.get(name)?.nullable ?? true;
  const known = (fields: readonly string[], x: Condition): Condition =>
    and(...fields.filter(nullable).map((f): Condition => ({ kind: 'isNull', field: f, isNull: false })), x);
  switch (c.kind) {
    case 'and':
      return and(...c.items.map((i) => twoValued(i, entity)));
    case 'or':
      return or(...c.items.map((i) => twoValued(i, entity)));
    case 'not':
      return negate(c.item, entity);
    case 'compare':
    case 'like':
      return known([c.field], c);
    case 'in':
      return known(c.fields, c);
    default:
      return c;
  }
}

const compare = (op: CompareOp): FieldOp => (field, value) => (value === null ? FALSE : { kind: 'compare', op, field: field.name, value: coerce(field, value) });

function list(field: Field, value: unknown, op: string): { values: unknown[]; hasNull: boolean } {
  if (value === PROBE) return { values: [PROBE], hasNull: false };
  if (!Array.isArray(value)) throw new UnsupportedCondition(`$${op} on ${field.name} expects a list, found ${JSON.stringify(value)}`);
  return { values: value.filter((v) => v !== null).map((v) => coerce(field, v)), hasNull: value.includes(null) };
}

/**
 * One small function per operator, in the style of @casl/prisma's interpreter. Semantics follow
 * CASL's in-memory matcher (MongoDB's): `$ne`/`$nin` match NULL, `$eq: null` is "is null";
 * comparisons never match NULL (as in SQL; CASL's JS matcher would compare null as 0).
 */
const fieldOps: Record<string, FieldOp> = {
  eq: (f, v) => (v === null ? { kind: 'isNull', field: f.name, isNull: true } : { kind: 'compare', op: 'eq', field: f.name, value: coerce(f, v) }),
  ne: (f, v, env) => negate(fieldOps.eq(f, v, env), env.entity),
  lt: compare('lt'),
  lte: compare('lte'),
  gt: compare('gt'),
  gte: compare('gte'),
  in: (f, v) => {
    const { values, hasNull } = list(f, v, 'in');
    return or(values.length ? { kind: 'in', fields: [f.name], values: values.map((x) => [x]), negate: false } : FALSE, hasNull ? { kind: 'isNull', field: f.name, isNull: true } : FALSE);
  },
  // NULL is "not in" a list without null, as in MongoDB; SQL's NOT IN alone would be unknown there.
  nin: (f, v, env) => {
    const { values, hasNull } = list(f, v, 'nin');
    const notIn: Condition = values.length ? { kind: 'in', fields: [f.name], values: values.map((x) => [x]), negate: true } : TRUE;
    return hasNull ? and(notIn, { kind: 'isNull', field: f.name, isNull: false }) : negate(fieldOps.in(f, v, env), env.entity);
  },
  exists: (f, v) => ({ kind: 'isNull', field: f.name, isNull: !v }),
};

/** Operators that mean "no value matches": through a relationship, "no related row matches the positive form". */
const NEGATIVE: Record<string, string> = { ne: 'eq', nin: 'in' };

const SUPPORTED = [...Object.keys(fieldOps).map((k) => `$${k}`), '$elemMatch'].join(' ');

/** ucast tree of one rule → condition tree over `entity`; dotted fields walk relationships. */
export function astToCondition(node: AstNode, env: Env): Condition {
  switch (node.operator) {
    case 'and':
      return and(...(node.value as AstNode[]).map((n) => astToCondition(n, env)));
    case 'or':
      return or(...(node.value as AstNode[]).map((n) => astToCondition(n, env)));
    case 'not':
      return negate(and(...(node.value as AstNode[]).map((n) => astToCondition(n, env))), env.entity);
  }
  if (node.field === undefined) throw new UnsupportedCondition(`operator $${node.operator} is not supported in policy conditions; use one of ${SUPPORTED}`);
  if (node.field.startsWith('$'))
    throw new UnsupportedCondition(`"${node.field}" is not supported (CASL's query parser has no ${node.field}): write several keys for AND, several rules for OR, an inverted rule for NOT`);
  return throughPath(node.field.split('.'), node, env);
}

function throughPath(path: string[], node: AstNode, env: Env): Condition {
  const [head, ...rest] = path;
  const rel = env.entity.relationships.get(head);
  if (rel) {
    const target = env.registry.entity(rel.target);
    const inner = { registry: env.registry, entity: target };
    if (rest.length) {
      // MongoDB's `"orders.status": {$ne: x}` is "no order has status x" (true without orders), not
      // "some order differs": the negation goes outside the relationship.
      const positive = NEGATIVE[node.operator];
      if (positive) return not({ kind: 'related', relationship: rel, target, where: throughPath(rest, { ...node, operator: positive }, inner) });
      return { kind: 'related', relationship: rel, target, where: throughPath(rest, node, inner) };
    }
    if (node.operator !== 'elemMatch') throw new UnsupportedCondition(`"${head}" is a relationship of ${env.entity.name}: name one of ${target.name}'s fields ("${head}.<field>") or use $elemMatch`);
    if (!rel.many) throw new UnsupportedCondition(`$elemMatch needs a to-many relationship; "${head}" is to-one: write "${head}.<field>" keys instead`);
    return { kind: 'related', relationship: rel, target, where: astToCondition(node.value as AstNode, inner) };
  }
  const field = env.entity.fields.get(head);
  if (!field) throw new UnsupportedCondition(`${env.entity.name} has no field or relationship "${head}"`);
  if (rest.length) throw new UnsupportedCondition(`"${head}" is a field of ${env.entity.name}, not a relationship: "${path.join('.')}" cannot walk through it`);
  if (field.type === 'JSON') throw new UnsupportedCondition(`${env.entity.name}.${head} is JSON: policies cannot test JSON fields`);
  const op = fieldOps[node.operator];
  if (!op) throw new UnsupportedCondition(`operator $${node.operator} is not supported in policy conditions; use one of ${SUPPORTED}`);
  return op(field, node.value, env);
}

export { BadValue };
