import { ResultCache, resultKey } from '../../src/sources/ResultCache';
import type { Row } from '../../src/sources';

/** A clock the test moves by hand. */
function clock(start = 1_000_000) {
  const c = { now: start, fn: () => c.now };
  return c;
}

const rows = (n: number, text = 'x'): Row[] => Array.from({ length: n }, (_, i) => ({ id: i, name: `${text}${i}` }));

describe('ResultCache', () => {
  test('serves a key while it is younger than the reader ttl, then runs the statement again', async () => {
    const c = clock();
    const cache = new ResultCache(1 << 20, 60_000, c.fn);
    let runs = 0;
    const load = async () => rows(2, `run${++runs}-`);
    expect((await cache.through('k', 10_000, false, load)).ageMs).toBe(0);
    c.now += 5_000;
    const hit = await cache.through('k', 10_000, false, load);
    expect(hit).toEqual({ rows: rows(2, 'run1-'), ageMs: 5_000 });
    // A reader with a shorter ttl does not take rows that are older than it allows.
    const fresh = await cache.through('k', 4_000, false, load);
    expect(fresh.rows).toEqual(rows(2, 'run2-'));
    expect(runs).toBe(2);
    expect(cache.stats()).toMatchObject({ hits: 1, misses: 2, entries: 1 });
  });

  test('never serves rows older than its own maxTtl, whatever the reader asks', async () => {
    const c = clock();
    const cache = new ResultCache(1 << 20, 1_000, c.fn);
    let runs = 0;
    const load = async () => rows(1, `run${++runs}-`);
    await cache.through('k', 3_600_000, false, load);
    c.now += 1_001;
    expect((await cache.through('k', 3_600_000, false, load)).rows).toEqual(rows(1, 'run2-'));
  });

  test('refresh runs the statement and replaces what is kept', async () => {
    const cache = new ResultCache(1 << 20, 60_000);
    let runs = 0;
    const load = async () => rows(1, `run${++runs}-`);
    await cache.through('k', 60_000, false, load);
    expect((await cache.through('k', 60_000, true, load)).rows).toEqual(rows(1, 'run2-'));
    expect((await cache.through('k', 60_000, false, load)).rows).toEqual(rows(1, 'run2-'));
    expect(runs).toBe(2);
  });

  test('hands out copies: what one request does to its rows never reaches another', async () => {
    const cache = new ResultCache(1 << 20, 60_000);
    const first = await cache.through('k', 60_000, false, async () => rows(2));
    first.rows[0].name = 'masked by request 1';
    const second = await cache.through('k', 60_000, false, async () => rows(2, 'never'));
    expect(second.rows).toEqual(rows(2));
    second.rows[1].name = 'changed by request 2';
    expect((await cache.through('k', 60_000, false, async () => rows(2, 'never'))).rows).toEqual(rows(2));
  });

  test('concurrent misses of one key run the statement once', async () => {
    const cache = new ResultCache(1 << 20, 60_000);
    let runs = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const load = async () => {
      runs++;
      await gate;
      return rows(3);
    };
    const all = Promise.all(Array.from({ length: 5 }, () => cache.through('k', 60_000, false, load)));
    release();
    const answers = await all;
    expect(runs).toBe(1);
    for (const a of answers) expect(a.rows).toEqual(rows(3));
  });

  test('a failed statement is never kept or shared: the waiters run their own', async () => {
    const cache = new ResultCache(1 << 20, 60_000);
    let runs = 0;
    let fail!: (e: Error) => void;
    const first = cache.through('k', 60_000, false, () => new Promise<Row[]>((_, reject) => ((runs += 1), (fail = reject))));
    const waiter = cache.through('k', 60_000, false, async () => ((runs += 1), rows(1, 'own-')));
    fail(new Error('source down'));
    await expect(first).rejects.toThrow('source down');
    expect((await waiter).rows).toEqual(rows(1, 'own-'));
    expect(runs).toBe(2);
    // And the next reader finds the waiter's rows, not the failure.
    expect((await cache.through('k', 60_000, false, async () => rows(1, 'never-'))).rows).toEqual(rows(1, 'own-'));
  });

  test('keeps within its byte budget, dropping the least recently used first', async () => {
    // The cache's estimate of one entry below: 64 (result) + 64 (row) + 16 + 2 bytes per character.
    const one = 64 + 64 + 16 + 2 * 1_950;
    const cache = new ResultCache(one * 8 + 100, 60_000);
    const big = (tag: string) => async () => [{ text: tag.repeat(1_950) }];
    for (const k of ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']) await cache.through(k, 60_000, false, big(k));
    // 'a' used again: 'b' is now the least recently used.
    await cache.through('a', 60_000, false, big('never'));
    await cache.through('i', 60_000, false, big('i'));
    await cache.through('j', 60_000, false, big('j'));
    const s = cache.stats();
    expect(s.bytes).toBeLessThanOrEqual(cache.maxBytes);
    expect(s.evictions).toBeGreaterThan(0);
    let ran = false;
    await cache.through('a', 60_000, false, async () => ((ran = true), []));
    expect(ran).toBe(false);
    await cache.through('b', 60_000, false, async () => ((ran = true), []));
    expect(ran).toBe(true);
  });

  test('an entry larger than an eighth of the budget is served once and not kept', async () => {
    const cache = new ResultCache(8_000, 60_000);
    await cache.through('k', 60_000, false, async () => [{ text: 'y'.repeat(2_000) }]);
    expect(cache.stats()).toMatchObject({ entries: 0, bytes: 0 });
  });

  test('is off with a zero budget or ttl', () => {
    expect(new ResultCache(0, 60_000).enabled).toBe(false);
    expect(new ResultCache(1 << 20, 0).enabled).toBe(false);
    expect(new ResultCache(1 << 20, 1).enabled).toBe(true);
  });

  test('keys: source, SQL text and values; no key for a value without stable text', () => {
    expect(resultKey('crm', 'select 1 where a = ?', [1])).not.toBe(resultKey('crm', 'select 1 where a = ?', [2]));
    expect(resultKey('crm', 'select 1', [])).not.toBe(resultKey('sales', 'select 1', []));
    expect(resultKey('crm', 'select ?', ['1'])).not.toBe(resultKey('crm', 'select ?', [1]));
    expect(resultKey('crm', 'select ?', [10n])).toBeUndefined();
  });
});
