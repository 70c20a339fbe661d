import type { CancelSignal } from './SourceAdapter';

/**
 * A CancelSignal its owner aborts by hand: what an AbortSignal offers statements (aborted, reason,
 * abort listeners), without an AbortController and EventTarget. Node's cost about 6 µs to make and a
 * few more per listener, and per request they were promoted out of the young generation by the
 * thousand. Listeners run once, in the order added, each even when another throws (reported as a
 * process warning); one added after the abort never runs (as with an AbortSignal).
 *
 * Used for a request's deadline and disconnect (graph/deadline.ts) and for a statement run that
 * several requests share (SharedStatements.ts).
 */
export class ManualSignal implements CancelSignal {
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

  abort(reason: unknown): void {
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
