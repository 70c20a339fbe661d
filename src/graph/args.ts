import { DatagateError, ErrorCode, badInput } from '../errors';
import type { Entity, Registry } from '../model';
import { orderByToTerms, whereToCondition, withKeyTieBreak, type Condition, type OrderTerm } from '../planning';
import type { Runtime } from './context';

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
export function checkLimit(runtime: Runtime, name: string, value: unknown): number {
  if (value === undefined || value === null) return runtime.limits.defaultLimit;
  const n = value as number;
  if (!Number.isInteger(n) || n < 0) throw badInput(`\`${name}\` must be a whole number ≥ 0, found ${n}`);
  if (n > runtime.limits.maxLimit)
    throw new DatagateError(ErrorCode.LIMIT_EXCEEDED, `\`${name}\` is ${n}, above the maximum ${runtime.limits.maxLimit}; page with offset or a connection's cursors`, {
      limit: runtime.limits.maxLimit,
    });
  return n;
}

export function parseListArgs(runtime: Runtime, registry: Registry, entity: Entity, args: Record<string, unknown>): ListArgs {
  const offset = (args.offset as number | undefined) ?? 0;
  if (!Number.isInteger(offset) || offset < 0) throw badInput(`\`offset\` must be a whole number ≥ 0, found ${offset}`);
  return {
    where: whereToCondition(registry, entity, args.where as Record<string, unknown> | undefined),
    orderBy: withKeyTieBreak(entity, orderByToTerms(entity, args.orderBy as Record<string, string>[] | undefined)),
    limit: checkLimit(runtime, 'limit', args.limit),
    offset,
  };
}
