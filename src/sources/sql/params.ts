import { UnreachableCaseError } from '../../errors';
import type { Condition, Plan } from '../../planning';
import type { CompiledQuery } from '../SourceAdapter';

/**
 * A value's slot in a prepared statement: which plan value it takes and how the dialect encodes
 * it. Compiling a plan whose values are Params yields SQL that serves every plan of the same
 * shape: knex builds and compiles it once, later requests only bind.
 */
export class Param {
  constructor(
    readonly index: number,
    /** For list values (key sets): the list's length, part of the shape where lists expand to one `?` each. */
    readonly length: number,
    readonly transform?: (v: unknown) => unknown,
  ) {}
}

/** What operators call for every value they bind: encodes a real value now, or records how to encode a Param later. */
export function bindValue(value: unknown, transform?: (v: unknown) => unknown): unknown {
  if (value instanceof Param) {
    const inner = value.transform;
    return new Param(value.index, value.length, inner && transform ? (v) => transform(inner(v)) : (transform ?? inner));
  }
  return transform ? transform(value) : value;
}

export interface Parameterized {
  /** The plan's shape: equal keys compile to the same SQL. */
  readonly key: string;
  readonly values: unknown[];
  /** The plan with every value replaced by its Param. */
  readonly template: Plan;
}

/** Splits a plan into shape and values. `expandLists`: the engine binds a key set as one `?` per element, so list length is shape. */
export function parameterize(plan: Plan, expandLists: boolean): Parameterized {
  const values: unknown[] = [];
  const parts: string[] = [plan.kind, plan.entity.name];
  const param = (v: unknown, length = 0) => new Param(values.push(v) - 1, length);

  const cond = (c: Condition): Condition => {
    switch (c.kind) {
      case 'true':
      case 'false':
        parts.push(c.kind);
        return c;
      case 'and':
      case 'or': {
        parts.push(`${c.kind}(`);
        const items = c.items.map(cond);
        parts.push(')');
        return { kind: c.kind, items };
      }
      case 'not': {
        parts.push('not(');
        const item = cond(c.item);
        parts.push(')');
        return { kind: 'not', item };
      }
      case 'compare':
        parts.push(`${c.field} ${c.op} ?`);
        return { ...c, value: param(c.value) };
      case 'in':
        parts.push(`${c.fields.join(',')} ${c.negate ? 'nin' : 'in'}${expandLists ? ` ${c.values.length}` : ''}`);
        return { ...c, values: param(c.values, c.values.length) as never };
      case 'isNull':
        parts.push(`${c.field} ${c.isNull ? 'null' : 'notnull'}`);
        return c;
      case 'like':
        parts.push(`${c.field} ${c.caseInsensitive ? 'ilike' : 'like'} ?`);
        return { ...c, pattern: param(c.pattern) as never };
      case 'related': {
        parts.push(`${c.relationship.from}.${c.relationship.name}(`);
        const where = cond(c.where);
        parts.push(')');
        return { ...c, where };
      }
      default:
        throw new UnreachableCaseError(c);
    }
  };

  const where = cond(plan.where);
  switch (plan.kind) {
    case 'select': {
      parts.push(`f:${plan.fields.join(',')}`, `o:${plan.orderBy.map((t) => `${t.field} ${t.direction} ${t.nulls}`).join(',')}`, `l:${plan.limit ?? ''}:${plan.offset ?? ''}:${plan.distinct ? 'd' : ''}`);
      const computed = plan.computed?.map((c) => {
        parts.push(`c:${c.alias}(`);
        const condition = cond(c.condition);
        parts.push(')');
        return { alias: c.alias, condition };
      });
      let partition = plan.partition;
      if (partition) {
        parts.push(`p:${partition.fields.join(',')}${expandLists ? ` ${partition.keys.length}` : ''}`);
        partition = { fields: partition.fields, keys: param(partition.keys, partition.keys.length) as never };
      }
      return { key: parts.join('|'), values, template: { ...plan, where, partition, computed } };
    }
    case 'count':
      return { key: parts.join('|'), values, template: { ...plan, where } };
    case 'aggregate':
      parts.push(`g:${plan.groupBy.join(',')}`, `a:${plan.aggregates.map((a) => `${a.fn}(${a.field ?? '*'})`).join(',')}`, `l:${plan.limit ?? ''}`);
      return { key: parts.join('|'), values, template: { ...plan, where } };
    default:
      throw new UnreachableCaseError(plan);
  }
}

/** A compiled statement whose bindings are filled from a plan's values. */
export interface Prepared {
  readonly sql: string;
  bind(values: readonly unknown[]): unknown[];
}

export function prepare(compiled: CompiledQuery): Prepared {
  const slots = compiled.bindings;
  return {
    sql: compiled.sql,
    bind: (values) => slots.map((s) => (s instanceof Param ? (s.transform ? s.transform(values[s.index]) : values[s.index]) : s)),
  };
}
