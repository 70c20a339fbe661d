import type { Knex } from 'knex';
import { DatagateError, ErrorCode, isDatagateError } from '../errors';
import { CircuitBreaker, type BreakerOptions, type Outcome } from './CircuitBreaker';
import { classifySourceError } from './classifyError';
import type { CancelSignal, Row, SourceStats } from './SourceAdapter';

/** A pooled connection as the engine's driver gives it (pg Client, mysql2 Connection, PGlite, better-sqlite3). */
export type Connection = any; // eslint-disable-line @typescript-eslint/no-explicit-any

/** How an engine sends one statement on a connection it is lent: `sql` uses `?` markers; `name` identifies it for server-side prepared statements. */
export type RunStatement = (conn: Connection, sql: string, bindings: readonly unknown[], name: string) => Promise<Row[]>;

export interface StatementRunnerOptions {
  readonly source: string;
  readonly knex: Knex;
  readonly run: RunStatement;
  readonly maxQueue: number;
  readonly breaker: BreakerOptions;
  /** Stops the statement running on `conn`, from a connection of its own. Absent: embedded, nothing to cancel. */
  readonly cancel?: (conn: Connection) => Promise<unknown>;
  /**
   * Closes `conn` so that the pool never lends it again: after a cancel (it could otherwise reach the
   * connection's next statement) and after a timeout or network error (a reply may still be on its way).
   */
  readonly discard?: (conn: Connection) => void;
}

export type StatementRunner = ((sql: string, bindings: readonly unknown[], name: string, signal?: CancelSignal) => Promise<Row[]>) & {
  stats(): SourceStats;
};

interface TarnPool {
  max: number;
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
  numPendingCreates(): number;
}
interface PoolClient {
  pool?: TarnPool;
  acquireConnection(): Promise<Connection>;
  releaseConnection(c: Connection): Promise<unknown>;
}

/** Marks a connection the pool must not lend again (see `discard`); the pool's `validate` reads it. */
export const DISCARDED = Symbol('datagate.discarded');
export const isReusable = (conn: Connection): boolean => !conn?.[DISCARDED];
/** Marks a connection as never to be lent again (a driver's own connection object, whatever its type). */
export const markDiscarded = (conn: object): void => {
  (conn as Connection)[DISCARDED] = true;
};

/** What a statement's error says about its source, for the breaker: only a source that did not answer counts. */
function outcomeOf(e: DatagateError): Outcome {
  switch (e.code) {
    case ErrorCode.SOURCE_UNAVAILABLE:
    case ErrorCode.SOURCE_TIMEOUT:
      return 'failed';
    case ErrorCode.SOURCE_BUSY:
    case ErrorCode.SOURCE_CIRCUIT_OPEN:
    case ErrorCode.REQUEST_TIMEOUT:
    case ErrorCode.REQUEST_CANCELLED:
      return 'unknown';
    default:
      return 'answered';
  }
}

/** The error a statement fails with when its request's signal aborts (deadline, client gone). */
export const abortError = (signal: CancelSignal): DatagateError =>
  isDatagateError(signal.reason) ? signal.reason : new DatagateError(ErrorCode.REQUEST_CANCELLED, 'the request was cancelled before this field was read');

/**
 * Every statement of a source passes here: the queue bound and the breaker (O(1) counters, no timer),
 * a pooled connection, the statement, its cancellation when the request's signal aborts, and the
 * connection back to the pool (or closed, when it can no longer be trusted).
 */
