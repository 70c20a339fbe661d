import { createRowEstimates } from '../../src/governance';
import { buildModel } from '../../src/model';
import { parseYaml } from '../../src/config';
import { connectSource, type SourceAdapter } from '../../src/sources';
import { createMysqlDatabase, createPgDatabase, knexFor, type TestDatabase } from '../support/databases';

/**
 * The catalog's row estimates on real engines: engine statistics where they exist, an exact count
 * where they do not, cached, and never holding the catalog up: a source that does not answer in
 * time gives "unknown" now and the figure on a later call.
 */
const registry = buildModel([parseYaml('m.yaml', 'Thing:\n  source: s\n  table: things\n  key: id\n  fields:\n    id: { type: Int }\n')], ['s']);
const Thing = registry.entity('Thing');

describe.each(['postgres', 'mysql'] as const)('row estimates on %s', (dialect) => {
  let db: TestDatabase;
  let source: SourceAdapter;

  beforeAll(async () => {
    db = await (dialect === 'postgres' ? createPgDatabase('est') : createMysqlDatabase('est'));
    const k = knexFor(db.url);
    try {
      await k.schema.createTable('things', (t) => t.integer('id').primary());
      await k('things').insert(Array.from({ length: 50 }, (_, i) => ({ id: i + 1 })));
    } finally {
      await k.destroy();
    }
    source = await connectSource('s', { dialect, url: db.url, pool: 2, statementTimeout: 10_000, connectTimeout: 5_000 } as Parameters<typeof connectSource>[1]);
  });
  afterAll(async () => {
    await source?.close();
    await db?.drop();
  });

  test('statistics or an exact count, cached for the ttl', async () => {
    let clock = 0;
    const estimate = createRowEstimates(new Map([['s', source]]), 60_000, () => clock);
    const n = await estimate(Thing);
    // PostgreSQL before ANALYZE has no statistics: an exact count. InnoDB's table_rows is an estimate.
    if (dialect === 'postgres') expect(n).toBe(50);
    else expect(n).toBeGreaterThan(0);
    const k = knexFor(db.url);
    try {
      await k('things').insert(Array.from({ length: 25 }, (_, i) => ({ id: 100 + i })));
      if (dialect === 'postgres') await k.raw('analyze things');
      else await k.raw('analyze table things');
    } finally {
      await k.destroy();
    }
    expect(await estimate(Thing)).toBe(n); // cached
    clock = 60_001;
    const fresh = await estimate(Thing);
    if (dialect === 'postgres') expect(fresh).toBe(75);
    else expect(fresh).toBeGreaterThan(0);
  });

  if (dialect === 'postgres')
    test('a table that does not answer in time: unknown now, the figure on a later call', async () => {
      const k = knexFor(db.url);
      await k.raw('create table locked as select * from things');
      const Locked = { ...Thing, name: 'Locked', table: 'locked' };
      const trx = await k.transaction();
      try {
        // Unanalysed, so the estimate needs count(*), which waits for the exclusive lock.
        await trx.raw('lock table locked in access exclusive mode');
        const estimate = createRowEstimates(new Map([['s', source]]), 60_000, Date.now, 300);
        const started = Date.now();
        expect(await estimate(Locked)).toBeNull();
        expect(Date.now() - started).toBeLessThan(2000);
        await trx.commit();
        let later: number | null = null;
        for (let i = 0; i < 50 && later === null; i++) later = await estimate(Locked);
        expect(later).toBe(75);
      } finally {
        if (!trx.isCompleted()) await trx.rollback();
        await k.destroy();
      }
    });
});
