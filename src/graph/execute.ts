import { performance } from 'node:perf_hooks';
import { DatagateError, ErrorCode, invariant } from '../errors';
import type { Entity } from '../model';
import { and, implies, inKeys, not, or, sameCondition, TRUE, type AggregatePlan, type Condition, type Plan, type SelectPlan } from '../planning';
import type { CacheUse, Row } from '../sources';
import type { RequestContext, TraceLabel } from './context';

/**
 * Runs one plan on its entity's source, after turning cross-source conditions into key sets.
 * `label` says where the rows go in the response (lineage); the statement's trace carries it.
 */
export async function runPlan(ctx: RequestContext, plan: Plan, label?: TraceLabel): Promise<Row[]> {
  const within = plan.kind === 'select' ? plan.partition : undefined;
  const path = label?.path;
  if (plan.kind === 'select' && path !== undefined && !label?.lookup) noteReadUnder(ctx, path, plan);
  const parent = within && label?.parent;
  const [where, computed] = await Promise.all([
    resolveCrossSource(ctx, plan.entity, plan.where, within, path, parent),
    plan.kind === 'select' && plan.computed
      ? Promise.all(plan.computed.map(async (c) => ({ alias: c.alias, condition: await resolveCrossSource(ctx, plan.entity, c.condition, within, path, parent) })))
      : undefined,
  ]);
  // Nothing can match (no rule grants a row, an empty key set): answer without asking the source.
  if (where.kind === 'false') {
    if (plan.kind === 'count') return [{ count: 0 }];
    if (plan.kind === 'aggregate' && plan.groupBy.length === 0) return [emptyAggregate(plan)];
    return [];
  }
  const source = ctx.runtime.sources.get(plan.entity.source);
  invariant(source, `no adapter for source ${plan.entity.source}`);
  const started = performance.now();
  const cache = cacheUseOf(ctx, plan.entity, label);
  const rows = await source.execute((computed ? { ...plan, where, computed } : { ...plan, where }) as Plan, cache ? { signal: ctx.signal, cache } : ctx.signal && { signal: ctx.signal });
  ctx.trace.push({
    source: source.name,
    entity: plan.entity.name,
    table: plan.entity.table,
    fields: plan.kind === 'select' ? plan.fields : plan.kind === 'aggregate' ? [...plan.groupBy, ...plan.aggregates.flatMap((a) => (a.field ? [a.field] : []))] : [],
    kind: plan.kind,
    rows: rows.length,
    ms: performance.now() - started,
    path,
    lookup: label?.lookup,
    counted: plan.kind === 'count' ? Number(rows[0]?.count ?? 0) : undefined,
    returned: label?.page !== undefined && rows.length > label.page ? label.page : undefined,
    cachedAgeMs: cache?.ageMs || undefined,
  });
  return rows;
}

/**
 * How a statement of a `@cached` request uses the result cache: within the entity's own bound
 * (`cache.maxTtl` in the model; 0 never). A cached answer is what the caller's policy allowed when
 * its rows were read, at most ttl ago: the policy's conditions (and the caller's attributes in them)
 * are in the statement's key, and a same-source condition ran inside the cached statement.
 * Cross-source lookups run every time: they are key lookups, cheap to run fresh, and the keys they
 * find are bound values of the statement they feed, so that statement is found again only for the
 * same keys.
 */
function cacheUseOf(ctx: RequestContext, entity: Entity, label: TraceLabel | undefined): CacheUse | undefined {
  const store = ctx.runtime.resultCache;
  if (!ctx.cache || !store?.enabled || label?.lookup) return undefined;
  const ttlMs = entity.cacheMaxTtlMs === undefined ? ctx.cache.ttlMs : Math.min(ctx.cache.ttlMs, entity.cacheMaxTtlMs);
  if (ttlMs <= 0) return undefined;
  return { store, ttlMs, refresh: ctx.cache.refresh };
}

/** What SQL gives for an aggregate over no rows: count 0, every other aggregate null. */
function emptyAggregate(plan: AggregatePlan): Row {
  const row: Row = {};
  for (const a of plan.aggregates) row[a.alias] = a.fn === 'count' || a.fn === 'countDistinct' ? 0 : null;
  return row;
}

/**
 * A relationship condition whose target lives in another source cannot be a SQL subquery:
 * the target's source is asked for the distinct join keys of matching rows first, and the
 * condition becomes `local IN (keys)`. Bounded by `limits.maxCrossSourceKeys`.
 *
 * `within`: the plan reads only rows whose `fields` are among `keys` (a relationship load's
 * parents). When the condition joins on those same fields, only those keys can matter, so the
 * other source is asked about them alone: "orders of customers whose rep is me" for 20 parent
 * customers costs a 20-key lookup, not all of my customers' keys.
 */
