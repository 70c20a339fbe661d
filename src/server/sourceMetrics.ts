import { Counter, Gauge, type Registry } from 'prom-client';
import { FastHistogram } from './fastMetrics';
import { isDatagateError } from '../errors';
import type { ResultCache, SourceAdapter } from '../sources';

const QUERY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** tarn's pool, as knex holds it (absent for drivers without a pool, e.g. embedded PGlite). */
interface TarnPool {
  numUsed(): number;
  numFree(): number;
  numPendingAcquires(): number;
}

/**
 * What a fault-isolating adapter may report (timeouts, breaker, queue). Read only when the adapter
 * has `stats()`, so this file does not depend on it; every field optional.
 */
interface MaybeStats {
  breaker?: string | { state?: string };
  queued?: number;
  totals?: { shared?: number };
}

const BREAKER_STATES: Record<string, number> = { closed: 0, 'half-open': 1, half_open: 1, halfOpen: 1, open: 2 };

/**
 * Per-source metrics: statement latency by kind and errors by code, measured around each adapter's
 * `execute`/`run`/`estimateRows` (the adapter is wrapped, not changed: its prototype is the original,
 * so everything else it has, now or later, stays reachable); pool and breaker gauges read at scrape time.
 */
export function instrumentSources(sources: ReadonlyMap<string, SourceAdapter>, registry: Registry): Map<string, SourceAdapter> {
  const duration = new FastHistogram(
    'datagate_source_query_duration_seconds',
    'Statement latency per source and kind (select, count, aggregate; raw and estimate for the catalog and checks).',
    ['source', 'kind'],
    QUERY_BUCKETS,
    registry,
  );
  const errors = new Counter({ name: 'datagate_source_errors_total', help: 'Failed statements per source and error code (SOURCE_UNAVAILABLE, SOURCE_TIMEOUT, …).', labelNames: ['source', 'code'], registers: [registry] });
  const adapters = [...sources.values()];
  const pools = () => adapters.flatMap((a) => {
    const pool = (a.knex?.client as { pool?: TarnPool } | undefined)?.pool;
    return pool && typeof pool.numUsed === 'function' ? [{ name: a.name, pool }] : [];
  });
  new Gauge({
    name: 'datagate_source_pool_connections_used',
    help: 'Pooled connections lent out, per source.',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      for (const { name, pool } of pools()) this.set({ source: name }, pool.numUsed());
    },
  });
  new Gauge({
    name: 'datagate_source_pool_connections_free',
    help: 'Pooled connections idle, per source.',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      for (const { name, pool } of pools()) this.set({ source: name }, pool.numFree());
    },
  });
  new Gauge({
    name: 'datagate_source_pool_pending_acquires',
    help: 'Statements waiting for a pooled connection, per source.',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      for (const { name, pool } of pools()) this.set({ source: name }, pool.numPendingAcquires());
    },
  });
  const statsOf = (a: SourceAdapter): MaybeStats | undefined => (a as { stats?: () => MaybeStats }).stats?.();
  new Gauge({
    name: 'datagate_source_breaker_state',
    help: "Circuit breaker per source: 0 closed, 1 half-open, 2 open (only for adapters that report one).",
    labelNames: ['source'],
    registers: [registry],
    collect() {
      for (const a of adapters) {
        const b = statsOf(a)?.breaker;
        const state = typeof b === 'string' ? b : b?.state;
        if (state !== undefined && state in BREAKER_STATES) this.set({ source: a.name }, BREAKER_STATES[state]);
      }
    },
  });
  new Gauge({
    name: 'datagate_source_queued',
    help: 'Statements queued by the source adapter itself (only for adapters that report it).',
    labelNames: ['source'],
    registers: [registry],
    collect() {
      for (const a of adapters) {
        const q = statsOf(a)?.queued;
        if (typeof q === 'number') this.set({ source: a.name }, q);
      }
    },
  });
  new Counter({
    name: 'datagate_source_statements_shared_total',
    help: "Statements not sent because an identical statement's run served their request (the source's shareStatements).",
    labelNames: ['source'],
    registers: [registry],
    collect() {
      // Counted by the adapter itself, set at scrape time (a counter that only ever grows).
      this.reset();
      for (const a of adapters) {
        const n = statsOf(a)?.totals?.shared;
        if (typeof n === 'number') this.inc({ source: a.name }, n);
      }
    },
  });

  const out = new Map<string, SourceAdapter>();
  for (const [key, a] of sources) {
    const byKind = new Map<string, { observe(v: number): void }>();
    const timer = (kind: string) => {
      let h = byKind.get(kind);
      if (!h) byKind.set(kind, (h = duration.labels(a.name, kind)));
      return h;
    };
    const timed = async <T>(kind: string, run: () => Promise<T>): Promise<T> => {
      const started = performance.now();
      try {
        const result = await run();
        timer(kind).observe((performance.now() - started) / 1000);
        return result;
      } catch (e) {
        timer(kind).observe((performance.now() - started) / 1000);
        errors.inc({ source: a.name, code: isDatagateError(e) ? e.code : 'UNKNOWN' });
        throw e;
      }
    };
    // Plain properties (writable, like the adapter's own), so the wrapped adapter behaves as an object literal would.
    const own = { writable: true, configurable: true, enumerable: true } as const;
    const wrapped: SourceAdapter = Object.create(a, {
      // `opts` carries the request's abort signal (deadline, client gone): it must reach the adapter.
      execute: { ...own, value: (plan: Parameters<SourceAdapter['execute']>[0], opts?: Parameters<SourceAdapter['execute']>[1]) => timed(plan.kind, () => a.execute(plan, opts)) },
      run: { ...own, value: (q: Parameters<SourceAdapter['run']>[0], opts?: Parameters<SourceAdapter['run']>[1]) => timed('raw', () => a.run(q, opts)) },
      estimateRows: { ...own, value: (e: Parameters<SourceAdapter['estimateRows']>[0]) => timed('estimate', () => a.estimateRows(e)) },
    });
    out.set(key, wrapped);
  }
  return out;
}

/** The result cache behind `@cached`, read at scrape time. */
export function resultCacheMetrics(cache: ResultCache, registry: Registry): void {
  const gauge = (name: string, help: string, read: (s: ReturnType<ResultCache['stats']>) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(cache.stats()));
      },
    });
  gauge('datagate_result_cache_entries', 'Statement results kept for @cached requests.', (s) => s.entries);
  gauge('datagate_result_cache_bytes', 'Estimated memory of the kept results (cache.maxBytes bounds it).', (s) => s.bytes);
  // Counts kept by the cache itself, set at scrape time (a counter that only ever grows).
  const counter = (name: string, help: string, read: (s: ReturnType<ResultCache['stats']>) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(read(cache.stats()));
      },
    });
  counter('datagate_result_cache_hits_total', 'Statements of @cached requests answered from kept results (or from an identical statement already running).', (s) => s.hits);
  counter('datagate_result_cache_misses_total', 'Statements of @cached requests that ran (nothing fresh enough was kept, or refresh).', (s) => s.misses);
  counter('datagate_result_cache_evictions_total', 'Kept results dropped for memory or age.', (s) => s.evictions);
}
