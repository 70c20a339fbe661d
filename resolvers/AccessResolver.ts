import { Arg, Ctx, Field, Int, ObjectType, Query, Resolver } from 'type-graphql';
import type { GatewayContext as RequestContext } from './context';
import { JSONScalar } from '../src/graph/scalars';
import { ownersText } from '../src/governance';
import { describeCondition, explainAccess } from '../src/policy';

@ObjectType({ description: 'The caller, as the gateway sees them.' })
export class Me {
  @Field(() => String, { nullable: true, description: 'User id from the token; null without a token.' })
  id!: string | null;

  @Field(() => [String], { description: 'The roles this request runs as (those with a policy; narrowed by the x-datagate-role header).' })
  roles!: string[];

  @Field(() => [String], { description: 'Every role the token holds.' })
  tokenRoles!: string[];

  @Field(() => JSONScalar, { description: 'Attributes from the token that policies may use, e.g. employeeId, region.' })
  attributes!: Record<string, unknown>;
}

@ObjectType()
export class FieldMask {
  @Field()
  field!: string;

  @Field({ description: 'hash, redact, null, email, last4 or year.' })
  mask!: string;

  @Field({ description: 'True when the value is in clear on some rows.' })
  conditional!: boolean;
}

@ObjectType({ description: "One entity as the caller's roles may read it." })
export class EntityAccessInfo {
  @Field()
  entity!: string;

  @Field({ description: 'Rows may be read one by one.' })
  read!: boolean;

  @Field(() => [String], { description: 'Readable fields.' })
  fields!: string[];

  @Field(() => [String], { description: 'Readable fields whose values are masked (on all or some rows).' })
  masked!: string[];

  @Field(() => [FieldMask])
  masks!: FieldMask[];

  @Field(() => [String], { description: 'Fields readable on some rows only (null elsewhere).' })
  partial!: string[];

  @Field(() => [String], { description: 'Fields that may be filtered, ordered and grouped by.' })
  filterable!: string[];

  @Field({ description: 'Rows the caller may read, with their own attributes filled in.' })
  rowCondition!: string;

  @Field({ description: 'The caller may count and sum (aggregate) rows.' })
  aggregate!: boolean;

  @Field(() => [String])
  aggregateFields!: string[];

  @Field(() => String, { nullable: true })
  aggregateCondition!: string | null;

  @Field(() => Int, { nullable: true, description: 'Most rows one list may return for the caller.' })
  maxRows!: number | null;
}

@ObjectType({ description: 'Why the caller may or may not read something, and which rule says so.' })
export class AccessExplanation {
  @Field()
  allowed!: boolean;

  @Field()
  reason!: string;

  @Field(() => String, { nullable: true, description: 'The deciding rule, with its role, file and line.' })
  rule!: string | null;

  @Field(() => String, { nullable: true })
  role!: string | null;

  @Field(() => String, { nullable: true, description: 'When refused: how to ask the owners for access (requestAccess), or whom to contact.' })
  howToGetAccess!: string | null;
}

/** The caller's own access, explained: what the schema shows, with the conditions behind it. */
@Resolver()
export class AccessResolver {
  @Query(() => Me, { description: 'Who the gateway thinks you are.' })
  me(@Ctx() ctx: RequestContext): Me {
    return { id: ctx.user.id, roles: [...ctx.access.view.roles], tokenRoles: [...ctx.user.roles], attributes: { ...ctx.user.attributes } };
  }

  @Query(() => [EntityAccessInfo], { description: 'Every entity you may read or aggregate, with fields, masks and the row condition.' })
  myAccess(@Ctx() ctx: RequestContext, @Arg('entity', () => String, { nullable: true }) entity?: string): EntityAccessInfo[] {
    const out: EntityAccessInfo[] = [];
    for (const ev of ctx.access.view.entities.values()) {
      if (!(ev.read || ev.aggregate) || (entity && ev.entity.name !== entity)) continue;
      const ea = ctx.access.entity(ev.entity.name);
      const fields = [...ev.fields.values()];
      out.push({
        entity: ev.entity.name,
        read: ev.read,
        fields: fields.map((f) => f.name),
        masked: fields.filter((f) => f.mask).map((f) => f.name),
        masks: fields.filter((f) => f.mask).map((f) => ({ field: f.name, mask: f.mask!, conditional: f.maskMode === 'conditional' })),
        partial: fields.filter((f) => !f.uniform).map((f) => f.name),
        filterable: [...ev.clear],
        rowCondition: describeCondition(ea.row),
        aggregate: ev.aggregate !== null,
        aggregateFields: ev.aggregate ? [...ev.aggregate] : [],
        aggregateCondition: ev.aggregate ? describeCondition(ea.aggregate) : null,
        maxRows: ev.maxRows ?? null,
      });
    }
    return out;
  }

  @Query(() => AccessExplanation, { description: 'Why you may or may not read an entity or one of its fields, and which rule decides.' })
  whyNot(
    @Ctx() ctx: RequestContext,
    @Arg('entity', () => String) entity: string,
    @Arg('field', () => String, { nullable: true }) field?: string,
    @Arg('action', () => String, { nullable: true, description: 'read (default) or aggregate.' }) action?: string,
  ): AccessExplanation {
    const e = explainAccess(ctx.access, ctx.user, entity, field ?? undefined, action === 'aggregate' ? 'aggregate' : 'read');
    const model = ctx.runtime.registry.entities.get(entity);
    let howToGetAccess: string | null = null;
    if (!e.allowed && model && (!field || model.fields.has(field))) {
      const owners = ownersText(model);
      howToGetAccess =
        !model.owner.roles.length && !model.owner.users.length
          ? `${entity} has no owner to approve requests; contact ${model.owner.steward ?? model.owner.team ?? 'the data platform team'}`
          : ctx.user.id === null
            ? 'sign in, then ask with requestAccess'
            : `ask with requestAccess(entity: "${entity}"${field ? `, fields: ["${field}"]` : ''}, reason: "…", days: N) (${owners})`;
    }
    return { ...e, howToGetAccess };
  }
}
