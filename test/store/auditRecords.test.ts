import { insertAuditRecords, listAuditRecords, type AuditRecord, type NewAuditRecord } from '../../src/store';
import { freshStore, KINDS, type TestStore } from './stores';

const T0 = Date.parse('2026-03-01T00:00:00.000Z');

function record(i: number, over: Partial<NewAuditRecord> = {}): NewAuditRecord {
  return {
    // Every 3 records share a millisecond: paging must break ties on id.
    at: new Date(T0 + Math.floor(i / 3) * 1000),
    requestId: `req-${i}`,
    userId: ['alice', 'bob', 'carol'][i % 3],
    roles: [['sales_rep'], ['marketing'], ['analyst']][i % 3],
    operationName: i % 2 ? 'Customers' : null,
    operationHash: `h${i}`,
    entities: i % 4 === 0 ? ['Customer', 'Order'] : ['Order'],
    fields: ['Order.id', 'Order.amount'],
    sources: ['sales'],
    rowCounts: { Order: i },
    masks: i % 4 === 0 ? { 'Customer.email': 'email' } : {},
    denials: i % 5 === 0 ? [{ entity: 'Customer', field: 'phone', reason: 'pii' }] : [],
    durationMs: 1.5 + i,
    outcome: i % 7 === 0 ? 'partial' : 'ok',
    ...over,
  };
}

async function all(t: TestStore, filter: Parameters<typeof listAuditRecords>[1] = {}, first = 7): Promise<AuditRecord[]> {
  const out: AuditRecord[] = [];
  let after: string | undefined;
  for (let page = 0; page < 1000; page++) {
    const p = await listAuditRecords(t.store, { ...filter, first, after });
    expect(p.records.length).toBeLessThanOrEqual(first);
    out.push(...p.records);
    if (!p.nextCursor) return out;
    after = p.nextCursor;
  }
  throw new Error('paging did not end');
}

describe.each(KINDS)('audit records on %s', (kind) => {
  let t: TestStore;
  beforeAll(async () => {
    t = await freshStore(kind);
  });
  afterAll(async () => {
    await t.cleanup();
  });

  const N = 1203; // more than one insert chunk
  test('insertBatch round-trips every field', async () => {
    await insertAuditRecords(t.store, []);
    await insertAuditRecords(t.store, Array.from({ length: N }, (_, i) => record(i, { id: `r${String(i).padStart(5, '0')}` })));
    const { records } = await listAuditRecords(t.store, { first: 1, until: new Date(T0 + 1000) });
    expect(records).toEqual([{ ...record(2), id: 'r00002' }]);
  });

  test('a batch written again after a partial write (the queue retries it) stores each record once', async () => {
    const batch = Array.from({ length: 60 }, (_, i) => record(100_000 + i, { userId: 'retry-user' }));
    await insertAuditRecords(t.store, batch.slice(0, 30)); // the first half made it before the failure
    await insertAuditRecords(t.store, batch); // the retry sends the whole batch
    const ids = batch.map((r) => r.id);
    expect(ids.every((id) => typeof id === 'string')).toBe(true);
    const stored = await t.store.knex('audit_records').whereIn('id', ids as string[]).count({ n: '*' });
    expect(Number(stored[0].n)).toBe(60);
    await t.store.knex('audit_records').whereIn('id', ids as string[]).del(); // the other tests count every record
  });

  test('keyset paging returns every record exactly once, newest first, also with records inserted while paging', async () => {
    const seen = await all(t);
    expect(seen).toHaveLength(N);
    expect(new Set(seen.map((r) => r.id)).size).toBe(N);
    for (let i = 1; i < seen.length; i++) {
      const [a, b] = [seen[i - 1], seen[i]];
      expect(a.at > b.at || (a.at.getTime() === b.at.getTime() && a.id > b.id)).toBe(true);
    }
    // A record arriving between pages (newer than the first page) does not shift the later pages.
    const p1 = await listAuditRecords(t.store, { first: 10 });
    await insertAuditRecords(t.store, [record(5000, { id: 'late', userId: 'zed', entities: ['Lead'], at: new Date(T0 + 10_000_000) })]);
    const rest: AuditRecord[] = [];
    let after = p1.nextCursor;
    while (after) {
      const p = await listAuditRecords(t.store, { first: 100, after });
      rest.push(...p.records);
      after = p.nextCursor;
    }
    expect(p1.records.length + rest.length).toBe(N);
    expect(rest.map((r) => r.id)).not.toContain('late');
  });

  test('filters: user, entity, since, until, and together with paging', async () => {
    const bob = await all(t, { userId: 'bob' });
    expect(bob.length).toBe(401);
    expect(bob.every((r) => r.userId === 'bob')).toBe(true);
    const customer = await all(t, { entity: 'Customer' }, 50);
    expect(customer.length).toBe(Math.ceil(N / 4));
    expect(customer.every((r) => r.entities.includes('Customer'))).toBe(true);
    const since = new Date(T0 + 100_000);
    const until = new Date(T0 + 200_000);
    const window = await all(t, { since, until }, 13);
    expect(window).toHaveLength(300); // seconds 100..199, 3 records each
    expect(window.every((r) => r.at >= since && r.at < until)).toBe(true);
    const combined = await all(t, { userId: 'alice', entity: 'Customer', since, until }, 3);
    expect(combined.map((r) => r.id)).toEqual(window.filter((r) => r.userId === 'alice' && r.entities.includes('Customer')).map((r) => r.id));
    expect(combined.length).toBeGreaterThan(0);
  });

  test('a cursor not from the log and a bad page size are refused clearly', async () => {
    await expect(listAuditRecords(t.store, { after: 'not-a-cursor' })).rejects.toMatchObject({ code: 'BAD_CURSOR' });
    await expect(listAuditRecords(t.store, { first: 0 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
    await expect(listAuditRecords(t.store, { first: 1001 })).rejects.toMatchObject({ code: 'BAD_USER_INPUT' });
  });
});
