import { badInput } from '../errors';
import type { Entity, Registry } from '../model';
import { and, FALSE, not, or, TRUE, type CompareOp, type Condition } from './conditions';

/** The filter operators a `where` input offers, per field. */
export const COMPARE_OPS: readonly CompareOp[] = ['eq', 'neq', 'lt', 'lte', 'gt', 'gte'];

type WhereInput = Record<string, unknown>;

/**
 * Turns a coerced GraphQL `where` argument into a condition tree. Keys of one object AND
 * together; `and`/`or`/`not` nest; a relationship key means "some related row matches".
 */
export function whereToCondition(registry: Registry, entity: Entity, where: WhereInput | null | undefined, depth = 0): Condition {
  if (where == null) return TRUE;
  if (depth > 16) throw badInput('`where` is nested too deeply (at most 16 levels)');
  const parts: Condition[] = [];
  for (const [key, value] of Object.entries(where)) {
    if (value === undefined) continue;
    if (key === 'and' || key === 'or') {
      if (!Array.isArray(value)) throw badInput(`\`${key}\` expects a list of conditions`);
      const items = value.map((w) => whereToCondition(registry, entity, w as WhereInput, depth + 1));
      // An empty `and` means no condition; an empty `or` matches nothing (the neutral elements).
      parts.push(key === 'and' ? and(...items) : items.length ? or(...items) : FALSE);
    } else if (key === 'not') {
      if (value === null) throw badInput('`not: null` is not a condition; leave `not` out instead');
      parts.push(not(whereToCondition(registry, entity, value as WhereInput, depth + 1)));
    } else if (entity.fields.has(key)) {
      if (value === null) throw badInput(`\`${key}: null\` is not a condition; use \`${key}: { isNull: true }\``);
      parts.push(fieldCondition(key, value as Record<string, unknown>));
    } else {
      const rel = entity.relationships.get(key);
      if (!rel) throw badInput(`${entity.name} has no field or relationship "${key}"`);
      if (value === null) throw badInput(`\`${key}: null\` is not a condition`);
      const target = registry.entity(rel.target);
      parts.push({ kind: 'related', relationship: rel, target, where: whereToCondition(registry, target, value as WhereInput, depth + 1) });
    }
  }
  return and(...parts);
}

function fieldCondition(field: string, ops: Record<string, unknown>): Condition {
  const parts: Condition[] = [];
  for (const [op, value] of Object.entries(ops)) {
    if (value === undefined) continue;
    if (value === null) throw badInput(`\`${field}.${op}: null\` is not a condition; use \`isNull\` to match NULLs`);
    checkValue(field, value);
    switch (op) {
      case 'eq': case 'neq': case 'lt': case 'lte': case 'gt': case 'gte':
        parts.push({ kind: 'compare', op, field, value });
        break;
      case 'in': case 'nin': {
        const values = value as unknown[];
        if (values.some((v) => v === null)) throw badInput(`\`${field}.${op}\` may not contain null; use \`isNull\``);
        parts.push(values.length === 0 ? (op === 'in' ? FALSE : TRUE) : { kind: 'in', fields: [field], values: values.map((v) => [v]), negate: op === 'nin' });
        break;
      }
      case 'like': case 'ilike':
        parts.push({ kind: 'like', field, pattern: value as string, caseInsensitive: op === 'ilike' });
        break;
      case 'isNull':
        parts.push({ kind: 'isNull', field, isNull: value as boolean });
        break;
      default:
        throw badInput(`unknown filter operator "${op}" on ${field}`);
    }
  }
  return and(...parts);
}

function checkValue(field: string, value: unknown): void {
  if (typeof value === 'string') {
    if (value.includes('\u0000')) throw badInput(`the filter value for ${field} contains a NUL character, which no column can store`);
  } else if (Array.isArray(value)) {
    for (const v of value) checkValue(field, v);
  }
}
