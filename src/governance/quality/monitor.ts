import { performance } from 'node:perf_hooks';
import { Gauge, Histogram, type Registry as MetricsRegistry } from 'prom-client';
import type { Registry } from '../../model';
import type { SourceAdapter } from '../../sources';
import type { MetadataStore } from '../../store';
import { formatObserved } from './formatResults';
import { latestRecords, recordHistory, recordResults, toRecord, type QualityRecord } from './record';
import { planChecks, runChecks, type PlannedCheck, type RunChecksOptions } from './runChecks';
import type { CheckResult } from './types';

/** What the gateway knows of one entity's quality: its checks' latest verdicts, as the catalog and responses show them. */
export interface EntityQuality {
  /** `unknown`: the entity declares no check, or none has run yet. */
  status: 'pass' | 'fail' | 'unknown';
  /** When the newest of its latest results was measured. */
  checkedAt: Date | null;
  /** Checks whose latest result failed; `observed` in words (`age 3d 2h`, `97.50%`, `12`), `error` when the check could not run. */
  failing: { check: string; observed: string | null; error: boolean }[];
  /** The entity's (first) freshness check: `newest` is the newest value it found, derived from the measured age. */
  freshness: { field: string; maxAge: string; ok: boolean; newest: Date | null } | null;
  /** The freshness check failed, or no check ran within twice the schedule (a run that never comes is news too). */
  stale: boolean;
}

export interface QualityMonitorOptions {
  registry: Registry;
  sources: ReadonlyMap<string, SourceAdapter>;
  store: MetadataStore;
  /** The gateway's Prometheus registry: the monitor registers its metrics here. */
  metrics: MetricsRegistry;
  /** Milliseconds between runs (config `quality.schedule`); 'off': runs only on demand. */
  schedule: number | 'off';
  /** First run right after start (when scheduled). Default true. */
  runAtStart?: boolean;
  log?: (record: Record<string, unknown>) => void;
  /** Reference time of runs and of staleness (tests pin it). */
  clock?: () => Date;
  checks?: Pick<RunChecksOptions, 'concurrencyPerSource' | 'referenceBatch'>;
}

export interface QualityMonitor {
  /** Loads the latest results from the store, then starts the schedule (the first run in the background). */
  start(): Promise<void>;
  statusOf(entity: string): EntityQuality;
  /** The latest record of each of the entity's checks (in declaration order; checks never run are left out). */
  latest(entity: string): QualityRecord[];
  /** Runs the checks (of one entity) now, after any run in progress, records them and returns the results. */
  runNow(entity?: string): Promise<CheckResult[]>;
  /** Recorded results of an entity (one check's with `check`), newest first, from the store: scheduled and manual runs alike. */
  history(entity: string, limit?: number, check?: string): Promise<QualityRecord[]>;
  /** Resolves when no run is in progress or queued. */
  idle(): Promise<void>;
  /** Stops the schedule; a run in progress starts no further check and is awaited. */
  stop(): Promise<void>;
}

const FRESHNESS_KIND = 'freshness';

/**
 * Runs the model's checks on a schedule and keeps each entity's latest verdicts in memory, so that a
 * response can say, at O(entities read), that it read failing or stale data. Every run is appended to
 * the store (history); a run never overlaps another, and never throws into the server: a source that
 * cannot be reached gives failed results with their error code.
 */
