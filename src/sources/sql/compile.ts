import type { Knex } from 'knex';
import { DatagateError, ErrorCode, UnreachableCaseError } from '../../errors';
import type { AggregatePlan, Condition, CountPlan, NestedSelect, OrderTerm, Plan, SelectPlan } from '../../planning';
import type { CompiledQuery } from '../SourceAdapter';
import { applyCondition, field, ref, tableName, type CompileContext, type Scope } from './operators';
import type { SqlDialect } from './SqlDialect';

/** Column alias carrying ROW_NUMBER() in per-parent limited relationship loads. */
export const ROW_NUMBER = '__dg_rn';

function context(dialect: SqlDialect): CompileContext {
  let n = 1;
  return { dialect, nextAlias: () => `t${n++}` };
}

/**
 * Key sets that still expand to one `?` per value (composite keys on PostgreSQL) could pass the
 * engine's limit on bound values: refused here with a clear error instead of the driver's.
 */
function toCompiled(dialect: SqlDialect, q: Knex.QueryBuilder): CompiledQuery {
  const { sql, bindings } = q.toSQL();
  const max = dialect.capabilities.maxBindParams;
  if (bindings.length > max)
    throw new DatagateError(ErrorCode.LIMIT_EXCEEDED, `the query needs ${bindings.length} bound values, above the ${max} the source's engine accepts; narrow the condition`, {
      limit: max,
    });
  return { sql, bindings };
}

/** Plan → SQL and bindings. Pure: no connection is touched. */
export function compilePlan(dialect: SqlDialect, plan: Plan): CompiledQuery {
  switch (plan.kind) {
    case 'select':
      return compileSelect(dialect, plan);
    case 'count':
      return compileCount(dialect, plan);
    case 'aggregate':
      return compileAggregate(dialect, plan);
    default:
      throw new UnreachableCaseError(plan);
  }
}

function baseQuery(dialect: SqlDialect, ctx: CompileContext, plan: SelectPlan | CountPlan | AggregatePlan): { q: Knex.QueryBuilder; scope: Scope } {
  const scope: Scope = { alias: 't0', entity: plan.entity };
  const q = dialect.builder.queryBuilder().from({ t0: tableName(plan.entity) });
  applyCondition(q, plan.where, scope, ctx);
  return { q, scope };
}

/** ORDER BY terms; NULL placement is spelled out only for nullable columns (plain terms keep indexes usable). */
function orderTerm(dialect: SqlDialect, scope: Scope, t: OrderTerm): { sql: string; bindings: unknown[] } {
  const r = ref(scope, t.field);
  return field(scope, t.field).nullable ? dialect.orderTerm(r, t) : { sql: `?? ${t.direction}`, bindings: [r] };
}

function orderSql(dialect: SqlDialect, scope: Scope, plan: Pick<SelectPlan, 'orderBy'>): { sql: string; bindings: unknown[] } {
  const parts = plan.orderBy.map((t) => orderTerm(dialect, scope, t));
  return { sql: parts.map((p) => p.sql).join(', '), bindings: parts.flatMap((p) => p.bindings) };
}

export function compileSelect(dialect: SqlDialect, plan: SelectPlan): CompiledQuery {
  const ctx = context(dialect);
  const { q, scope } = baseQuery(dialect, ctx, plan);
  const columns: Record<string, string> = {};
  for (const f of plan.fields) columns[f] = ref(scope, f);
  q.select(columns);
  for (const c of plan.computed ?? []) q.select(flagColumn(dialect, ctx, scope, c.condition, c.alias));
  for (const n of plan.nested ?? []) {
    const sub = nestedRows(dialect, ctx, scope, n);
    q.select(dialect.builder.raw(`${sub.sql} as ??`, [...sub.bindings, n.alias] as never));
  }
  if (plan.distinct) q.distinct();
  const order = orderSql(dialect, scope, plan);
  const perParentPage = plan.partition && (plan.limit !== undefined || plan.offset);
  if (plan.partition) {
    applyCondition(q, { kind: 'in', fields: plan.partition.fields, values: plan.partition.keys, negate: false }, scope, ctx);
  }
  if (perParentPage) {
    const partitionRefs = plan.partition!.fields.map((f) => ref(scope, f));
    const over = `row_number() over (partition by ${partitionRefs.map(() => '??').join(', ')}${order.sql ? ` order by ${order.sql}` : ''}) as ??`;
    q.select(dialect.builder.raw(over, [...partitionRefs, ...order.bindings, ROW_NUMBER] as string[]));
    const from = plan.offset ?? 0;
    const outer = dialect.builder.queryBuilder().select('*').from(q.as('p')).whereRaw(`?? > ${literalCount(from)}`, [ROW_NUMBER]);
    if (plan.limit !== undefined) outer.whereRaw(`?? <= ${literalCount(from + plan.limit)}`, [ROW_NUMBER]);
    outer.orderBy(ROW_NUMBER);
    return toCompiled(dialect, outer);
  }
  if (order.sql) q.orderByRaw(order.sql, order.bindings as never);
  page(q, plan.limit, plan.offset);
  return toCompiled(dialect, q);
}

/**
 * A row count checked to be a non-negative safe integer, for SQL text. Limits, offsets and per-parent
 * row numbers are the one kind of value written into statements rather than bound: the planner set
 * them (a role's default or a request's checked `limit`), each one is part of the statement's shape
 * anyway (params.ts), and PostgreSQL plans a `LIMIT $n` for every execution (it cannot tell a page of
 * 20 from a scan of millions) where a written one lets the named statement keep one generic plan:
 * 35 µs of PostgreSQL's CPU per page of 50 customers, 90 µs per page of 20 with their orders (pgbench).
 */
function literalCount(n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new Error(`a row count must be a non-negative integer, got ${String(n)}`);
  return n;
}

