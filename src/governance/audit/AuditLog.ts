import { Counter, Gauge, type Registry } from 'prom-client';
import type { AuditConfig } from '../../config';
import type { NewAuditRecord } from '../../store';

/** Writes one batch, all of it or none (src/store `insertAuditRecords` in production). */
export type AuditWriter = (records: readonly NewAuditRecord[]) => Promise<void>;

export type AuditLogger = (record: Record<string, unknown>) => void;

/** What `/health`, `/ready`, the `health` query and the tests see of the audit log. */
export interface AuditStatus {
  /** False once the queue is full or writes have failed for longer than `failAfterMs`. */
  ok: boolean;
  /** `audit.onStoreFailure`: what happens to reads while `ok` is false. */
  mode: 'refuse' | 'serve';
  /** Records in memory, not yet written. */
  queued: number;
  /** Records written since start. */
  written: number;
  /** Records lost: refused by a full queue, or still queued when close() gave up. */
  dropped: number;
  /** Batches whose write failed (each is retried). */
  failedWrites: number;
  /** The last write error: a code and a class of failure, never SQL, URLs or values. Null after a write succeeds. */
  lastError: string | null;
  /** Since when `ok` has had its current value. */
  since: Date;
}

export interface AuditLogOptions extends Pick<AuditConfig, 'batchSize' | 'flushInterval' | 'maxQueue' | 'onStoreFailure'> {
  /** Roles that may read the log (`auditLog` query). */
  readers: readonly string[];
  /** Writes failing for this long make the store count as failed (default 3 × flushInterval, at least 1 s). */
  failAfterMs?: number;
  /** Longest wait between retries of a failing store (default 10 × flushInterval, between 1 s and 30 s). */
  maxBackoffMs?: number;
  /** How long close() keeps retrying a failing store before it gives the rest up (default 10 s). */
  closeTimeoutMs?: number;
  log?: AuditLogger;
}

/** Longest texts kept from a request: the store's columns are varchar(255), and a record must never fail for its size. */
const MAX_NAME = 255;

/**
 * The audit log's queue: records are taken in memory on the response path (`record()` is
 * synchronous and O(1)) and written in batches by one writer at a time, every `flushInterval` or
 * as soon as a batch is full. A failing store is retried with backoff and nothing is taken off the
 * queue before it is written; `close()` drains the queue (SIGTERM).
 *
 * The store counts as failed when the queue is full (`maxQueue`) or when writes have failed for
 * longer than `failAfterMs`; in `refuse` mode the server then refuses reads it could not audit.
 */
export class AuditLog {
  readonly mode: 'refuse' | 'serve';
  readonly readers: readonly string[];
  private readonly queue: NewAuditRecord[] = [];
  private written = 0;
  private dropped = 0;
  private failedWrites = 0;
  private lastError: string | null = null;
  /** When the current run of failed writes began; null while writes succeed. */
  private failingSince: number | null = null;
  private retries = 0;
  private wasOk = true;
  private okSince = new Date();
  private timer: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;
  private closed = false;
  private readonly batchSize: number;
  private readonly flushInterval: number;
  private readonly maxQueue: number;
  private readonly failAfterMs: number;
  private readonly maxBackoffMs: number;
  private readonly closeTimeoutMs: number;
  private readonly log: AuditLogger;

  constructor(
    private readonly write: AuditWriter,
    metrics: Registry | null,
    opts: AuditLogOptions,
  ) {
    this.mode = opts.onStoreFailure;
    this.readers = opts.readers;
    this.batchSize = opts.batchSize;
    this.flushInterval = opts.flushInterval;
    this.maxQueue = opts.maxQueue;
    this.failAfterMs = opts.failAfterMs ?? Math.max(1000, 3 * opts.flushInterval);
    this.maxBackoffMs = opts.maxBackoffMs ?? Math.min(30_000, Math.max(1000, 10 * opts.flushInterval));
    this.closeTimeoutMs = opts.closeTimeoutMs ?? 10_000;
    this.log = opts.log ?? (() => {});
    if (metrics) this.registerMetrics(metrics);
  }