export function createStatementRunner(o: StatementRunnerOptions): StatementRunner {
  const client = o.knex.client as PoolClient;
  const breaker = new CircuitBreaker(o.source, o.breaker);
  let queued = 0;
  let running = 0;
  let busy = 0;
  let circuitOpen = 0;
  let cancelled = 0;

  const release = (conn: Connection, discard: boolean) => {
    if (discard && o.discard) {
      markDiscarded(conn);
      try {
        o.discard(conn);
      } catch {
        /* closing a broken connection may throw; the pool drops it anyway */
      }
    }
    client.releaseConnection(conn).catch(() => {});
  };

  /** A pooled connection; an abort gives up waiting (and hands the connection back once the pool lends it). */
  const acquire = (signal: CancelSignal | undefined): Promise<Connection> => {
    const p = client.acquireConnection();
    if (!signal) return p;
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        cancelled++;
        reject(abortError(signal));
        p.then((c) => release(c, false), () => {});
      };
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (c) => {
          signal.removeEventListener('abort', onAbort);
          if (!signal.aborted) resolve(c);
        },
        (e) => {
          signal.removeEventListener('abort', onAbort);
          if (!signal.aborted) reject(e);
        },
      );
    });
  };

  /** Acquire failed: a pool full of working connections for connectTimeout is busy, not down. */
  const acquireError = (e: unknown): DatagateError => {
    if (isDatagateError(e)) return e;
    const pool = client.pool;
    if ((e as { name?: string })?.name === 'KnexTimeoutError' && pool && pool.numUsed() >= pool.max)
      return new DatagateError(ErrorCode.SOURCE_BUSY, `source "${o.source}" kept all ${pool.max} of its connections busy past its connect timeout; try again shortly`, { source: o.source }, { cause: e });
    return classifySourceError(o.source, e);
  };

  /** The statement on its connection; an abort fails it at once and cancels it on the server. */
  const statement = (conn: Connection, sql: string, bindings: readonly unknown[], name: string, probe: boolean, signal: CancelSignal | undefined): Promise<Row[]> =>
    new Promise((resolve, reject) => {
      let gaveUp = false;
      const onAbort = () => {
        gaveUp = true;
        cancelled++;
        reject(abortError(signal!));
        // A cancel that cannot reach the server leaves the statement to its statement timeout.
        o.cancel?.(conn).catch(() => {});
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      o.run(conn, sql, bindings, name).then(
        (rows) => {
          signal?.removeEventListener('abort', onAbort);
          running--;
          breaker.record(gaveUp ? 'unknown' : 'answered', probe);
          release(conn, gaveUp);
          if (!gaveUp) resolve(rows);
        },
        (e) => {
          signal?.removeEventListener('abort', onAbort);
          running--;
          const err = classifySourceError(o.source, e);
          const outcome = gaveUp ? 'unknown' : outcomeOf(err);
          breaker.record(outcome, probe);
          release(conn, gaveUp || outcome === 'failed');
          if (!gaveUp) reject(err);
        },
      );
    });

  const run = async (sql: string, bindings: readonly unknown[], name: string, signal?: CancelSignal): Promise<Row[]> => {
    if (signal?.aborted) throw abortError(signal);
    if (queued >= o.maxQueue) {
      busy++;
      throw new DatagateError(ErrorCode.SOURCE_BUSY, `source "${o.source}" has ${queued} statements waiting for a connection already; try again shortly`, { source: o.source });
    }
    let probe: boolean;
    try {
      probe = breaker.admit();
    } catch (e) {
      circuitOpen++;
      throw e;
    }
    let conn: Connection;
    queued++;
    try {
      conn = await acquire(signal);
    } catch (e) {
      const err = acquireError(e);
      breaker.record(outcomeOf(err), probe);
      throw err;
    } finally {
      queued--;
    }
    running++;
    return statement(conn, sql, bindings, name, probe, signal);
  };

  return Object.assign(run, {
    stats(): SourceStats {
      const pool = client.pool;
      return {
        breaker: breaker.current,
        pool: pool
          ? { used: pool.numUsed(), free: pool.numFree(), pending: pool.numPendingAcquires(), creating: pool.numPendingCreates(), max: pool.max }
          : { used: 0, free: 0, pending: 0, creating: 0, max: 0 },
        queued,
        running,
        totals: { busy, circuitOpen, cancelled },
      };
    },
  });
}
