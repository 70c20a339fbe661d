import { UnreachableCaseError } from '../../errors';
import type { Condition, Plan, SelectPlan } from '../../planning';
import type { CompiledQuery } from '../SourceAdapter';

/**
 * A value's slot in a prepared statement: which plan value it takes and how the dialect encodes
 * it. Compiling a plan whose values are Params yields SQL that serves every plan of the same
 * shape: knex builds and compiles it once, later requests only bind.
 */
export class Param {
  constructor(
    readonly index: number,
    /**
     * For list values (key sets): the length of the list the statement was compiled for. Part of
     * the shape only where the list expands to one `?` each; a large list compiled as one
     * parameter serves lists of every large length, so only `isLargeKeySet(length)` may matter.
     */
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

/**
 * Key sets longer than this compile to ONE parameter on MySQL and SQLite (a JSON array, or on
 * MySQL a list the driver writes out), shorter ones to one `?` per value as before. 500 because:
 * - below it, a literal list is what every optimizer plans best (actual values, index range
 *   scans; MySQL already stops index dives at 200 values) and costs little to build and bind;
 * - above it, the costs of expanding grow with the length: every length is its own prepared
 *   statement (up to 500 shapes per query pattern here, against a cache of 2,000 per source),
 *   knex builds a statement of thousands of markers for each, and the binds approach the engines'
 *   limits (SQLite 32,766; MySQL 65,535): 500 keys of up to 65 columns stay under both;
 * - measured on 120,000 rows (MariaDB 10.11, SQLite 3.53), 1,000 keys cost the same either way
 *   (on the primary key about 3 ms on SQLite and 6 ms on MariaDB, on a column without index about
 *   25 ms and 95 ms), while at 100 to 500 keys on a column without index MariaDB answers a literal
 *   list faster (45 ms against 85 ms for JSON_TABLE): the switch costs nothing where it happens.
 * PostgreSQL binds single-column key sets as one array whatever their length.
 */
export const LIST_PARAM_THRESHOLD = 500;

/** A key set the dialects send as one parameter on engines without array parameters. */
export function isLargeKeySet(length: number): boolean {
  return length > LIST_PARAM_THRESHOLD;
}

export interface Parameterized {
  /** The plan's shape: equal keys compile to the same SQL. */
  readonly key: string;
  readonly values: unknown[];
  /** The plan with every value replaced by its Param. */
  readonly template: Plan;
}

/**
 * Splits a plan into shape and values. `expandLists`: the engine has no array parameters, so a key
 * set of up to LIST_PARAM_THRESHOLD values binds one `?` per value and its length is shape; a
 * larger one is one parameter (JSON) whatever its length, so one statement serves every large
 * size. With array parameters (PostgreSQL) a single-column key set is one array parameter, and a
 * composite one still expands, so its length is shape.
 */
export function parameterize(plan: Plan, expandLists: boolean): Parameterized {
  const values: unknown[] = [];
  const parts: string[] = [plan.kind, plan.entity.name];
  const param = (v: unknown, length = 0) => new Param(values.push(v) - 1, length);
  const listShape = (columns: number, length: number): string => {
    if (expandLists) return isLargeKeySet(length) ? ' one' : ` ${length}`;
    return columns > 1 ? ` ${length}` : '';
  };

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
        parts.push(`${c.fields.join(',')} ${c.negate ? 'nin' : 'in'}${listShape(c.fields.length, c.values.length)}`);
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

  /** A select's shape and template; `nested` selects (their own conditions, fields, pages) are part of both. */
  const select = (plan: SelectPlan): SelectPlan => {
    const where = cond(plan.where);
    parts.push(`f:${plan.fields.join(',')}`, `o:${plan.orderBy.map((t) => `${t.field} ${t.direction} ${t.nulls}`).join(',')}`, `l:${plan.limit ?? ''}:${plan.offset ?? ''}:${plan.distinct ? 'd' : ''}`);
    const computed = plan.computed?.map((c) => {
      parts.push(`c:${c.alias}(`);
      const condition = cond(c.condition);
      parts.push(')');
      return { alias: c.alias, condition };
    });
    let partition = plan.partition;
    if (partition) {
      parts.push(`p:${partition.fields.join(',')}${listShape(partition.fields.length, partition.keys.length)}`);
      partition = { fields: partition.fields, keys: param(partition.keys, partition.keys.length) as never };
    }
    const nested = plan.nested?.map((n) => {
      parts.push(`n:${n.alias}:${n.relationship.from}.${n.relationship.name}:${n.plan.entity.name}(`);
      const inner = select(n.plan);
      parts.push(')');
      return { ...n, plan: inner };
    });
    // Only keys the plan has: V8 copies a spread's source fast, but a key the source lacks, added
    // after the spread, costs 1.5-2 µs (a new hidden class each time), and plans are made per request.
    const out: { -readonly [K in keyof SelectPlan]: SelectPlan[K] } = { ...plan, where };
    if (partition) out.partition = partition;
    if (computed) out.computed = computed;
    if (nested) out.nested = nested;
    return out;
  };

  if (plan.kind === 'select') {
    const template = select(plan);
    return { key: parts.join('|'), values, template };
  }
  const where = cond(plan.where);
  switch (plan.kind) {
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
