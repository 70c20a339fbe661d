import type { SourceConfig } from '../config';
import type { SourceAdapter } from './SourceAdapter';

/**
 * Opens one source. Dialect folders load lazily, so a deployment without MySQL never loads mysql2.
 * With no url, a postgres source runs embedded on PGlite and any other on in-memory SQLite.
 */
export async function connectSource(name: string, cfg: SourceConfig): Promise<SourceAdapter> {
  const url = cfg.url?.trim() || undefined;
  /* eslint-disable @typescript-eslint/no-require-imports */
  if (cfg.dialect === 'postgres') return (require('./postgres/connect') as typeof import('./postgres/connect')).connectPostgres(name, { ...cfg, url });
  if (cfg.dialect === 'mysql' && url) return (require('./mysql/connect') as typeof import('./mysql/connect')).connectMysql(name, { ...cfg, url });
  return (require('./sqlite/connect') as typeof import('./sqlite/connect')).connectSqlite(name, { ...cfg, url });
}

/** Opens every source; a source that fails to open is reported, and the others still open. */
export async function connectSources(sources: Record<string, SourceConfig>): Promise<Map<string, SourceAdapter>> {
  const out = new Map<string, SourceAdapter>();
  for (const [name, cfg] of Object.entries(sources)) out.set(name, await connectSource(name, cfg));
  return out;
}
