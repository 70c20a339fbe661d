import { Arg, Ctx, Field, ID, Int, Mutation, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import { DateTimeScalar } from '../src/graph/scalars';
import type { AccessRequest, AccessRequestEvent, Grant } from '../src/store';
import type { GatewayContext } from './context';

export enum AccessRequestStatusEnum {
  requested = 'requested',
  approved = 'approved',
  denied = 'denied',
  expired = 'expired',
  revoked = 'revoked',
}
registerEnumType(AccessRequestStatusEnum, {
  name: 'AccessRequestStatus',
  description: 'requested → approved → expired | revoked; requested → denied.',
});

export enum RequestScopeEnum {
  mine = 'mine',
  toDecide = 'toDecide',
  all = 'all',
}
registerEnumType(RequestScopeEnum, { name: 'AccessRequestScope', description: 'mine: your own requests; toDecide: requests for entities you own; all: both.' });

@ObjectType({ description: 'One step of a request: who moved it, when, and why.' })
export class AccessRequestEventInfo {
  @Field(() => AccessRequestStatusEnum, { nullable: true, description: 'Null for the creation.' })
  from!: AccessRequestStatusEnum | null;

  @Field(() => AccessRequestStatusEnum)
  to!: AccessRequestStatusEnum;

  @Field({ description: 'User id who made the change (`system` for expiry).' })
  by!: string;

  @Field(() => DateTimeScalar)
  at!: string;

  @Field(() => String, { nullable: true })
  comment!: string | null;
}

@ObjectType({ description: 'A request for access to an entity (or some of its fields), and its decision.' })
export class AccessRequestInfo {
  @Field(() => ID)
  id!: string;

  @Field(() => AccessRequestStatusEnum)
  status!: AccessRequestStatusEnum;

  @Field({ description: 'User id of the requester.' })
  requester!: string;

  @Field(() => [String], { description: "The requester's roles when they asked." })
  requesterRoles!: string[];

  @Field()
  entity!: string;

  @Field(() => [String], { description: 'Requested fields; empty for the whole entity.' })
  fields!: string[];

  @Field()
  reason!: string;

  @Field(() => Int, { description: 'Days of access asked for.' })
  days!: number;

  @Field(() => DateTimeScalar)
  createdAt!: string;

  @Field(() => String, { nullable: true })
  decidedBy!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  decidedAt!: string | null;

  @Field(() => String, { nullable: true, description: "The decider's comment." })
  comment!: string | null;

  @Field(() => DateTimeScalar, { nullable: true, description: 'When the grant ends (approved, expired and revoked requests).' })
  expiresAt!: string | null;

  @Field(() => String, { nullable: true })
  revokedBy!: string | null;

  @Field(() => DateTimeScalar, { nullable: true })
  revokedAt!: string | null;

  @Field({ description: 'You may approve or deny this request (you own the entity and did not ask for it).' })
  canDecide!: boolean;

  @Field(() => [AccessRequestEventInfo], { nullable: true, description: 'Every transition, oldest first (accessRequest only).' })
  events!: AccessRequestEventInfo[] | null;
}

@ObjectType({ description: 'Access you hold through an approved request.' })
export class GrantInfo {
  @Field(() => ID, { description: 'The access request that gave it.' })
  requestId!: string;

  @Field()
  entity!: string;

  @Field(() => [String], { description: 'Empty: every field.' })
  fields!: string[];

  @Field()
  grantedBy!: string;

  @Field(() => DateTimeScalar)
  grantedAt!: string;

  @Field(() => DateTimeScalar)
  expiresAt!: string;
}

const iso = (d: Date | null | undefined) => (d ? d.toISOString() : null);

function toInfo(ctx: GatewayContext, r: AccessRequest, events?: AccessRequestEvent[]): AccessRequestInfo {
  const entity = ctx.runtime.registry.entities.get(r.entity);
  return {
    id: r.id,
    status: r.status as AccessRequestStatusEnum,
    requester: r.requesterId,
    requesterRoles: r.requesterRoles,
    entity: r.entity,
    fields: r.fields,
    reason: r.reason,
    days: r.days,
    createdAt: r.createdAt.toISOString(),
    decidedBy: r.status === 'requested' ? null : r.decidedBy,
    decidedAt: r.status === 'requested' ? null : iso(r.decidedAt),
    comment: r.status === 'requested' ? null : r.comment,
    expiresAt: r.status === 'approved' || r.status === 'expired' || r.status === 'revoked' ? iso(r.expiresAt) : null,
    revokedBy: r.status === 'revoked' ? r.revokedBy : null,
    revokedAt: r.status === 'revoked' ? iso(r.revokedAt) : null,
    canDecide: r.status === 'requested' && !!entity && r.requesterId !== ctx.user.id && ctx.governance.access.owns(ctx.user, entity),
    events: events
      ? events.map((e) => ({ from: e.from as AccessRequestStatusEnum | null, to: e.to as AccessRequestStatusEnum, by: e.by, at: e.at.toISOString(), comment: e.comment }))
      : null,
  };
}

const grantInfo = (g: Grant): GrantInfo => ({
  requestId: g.requestId,
  entity: g.entity,
  fields: g.fields,
  grantedBy: g.grantedBy,
  grantedAt: g.grantedAt.toISOString(),
  expiresAt: g.expiresAt.toISOString(),
});

/** Self-service access: ask, decide, hold, give back. The rules live in src/governance/access. */
@Resolver()
export class AccessRequestResolver {
  @Mutation(() => AccessRequestInfo, {
    description: "Ask an entity's owners for read access to it (or to some fields), for a number of days. They see it in accessRequests(scope: toDecide).",
  })
  async requestAccess(
    @Ctx() ctx: GatewayContext,
    @Arg('entity', () => String) entity: string,
    @Arg('reason', () => String, { description: 'Why you need it: the owners decide on this.' }) reason: string,
    @Arg('days', () => Int, { description: 'How long you need it.' }) days: number,
    @Arg('fields', () => [String], { nullable: true, description: 'Fields you need; omit for the whole entity.' }) fields?: string[],
  ): Promise<AccessRequestInfo> {
    const r = await ctx.governance.access.request(ctx.user, ctx.access, { entity, fields: fields ?? [], reason, days });
    return toInfo(ctx, r);
  }

  @Mutation(() => AccessRequestInfo, { description: 'Approve a pending request for an entity you own: a grant in force at once, until it expires or is revoked.' })
  async approveAccessRequest(
    @Ctx() ctx: GatewayContext,
    @Arg('id', () => ID) id: string,
    @Arg('comment', () => String, { nullable: true }) comment?: string,
    @Arg('days', () => Int, { nullable: true, description: 'Grant fewer days than asked for.' }) days?: number,
  ): Promise<AccessRequestInfo> {
    return toInfo(ctx, await ctx.governance.access.approve(ctx.user, id, comment, days ?? undefined));
  }

  @Mutation(() => AccessRequestInfo, { description: 'Deny a pending request for an entity you own; say why in the comment.' })
  async denyAccessRequest(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string, @Arg('comment', () => String, { nullable: true }) comment?: string): Promise<AccessRequestInfo> {
    return toInfo(ctx, await ctx.governance.access.deny(ctx.user, id, comment));
  }

  @Mutation(() => AccessRequestInfo, { description: 'End a grant now: its owners may, and so may its holder.' })
  async revokeAccess(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string, @Arg('comment', () => String, { nullable: true }) comment?: string): Promise<AccessRequestInfo> {
    return toInfo(ctx, await ctx.governance.access.revoke(ctx.user, id, comment));
  }

  @Query(() => [AccessRequestInfo], { description: 'Your requests and those for entities you own, newest first.' })
  async accessRequests(
    @Ctx() ctx: GatewayContext,
    @Arg('status', () => AccessRequestStatusEnum, { nullable: true }) status?: AccessRequestStatusEnum,
    @Arg('scope', () => RequestScopeEnum, { nullable: true, defaultValue: RequestScopeEnum.all }) scope?: RequestScopeEnum,
    @Arg('limit', () => Int, { nullable: true, defaultValue: 100 }) limit?: number,
  ): Promise<AccessRequestInfo[]> {
    const list = await ctx.governance.access.list(ctx.user, { status: status ?? undefined, scope: scope ?? 'all', limit: limit ?? 100 });
    return list.map((r) => toInfo(ctx, r));
  }

  @Query(() => AccessRequestInfo, { description: 'One request you may see, with every transition.' })
  async accessRequest(@Ctx() ctx: GatewayContext, @Arg('id', () => ID) id: string): Promise<AccessRequestInfo> {
    const { request, events } = await ctx.governance.access.get(ctx.user, id);
    return toInfo(ctx, request, events);
  }

  @Query(() => [GrantInfo], { description: 'Access you hold now through approved requests.' })
  myGrants(@Ctx() ctx: GatewayContext): GrantInfo[] {
    return ctx.user.id === null ? [] : ctx.governance.access.grantsOf(ctx.user.id, ctx.now).map(grantInfo);
  }
}
