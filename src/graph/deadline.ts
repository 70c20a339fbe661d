import { DatagateError, ErrorCode } from '../errors';
import type { CancelSignal } from '../sources';

/** The one timer and abort signal of a request: its deadline, and its client going away. */
export interface RequestDeadline {
  /** Goes into the RequestContext; every statement of the request listens to it. */
  readonly signal: CancelSignal;
  /** The client went away: statements still running are cancelled (REQUEST_CANCELLED). */
  cancel(): void;
  /** The answer is out: the timer stops, and a late `cancel` changes nothing. */
  done(): void;
}

/**
 * A request's signal: what an AbortSignal offers statements (aborted, reason, abort listeners),
 * without an AbortController and EventTarget per request. Node's cost about 6 µs per request to make
 * and a few more per listener, and they were promoted out of the young generation by the thousand.
 * Listeners run once, in the order added, each even when another throws (reported as a process
 * warning); one added after the abort never runs (as with an AbortSignal).
 */
class RequestSignal implements CancelSignal {
  aborted = false;
  reason: unknown = undefined;
  private listeners: (() => void)[] | null = null;

  addEventListener(_type: 'abort', listener: () => void): void {
    if (!this.aborted) (this.listeners ??= []).push(listener);
  }

  removeEventListener(_type: 'abort', listener: () => void): void {
    const l = this.listeners;
    const i = l ? l.lastIndexOf(listener) : -1;
    if (i >= 0) l!.splice(i, 1);
  }

  abort(reason: DatagateError): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const l = this.listeners;
    this.listeners = null;
    if (!l) return;
    for (const fn of l)
      try {
        fn();
      } catch (e) {
        // A listener is the gateway's own cancellation step; its failure must not stop the others or
        // escape a timer (which would end the process). Node reports an AbortSignal listener's the same way.
        process.emitWarning(`a request's cancellation step failed: ${e instanceof Error ? e.name : typeof e}`, 'DatagateWarning');
      }
  }
}

/**
 * One timer per request, none per statement. At `timeoutMs` the signal aborts with REQUEST_TIMEOUT:
 * fields still waiting for a statement fail with it, the statements are cancelled on their servers,
 * and the fields that already answered are sent.
 */
export function createRequestDeadline(timeoutMs: number): RequestDeadline {
  const signal = new RequestSignal();
  let finished = false;
  const timer = setTimeout(() => {
    signal.abort(new DatagateError(ErrorCode.REQUEST_TIMEOUT, `the request ran longer than ${timeoutMs} ms (limits.requestTimeout); its running statements were cancelled`, { limit: timeoutMs }));
  }, timeoutMs);
  timer.unref?.();
  return {
    signal,
    cancel() {
      if (finished || signal.aborted) return;
      signal.abort(new DatagateError(ErrorCode.REQUEST_CANCELLED, 'the client closed the connection before the answer; its running statements were cancelled'));
    },
    done() {
      finished = true;
      clearTimeout(timer);
    },
  };
}
