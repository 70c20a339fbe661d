import { DatagateError, ErrorCode } from '../errors';
import { ManualSignal, type CancelSignal } from '../sources';

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
 * One timer per request, none per statement. At `timeoutMs` the signal aborts with REQUEST_TIMEOUT:
 * fields still waiting for a statement fail with it, the statements are cancelled on their servers,
 * and the fields that already answered are sent.
 */
export function createRequestDeadline(timeoutMs: number): RequestDeadline {
  const signal = new ManualSignal();
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
