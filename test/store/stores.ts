import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { openStore, type MetadataStore, type StoreKind } from '../../src/store';
import { createPgDatabase } from '../support/databases';

export const KINDS: StoreKind[] = ['sqlite', 'postgres'];

export interface TestStore {
  store: MetadataStore;
  /** The url and dir it was opened with, to open a second "replica" on the same store. */
  url: string | undefined;
  dir: string;
  cleanup(): Promise<void>;
}

/** A migrated, empty store: SQLite as the default file in a fresh folder, or a fresh PostgreSQL database. */
export async function freshStore(kind: StoreKind): Promise<TestStore> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dg-meta-'));
  const db = kind === 'postgres' ? await createPgDatabase('meta') : undefined;
  const store = await openStore({ url: db?.url, dir });
  await store.migrate();
  return {
    store,
    url: db?.url,
    dir,
    async cleanup() {
      await store.close();
      await db?.drop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
