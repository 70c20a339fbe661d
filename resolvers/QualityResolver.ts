import { Arg, Ctx, Field, Float, Int, Mutation, ObjectType, Query, Resolver } from 'type-graphql';
import { DatagateError, ErrorCode } from '../src/errors';
import { formatObserved, type QualityRecord } from '../src/governance/quality';
import type { GatewayContext } from './context';

@ObjectType({ description: 'A check whose latest result failed.' })
export class QualityFailure {
  @Field({ description: 'The check as the model names it: notNull(<field>), unique(<field>, <field>), or a sql check’s name.' })
  check!: string;

  @Field(() => String, { nullable: true, description: 'What it measured, in words (age 3d 2h, 97.50%, 12); null when it could not run.' })
  observed!: string | null;

  @Field({ description: 'The check could not run (source down, broken SQL): its verdict says nothing about the data.' })
  error!: boolean;
}

@ObjectType({ description: 'The entity’s freshness check at its latest run.' })
export class FreshnessInfo {
  @Field()
  field!: string;

  @Field({ description: 'Oldest the newest value may be, as declared (1d, 6h).' })
  maxAge!: string;

  @Field()
  ok!: boolean;

  @Field(() => String, { nullable: true, description: 'The newest value found (ISO-8601).' })
  newest!: string | null;
}

@ObjectType({ description: 'One quality check result: the measure and the verdict, never a row value.' })
export class QualityResultInfo {
  @Field()
  entity!: string;

  @Field()
  check!: string;

  @Field({ description: 'freshness, notNull, unique, accepted, range, rowCount, references or sql.' })
  kind!: string;

  @Field()
  passed!: boolean;

  @Field(() => Float, { nullable: true, description: 'The measure: a rate (notNull), an age in ms (freshness), a count of rows or keys (others).' })
  observed!: number | null;

  @Field(() => String, { nullable: true, description: 'The measure in words.' })
  observedText!: string | null;

  @Field(() => String, { nullable: true, description: 'Error code when the check could not run, e.g. SOURCE_UNAVAILABLE.' })
  error!: string | null;

  @Field({ description: 'When it was measured (ISO-8601).' })
  at!: string;

  @Field(() => Float)
  durationMs!: number;
}

@ObjectType({ description: 'The data quality of one entity, from the latest run of each of its checks.' })
export class EntityQualityInfo {
  @Field()
  entity!: string;

  @Field({ description: 'pass, fail, or unknown (no check declared, or none run yet).' })
  status!: string;

  @Field(() => String, { nullable: true, description: 'When it was last checked (ISO-8601).' })
  checkedAt!: string | null;

  @Field({ description: 'Its freshness check failed, or no check ran within twice the schedule.' })
  stale!: boolean;

  @Field(() => [QualityFailure])
  failing!: QualityFailure[];

  @Field(() => FreshnessInfo, { nullable: true })
  freshness!: FreshnessInfo | null;

  @Field(() => [QualityResultInfo], { description: 'The latest result of each check.' })
  checks!: QualityResultInfo[];
}

/** Entities the caller may read or aggregate: the only ones whose quality they are told. */
function visible(ctx: GatewayContext, entity: string): boolean {
  const ev = ctx.access.view.entities.get(entity);
  return !!ev && (ev.read || ev.aggregate !== null);
}

/** Unknown and unreadable entities get the same answer: the caller learns nothing of what they may not read. */
function assertVisible(ctx: GatewayContext, entity: string): void {
  if (!visible(ctx, entity)) throw new DatagateError(ErrorCode.FORBIDDEN, `no entity "${entity.slice(0, 64)}" that you may read`);
}

function toResultInfo(r: QualityRecord): QualityResultInfo {
  return {
    entity: r.entity,
    check: r.check,
    kind: r.kind,
    passed: r.passed,
    observed: r.observed,
    observedText: r.observed === null ? null : formatObserved(r),
    error: r.error,
    at: r.at.toISOString(),
    durationMs: r.durationMs,
  };
}

function toInfo(ctx: GatewayContext, entity: string): EntityQualityInfo {
  const q = ctx.governance.quality.statusOf(entity);
  return {
    entity,
    status: q.status,
    checkedAt: q.checkedAt?.toISOString() ?? null,
    stale: q.stale,
    failing: q.failing,
    freshness: q.freshness && { ...q.freshness, newest: q.freshness.newest?.toISOString() ?? null },
    checks: ctx.governance.quality.latest(entity).map(toResultInfo),
  };
}

/** Data quality as the checks in the model measure it, for the entities the caller may read. */
@Resolver()
export class QualityResolver {
  @Query(() => [EntityQualityInfo], { description: 'The quality of every entity you may read or aggregate (or of one): latest verdicts, failing checks, freshness.' })
  quality(@Ctx() ctx: GatewayContext, @Arg('entity', () => String, { nullable: true }) entity?: string): EntityQualityInfo[] {
    const names = entity !== undefined && entity !== null ? [entity] : [...ctx.access.view.entities.keys()].sort();
    return names.filter((e) => visible(ctx, e)).map((e) => toInfo(ctx, e));
  }

  @Query(() => [QualityResultInfo], { description: 'Past results of an entity’s checks (of one check with `check`), newest first: scheduled runs and `datagate check` alike.' })
  async qualityHistory(
    @Ctx() ctx: GatewayContext,
    @Arg('entity', () => String) entity: string,
    @Arg('check', () => String, { nullable: true }) check?: string,
    @Arg('limit', () => Int, { defaultValue: 50, description: 'At most 500.' }) limit = 50,
  ): Promise<QualityResultInfo[]> {
    assertVisible(ctx, entity);
    if (!Number.isInteger(limit) || limit < 1 || limit > 500) throw new DatagateError(ErrorCode.BAD_USER_INPUT, `limit: expected 1 to 500, found ${limit}`);
    return (await ctx.governance.quality.history(entity, limit, check ?? undefined)).map(toResultInfo);
  }

  @Mutation(() => [QualityResultInfo], { description: 'Run an entity’s checks now (its owners only); the results are recorded like a scheduled run’s.' })
  async runQualityChecks(@Ctx() ctx: GatewayContext, @Arg('entity', () => String) entity: string): Promise<QualityResultInfo[]> {
    assertVisible(ctx, entity);
    const e = ctx.runtime.registry.entity(entity);
    const owner = (ctx.user.id !== null && e.owner.users.includes(ctx.user.id)) || e.owner.roles.some((r) => ctx.access.view.roles.includes(r));
    if (!owner) throw new DatagateError(ErrorCode.FORBIDDEN, `only the owners of ${e.name} may run its checks on demand; the schedule runs them for everyone`);
    await ctx.governance.quality.runNow(entity);
    return ctx.governance.quality.latest(entity).map(toResultInfo);
  }
}