export async function resolveCrossSource(
  ctx: RequestContext,
  entity: Entity,
  c: Condition,
  within?: SelectPlan['partition'],
  path?: string,
  parent?: TraceLabel['parent'],
): Promise<Condition> {
  switch (c.kind) {
    case 'and':
      return and(...(await Promise.all(c.items.map((i) => resolveCrossSource(ctx, entity, i, within, path, parent)))));
    case 'or':
      return or(...(await Promise.all(c.items.map((i) => resolveCrossSource(ctx, entity, i, within, path, parent)))));
    case 'not':
      return not(await resolveCrossSource(ctx, entity, c.item, within, path, parent));
    case 'related': {
      // Proven by the parents of a relationship load: no lookup in another source, no subquery in this one.
      if (within && parent && provenByParents(ctx, c, parent)) return TRUE;
      if (c.target.source === entity.source) return { ...c, where: await resolveCrossSource(ctx, c.target, c.where, undefined, path) };
      const max = ctx.runtime.limits.maxCrossSourceKeys;
      const locals = c.relationship.on.map(([l]) => l);
      const remote = c.relationship.on.map(([, r]) => r);
      let where = c.where;
      if (within && within.fields.length === locals.length && locals.every((l) => within.fields.includes(l))) {
        const at = locals.map((l) => within.fields.indexOf(l));
        where = and(where, inKeys(remote, within.keys.map((k) => at.map((i) => k[i]))));
      }
      const plan: SelectPlan = { kind: 'select', entity: c.target, fields: remote, where, orderBy: [], distinct: true, limit: max + 1 };
      const rows = await runPlan(ctx, plan, { path, lookup: { for: entity.name, relationship: c.relationship.name } });
      if (rows.length > max)
        throw new DatagateError(
          ErrorCode.LIMIT_EXCEEDED,
          `the condition on "${c.relationship.name}" matches more than ${max} ${c.target.name} keys in source "${c.target.source}"; narrow it`,
          { limit: max },
        );
      const keys = rows.map((r) => remote.map((f) => r[f])).filter((k) => k.every((v) => v !== null && v !== undefined));
      return inKeys(locals, keys);
    }
    default:
      return c;
  }
}

/** Records the condition the rows at `path` are read under; two statements there under different ones leave nothing to prove with. */
function noteReadUnder(ctx: RequestContext, path: string, plan: SelectPlan): void {
  const map = (ctx.readUnder ??= new Map());
  const seen = map.get(path);
  if (seen === undefined) map.set(path, { entity: plan.entity, where: plan.where });
  else if (seen !== null && (seen.entity !== plan.entity || !sameCondition(seen.where, plan.where))) map.set(path, null);
}

/**
 * A relationship's load (rows of this entity whose join keys are its parents' keys) meets a policy
 * condition on that same join: "orders whose customer's rep is me", loaded for
 * customers the caller read under "rep is me". When the parents' own read condition implies the
 * condition's (each of its conjuncts is one of theirs, graph-independent: `implies`), every key of
 * the load already satisfies it, through the very parent row it came from, and the lookup in the
 * other source can only return those keys: the condition holds for every row of the load. Then no
 * lookup runs in the other source (one statement less per request: the sales rep's cross-source
 * shape of the bench), and within one source no EXISTS subquery is added to the load's statement.
 *
 * Proven only when: the parents' rows were all read under one condition; the lookup's target is the
 * parents' entity; and each field of the join is the same pair of columns in both relationships (the
 * load's keys are the parents' values of exactly the columns the lookup would match). The keys are
 * the parents' own values even where the caller sees them masked: masks apply to the answer's
 * fields (graph/buildSchema.ts), not to the rows a relationship reads its keys from.
 */
function provenByParents(ctx: RequestContext, c: Extract<Condition, { kind: 'related' }>, parent: NonNullable<TraceLabel['parent']>): boolean {
  const read = ctx.readUnder?.get(parent.path);
  if (!read || read.entity !== c.target || parent.relationship.from !== c.target.name) return false;
  if (c.relationship.on.length !== parent.relationship.on.length) return false;
  for (const [local, remote] of c.relationship.on) {
    // parent.relationship.on: [parent field, this entity's field]; the lookup's: [this entity's field, target field].
    const pair = parent.relationship.on.find(([, child]) => child === local);
    if (!pair || pair[0] !== remote) return false;
  }
  return implies(read.where, c.where);
}
