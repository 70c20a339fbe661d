import { Arg, Ctx, Field, Float, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../src/graph/scalars';
import { catalogEntries, type CatalogEntry } from '../src/governance';
import type { GatewayContext } from './context';

export enum FieldAccessEnum {
  clear = 'clear',
  masked = 'masked',
  none = 'none',
}
registerEnumType(FieldAccessEnum, { name: 'FieldAccess', description: 'How you see a field: in clear, masked, or not at all.' });

export enum AccessNextStepEnum {
  none = 'none',
  signIn = 'signIn',
  request = 'request',
  contact = 'contact',
}
registerEnumType(AccessNextStepEnum, {
  name: 'AccessNextStep',
  description: 'What you do to get (more) access to an entity, for a client to put in its own words (howToGetAccess says it for API users).',
  valuesConfig: {
    none: { description: 'Nothing to ask: you read every field in clear on every row.' },
    signIn: { description: 'Sign in first (you are anonymous).' },
    request: { description: 'Ask its owners (owner.roles and owner.users decide) with requestAccess.' },
    contact: { description: 'Nobody is named to approve requests: write to the steward or the owning team.' },
  },
});

@ObjectType({ description: 'A pair of equal fields that a relationship joins on.' })
export class CatalogJoin {
  @Field({ description: 'Field of the entity the relationship is declared on.' })
  field!: string;

  @Field({ description: 'Field of the target entity.' })
  targetField!: string;
}

@ObjectType({ description: 'A relationship of an entity: the related rows are the target rows whose fields equal this row’s.' })
export class CatalogRelationshipInfo {
  @Field()
  name!: string;

  @Field({ description: 'Entity it leads to.' })
  target!: string;

  @Field({ description: 'True: many target rows per row (a list); false: one target row or none.' })
  many!: boolean;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => [CatalogJoin], { nullable: true, description: 'The fields it joins on; null when the target’s owners keep its field names private from you.' })
  on!: CatalogJoin[] | null;
}

@ObjectType({ description: 'Who owns an entity, whom to ask, and who approves access.' })
export class CatalogOwner {
  @Field(() => String, { nullable: true, description: 'Owning team.' })
  team!: string | null;

  @Field(() => String, { nullable: true, description: 'Steward to contact about the data.' })
  steward!: string | null;

  @Field(() => [String], { description: 'Roles whose holders approve access requests.' })
  roles!: string[];

  @Field(() => [String], { description: 'Users who approve access requests.' })
  users!: string[];
}

@ObjectType()
export class CatalogFieldInfo {
  @Field()
  name!: string;

  @Field({ description: 'GraphQL type of the field.' })
  type!: string;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => [String])
  tags!: string[];

  @Field(() => FieldAccessEnum, { description: 'How you see it.' })
  access!: FieldAccessEnum;

  @Field(() => String, { nullable: true, description: 'The mask applied to you: hash, redact, null, email, last4 or year.' })
  mask!: string | null;

  @Field({ description: 'You read it (or read it in clear) on some of your rows only.' })
  someRowsOnly!: boolean;
}

@ObjectType({ description: 'How long rows are kept: older rows are never returned.' })
export class CatalogRetention {
  @Field()
  column!: string;

  @Field({ description: 'e.g. 2y, 90d.' })
  keep!: string;
}

@ObjectType({ description: 'A check whose latest result failed.' })
export class CatalogFailingCheck {
  @Field()
  check!: string;

  @Field(() => String, { nullable: true, description: 'What was measured, in words.' })
  observed!: string | null;

  @Field({ description: 'The check could not run (source down, broken SQL).' })
  error!: boolean;
}

@ObjectType({ description: 'Freshness and quality: the latest check results.' })
export class CatalogQuality {
  @Field({ description: 'pass, fail or unknown (no check declared or run yet).' })
  status!: string;

  @Field(() => DateTimeScalar, { nullable: true })
  checkedAt!: string | null;

  @Field({ description: 'The freshness check failed, or no check ran lately.' })
  stale!: boolean;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Newest value of the freshness column when last checked.' })
  newest!: string | null;

  @Field(() => String, { nullable: true, description: 'Greatest age the freshness check allows, e.g. 1d.' })
  maxAge!: string | null;

  @Field(() => [CatalogFailingCheck])
  failing!: CatalogFailingCheck[];
}

@ObjectType({ description: 'One entity of the catalog, as you see it.' })
export class CatalogEntity {
  @Field()
  name!: string;

  @Field({ description: 'Source (database) it lives in.' })
  source!: string;

