import { ErrorCode } from './codes';

/**
 * An error whose message is safe to show a client: it never contains SQL, connection
 * strings, secrets or row values. `details` is extra safe data for `extensions`.
 */
export class DatagateError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: Record<string, unknown> = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'DatagateError';
  }
}

export function isDatagateError(e: unknown): e is DatagateError {
  return e instanceof DatagateError;
}

export function badInput(message: string, details?: Record<string, unknown>): DatagateError {
  return new DatagateError(ErrorCode.BAD_USER_INPUT, message, details);
}

/** For internal invariants: a failing one is a bug in datagate, never a user's mistake. */
export function invariant(condition: unknown, message: string): asserts condition {
  if (!condition) throw new Error(`Invariant violation: ${message}`);
}

/** Makes a switch exhaustive at compile time and loud at run time. */
export class UnreachableCaseError extends Error {
  constructor(value: never) {
    super(`Unreachable case: ${JSON.stringify(value)}`);
  }
}
