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
const compare = (op: CompareOp): FieldOp => (field, value) =>
  value === null ? FALSE : { kind: 'compare', op, field: field.name, value: coerce(field, value) };

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
  ne: (f, v) =>
    v === null
      ? { kind: 'isNull', field: f.name, isNull: false }
      : or({ kind: 'compare', op: 'neq', field: f.name, value: coerce(f, v) }, f.nullable ? { kind: 'isNull', field: f.name, isNull: true } : FALSE),
  lt: compare('lt'),
  lte: compare('lte'),
  gt: compare('gt'),
  gte: compare('gte'),
  in: (f, v) => {
    const { values, hasNull } = list(f, v, 'in');
    return or(values.length ? { kind: 'in', fields: [f.name], values: values.map((x) => [x]), negate: false } : FALSE, hasNull ? { kind: 'isNull', field: f.name, isNull: true } : FALSE);
  },
  nin: (f, v) => {
    const { values, hasNull } = list(f, v, 'nin');
    const notIn: Condition = values.length ? { kind: 'in', fields: [f.name], values: values.map((x) => [x]), negate: true } : TRUE;
    // NULL is "not in" a list without null, as in MongoDB; SQL's NOT IN alone would drop it.
    return hasNull ? and(notIn, { kind: 'isNull', field: f.name, isNull: false }) : f.nullable ? or(notIn, { kind: 'isNull', field: f.name, isNull: true }) : notIn;
  },
  exists: (f, v) => ({ kind: 'isNull', field: f.name, isNull: !v }),
};

const SUPPORTED = [...Object.keys(fieldOps).map((k) => `$${k}`), '$elemMatch'].join(' ');

/** ucast tree of one rule → condition tree over `entity`; dotted fields walk relationships. */
export function astToCondition(node: AstNode, env: Env): Condition {
  switch (node.operator) {
    case 'and':
      return and(...(node.value as AstNode[]).map((n) => astToCondition(n, env)));
    case 'or':
      return or(...(node.value as AstNode[]).map((n) => astToCondition(n, env)));
    case 'not':
      return not(and(...(node.value as AstNode[]).map((n) => astToCondition(n, env))));
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
    let where: Condition;
    if (rest.length) where = throughPath(rest, node, { registry: env.registry, entity: target });
    else if (node.operator === 'elemMatch') where = astToCondition(node.value as AstNode, { registry: env.registry, entity: target });
    else throw new UnsupportedCondition(`"${head}" is a relationship of ${env.entity.name}: name one of ${target.name}'s fields ("${head}.<field>") or use $elemMatch`);
    return { kind: 'related', relationship: rel, target, where };
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
