import { ManualSignal } from './ManualSignal';
import type { CancelSignal, Row } from './SourceAdapter';

/** Why a request stopped waiting: its signal's reason (REQUEST_TIMEOUT, REQUEST_CANCELLED) as the runner reports it. */
export type AbortReason = (signal: CancelSignal) => Error;

/**
 * Identical statements that overlap in time run once (Apollo Router's subgraph query deduplication,
 * Cube's query queue), with one rule those leave out: a request never joins a statement that started
 * before it arrived. It waits for the next run of that statement, which starts when the running one
 * ends and serves everyone who arrived meanwhile. So no answer is older than its request, and what a
 * client wrote before it asked is in what it reads, exactly as without sharing; the price is that a
 * request may wait for the end of a run it cannot use (at most one statement's time).
 *
 * Why it cannot leak across policies: the key is the source, the statement's SQL text and its bound
 * values (ResultCache.resultKey). Every row condition a policy adds, and every key a cross-source
 * condition was resolved into, is in the text or the values, so two requests share a run only when
 * the database would give both the same rows. Masks, lineage and audit stay per request: they are
 * applied after the rows come back.
 *
 * - Each request keeps its own deadline and disconnect: leaving stops its wait at once. The statement
 *   is cancelled on the server only when every request waiting for it has left, and a next run that
 *   everyone left never starts.
 * - A failed run fails all who waited for it, as their own identical statement would have; it is
 *   never kept: the next run starts afresh.
 * - Rows are handed out as copies (one shallow copy per row for each waiter beyond the first), so
 *   nothing a request does to its rows reaches another.
 */
export class SharedStatements {
  private readonly slots = new Map<string, Slot>();
  private sharedCount = 0;

  constructor(private readonly aborted: AbortReason) {}

  /**
   * The rows of the statement `key`: from a run of its own (`start`, given a signal that aborts when
   * every request waiting for the run has left), or from the next run of an identical statement
   * already running. `served`, when given, hears how many requests the run answered (this one
   * included) just before the rows come.
   */
  run(key: string, signal: CancelSignal | undefined, start: (signal: CancelSignal) => Promise<Row[]>, served?: (requests: number) => void): Promise<Row[]> {
    if (signal?.aborted) return Promise.reject(this.aborted(signal));
    const slot = this.slots.get(key);
    if (!slot) {
      const r = new Run(start);
      this.slots.set(key, { running: r, next: undefined });
      const rows = this.join(r, signal, served);
      this.launch(key, r);
      return rows;
    }
    if (slot.next && slot.next.waiting > 0) {
      this.sharedCount++;
      return this.join(slot.next, signal, served);
    }
    slot.next = new Run(start);
    return this.join(slot.next, signal, served);
  }

  /** Statements not sent because a run of an identical statement served their request. */
  get shared(): number {
    return this.sharedCount;
  }

  /** Statements running or waiting to run again, by key: 0 once every run has settled (tests). */
  get active(): number {
    return this.slots.size;
  }

  private launch(key: string, r: Run): void {
    const done = () => {
      const slot = this.slots.get(key)!;
      const next = slot.next;
      if (next && next.waiting > 0) {
        slot.running = next;
        slot.next = undefined;
        this.launch(key, next);
      } else this.slots.delete(key);
    };
    r.start(r.signal).then(
      (rows) => {
        r.settle(rows, undefined);
        done();
      },
      (e: unknown) => {
        r.settle(undefined, e);
        done();
      },
    );
  }

  private join(r: Run, signal: CancelSignal | undefined, served: ((requests: number) => void) | undefined): Promise<Row[]> {
    return new Promise<Row[]>((resolve, reject) => {
      const w: Waiter = { resolve, reject, served, leave: undefined };
      if (signal) {
        const onAbort = () => {
          if (!r.remove(w)) return;
          reject(this.aborted(signal));
          // The last one out cancels the run (a next run nobody waits for is skipped by launch's done).
          if (r.waiting === 0) r.signal.abort(signal.reason);
        };
        signal.addEventListener('abort', onAbort, { once: true });
        w.leave = () => signal.removeEventListener('abort', onAbort);
      }
      r.add(w);
    });
  }
}

interface Slot {
  running: Run;
  /** The run that starts when `running` ends: everyone who asked while `running` ran. */
  next: Run | undefined;
}

interface Waiter {
  resolve(rows: Row[]): void;
  reject(e: unknown): void;
  served: ((requests: number) => void) | undefined;
  leave: (() => void) | undefined;
}

/** One execution of a statement and the requests waiting for it. */
class Run {
  private readonly waiters = new Set<Waiter>();
  /** What the statement listens to: it aborts when the last request waiting for the run leaves. */
  readonly signal = new ManualSignal();

  constructor(readonly start: (signal: CancelSignal) => Promise<Row[]>) {}

  get waiting(): number {
    return this.waiters.size;
  }

  add(w: Waiter): void {
    this.waiters.add(w);
  }

  remove(w: Waiter): boolean {
    return this.waiters.delete(w);
  }

  settle(rows: Row[] | undefined, error: unknown): void {
    let first = true;
    const requests = this.waiters.size;
    for (const w of this.waiters) {
      w.leave?.();
      if (rows === undefined) w.reject(error);
      else {
        w.served?.(requests);
        w.resolve(first ? rows : rows.map((row) => ({ ...row })));
        first = false;
      }
    }
    this.waiters.clear();
  }
}
