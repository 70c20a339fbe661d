import type { Entity, Relationship } from '../model';
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
  /**
   * Relationships read in the same statement (same source, an engine with `nestedRows`): each
   * returned row carries, under `alias`, the related rows of `plan` whose join fields equal its own
   * (a list, or one row or null for a to-one relationship), read by a correlated subquery.
   */
  readonly nested?: readonly NestedSelect[];
}

/** A relationship load folded into its parents' statement (see SelectPlan.nested). */
export interface NestedSelect {
  /** Where each parent row carries the related rows. */
  readonly alias: string;
  readonly relationship: Relationship;
  /** The related rows: target entity, fields, conditions, order and page; never a partition. */
  readonly plan: SelectPlan;
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
