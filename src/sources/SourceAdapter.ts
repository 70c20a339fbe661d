import type { Knex } from 'knex';
import type { Dialect } from '../config';
import type { Plan } from '../planning';
import type { BreakerState } from './CircuitBreaker';
import type { ResultCache } from './ResultCache';

/** The SQL engine that actually answers; a `mysql`-dialect source runs on SQLite when embedded. */
export type Engine = 'postgres' | 'mysql' | 'sqlite';

/** What an engine can do, as data: planners and the schema builder read these instead of branching on names. */
export interface Capabilities {
  readonly engine: Engine;
  /** In-process engine (PGlite, SQLite) started by the gateway itself. */
  readonly embedded: boolean;
  /** The server enforces a per-statement timeout (PostgreSQL statement_timeout, MariaDB max_statement_time). */
  readonly statementTimeout: boolean;
  /** ROW_NUMBER() OVER (PARTITION BY …): per-parent limits in one batched relationship query. */
  readonly windowFunctions: boolean;
  /** Most bound parameters one statement may carry; key sets larger than this are sent as one array/JSON parameter. */
  readonly maxBindParams: number;
  /** A key set binds as one array parameter (`= any(?)`), so statements do not vary with its length. */
  readonly arrayParams: boolean;
  /**
   * Related rows of the same source can be read inside their parents' statement as JSON
   * (`SelectPlan.nested`): one statement per request instead of one per nesting level. `maxCells`:
   * most fields, flags and nested relationships one related row may carry (the engine's limit on a
   * function's arguments). `byDefault`: whether a source does so without `nestedRows: true` in its
   * config (where it measured faster than a statement per level: PostgreSQL yes, MariaDB no).
   */
  readonly nestedRows: false | { readonly maxCells: number; readonly byDefault: boolean };
}

export interface CompiledQuery {
  readonly sql: string;
  readonly bindings: readonly unknown[];
}

export type Row = Record<string, unknown>;

/**
 * What a statement listens to for its request's end: an AbortSignal, or the request's own lighter
 * signal (graph/deadline.ts), which costs a fraction of an AbortController per request.
 */
export interface CancelSignal {
  readonly aborted: boolean;
  /** Why it aborted: a DatagateError (REQUEST_TIMEOUT, REQUEST_CANCELLED) from the gateway. */
  readonly reason: unknown;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
  removeEventListener(type: 'abort', listener: () => void): void;
}

export interface RunOptions {
  /**
   * Aborting it fails the statement at once with the signal's reason (a DatagateError: REQUEST_TIMEOUT,
   * REQUEST_CANCELLED) and cancels it on the server (PostgreSQL pg_cancel_backend, MySQL/MariaDB
   * KILL QUERY, both from a connection of their own). Embedded engines have nothing to cancel.
   */
  readonly signal?: CancelSignal;
  /** `execute` only: serve the result from (and keep it in) the gateway's result cache (a request marked `@cached`). */
  readonly cache?: CacheUse;
  /** `execute` only: told how many requests the statement's run answered, when it answered more than this one (the source's `shareStatements`). */
  readonly shared?: (requests: number) => void;
}

/** How one statement of a `@cached` request uses the result cache; `ageMs` is set by `execute`: how old the rows are (0: just read). */
export interface CacheUse {
  readonly store: ResultCache;
  readonly ttlMs: number;
  readonly refresh: boolean;
  ageMs?: number;
}

/** A source's load and health right now, cheap enough to read on every metrics scrape. */
export interface SourceStats {
  readonly breaker: BreakerState;
  readonly pool: {
    /** Connections running a statement. */
    readonly used: number;
    /** Open connections idle in the pool. */
    readonly free: number;
    /** Acquisitions the pool has not served yet. */
    readonly pending: number;
    /** Connections being opened. */
    readonly creating: number;
    readonly max: number;
  };
  /** Statements waiting for a connection (at most `maxQueue`). */
  readonly queued: number;
  /** Statements holding a connection. */
  readonly running: number;
  /** Totals since the source opened. */
  readonly totals: {
    /** Refused with SOURCE_BUSY. */
    readonly busy: number;
    /** Refused with SOURCE_CIRCUIT_OPEN. */
    readonly circuitOpen: number;
    /** Given up by their request (deadline, client gone) while waiting or running. */
    readonly cancelled: number;
    /** Not sent: an identical statement's run served their request (the source's `shareStatements`). */
    readonly shared?: number;
  };
}

export interface SourceAdapter {
  /** Source name from datagate.yaml. */
  readonly name: string;
  /** Dialect declared in datagate.yaml (what the data's owners run in production). */
  readonly dialect: Dialect;
  readonly capabilities: Capabilities;
  /** The knex instance that owns this source's pool. */
  readonly knex: Knex;
  /** Pure: plan → SQL text and bindings for this engine. */
  compile(plan: Plan): CompiledQuery;
  /** Runs compiled SQL and returns raw driver rows. Errors are classified (SOURCE_*), never raw driver errors. */
  run(query: CompiledQuery, opts?: RunOptions): Promise<Row[]>;
  /** compile + run + decode: rows keyed by field name with canonical values. */
  execute(plan: Plan, opts?: RunOptions): Promise<Row[]>;
  /** Breaker, pool and queue, O(1): what metrics and health read. */
  stats(): SourceStats;
  ping(): Promise<void>;
  /**
   * About how many rows the entity's table holds, for the catalog: the engine's statistics where it
   * keeps them (PostgreSQL reltuples, MySQL table_rows), an exact count where it does not (SQLite,
   * a PostgreSQL table never analysed). Errors are classified like every statement's.
   */
  estimateRows(entity: Plan['entity']): Promise<number | null>;
  close(): Promise<void>;
}
