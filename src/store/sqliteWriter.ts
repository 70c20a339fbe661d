import { Worker } from 'node:worker_threads';

/**
 * Inserts into a SQLite store file from a worker thread, so that neither the inserts nor the commit's
 * wait for the disk run on the event loop. better-sqlite3 is synchronous: on the event loop, a batch of
 * audit records held every request in flight for its whole duration (bench/RESULTS.md: p99 at 3x
 * PostGraphile's with the store on SQLite, halved with the store on PostgreSQL). The worker holds its
 * own connection to the same file (WAL: the event loop's connection keeps reading meanwhile; writers
 * wait for each other up to busy_timeout), with the same durability (synchronous FULL, SQLite's default).
 *
 * Only for a file: an in-memory store exists on one connection only, which the event loop holds.
 */
export interface SqliteWriter {
  /**
   * Inserts `rows` into `table` in one transaction, skipping rows whose `conflict` column is already
   * there (a retried batch neither fails nor writes twice). Rows are plain objects of one shape (the
   * first row's keys name the columns; a key a row lacks is NULL).
   * Rejects with an error carrying SQLite's `code` (never SQL or values) when the worker could not write.
   */
  insertIgnore(table: string, conflict: string, rows: readonly Record<string, unknown>[]): Promise<void>;
  /** Waits for the writes already sent, then stops the thread. */
  close(): Promise<void>;
}

/** What crosses back from the worker: a safe error (SQLite's code and the error's class), never its message. */
interface Reply {
  id: number;
  error?: { code?: string; name: string };
}

// CommonJS run by the worker (eval: it needs no file of its own, so it runs the same from dist/ and under jest).
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
let db;
const statements = new Map();
function open() {
  if (db) return db;
  db = new Database(workerData.filename);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  return db;
}
const quote = (n) => '"' + String(n).replace(/"/g, '""') + '"';
const decoder = new TextDecoder();
parentPort.on('message', (m) => {
  try {
    const d = open();
    const { cols, rows } = JSON.parse(decoder.decode(m.batch));
    if (rows.length) {
      const key = m.table + '|' + m.conflict + '|' + cols.join(',');
      let insertAll = statements.get(key);
      if (!insertAll) {
        const insert = d.prepare('insert into ' + quote(m.table) + ' (' + cols.map(quote).join(', ') + ') values (' + cols.map(() => '?').join(', ') + ') on conflict (' + quote(m.conflict) + ') do nothing');
        insertAll = d.transaction((rows) => { for (const r of rows) insert.run(r); });
        statements.set(key, insertAll);
      }
      insertAll(rows);
    }
    parentPort.postMessage({ id: m.id });
  } catch (e) {
    parentPort.postMessage({ id: m.id, error: { code: typeof e.code === 'string' ? e.code : undefined, name: String(e.name || 'Error') } });
  }
});
`;

/** A writer error: SQLite's code and class only, so that nothing logged or shown can quote SQL or values. */
export class SqliteWriteError extends Error {
  constructor(
    readonly code: string | undefined,
    name: string,
  ) {
    super(`the SQLite store could not be written${code ? ` (${code})` : ''}`);
    // SQLite's error class (SqliteError), another error's class, or why the thread was lost: never values.
    this.name = name;
  }
}

const encoder = new TextEncoder();

export function createSqliteWriter(filename: string): SqliteWriter {
  let worker: Worker | undefined;
  let next = 1;
  const pending = new Map<number, { resolve: () => void; reject: (e: Error) => void }>();
  /** The batch sent last, settled: the thread answers in the order it was sent, so it settles after every other. */
  let last: Promise<unknown> = Promise.resolve();
  let closing: Promise<void> | undefined;
  const failAll = (e: Error) => {
    for (const p of pending.values()) p.reject(e);
    pending.clear();
  };
  const start = () => {
    const w = new Worker(WORKER_SOURCE, { eval: true, workerData: { filename, driver: require.resolve('better-sqlite3') } });
    w.on('message', (r: Reply) => {
      const p = pending.get(r.id);
      if (!p) return;
      pending.delete(r.id);
      if (r.error) p.reject(new SqliteWriteError(r.error.code, r.error.name));
      else p.resolve();
      if (!pending.size) w.unref();
    });
    // A worker that died (out of memory, a native crash) fails what it held; the next write starts another.
    const lost = (why: string) => {
      if (worker === w) worker = undefined;
      failAll(new SqliteWriteError(undefined, why));
    };
    w.on('error', () => lost('SqliteWorkerError'));
    w.on('exit', () => lost('SqliteWorkerExit'));
    w.unref();
    return w;
  };
  return {
    insertIgnore(table, conflict, rows) {
      if (closing) return Promise.reject(new SqliteWriteError(undefined, 'SqliteWriterClosed'));
      if (!rows.length) return Promise.resolve();
      const w = (worker ??= start());
      const id = next++;
      const done = new Promise<void>((resolve, reject) => {
        pending.set(id, { resolve, reject });
        // Keeps the process alive until the worker has answered: a batch in flight is never cut off.
        w.ref();
        // One JSON text, its bytes handed over rather than copied: structured-cloning 200 objects of 15
        // fields cost the event loop ~1 ms a batch; a string is copied whole (~0.75 µs a record), bytes
        // transferred ~0.35. Column names once, rows as arrays of values: a third less text to write
        // and parse. The rows are text, numbers and nulls: JSON keeps them exactly.
        const cols = Object.keys(rows[0]);
        const batch = encoder.encode(JSON.stringify({ cols, rows: rows.map((r) => cols.map((c) => r[c] ?? null)) }));
        w.postMessage({ id, table, conflict, batch }, [batch.buffer]);
      });
      last = done.catch(() => {});
      return done;
    },
    close() {
      closing ??= (async () => {
        const w = worker;
        if (!w) return;
        await last;
        worker = undefined;
        await w.terminate();
      })();
      return closing;
    },
  };
}
