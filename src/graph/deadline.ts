import { DatagateError, ErrorCode } from '../errors';

/** The one timer and abort signal of a request: its deadline, and its client going away. */
export interface RequestDeadline {
  /** Goes into the RequestContext; every statement of the request listens to it. */
  readonly signal: AbortSignal;
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
  const controller = new AbortController();
  let finished = false;
  const timer = setTimeout(() => {
    controller.abort(new DatagateError(ErrorCode.REQUEST_TIMEOUT, `the request ran longer than ${timeoutMs} ms (limits.requestTimeout); its running statements were cancelled`, { limit: timeoutMs }));
  }, timeoutMs);
  timer.unref?.();
  return {
    signal: controller.signal,
    cancel() {
      if (finished || controller.signal.aborted) return;
      controller.abort(new DatagateError(ErrorCode.REQUEST_CANCELLED, 'the client closed the connection before the answer; its running statements were cancelled'));
    },
    done() {
      finished = true;
      clearTimeout(timer);
    },
  };
}
