import { Ctx, Field, Float, ObjectType, Query, Resolver } from 'type-graphql';
import type { RequestContext } from '../src/graph/context';
import { AuditHealth, auditHealth } from './AuditResolver';
import type { GatewayContext } from './context';

@ObjectType({ description: 'One configured source and whether it answers now.' })
export class SourceStatus {
  @Field({ description: 'Source name from datagate.yaml.' })
  name!: string;

  @Field({ description: 'Dialect declared in datagate.yaml: postgres, mysql or sqlite.' })
  dialect!: string;

  @Field({ description: 'Engine that answers: postgres, mysql or sqlite.' })
  engine!: string;

  @Field({ description: 'True when the gateway runs it in-process (PGlite or SQLite).' })
  embedded!: boolean;

  @Field(() => String, { nullable: true, description: 'Owning team.' })
  owner!: string | null;

  @Field(() => String, { nullable: true })
  description!: string | null;

  @Field(() => [String], { description: 'Entities of this source that your roles may read or aggregate.' })
  entities!: string[];

  @Field({ description: 'Answered a trivial query just now.' })
  ok!: boolean;

  @Field(() => Float, { nullable: true, description: 'Round trip of that query in milliseconds.' })
  latencyMs!: number | null;

  @Field(() => String, { nullable: true, description: 'Error code when not ok, e.g. SOURCE_UNAVAILABLE.' })
  error!: string | null;
}

@ObjectType()
export class Health {
  @Field({ description: 'ok when every source answers, degraded otherwise.' })
  status!: string;

  @Field(() => [SourceStatus])
  sources!: SourceStatus[];

  @Field(() => AuditHealth)
  audit!: AuditHealth;
}

/** The hand-written part of the API: the gateway describing itself. */
@Resolver()
export class HealthResolver {
  @Query(() => Health, { description: 'Whether the gateway, each of its sources and the audit log work. Answered even while reads are refused.' })
  async health(@Ctx() ctx: GatewayContext): Promise<Health> {
    const sources = await sourceStatuses(ctx);
    const audit = auditHealth(ctx);
    return { status: sources.every((s) => s.ok) && audit.ok ? 'ok' : 'degraded', sources, audit };
  }

  @Query(() => [SourceStatus], { description: 'The configured sources, their owners and entities.' })
  async sources(@Ctx() ctx: RequestContext): Promise<SourceStatus[]> {
    return sourceStatuses(ctx);
  }
}

async function sourceStatuses(ctx: RequestContext): Promise<SourceStatus[]> {
  const { runtime } = ctx;
  return Promise.all(
    [...runtime.sources.values()].map(async (s) => {
      const started = performance.now();
      let error: string | null = null;
      try {
        await s.ping();
      } catch (e) {
        error = (e as { code?: string }).code ?? 'SOURCE_UNAVAILABLE';
      }
      const cfg = runtime.sourceConfigs[s.name];
      return {
        name: s.name,
        dialect: s.dialect,
        engine: s.capabilities.engine,
        embedded: s.capabilities.embedded,
        owner: cfg?.owner ?? null,
        description: cfg?.description ?? null,
        // Only the entities the caller's roles may read or aggregate: the rest stays out of sight.
        entities: [...ctx.access.view.entities.values()].filter((v) => v.entity.source === s.name && (v.read || v.aggregate)).map((v) => v.entity.name),
        ok: error === null,
        latencyMs: error === null ? Math.round((performance.now() - started) * 100) / 100 : null,
        error,
      };
    }),
  );
}