  /**
   * Takes a record for writing; never waits and never throws. Returns false when the record was
   * dropped (queue full, or the log closed).
   */
  record(r: NewAuditRecord): boolean {
    if (this.closed || this.queue.length >= this.maxQueue) {
      this.dropped++;
      this.counters?.dropped.inc();
      this.noteState();
      return false;
    }
    this.queue.push(clip(r));
    if (this.queue.length >= this.batchSize) this.kick();
    else this.schedule(this.flushInterval);
    return true;
  }

  /** True when the store cannot take records: the queue is full or writes have failed for too long. */
  get failed(): boolean {
    if (this.queue.length >= this.maxQueue) return true;
    return this.failingSince !== null && Date.now() - this.failingSince >= this.failAfterMs;
  }

  /** Reads are refused: the store failed and `onStoreFailure` is `refuse`. */
  get refusing(): boolean {
    return this.mode === 'refuse' && this.failed;
  }

  status(): AuditStatus {
    this.noteState();
    return {
      ok: !this.failed,
      mode: this.mode,
      queued: this.queue.length,
      written: this.written,
      dropped: this.dropped,
      failedWrites: this.failedWrites,
      lastError: this.lastError,
      since: this.okSince,
    };
  }

  /**
   * Writes what is queued now, batch after batch, until the queue is empty or a write fails.
   * Never throws: a failure is in `status()` and the records stay queued for the retry.
   */
  async flush(): Promise<void> {
    this.clearTimer();
    await this.pump();
    if (this.queue.length && !this.closed) this.scheduleRetry();
  }

  /**
   * Stops taking records and drains the queue, retrying a failing store for `closeTimeoutMs`;
   * records still queued then are counted as dropped and logged (their count, not their content).
   */
  close(): Promise<void> {
    this.closing ??= this.drainForClose();
    return this.closing;
  }

  private closing: Promise<void> | null = null;

  private async drainForClose(): Promise<void> {
    this.closed = true;
    this.clearTimer();
    const deadline = Date.now() + this.closeTimeoutMs;
    let attempt = 0;
    for (;;) {
      await this.pump();
      if (!this.queue.length || Date.now() >= deadline) break;
      await sleep(Math.min(this.backoff(attempt++), Math.max(0, deadline - Date.now())));
    }
    if (this.queue.length) {
      const lost = this.queue.splice(0).length;
      this.dropped += lost;
      this.counters?.dropped.inc(lost);
      this.log({ level: 'error', component: 'audit', msg: `audit log closed with ${lost} record(s) unwritten: the store failed (${this.lastError ?? 'unknown error'})` });
    }
  }

  /**
   * One writer at a time: a second caller waits for the running pass, then runs its own if records remain.
   * `fullOnly`: write whole batches only, leaving a partial rest to the flush timer.
   */
  private async pump(fullOnly = false): Promise<void> {
    while (this.writing) await this.writing;
    if (!this.queue.length) return;
    this.writing = this.drain(fullOnly).finally(() => (this.writing = null));
    await this.writing;
  }

  private async drain(fullOnly: boolean): Promise<void> {
    while (this.queue.length && (!fullOnly || this.queue.length >= this.batchSize)) {
      const batch = this.queue.slice(0, this.batchSize);
      try {
        await this.write(batch);
      } catch (e) {
        this.failedWrites++;
        this.counters?.failed.inc(batch.length);
        this.lastError = describeError(e);
        if (this.failingSince === null) {
          this.failingSince = Date.now();
          this.log({ level: 'warn', component: 'audit', msg: `audit store write failed (${this.lastError}); records stay queued and are retried` });
        }
        this.noteState();
        return;
      }
      // Records pushed meanwhile went to the end: the batch is still the queue's head.
      this.queue.splice(0, batch.length);
      this.written += batch.length;
      this.counters?.written.inc(batch.length);
      if (this.failingSince !== null) this.log({ level: 'info', component: 'audit', msg: `audit store writable again; ${this.queue.length} record(s) still queued` });
      this.failingSince = null;
      this.lastError = null;
      this.retries = 0;
      this.noteState();
    }
  }

