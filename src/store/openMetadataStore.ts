import type { LoadedConfig } from '../config';
import { openStore, type MetadataStore, type StoreLogger } from './openStore';

/**
 * The deployment's metadata store, as the gateway and the CLI open it: `metadata.url` in datagate.yaml,
 * else DATAGATE_META_URL, else the SQLite file next to datagate.yaml. Migrated before use (replicas
 * starting together take turns).
 */
export async function openMetadataStore(loaded: LoadedConfig, env: NodeJS.ProcessEnv, log: StoreLogger): Promise<MetadataStore> {
  const url = loaded.config.metadata.url || env.DATAGATE_META_URL || undefined;
  const store = await openStore({ url, dir: loaded.dir, log: (r) => log(r) });
  try {
    const applied = await store.migrate();
    if (applied.length) log({ level: 'info', msg: `metadata store ${store.location}: applied ${applied.length} migration(s)` });
  } catch (e) {
    await store.close().catch(() => {});
    throw e;
  }
  return store;
}
