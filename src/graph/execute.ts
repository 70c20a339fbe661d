import { performance } from 'node:perf_hooks';
import { DatagateError, ErrorCode, invariant } from '../errors';
import type { Entity } from '../model';
import { and, inKeys, not, or, TRUE, type AggregatePlan, type Condition, type Plan, type SelectPlan } from '../planning';
import { traceNested } from './nesting';
import { noteReadUnder, provenByParents } from './proof';
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
  let sharedRequests: number | undefined;
  const shared = (n: number) => void (sharedRequests = n);
  const rows = await source.execute((computed ? { ...plan, where, computed } : { ...plan, where }) as Plan, { signal: ctx.signal, cache, shared });
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
    sharedRequests,
  });
  if (plan.kind === 'select' && plan.nested && path !== undefined)
    traceNested(ctx, source.name, plan.nested, rows, { at: label?.rowsAt ?? path, statement: path, page: label?.page, cachedAgeMs: cache?.ageMs || undefined, sharedRequests });
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
