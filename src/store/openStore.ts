import path from 'node:path';
import knex, { type Knex } from 'knex';
import { DatagateError, ErrorCode } from '../errors';
import { migratorConfig } from './migrations';
import { createSqliteWriter, type SqliteWriter } from './sqliteWriter';

export type StoreKind = 'sqlite' | 'postgres';
export type StoreLogger = (record: Record<string, unknown>) => void;

/** The default embedded store's file, next to datagate.yaml. */
export const DEFAULT_SQLITE_FILE = 'datagate-meta.sqlite';

export interface OpenStoreOptions {
  /** `metadata.url` (see src/config/schema.ts): empty → `datagate-meta.sqlite` in `dir`; `:memory:`; `sqlite:<file>`; `postgres://…`. */
  url?: string;
  /** Folder of datagate.yaml: relative SQLite files live there. */
  dir: string;
  log?: StoreLogger;
  /** PostgreSQL pool size (default 10). */
  pool?: number;
  /** How long to wait for a PostgreSQL connection before saying it did not answer (default 5000 ms). */
  connectTimeoutMs?: number;
}

export interface MetadataStore {
  readonly kind: StoreKind;
  /** Where the store is, safe to log and show: a file path, `:memory:`, or the URL without its password. */
  readonly location: string;
  readonly knex: Knex;
  /**
   * A SQLite file's writer off the event loop (sqliteWriter.ts), for writes that come often and need
   * no answer but success (audit records); absent for PostgreSQL (whose I/O is asynchronous) and for an
   * in-memory store (which exists on the event loop's connection only).
   */
  readonly writer?: SqliteWriter;
  /** Runs every migration not yet applied (idempotent; safe from several replicas at once). Returns the names applied now. */
  migrate(): Promise<string[]>;
  /** Answers or throws the same clear DatagateError as opening (for health checks). */
  ping(): Promise<void>;
  close(): Promise<void>;
}

type Target = { kind: 'sqlite'; filename: string; location: string } | { kind: 'postgres'; url: string; location: string; database: string };

/** `postgres://user:secret@host:5432/db?x` → `postgres://user@host:5432/db`: never the password, never query options. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.username ? `${decodeURIComponent(u.username)}@` : ''}${u.host}${u.pathname}`;
  } catch {
    return 'metadata.url (not a valid URL)';
  }
}

export function resolveTarget(url: string | undefined, dir: string): Target {
  const u = url?.trim() ?? '';
  if (!u) {
    const filename = path.resolve(dir, DEFAULT_SQLITE_FILE);
    return { kind: 'sqlite', filename, location: filename };
  }
  if (u === ':memory:' || u === 'sqlite::memory:') return { kind: 'sqlite', filename: ':memory:', location: ':memory:' };
  if (/^postgres(?:ql)?:\/\//i.test(u)) {
    let database = '';
    try {
      database = decodeURIComponent(new URL(u).pathname.slice(1));
    } catch {
      throw new DatagateError(ErrorCode.BAD_CONFIG, `metadata.url is not a valid PostgreSQL URL: write postgres://user:password@host:5432/database`, { store: 'metadata' });
    }
    return { kind: 'postgres', url: u, location: redactUrl(u), database };
  }
  const m = /^(?:sqlite|file):(?:\/\/)?(.+)$/i.exec(u);
  if (m) {
    const filename = path.resolve(dir, m[1]);
    return { kind: 'sqlite', filename, location: filename };
  }
  throw new DatagateError(
    ErrorCode.BAD_CONFIG,
    `metadata.url must be empty (SQLite file ${DEFAULT_SQLITE_FILE} next to datagate.yaml), ":memory:", "sqlite:<file>" or "postgres://…"; found a value starting with ${JSON.stringify(u.split(':')[0] + ':')}`,
    { store: 'metadata' },
  );
}

function knexLogger(log: StoreLogger | undefined): Knex.Config['log'] {
  const write = (level: string) => (message: unknown) => {
    const text = message instanceof Error ? message.message : String(message);
    log?.({ level, component: 'metadata-store', msg: text.split('\n')[0].replace(/\/\/[^@\s]*@/g, '//***@') });
  };
  return { warn: write('warn'), error: write('error'), deprecate: write('warn'), debug: () => {} };
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ECONNRESET', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', '57P01', '57P03', '53300']);

/** A driver error on opening → what happened and what to do, without the password or the driver's text. */
export function openError(target: Target, e: unknown): DatagateError {
  const err = e as { code?: string; name?: string; message?: string };
  const code = err?.code ?? '';
  const where = `metadata store ${target.location}`;
  const details = { store: 'metadata', location: target.location, ...(code ? { driverCode: code } : {}) };
  if (target.kind === 'sqlite')
    return new DatagateError(
      ErrorCode.BAD_CONFIG,
      `${where} could not be opened${code ? ` (${code})` : ''}: make sure its folder exists and is writable, or set metadata.url`,
      details,
      { cause: e },
    );
  if (code === '28P01' || code === '28000')
    return new DatagateError(ErrorCode.SOURCE_AUTH_FAILED, `${where} refused the user or password: fix the credentials in metadata.url (DATAGATE_META_URL)`, details, { cause: e });
  if (code === '3D000')
    return new DatagateError(
      ErrorCode.SOURCE_AUTH_FAILED,
      `${where}: database "${target.database}" does not exist: create it (createdb ${target.database}) or fix metadata.url`,
      details,
      { cause: e },
    );
  if (UNREACHABLE.has(code) || err?.name === 'KnexTimeoutError' || /timeout|connect|terminat/i.test(err?.message ?? ''))
    return new DatagateError(ErrorCode.SOURCE_UNAVAILABLE, `${where} did not answer: start it or fix metadata.url (DATAGATE_META_URL)`, details, { cause: e });
  return new DatagateError(ErrorCode.SOURCE_UNAVAILABLE, `${where} could not be opened${code ? ` (${code})` : ''}: check metadata.url and the server log`, details, { cause: e });
}