export function createQualityMonitor(opts: QualityMonitorOptions): QualityMonitor {
  const clock = opts.clock ?? (() => new Date());
  const log = opts.log ?? (() => {});
  const scheduleMs = opts.schedule === 'off' ? null : opts.schedule;
  const planned = new Map<string, PlannedCheck[]>();
  for (const p of planChecks(opts.registry)) planned.set(p.entity.name, [...(planned.get(p.entity.name) ?? []), p]);
  /** entity → check label → latest record; only checks the model declares now. */
  const latestBy = new Map<string, Map<string, QualityRecord>>();
  const metrics = createQualityMetrics(opts.metrics, () => {
    const now = clock();
    return [...planned.keys()].map((entity) => ({ entity, fresh: !staleOf(entity, now) }));
  });

  let startedAt = clock();
  let chain: Promise<unknown> = Promise.resolve();
  let pending = 0;
  let timer: NodeJS.Timeout | null = null;
  let stopped = false;
  const abort = new AbortController();

  function apply(records: readonly QualityRecord[]) {
    for (const r of records) {
      if (!planned.get(r.entity)?.some((p) => p.label === r.check)) continue;
      let checks = latestBy.get(r.entity);
      if (!checks) latestBy.set(r.entity, (checks = new Map()));
      const prev = checks.get(r.check);
      if (prev && prev.at > r.at) continue;
      checks.set(r.check, r);
      metrics.record(r);
    }
  }

  function latest(entity: string): QualityRecord[] {
    const checks = latestBy.get(entity);
    if (!checks) return [];
    return (planned.get(entity) ?? []).flatMap((p) => checks.get(p.label) ?? []);
  }

  function checkedAtOf(records: readonly QualityRecord[]): Date | null {
    let at: Date | null = null;
    for (const r of records) if (!at || r.at > at) at = r.at;
    return at;
  }

  function freshnessOf(entity: string, records: readonly QualityRecord[]): EntityQuality['freshness'] {
    const p = planned.get(entity)?.find((c) => c.spec.kind === FRESHNESS_KIND);
    if (!p || p.spec.kind !== FRESHNESS_KIND) return null;
    const r = records.find((x) => x.check === p.label);
    return {
      field: p.spec.field,
      maxAge: p.spec.maxAge,
      ok: r?.passed ?? false,
      newest: r && r.observed !== null ? new Date(r.at.getTime() - r.observed) : null,
    };
  }

  function staleOf(entity: string, now: Date, records = latest(entity)): boolean {
    if (!planned.has(entity)) return false;
    const freshness = freshnessOf(entity, records);
    if (freshness && records.some((r) => r.kind === FRESHNESS_KIND) && !freshness.ok) return true;
    if (scheduleMs === null) return false;
    const since = checkedAtOf(records) ?? startedAt;
    return now.getTime() - since.getTime() > 2 * scheduleMs;
  }

  function statusOf(entity: string): EntityQuality {
    const records = latest(entity);
    const failing = records.filter((r) => !r.passed).map((r) => ({ check: r.check, observed: r.observed === null ? null : formatObserved(r), error: r.error !== null }));
    return {
      status: records.length === 0 ? 'unknown' : failing.length ? 'fail' : 'pass',
      checkedAt: checkedAtOf(records),
      failing,
      freshness: freshnessOf(entity, records),
      stale: staleOf(entity, clock(), records),
    };
  }

  async function runOnce(entity?: string): Promise<CheckResult[]> {
    const at = clock();
    const t0 = performance.now();
    const results = await runChecks(opts.registry, opts.sources, { ...opts.checks, entity, now: at, signal: abort.signal });
    const seconds = (performance.now() - t0) / 1000;
    const records = results.map((r) => toRecord(r, at));
    apply(records);
    metrics.ran(at, seconds);
    const failed = results.filter((r) => !r.passed);
    const errors = failed.filter((r) => r.error);
    log({
      level: failed.length ? 'warn' : 'info',
      component: 'quality',
      msg: `quality checks${entity ? ` of ${entity}` : ''}: ${results.length - failed.length} passed, ${failed.length} failed of ${results.length} in ${Math.round(seconds * 1000)} ms`,
      ...(failed.length ? { failing: failed.map((r) => `${r.entity}.${r.check}${r.error ? ` (${r.errorCode})` : ''}`) } : {}),
      ...(errors.length ? { errors: errors.length } : {}),
    });
    try {
      await recordResults(opts.store, records);
    } catch (e) {
      // The verdicts still hold in memory and in /metrics; only the history misses this run.
      log({ level: 'error', component: 'quality', msg: `could not record quality results in the metadata store: ${(e as Error).message.split('\n')[0]}` });
    }
    return results;
  }

  function runNow(entity?: string): Promise<CheckResult[]> {
    if (entity !== undefined) planChecks(opts.registry, entity); // an unknown entity throws now, not in the queue
    pending++;
    const run = chain.then(() => runOnce(entity));
    chain = run.catch(() => {}).finally(() => pending--);
    return run;
  }

  async function tick() {
    timer = null;
    if (stopped) return;
    // A run still going (or queued, e.g. a manual one) when the schedule comes round: this turn is skipped.
    if (pending === 0) {
      try {
        await runNow();
      } catch (e) {
        log({ level: 'error', component: 'quality', msg: `scheduled quality run failed: ${(e as Error).message.split('\n')[0]}` });
      }
    }
    if (!stopped && scheduleMs !== null) timer = setTimeout(tick, scheduleMs).unref();
  }

  return {
    async start() {
      startedAt = clock();
      try {
        const loaded = await latestRecords(opts.store, [...planned.keys()]);
        apply(loaded);
        const newest = checkedAtOf(loaded);
        if (newest) metrics.ran(newest, null);
      } catch (e) {
        log({ level: 'error', component: 'quality', msg: `could not load quality results from the metadata store: ${(e as Error).message.split('\n')[0]}` });
      }
      if (scheduleMs === null || stopped || !planned.size) return;
      timer = setTimeout(tick, opts.runAtStart === false ? scheduleMs : 0).unref();
    },
    statusOf,
    latest,
    runNow,
    history: (entity, limit = 50, check) => recordHistory(opts.store, { entity, check, limit }),
    idle: async () => {
      while (pending > 0) await chain;
    },
    async stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      timer = null;
      abort.abort();
      while (pending > 0) await chain;
    },
  };
}

