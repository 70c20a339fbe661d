import { insertQualityResult, insertQualityResults, latestQualityResults, qualityHistory, type NewQualityResult } from '../../src/store';
import { freshStore, KINDS, type TestStore } from './stores';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');
const at = (h: number) => new Date(T0 + h * 3_600_000);

const result = (entity: string, checkName: string, h: number, passed: boolean, observed: unknown): NewQualityResult => ({
  entity,
  checkName,
  kind: checkName.split('_')[0],
  passed,
  observed,
  at: at(h),
  durationMs: 12.5,
});

describe.each(KINDS)('quality results on %s', (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await freshStore(kind);
    await insertQualityResults(t.store, [
      result('Customer', 'notNull_email', 0, true, { rate: 0.995 }),
      result('Customer', 'notNull_email', 1, false, { rate: 0.97 }),
      result('Customer', 'freshness_updated_at', 0, true, 'fresh'),
      result('Order', 'rowCount', 0, true, 20000),
      result('Order', 'rowCount', 2, true, 20001),
      result('Lead', 'references_customer', 1, false, null),
    ]);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  test('insert returns the stored result; any JSON observed value round-trips', async () => {
    const r = await insertQualityResult(t.store, result('Product', 'unique_sku', 0, true, [1, 'two', { three: 3 }]));
    expect(r.id).toEqual(expect.any(String));
    expect(await qualityHistory(t.store, { entity: 'Product' })).toEqual([r]);
  });

  test('latest per (entity, check)', async () => {
    const latest = await latestQualityResults(t.store, { entities: ['Customer', 'Order', 'Lead'] });
    expect(latest.map((r) => [r.entity, r.checkName, r.passed, r.observed, r.at.toISOString()])).toEqual([
      ['Customer', 'freshness_updated_at', true, 'fresh', at(0).toISOString()],
      ['Customer', 'notNull_email', false, { rate: 0.97 }, at(1).toISOString()],
      ['Lead', 'references_customer', false, null, at(1).toISOString()],
      ['Order', 'rowCount', true, 20001, at(2).toISOString()],
    ]);
    expect((await latestQualityResults(t.store)).length).toBe(5);
    expect(await latestQualityResults(t.store, { entities: [] })).toEqual([]);
  });

  test('history of an entity or one check, newest first, with since and limit', async () => {
    const all = await qualityHistory(t.store, { entity: 'Customer' });
    expect(all.map((r) => [r.checkName, r.at.getTime()])).toEqual([
      ['notNull_email', at(1).getTime()],
      expect.arrayContaining([at(0).getTime()]),
      expect.arrayContaining([at(0).getTime()]),
    ]);
    const email = await qualityHistory(t.store, { entity: 'Customer', checkName: 'notNull_email' });
    expect(email.map((r) => r.passed)).toEqual([false, true]);
    expect(email[0]).toMatchObject({ kind: 'notNull', durationMs: 12.5 });
    expect(await qualityHistory(t.store, { entity: 'Customer', checkName: 'notNull_email', since: at(1) })).toHaveLength(1);
    expect(await qualityHistory(t.store, { entity: 'Customer', limit: 1 })).toHaveLength(1);
  });
});
