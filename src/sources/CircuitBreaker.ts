import { DatagateError, ErrorCode, UnreachableCaseError } from '../errors';

export interface BreakerOptions {
  /** Connection-level failures in a row that open the breaker. */
  readonly failures: number;
  /** The first of those failures is at most this old (ms); older ones are forgotten. */
  readonly window: number;
  /** How long the breaker stays open (ms) before one statement probes the source. */
  readonly openFor: number;
}

/** What `stats()` reports: `half-open` once `openFor` has passed (the next statement probes) and while the probe runs. */
export type BreakerState = 'closed' | 'open' | 'half-open';

type State =
  | { readonly kind: 'closed'; readonly failures: number; readonly since: number }
  | { readonly kind: 'open'; readonly until: number }
  | { readonly kind: 'half-open' };

/** What a statement learned about its source. */
export type Outcome =
  /** The source answered (rows, or a query/auth error: it is up). */
  | 'answered'
  /** It did not (SOURCE_UNAVAILABLE, SOURCE_TIMEOUT). */
  | 'failed'
  /** Nothing: the statement was cancelled or refused before it reached the source. */
  | 'unknown';

const CLOSED: State = { kind: 'closed', failures: 0, since: 0 };

/**
 * One per source. O(1) per statement and no timers: `admit` reads the clock only while the breaker
 * is open, and the probe is simply the first statement admitted after `openFor`.
 */
export class CircuitBreaker {
  private state: State = CLOSED;

  constructor(
    private readonly source: string,
    private readonly opts: BreakerOptions,
    private readonly now: () => number = Date.now,
  ) {}

  /** Throws SOURCE_CIRCUIT_OPEN, or admits the statement; `true` when it is the half-open probe. */
  admit(): boolean {
    const s = this.state;
    if (s.kind === 'closed') return false;
    if (s.kind === 'open' && this.now() >= s.until) {
      this.state = { kind: 'half-open' };
      return true;
    }
    throw new DatagateError(
      ErrorCode.SOURCE_CIRCUIT_OPEN,
      `source "${this.source}" is failing; datagate stops sending it statements for a few seconds and then tries again`,
      { source: this.source },
    );
  }

  /** Reports how a statement admitted by `admit` ended; `probe` is what `admit` returned. */
  record(outcome: Outcome, probe: boolean): void {
    const s = this.state;
    switch (outcome) {
      case 'answered':
        if (s.kind !== 'closed' || s.failures !== 0) this.state = CLOSED;
        return;
      case 'failed': {
        // A statement admitted before the breaker opened, failing after: it is open already, and
        // while half-open only the probe's own outcome decides.
        if (s.kind === 'open' || (s.kind === 'half-open' && !probe)) return;
        const now = this.now();
        const fresh = s.kind === 'closed' && (s.failures === 0 || now - s.since > this.opts.window);
        const failures = s.kind === 'half-open' ? this.opts.failures : fresh ? 1 : s.failures + 1;
        this.state = failures >= this.opts.failures ? { kind: 'open', until: now + this.opts.openFor } : { kind: 'closed', failures, since: fresh || s.kind !== 'closed' ? now : s.since };
        return;
      }
      case 'unknown':
        // A probe that learned nothing hands the probe on to the next statement.
        if (probe && s.kind === 'half-open') this.state = { kind: 'open', until: 0 };
        return;
      default:
        throw new UnreachableCaseError(outcome);
    }
  }

  get current(): BreakerState {
    const s = this.state;
    return s.kind === 'open' && this.now() >= s.until ? 'half-open' : s.kind;
  }
}
