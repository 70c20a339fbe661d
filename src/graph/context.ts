import type DataLoader from 'dataloader';
import type { FieldNode } from 'graphql';
import type { LimitsConfig, SourceConfig } from '../config';
import type { User } from '../identity';
import type { Entity, Registry, Relationship } from '../model';
import { and, retentionCondition, TRUE, type Condition } from '../planning';
import type { PolicyEngine, UserAccess } from '../policy';
import type { CancelSignal, ResultCache, Row, SourceAdapter } from '../sources';

/** What the gateway holds for its whole life: built once at start. */
export interface Runtime {
  readonly registry: Registry;
  readonly sources: ReadonlyMap<string, SourceAdapter>;
  readonly sourceConfigs: Readonly<Record<string, SourceConfig>>;
  readonly limits: LimitsConfig;
  /** Signs pagination cursors. */
  readonly cursorKey: Buffer;
  readonly policy: PolicyEngine;
  /** Results of `@cached` requests (src/sources/ResultCache.ts); absent: `@cached` does nothing. */
  readonly resultCache?: ResultCache;
}

/** One SQL statement the request ran: the raw material of lineage and audit. */
export interface QueryTrace {
  readonly source: string;
  readonly entity: string;
  readonly table: string;
  readonly fields: readonly string[];
  readonly kind: 'select' | 'count' | 'aggregate';
  rows: number;
  ms: number;
  /** Response path the statement answered, list indexes left out (`customers.orders`); lineage groups by it. */
  readonly path?: string;
  /** Set when the statement only fetched join keys for a cross-source condition of another plan. */
  readonly lookup?: { readonly for: string; readonly relationship: string };
  /** A count statement: the number it counted. */
  readonly counted?: number;
  /** Rows that reached the answer, when fewer than `rows` (a connection reads one row past its page). */
  readonly returned?: number;
  /** Served from the result cache (`@cached`): how old the rows were, in ms. */
  readonly cachedAgeMs?: number;
  /** The statement's run answered this many requests, this one included (the source's `shareStatements`); undefined when only this one. */
  readonly sharedRequests?: number;
  /** Not a statement of its own: rows read inside the statement at this path (graph/nesting.ts). */
  readonly readWith?: string;
}

/** What a resolver tells `runPlan` about where its rows go, for lineage. */
export interface TraceLabel {
  readonly path?: string;
  /** A page of this many rows: the statement reads one more to learn whether a next page exists. */
  readonly page?: number;
  /** Where the rows sit in the answer when not at `path` itself (a connection's `path.edges.node`): the path of their nested relationships. */
  readonly rowsAt?: string;
  readonly lookup?: QueryTrace['lookup'];
  /** A relationship's load: where its parents' rows sit in the answer, and the relationship from them. */
  readonly parent?: { readonly path: string; readonly relationship: Relationship };
}

/** The condition the rows at one response path were read under (null: statements there differed). */
export interface ReadUnder {
  readonly entity: Entity;
  readonly where: Condition;
}

/** Per request: loaders never outlive it, so no cache crosses users or requests. */
export interface RequestContext {
  readonly runtime: Runtime;
  readonly requestId: string;
  readonly user: User;
  /** The caller's conditions, per entity, under the roles this request runs as. */
  readonly access: UserAccess;
  /** When the request started: retention periods are measured from here, once for the whole request. */
  readonly now: Date;
  readonly loaders: Map<string, DataLoader<unknown, Row[] | Row | null, string>>;
  readonly trace: QueryTrace[];
  /**
   * Per field occurrence (graphql-js reuses one fieldNodes array for every parent of a list):
   * arguments and selection are the same for all parents in one request, so they are planned once.
   */
  readonly perField: WeakMap<readonly FieldNode[], unknown>;
  /**
   * Aborts at the request's deadline or when its client goes away (src/graph/deadline.ts): statements
   * still running are cancelled on their servers and their fields fail with the signal's reason.
   */
  readonly signal?: CancelSignal;
  /**
   * Per response path, the condition its rows were read under (select statements only, lookups left
   * out): a relationship load's policy condition through its parents (a lookup in another source, an
   * EXISTS in the same one) may be proven by the parents' own condition (graph/execute.ts). Created
   * on first use.
   */
  readUnder?: Map<string, ReadUnder | null>;
  /** Set by `@cached` (src/server/plugins/cache.ts) before anything runs: this request may be answered from cached results. */
  cache?: RequestCache;
}

/** What `@cached(ttl:, refresh:)` asked for, within the deployment's limit. */
export interface RequestCache {
  readonly ttlMs: number;
  readonly refresh: boolean;
  /**
   * Retention is measured from here instead of `now`: the request's time rounded UP to the minute, so
   * that the statements of one minute share their key. Rounding up can only hide a row that expires
   * within that minute; it never shows an expired one.
   */
  readonly retentionNow: Date;
}

/** `user` is this request's own: `access` may be shared by users alike (same roles and attributes). */
export function createRequestContext(runtime: Runtime, requestId: string, user: User, access: UserAccess, signal?: CancelSignal): RequestContext {
  return { runtime, requestId, user, access, now: new Date(), loaders: new Map(), trace: [], perField: new WeakMap(), signal };
}

/** 1 s: the retention cut-off of a request not marked `@cached` is rounded up to it (retentionNow). */
const RETENTION_STEP_MS = 1000;

/**
 * Where this request measures retention from: `@cached`'s minute (RequestCache.retentionNow), else
 * the request's time rounded UP to the second, so that identical statements of one second bind the
 * same cut-off and can share a run (src/sources/SharedStatements.ts). Rounding up can only hide a row
 * that expires within that second; it never shows an expired one.
 */
export function retentionNow(ctx: RequestContext): Date {
  return ctx.cache?.retentionNow ?? roundedUp(ctx.now, RETENTION_STEP_MS);
}

/** `now` rounded up to a multiple of `stepMs`: where a request's retention cut-off is measured from. */
export const roundedUp = (now: Date, stepMs: number): Date => new Date(Math.ceil(now.getTime() / stepMs) * stepMs);

/** The entity's retention period for this request (TRUE, without a clock read, for an entity without one). */
const retained = (ctx: RequestContext, entity: Entity): Condition => (entity.retention ? retentionCondition(entity, retentionNow(ctx)) : TRUE);

/** Rows of `entity` this request may read: the caller's policy AND the entity's retention period. */
export function readableRows(ctx: RequestContext, entity: Entity): Condition {
  return and(ctx.access.entity(entity.name).row, retained(ctx, entity));
}

/** Rows of `entity` this request may aggregate over: the aggregate right's condition AND retention. */
export function aggregatableRows(ctx: RequestContext, entity: Entity): Condition {
  return and(ctx.access.entity(entity.name).aggregate, retained(ctx, entity));
}
