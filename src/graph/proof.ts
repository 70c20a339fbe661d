import type { Relationship } from '../model';
import { implies, sameCondition, type Condition, type SelectPlan } from '../planning';
import type { ReadUnder, RequestContext, TraceLabel } from './context';

/** Records the condition the rows at `path` are read under; two statements there under different ones leave nothing to prove with. */
export function noteReadUnder(ctx: RequestContext, path: string, plan: SelectPlan): void {
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
export function provenByParents(ctx: RequestContext, c: Extract<Condition, { kind: 'related' }>, parent: NonNullable<TraceLabel['parent']>): boolean {
  const read = ctx.readUnder?.get(parent.path);
  return !!read && provenBy(read, parent.relationship, c);
}

/**
 * Whether rows of a relationship's load (`via`, from parents read under `read`) all satisfy the
 * `related` condition `c`: see provenByParents. Pure: also used when the load is folded into its
 * parents' statement (graph/nesting.ts), where the parents' condition is the statement's own.
 */
export function provenBy(read: ReadUnder, via: Relationship, c: Extract<Condition, { kind: 'related' }>): boolean {
  if (read.entity !== c.target || via.from !== c.target.name) return false;
  if (c.relationship.on.length !== via.on.length) return false;
  for (const [local, remote] of c.relationship.on) {
    // via.on: [parent field, this entity's field]; the condition's: [this entity's field, target field].
    const pair = via.on.find(([, child]) => child === local);
    if (!pair || pair[0] !== remote) return false;
  }
  return implies(read.where, c.where);
}