function createKnex(target: Target, opts: OpenStoreOptions): Knex {
  const log = knexLogger(opts.log);
  if (target.kind === 'sqlite')
    return knex({
      client: 'better-sqlite3',
      log,
      connection: { filename: target.filename },
      useNullAsDefault: true,
      // better-sqlite3 is synchronous and in-process: one connection (an in-memory store exists only on it),
      // which also serialises this process's transactions.
      pool: {
        min: 1,
        max: 1,
        afterCreate: (db: { pragma(s: string): unknown }, done: (err: Error | null, conn: unknown) => void) => {
          try {
            db.pragma('foreign_keys = ON');
            db.pragma('busy_timeout = 5000');
            if (target.filename !== ':memory:') db.pragma('journal_mode = WAL');
            done(null, db);
          } catch (e) {
            done(e as Error, db);
          }
        },
      },
    });
  const timeout = opts.connectTimeoutMs ?? 5000;
  return knex({
    client: 'pg',
    log,
    connection: {
      connectionString: target.url,
      connectionTimeoutMillis: timeout,
      application_name: 'datagate-metadata',
      options: '-c TimeZone=UTC',
    } as Knex.PgConnectionConfig,
    // At least 2: migrate() holds one connection for its lock while knex migrates on another.
    pool: { min: 0, max: Math.max(2, opts.pool ?? 10), idleTimeoutMillis: 30_000 },
    acquireConnectionTimeout: timeout,
  });
}

interface PgConnection {
  query(text: string, values?: unknown[]): Promise<unknown>;
}
interface KnexClient {
  acquireConnection(): Promise<PgConnection>;
  releaseConnection(c: PgConnection): Promise<void>;
}

/**
 * Replicas starting together all migrate: on PostgreSQL they queue on a session advisory lock, so one
 * migrates and the others then find nothing to do (knex's own lock table fails the losers instead of
 * waiting, and its bookkeeping tables' creation races). SQLite is one process: no lock needed.
 */
async function withMigrationLock<T>(k: Knex, kind: StoreKind, fn: () => Promise<T>): Promise<T> {
  if (kind !== 'postgres') return fn();
  const client = k.client as KnexClient;
  const conn = await client.acquireConnection();
  try {
    await conn.query(`select pg_advisory_lock(hashtext('datagate_migrations'))`);
    try {
      return await fn();
    } finally {
      await conn.query(`select pg_advisory_unlock(hashtext('datagate_migrations'))`);
    }
  } finally {
    await client.releaseConnection(conn);
  }
}

/**
 * Opens the metadata store and checks that it answers; does not migrate (call `migrate()`).
 * Throws a DatagateError saying what to do when it cannot be opened; the password never appears.
 */
export async function openStore(opts: OpenStoreOptions): Promise<MetadataStore> {
  const target = resolveTarget(opts.url, opts.dir);
  let k: Knex;
  try {
    k = createKnex(target, opts);
  } catch (e) {
    throw openError(target, e);
  }
  const ping = async () => {
    try {
      await k.raw('select 1');
    } catch (e) {
      throw openError(target, e);
    }
  };
  try {
    await ping();
  } catch (e) {
    await k.destroy().catch(() => {});
    throw e;
  }
  let closed = false;
  const writer = target.kind === 'sqlite' && target.filename !== ':memory:' ? createSqliteWriter(target.filename) : undefined;
  return {
    kind: target.kind,
    location: target.location,
    knex: k,
    writer,
    ping,
    async migrate() {
      try {
        const [, applied] = await withMigrationLock(k, target.kind, async () => (await k.migrate.latest(migratorConfig())) as [number, string[]]);
        if (applied.length) opts.log?.({ level: 'info', component: 'metadata-store', msg: `migrated ${target.location}`, migrations: applied });
        return applied;
      } catch (e) {
        const msg = (e as Error)?.message ?? '';
        if (/corrupt|missing/i.test(msg))
          throw new DatagateError(
            ErrorCode.BAD_CONFIG,
            `metadata store ${target.location} holds migrations this version of datagate does not know (a newer datagate migrated it): upgrade datagate or point metadata.url at another store`,
            { store: 'metadata', location: target.location },
            { cause: e },
          );
        const opened = openError(target, e);
        if (opened.code === ErrorCode.SOURCE_UNAVAILABLE && /did not answer/.test(opened.message)) throw opened;
        throw new DatagateError(
          ErrorCode.BAD_CONFIG,
          `metadata store ${target.location} could not be migrated; nothing was changed (the cause is in the server log): check that the user may create tables there`,
          { store: 'metadata', location: target.location },
          { cause: e },
        );
      }
    },
    async close() {
      if (closed) return;
      closed = true;
      await writer?.close();
      await k.destroy();
    },
  };
}