  @Field(() => String, { nullable: true })
  sourceDescription!: string | null;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => CatalogOwner)
  owner!: CatalogOwner;

  @Field(() => [String])
  tags!: string[];

  @Field(() => [String], { description: 'Sensitivity classes: pii, financial, …' })
  classification!: string[];

  @Field(() => CatalogRetention, { nullable: true })
  retention!: CatalogRetention | null;

  @Field({ description: 'You may read its rows.' })
  readable!: boolean;

  @Field({ description: 'You may count and sum its rows.' })
  aggregatable!: boolean;

  @Field(() => String, { nullable: true, description: 'The rows you may read, in words.' })
  rowCondition!: string | null;

  @Field(() => [CatalogFieldInfo], { nullable: true, description: 'Null when you may not read it and its owners keep field names private.' })
  fields!: CatalogFieldInfo[] | null;

  @Field(() => Float, { nullable: true, description: 'About how many rows it holds (engine statistics).' })
  rowEstimate!: number | null;

  @Field(() => CatalogQuality)
  quality!: CatalogQuality;

  @Field({ description: 'You may ask its owners for more access.' })
  requestable!: boolean;

  @Field(() => AccessNextStepEnum, { description: 'What you do to get (more) access, as data.' })
  nextStep!: AccessNextStepEnum;

  @Field({ description: 'How to get access, in words (for API users: it names the requestAccess mutation).' })
  howToGetAccess!: string;

  @Field(() => [CatalogRelationshipInfo], { nullable: true, description: 'Its relationships and the fields they join on; null when its field names are (see fields).' })
  relationships!: CatalogRelationshipInfo[] | null;
}

/** What exists, who owns it, how fresh and good it is, and what you may see of it. */
@Resolver()
export class CatalogResolver {
  @Query(() => [CatalogEntity], {
    description: 'Every entity of the federated model, including those you cannot read yet (with their owners and how to ask), filtered by words, tag, owner or source.',
  })
  async catalog(
    @Ctx() ctx: GatewayContext,
    @Arg('search', () => String, { nullable: true, description: 'Words to find in names, descriptions, tags and field names.' }) search?: string,
    @Arg('tag', () => String, { nullable: true, description: 'A tag or classification, e.g. pii.' }) tag?: string,
    @Arg('owner', () => String, { nullable: true, description: 'Team, steward or approver.' }) owner?: string,
    @Arg('source', () => String, { nullable: true }) source?: string,
  ): Promise<CatalogEntity[]> {
    const { runtime, governance } = ctx;
    const entries = catalogEntries(runtime.registry, ctx.access, ctx.user.id !== null, runtime.sourceConfigs, {
      search: search ?? undefined,
      tag: tag ?? undefined,
      owner: owner ?? undefined,
      source: source ?? undefined,
    });
    const estimates = await Promise.all(entries.map((e) => governance.rowEstimate(e.entity)));
    return entries.map((e, i) => toEntity(ctx, e, estimates[i]));
  }
}

function toEntity(ctx: GatewayContext, e: CatalogEntry, rowEstimate: number | null): CatalogEntity {
  const { entity } = e;
  const q = ctx.governance.quality.statusOf(entity.name);
  return {
    name: entity.name,
    source: entity.source,
    sourceDescription: e.sourceDescription,
    description: entity.description ?? null,
    owner: { team: entity.owner.team ?? null, steward: entity.owner.steward ?? null, roles: [...entity.owner.roles], users: [...entity.owner.users] },
    tags: [...entity.tags],
    classification: [...entity.classification],
    retention: entity.retention ? { column: entity.retention.column, keep: entity.retention.keep } : null,
    readable: e.readable,
    aggregatable: e.aggregatable,
    rowCondition: e.rowCondition,
    fields: e.fields ? e.fields.map((f) => ({ ...f, tags: [...f.tags], access: f.access as FieldAccessEnum })) : null,
    rowEstimate,
    quality: {
      status: q.status,
      checkedAt: q.checkedAt?.toISOString() ?? null,
      stale: q.stale,
      newest: q.freshness?.newest?.toISOString() ?? null,
      maxAge: q.freshness?.maxAge ?? null,
      failing: q.failing.map((f) => ({ ...f })),
    },
    requestable: e.requestable,
    nextStep: e.nextStep as AccessNextStepEnum,
    howToGetAccess: e.howToGetAccess,
    relationships: e.relationships ? e.relationships.map((r) => ({ ...r, on: r.on ? r.on.map((j) => ({ ...j })) : null })) : null,
  };
}
