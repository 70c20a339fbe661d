import knex from 'knex';
import type { SourceConfig } from '../../config';
import type Database from 'better-sqlite3';
import { createAdapter, guardOf, type RunStatement } from '../createAdapter';
import { knexLog } from '../knexLog';
import type { Row, SourceAdapter } from '../SourceAdapter';
import { sqliteDialect } from './dialect';

/** `sqlite:///abs/file.db`, `sqlite:rel.db`, `file:x.db`, a plain path, or empty/`:memory:` for in-memory. */
export function sqliteFilename(url: string | undefined): string {
  if (!url || url === ':memory:' || url === 'sqlite::memory:') return ':memory:';
  const m = /^(?:sqlite|file):(?:\/\/)?(.*)$/.exec(url);
  return m ? m[1] : url;
}

export async function connectSqlite(name: string, cfg: SourceConfig): Promise<SourceAdapter> {
  const filename = sqliteFilename(cfg.url);
  const k = knex({
    client: 'better-sqlite3',
    log: knexLog(name),
    // safeIntegers: 64-bit integers arrive as BigInt, never rounded through a double.
    connection: { filename, options: { safeIntegers: true } } as never,
    useNullAsDefault: true,
    // better-sqlite3 is synchronous and in-process: one connection, and an in-memory database exists only on it.
    pool: { min: 1, max: 1 },
  });
  // Prepared statements per connection, by SQL text.
  const statements = new WeakMap<Database.Database, Map<string, Database.Statement>>();
  const run: RunStatement = async (db: Database.Database, sql, bindings) => {
    let cache = statements.get(db);
    if (!cache) statements.set(db, (cache = new Map()));
    let stmt = cache.get(sql);
    if (!stmt) {
      if (cache.size >= 2000) cache.clear();
      cache.set(sql, (stmt = db.prepare(sql)));
    }
    return stmt.all(...bindings) as Row[];
  };
  // Synchronous and in-process: nothing to cancel, and a deadline can only fail the statements after it.
  return createAdapter({ name, dialect: cfg.dialect, knex: k, sql: sqliteDialect(!cfg.url), run, guard: guardOf(cfg) });
}
