import pino, { type DestinationStream, type Level } from 'pino';

/**
 * The seam every part logs through: one JSON record per call, `level` (default `info`) and `msg`
 * among its keys. A plain function works (tests pass `(r) => logs.push(r)`); the gateway's own is
 * pino (createLogger). Records carry names, codes, counts and durations, never SQL bindings, GraphQL
 * variables or row values.
 */
export interface Logger {
  (record: Record<string, unknown>): void;
  /** False when a record of this level would be dropped, so callers can skip building it. Absent: every level is kept. */
  enabled?(level: LogLevel): boolean;
  /** Writes out what is buffered (on shutdown, before the process exits). */
  flush?(): Promise<void>;
}

export type LogLevel = Level;
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace'] as const satisfies readonly Level[];

/** Whether a logger keeps records of `level`. */
export const logs = (log: Logger, level: LogLevel): boolean => log.enabled?.(level) ?? true;

/**
 * Keys whose values never reach a log, whatever they hold:
 * statement bindings, GraphQL variables and data, rows, credentials. Masked and `pii` fields of the
 * model are added by name (createLogger's `fields`).
 */
const ALWAYS_REDACTED = ['bindings', 'variables', 'values', 'data', 'row', 'authorization', 'cookie', 'password', 'secret', 'token'];
/** The logger's own keys: a model field of the same name must not hide them (they never hold row values). */
const OWN_KEYS = new Set(['level', 'msg', 'time', 'pid', 'hostname', 'requestId', 'errorId', 'method', 'path', 'status', 'ms', 'operation', 'roleSet', 'outcome', 'source', 'code', 'component', 'error', 'cause', 'statements']);

export interface LoggerOptions {
  level: LogLevel | 'silent';
  /** Field names whose values must never be logged: every masked or pii-tagged field of the model. */
  fields?: Iterable<string>;
  /** Where lines go; default stderr, written asynchronously in 4 KB writes (one syscall per ~20 access lines, not one each; flushed by `flush()` and on close). */
  destination?: DestinationStream;
}

/** One pino logger per gateway behind the `Logger` seam: JSON lines with ISO time and a level name. */
export function createLogger(opts: LoggerOptions): Logger {
  const keys = new Set(ALWAYS_REDACTED);
  for (const f of opts.fields ?? []) if (/^[A-Za-z_$][\w$]*$/.test(f) && !OWN_KEYS.has(f)) keys.add(f);
  // Top-level keys only: a wildcard path (`*.email`) makes every line 2-3x dearer (pino's redaction walks
  // each object), and the nested objects records carry (error, statements) are built here with no values.
  // A key listed here hides whatever it holds, so `{ row: {...} }` is censored whole.
  const paths = [...keys];
  const destination = opts.destination ?? pino.destination({ dest: 2, sync: false, minLength: 4096 });
  const p = pino(
    {
      level: opts.level,
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths, censor: '[redacted]' },
    },
    destination,
  );
  const log: Logger = (record) => {
    const { level, msg, ...rest } = record;
    const l: Level = typeof level === 'string' && level in LEVEL_SET ? (level as Level) : 'info';
    if (!p.isLevelEnabled(l)) return;
    p[l](rest, typeof msg === 'string' ? msg : msg === undefined ? undefined : String(msg));
  };
  log.enabled = (level) => p.isLevelEnabled(level);
  log.flush = () => new Promise<void>((resolve) => p.flush(() => resolve()));
  return log;
}

const LEVEL_SET: Record<string, true> = Object.fromEntries(LOG_LEVELS.map((l) => [l, true]));

/** `LOG_LEVEL` from the environment, else `server.logLevel`, else `info`. */
export function logLevelOf(configured: string | undefined, env: NodeJS.ProcessEnv): LogLevel | 'silent' {
  const fromEnv = env.LOG_LEVEL?.trim().toLowerCase();
  if (fromEnv && (fromEnv in LEVEL_SET || fromEnv === 'silent')) return fromEnv as LogLevel | 'silent';
  return (configured as LogLevel | 'silent' | undefined) ?? 'info';
}