/** LIMIT and OFFSET, written into the statement (literalCount). */
function page(q: Knex.QueryBuilder, limit: number | undefined, offset: number | undefined): void {
  if (limit !== undefined) q.limit(literalCount(limit), { skipBinding: true });
  if (offset !== undefined && literalCount(offset) > 0) q.offset(offset, { skipBinding: true });
}

/** `CASE WHEN <condition> THEN 1 ELSE 0 END AS alias`: the condition compiled as a WHERE clause, lifted into the select list. */
function flagColumn(dialect: SqlDialect, ctx: CompileContext, scope: Scope, condition: Condition, alias: string): Knex.Raw {
  const flag = flagExpression(dialect, ctx, scope, condition);
  return dialect.builder.raw(`${flag.sql} as ??`, [...flag.bindings, alias] as never);
}

function flagExpression(dialect: SqlDialect, ctx: CompileContext, scope: Scope, condition: Condition): { sql: string; bindings: readonly unknown[] } {
  if (condition.kind === 'true' || condition.kind === 'false') return { sql: condition.kind === 'true' ? '1' : '0', bindings: [] };
  const probe = dialect.builder.queryBuilder();
  applyCondition(probe, condition, scope, ctx);
  const { sql, bindings } = probe.toSQL();
  const where = sql.indexOf(' where ');
  return { sql: `case when ${sql.slice(where + 7)} then 1 else 0 end`, bindings };
}

/**
 * A relationship read inside its parents' statement (SelectPlan.nested): a subquery correlated on
 * the join fields, under the related rows' own conditions, order and page, whose rows come back as
 * JSON arrays of cells in the order fields, flags, nested relationships (decode.ts turns them into
 * rows). Identifiers come from the model; the subquery's values are bound like the statement's own.
 */
function nestedRows(dialect: SqlDialect, ctx: CompileContext, outer: Scope, n: NestedSelect): { sql: string; bindings: readonly unknown[] } {
  const json = dialect.nestedRows;
  if (!json) throw new Error(`the ${dialect.capabilities.engine} dialect cannot read related rows inside their parents' statement`);
  const plan = n.plan;
  const scope: Scope = { alias: ctx.nextAlias(), entity: plan.entity };
  const b = dialect.builder;
  const q = b.queryBuilder().from({ [scope.alias]: tableName(plan.entity) });
  const cells: string[] = [];
  const cellBindings: unknown[] = [];
  for (const f of plan.fields) {
    cells.push(json.cell(field(scope, f).type));
    cellBindings.push(ref(scope, f));
  }
  for (const c of plan.computed ?? []) {
    const flag = flagExpression(dialect, ctx, scope, c.condition);
    cells.push(flag.sql);
    cellBindings.push(...flag.bindings);
  }
  for (const inner of plan.nested ?? []) {
    const sub = nestedRows(dialect, ctx, scope, inner);
    cells.push(sub.sql);
    cellBindings.push(...sub.bindings);
  }
  const order = orderSql(dialect, scope, plan);
  // A to-one relationship too: a related row the server could not send would otherwise read as none.
  const aggregate = json.list.kind === 'aggregate' ? json.list : undefined;
  if (aggregate) {
    // Order and page inside the aggregate: the select list's bindings are the row's, then the order's identifiers.
    const many = n.relationship.many;
    const limit = !many ? 1 : plan.limit === undefined ? undefined : literalCount(plan.limit);
    const offset = many && plan.offset ? literalCount(plan.offset) : undefined;
    q.select(b.raw(aggregate.aggregate(json.row(cells), order.sql, limit, offset), [...cellBindings, ...order.bindings] as never));
  } else q.select(b.raw(json.row(cells), cellBindings as never));
  for (const [local, remote] of n.relationship.on) q.whereRaw('?? = ??', [ref(scope, remote), ref(outer, local)]);
  applyCondition(q, plan.where, scope, ctx);
  if (!aggregate) {
    if (order.sql) q.orderByRaw(order.sql, order.bindings as never);
    if (!n.relationship.many) page(q, 1, undefined);
    else page(q, plan.limit, plan.offset);
  }
  const { sql, bindings } = q.toSQL();
  const list = json.list;
  return { sql: n.relationship.many && list.kind === 'subquery' ? list.wrap(sql) : `(${sql})`, bindings };
}

export function compileCount(dialect: SqlDialect, plan: CountPlan): CompiledQuery {
  const { q } = baseQuery(dialect, context(dialect), plan);
  q.count({ count: '*' });
  return toCompiled(dialect, q);
}

export function compileAggregate(dialect: SqlDialect, plan: AggregatePlan): CompiledQuery {
  const { q, scope } = baseQuery(dialect, context(dialect), plan);
  const b = dialect.builder;
  for (const g of plan.groupBy) q.select({ [g]: ref(scope, g) });
  for (const a of plan.aggregates) {
    if (a.fn === 'count') q.select(b.raw('count(*) as ??', [a.alias]));
    else {
      const type = field(scope, a.field!).type;
      const fn = dialect.aggregateTemplate?.(a.fn, type) ?? (a.fn === 'countDistinct' ? 'count(distinct ??)' : `${a.fn}(??)`);
      q.select(b.raw(`${fn} as ??`, [ref(scope, a.field!), a.alias]));
    }
  }
  if (plan.groupBy.length) {
    q.groupBy(plan.groupBy.map((g) => ref(scope, g)));
    const order = plan.groupBy.map((g) => orderTerm(dialect, scope, { field: g, direction: 'asc', nulls: 'last' }));
    q.orderByRaw(order.map((o) => o.sql).join(', '), order.flatMap((o) => o.bindings) as never);
  }
  page(q, plan.limit, undefined);
  return toCompiled(dialect, q);
}
