import type { Entity } from '../model';
import type { Condition } from './conditions';

export type Direction = 'asc' | 'desc';
export type Nulls = 'first' | 'last';

export interface OrderTerm {
  readonly field: string;
  readonly direction: Direction;
  /** Where NULLs go; the dialect's default when undefined is normalised to: last for asc, first for desc. */
  readonly nulls: Nulls;
}

/**
 * Rows of one entity, as the planner asks for them. `partition` makes it a batched
 * relationship load: rows whose `fields` equal one of `keys`, and `limit`/`offset` apply per key.
 */
export interface SelectPlan {
  readonly kind: 'select';
  readonly entity: Entity;
  /** Field names to return; rows come back keyed by field name. */
  readonly fields: readonly string[];
  readonly where: Condition;
  readonly orderBy: readonly OrderTerm[];
  readonly limit?: number;
  readonly offset?: number;
  readonly partition?: { readonly fields: readonly string[]; readonly keys: readonly (readonly unknown[])[] };
  readonly distinct?: boolean;
  /** Boolean columns: `alias` is 1 on rows matching `condition`, else 0 (per-row policy flags). */
  readonly computed?: readonly ComputedFlag[];
}

export interface ComputedFlag {
  readonly alias: string;
  readonly condition: Condition;
}

export interface CountPlan {
  readonly kind: 'count';
  readonly entity: Entity;
  readonly where: Condition;
}

export type AggregateFn = 'count' | 'countDistinct' | 'sum' | 'avg' | 'min' | 'max';

export interface AggregateTerm {
  readonly fn: AggregateFn;
  /** Undefined only for count(*). */
  readonly field?: string;
  /** Key of the value in the result row. */
  readonly alias: string;
}

export interface AggregatePlan {
  readonly kind: 'aggregate';
  readonly entity: Entity;
  readonly where: Condition;
  readonly groupBy: readonly string[];
  readonly aggregates: readonly AggregateTerm[];
  readonly limit?: number;
}

export type Plan = SelectPlan | CountPlan | AggregatePlan;