interface QualityMetrics {
  record(r: QualityRecord): void;
  /** A run started at `at` took `seconds` (null: a run loaded from the store, not timed here). */
  ran(at: Date, seconds: number | null): void;
}

/**
 * Labels are the entity and the check's label from the model (`notNull(email)`, a sql check's name):
 * never a value read from a row.
 */
function createQualityMetrics(registry: MetricsRegistry, freshness: () => { entity: string; fresh: boolean }[]): QualityMetrics {
  const registers = [registry];
  const passed = new Gauge({ name: 'datagate_quality_check_passed', help: 'Latest verdict of a quality check: 1 passed, 0 failed or could not run.', labelNames: ['entity', 'check'] as const, registers });
  const errored = new Gauge({ name: 'datagate_quality_check_error', help: 'The latest run of a quality check could not measure (source down, broken SQL): 1, else 0.', labelNames: ['entity', 'check'] as const, registers });
  const observed = new Gauge({
    name: 'datagate_quality_check_observed',
    help: 'What a quality check measured at its latest run: a rate (notNull), an age in milliseconds (freshness), a count of rows or keys (others).',
    labelNames: ['entity', 'check'] as const,
    registers,
  });
  const lastRun = new Gauge({ name: 'datagate_quality_last_run_timestamp_seconds', help: 'When the latest quality run started (Unix time).', registers });
  const duration = new Histogram({
    name: 'datagate_quality_run_duration_seconds',
    help: 'How long a run of quality checks took.',
    buckets: [0.05, 0.25, 1, 5, 15, 60, 300],
    registers,
  });
  new Gauge({
    name: 'datagate_entity_fresh',
    help: "1 when an entity's data is fresh: its freshness check passed and its checks ran within twice the schedule; 0 when stale.",
    labelNames: ['entity'] as const,
    registers,
    collect() {
      for (const f of freshness()) this.set({ entity: f.entity }, f.fresh ? 1 : 0);
    },
  });
  return {
    record(r) {
      const labels = { entity: r.entity, check: r.check };
      passed.set(labels, r.passed ? 1 : 0);
      errored.set(labels, r.error ? 1 : 0);
      if (r.observed === null) observed.remove(labels);
      else observed.set(labels, r.observed);
    },
    ran(at, seconds) {
      lastRun.set(at.getTime() / 1000);
      if (seconds !== null) duration.observe(seconds);
    },
  };
}
