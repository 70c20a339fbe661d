import { DatagateError, ErrorCode, badInput } from '../errors';
import type { Entity } from '../model';
import { and, mapRelated, orderByToTerms, whereToCondition, withKeyTieBreak, type Condition, type OrderTerm } from '../planning';
import { readableRows, type RequestContext, type Runtime } from './context';

export interface ListArgs {
  where: Condition;
  orderBy: OrderTerm[];
  limit: number;
  offset: number;
}

/**
 * A limit above the maximum is refused, not clamped: a client silently given fewer rows than
 * it asked for would take a partial answer for the whole.
 */
export function checkLimit(runtime: Pick<Runtime, 'limits'>, name: string, value: unknown, maxRows?: number): number {
  if (value === undefined || value === null) return maxRows !== undefined ? Math.min(runtime.limits.defaultLimit, maxRows) : runtime.limits.defaultLimit;
  const n = value as number;
  if (!Number.isInteger(n) || n < 0) throw badInput(`\`${name}\` must be a whole number ≥ 0, found ${n}`);
  if (maxRows !== undefined && n > maxRows)
    throw new DatagateError(ErrorCode.LIMIT_EXCEEDED, `\`${name}\` is ${n}, above the ${maxRows} rows your role may read per list; page with offset or a connection's cursors`, {
      limit: maxRows,
    });
  if (n > runtime.limits.maxLimit)
    throw new DatagateError(ErrorCode.LIMIT_EXCEEDED, `\`${name}\` is ${n}, above the maximum ${runtime.limits.maxLimit}; page with offset or a connection's cursors`, {
      limit: runtime.limits.maxLimit,
    });
  return n;
}

/**
 * The arguments of a list, with the caller's policy applied: `where` is the user's filter AND the
 * rows the user may read, and every relationship inside the filter sees only its target's permitted
 * rows (so a filter cannot probe rows the caller could not read).
 */
export function parseListArgs(ctx: RequestContext, entity: Entity, args: Record<string, unknown>, policyRow?: Condition): ListArgs {
  const { runtime, access } = ctx;
  const offset = (args.offset as number | undefined) ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw badInput(`\`offset\` must be a whole number ≥ 0, found ${offset}`);
  const ea = access.entity(entity.name);
  const userWhere = guardRelated(ctx, whereToCondition(runtime.registry, entity, args.where as Record<string, unknown> | undefined));
  return {
    where: and(policyRow ?? readableRows(ctx, entity), userWhere),
    orderBy: withKeyTieBreak(entity, orderByToTerms(entity, args.orderBy as Record<string, string>[] | undefined)),
    limit: checkLimit(runtime, 'limit', args.limit, ea.view.maxRows),
    offset,
  };
}

/** Every `related` node of a user's filter gets its target's readable rows (policy and retention). */
export function guardRelated(ctx: RequestContext, c: Condition): Condition {
  return mapRelated(c, (r) => ({ ...r, where: and(readableRows(ctx, r.target), guardRelated(ctx, r.where)) }));
}
