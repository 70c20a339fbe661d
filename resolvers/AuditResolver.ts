import { Arg, Ctx, Field, Float, ID, InputType, Int, ObjectType, Query, Resolver, registerEnumType } from 'type-graphql';
import { DatagateError, ErrorCode } from '../src/errors';
import { DateTimeScalar, JSONScalar } from '../src/graph/scalars';
import { listAuditRecords, type AuditRecord } from '../src/store';
import type { GatewayContext } from './context';

export enum AuditOutcomeEnum {
  ok = 'ok',
  partial = 'partial',
  denied = 'denied',
  error = 'error',
}
registerEnumType(AuditOutcomeEnum, {
  name: 'AuditOutcome',
  description: 'ok: answered in full; partial: answered with some fields failed; denied: refused (policy, limits, token, audit store down); error: failed.',
});

@ObjectType({ description: 'One GraphQL operation as the audit log recorded it. Never holds row values.' })
export class AuditEntry {
  @Field(() => ID)
  id!: string;

  @Field(() => DateTimeScalar, { description: 'When the operation started.' })
  at!: Date;

  @Field(() => String, { nullable: true, description: 'The HTTP request id (x-request-id), to find it in the server log.' })
  requestId!: string | null;

  @Field(() => String, { nullable: true, description: 'User id from the token; null for the anonymous role or a token that did not verify.' })
  userId!: string | null;

  @Field(() => [String], { description: 'The roles the operation ran as.' })
  roles!: string[];

  @Field(() => String, { nullable: true })
  operationName!: string | null;

  @Field(() => String, { nullable: true, description: 'sha256 of the normalized query text: the same operation has the same hash whatever its whitespace.' })
  operationHash!: string | null;

  @Field(() => [String], { description: 'Entities read.' })
  entities!: string[];

  @Field(() => [String], { description: '`Entity.field` read, and the root fields asked for (`Query.<field>`, `Mutation.<field>`).' })
  fields!: string[];

  @Field(() => [String], { description: 'Sources read.' })
  sources!: string[];

  @Field(() => JSONScalar, { description: 'Rows returned per entity, or per response path (`parent.child`).' })
  rowCounts!: Record<string, number>;

  @Field(() => JSONScalar, { description: 'Masks applied to the fields read, e.g. {"Entity.field": "redact"}.' })
  masks!: Record<string, string>;

  @Field(() => JSONScalar, { description: 'What was refused: [{code, message, path}].' })
  denials!: unknown[];

  @Field(() => Float)
  durationMs!: number;

  @Field(() => AuditOutcomeEnum)
  outcome!: AuditOutcomeEnum;
}

@ObjectType()
export class AuditPageInfo {
  @Field()
  hasNextPage!: boolean;

  @Field(() => String, { nullable: true, description: 'Pass as `after` for the next page; null on the last page.' })
  endCursor!: string | null;
}

@ObjectType({ description: 'A page of audit records, newest first.' })
export class AuditConnection {
  @Field(() => [AuditEntry])
  nodes!: AuditEntry[];

  @Field(() => AuditPageInfo)
  pageInfo!: AuditPageInfo;
}

@InputType({ description: 'Every filter given must hold (AND).' })
export class AuditFilterInput {
  @Field(() => String, { nullable: true })
  userId?: string;

  @Field(() => String, { nullable: true, description: 'Operations that read this entity.' })
  entity?: string;

  @Field(() => String, { nullable: true })
  operationName?: string;

  @Field(() => AuditOutcomeEnum, { nullable: true })
  outcome?: AuditOutcomeEnum;

  @Field(() => DateTimeScalar, { nullable: true, description: 'At or after this instant.' })
  from?: Date;

  @Field(() => DateTimeScalar, { nullable: true, description: 'Before this instant.' })
  to?: Date;
}

@ObjectType({ description: 'Whether the audit log can write its records.' })
export class AuditHealth {
  @Field({ description: 'False once the queue is full or writes have failed for a few flush intervals.' })
  ok!: boolean;

  @Field({ description: 'audit.onStoreFailure: refuse (reads are refused while not ok) or serve (answered, records past the queue dropped).' })
  mode!: string;

  @Field({ description: 'True while this gateway refuses operations with AUDIT_UNAVAILABLE.' })
  refusing!: boolean;

  @Field(() => Int, { description: 'Records in memory, not yet written.' })
  queued!: number;

  @Field(() => Float, { description: 'Records written since start.' })
  written!: number;

  @Field(() => Float, { description: 'Records lost since start.' })
  dropped!: number;

  @Field(() => String, { nullable: true, description: 'The class of the last write failure; null once a write succeeds.' })
  lastError!: string | null;

  @Field(() => DateTimeScalar, { description: 'Since when `ok` has had its current value.' })
  since!: Date;
}

/** The audit section of the `health` query. */
export function auditHealth(ctx: GatewayContext): AuditHealth {
  const s = ctx.governance.audit.status();
  return { ok: s.ok, mode: s.mode, refusing: ctx.governance.audit.refusing, queued: s.queued, written: s.written, dropped: s.dropped, lastError: s.lastError, since: s.since };
}

/** The audit log, for the roles of `audit.readers` (default auditor and admin). */
@Resolver()
export class AuditResolver {
  @Query(() => AuditConnection, {
    description: 'Recorded GraphQL operations, newest first, for the roles of audit.readers. Records reach the log within audit.flushInterval; this query writes what is queued first.',
  })
  async auditLog(
    @Ctx() ctx: GatewayContext,
    @Arg('filter', () => AuditFilterInput, { nullable: true }) filter?: AuditFilterInput,
    @Arg('first', () => Int, { defaultValue: 50, description: '1 to 1000.' }) first = 50,
    @Arg('after', () => String, { nullable: true, description: '`pageInfo.endCursor` of the previous page.' }) after?: string,
  ): Promise<AuditConnection> {
    const { audit, store } = ctx.governance;
    const roles = ctx.access.view.roles;
    if (!roles.some((r) => audit.readers.includes(r)))
      throw new DatagateError(
        ErrorCode.FORBIDDEN,
        `the audit log is for the roles ${audit.readers.join(', ')} (audit.readers); this request runs as ${roles.join(', ') || 'no role'}`,
      );
    if (filter?.from && filter.to && filter.from >= filter.to)
      throw new DatagateError(ErrorCode.BAD_USER_INPUT, `filter.from (${filter.from.toISOString()}) must be before filter.to (${filter.to.toISOString()})`);
    // Whatever is queued becomes visible now; a failing store leaves it queued and the read below says so.
    await audit.flush();
    let page;
    try {
      page = await listAuditRecords(store, {
        userId: filter?.userId,
        entity: filter?.entity,
        operationName: filter?.operationName,
        outcome: filter?.outcome,
        since: filter?.from,
        until: filter?.to,
        first,
        after: after ?? undefined,
      });
    } catch (e) {
      if (e instanceof DatagateError) throw e;
      throw new DatagateError(ErrorCode.SOURCE_UNAVAILABLE, 'the audit store did not answer; see /health', {}, { cause: e });
    }
    return {
      nodes: page.records.map(toEntry),
      pageInfo: { hasNextPage: page.nextCursor !== null, endCursor: page.nextCursor },
    };
  }
}

function toEntry(r: AuditRecord): AuditEntry {
  return { ...r, outcome: r.outcome as AuditOutcomeEnum };
}