  /**
   * Starts writing the full batches now, without waiting for it; what is left (records that came
   * while a batch was written, short of a batch) waits for the flush timer or the next full batch.
   * Writing whatever had come meanwhile made, under load, transactions of ~90 records where the
   * batch size was 200 (bench Q3 at 4,000 req/s): more store commits for the same records. The
   * bench's CPU per request did not measurably move either way (bench/RESULTS.md).
   */
  private kick(): void {
    if (this.writing || this.failingSince !== null) return; // a failing store is retried on its own schedule
    this.clearTimer();
    void this.pump(true).then(() => {
      if (this.queue.length && !this.closed) this.scheduleRetry();
    });
  }

  private schedule(ms: number): void {
    if (this.timer || this.closed) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  private scheduleRetry(): void {
    this.clearTimer();
    this.schedule(this.failingSince === null ? this.flushInterval : this.backoff(this.retries++));
  }

  private backoff(attempt: number): number {
    return Math.min(this.maxBackoffMs, this.flushInterval * 2 ** Math.min(attempt, 16));
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }

  /** Keeps `since` at the moment `ok` last changed, and logs the change. */
  private noteState(): void {
    const ok = !this.failed;
    if (ok === this.wasOk) return;
    this.wasOk = ok;
    this.okSince = new Date();
    this.log({
      level: ok ? 'info' : 'error',
      component: 'audit',
      msg: ok ? 'audit store recovered' : `audit store failed (${this.lastError ?? `queue full at ${this.maxQueue}`}); ${this.mode === 'refuse' ? 'reads are refused' : 'reads are served unaudited past the queue'}`,
    });
  }

  private counters: { written: Counter; failed: Counter; dropped: Counter } | null = null;

  private registerMetrics(registry: Registry): void {
    const self = this;
    this.counters = {
      written: new Counter({ name: 'datagate_audit_records_written_total', help: 'Audit records written to the metadata store.', registers: [registry] }),
      failed: new Counter({ name: 'datagate_audit_records_failed_total', help: 'Audit records whose write failed (they stay queued and are retried).', registers: [registry] }),
      dropped: new Counter({ name: 'datagate_audit_records_dropped_total', help: 'Audit records lost: queue full, or unwritten at shutdown.', registers: [registry] }),
    };
    new Gauge({
      name: 'datagate_audit_queue_depth',
      help: 'Audit records in memory, not yet written.',
      registers: [registry],
      collect() {
        this.set(self.queue.length);
      },
    });
    new Gauge({
      name: 'datagate_audit_store_up',
      help: '1 while the audit log can write to its store, 0 once it counts as failed.',
      registers: [registry],
      collect() {
        this.set(self.failed ? 0 : 1);
      },
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** The class of a failure, safe to show: a driver code and error name, never the driver's message (it may hold SQL or values). */
export function describeError(e: unknown): string {
  const err = e as { code?: unknown; name?: unknown } | null;
  const code = typeof err?.code === 'string' || typeof err?.code === 'number' ? String(err.code) : '';
  const name = typeof err?.name === 'string' ? err.name : 'Error';
  if (/pool is probably full|Timeout/i.test(name)) return `${name}: the store did not answer in time`;
  if (name === 'Error' && (e as Error)?.message?.includes('aborted')) return 'the store connection was closed';
  return code ? `${name} (${code})` : name;
}

function cut(s: string | null, max: number): string | null {
  return s !== null && s.length > max ? s.slice(0, max) : s;
}

/** A record as the store can always take it. */
function clip(r: NewAuditRecord): NewAuditRecord {
  if ((r.operationName?.length ?? 0) <= MAX_NAME && (r.userId?.length ?? 0) <= MAX_NAME && (r.requestId?.length ?? 0) <= MAX_NAME) return r;
  return { ...r, operationName: cut(r.operationName, MAX_NAME), userId: cut(r.userId, MAX_NAME), requestId: cut(r.requestId, MAX_NAME) };
}
