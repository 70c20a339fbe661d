import type { Knex } from 'knex';
import { createMysqlDatabase, createPgDatabase, knexFor, type TestDatabase } from './databases';
import { createCrm, createSales, fixtureData, type Engine, type SourceSpec } from './fixture';
import type { SourceAdapter } from '../../src/sources';

export const ENGINES: Engine[] = ['postgres', 'mysql', 'sqlite', 'pglite'];

export interface EngineSetup {
  sources: Record<string, SourceSpec>;
  prepare?: (s: ReadonlyMap<string, SourceAdapter>) => Promise<void>;
  cleanup(): Promise<void>;
}

async function load(url: string, fn: (k: Knex) => Promise<void>): Promise<void> {
  const k = knexFor(url);
  try {
    await fn(k);
  } finally {
    await k.destroy();
  }
}

/** The fixture's two sources (crm, sales) on one engine: real servers get fresh databases, embedded engines are seeded in-process. */
export async function setupEngine(engine: Engine, data = fixtureData()): Promise<EngineSetup> {
  if (engine === 'postgres' || engine === 'mysql') {
    const create = engine === 'postgres' ? createPgDatabase : createMysqlDatabase;
    const dbs: TestDatabase[] = [];
    try {
      dbs.push(await create('crm'), await create('sales'));
      await load(dbs[0].url, (k) => createCrm(k, data));
      await load(dbs[1].url, (k) => createSales(k, data));
    } catch (e) {
      await Promise.allSettled(dbs.map((d) => d.drop()));
      throw e;
    }
    return {
      sources: { crm: { dialect: engine, url: dbs[0].url }, sales: { dialect: engine, url: dbs[1].url } },
      cleanup: async () => void (await Promise.allSettled(dbs.map((d) => d.drop()))),
    };
  }
  const dialect = engine === 'pglite' ? 'postgres' : 'sqlite';
  return {
    sources: { crm: { dialect }, sales: { dialect } },
    prepare: async (s) => {
      await createCrm(s.get('crm')!.knex, data);
      await createSales(s.get('sales')!.knex, data);
    },
    cleanup: async () => {},
  };
}
