import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { insertAuditRecords, listAuditRecords, openStore, type NewAuditRecord } from '../../src/store';
import { SqliteWriteError } from '../../src/store/sqliteWriter';

/** The SQLite store file's writer thread (src/store/sqliteWriter.ts), which audit batches go through. */
const record = (i: number, over: Partial<NewAuditRecord> = {}): NewAuditRecord => ({
  at: new Date(Date.UTC(2026, 2, 1) + i),
  requestId: `req-${i}`,
  userId: 'alice',
  roles: ['sales_rep'],
  operationName: 'Customers',
  operationHash: `h${i}`,
  entities: ['Customer'],
  fields: ['Customer.email'],
  sources: ['crm'],
  rowCounts: { customers: i },
  masks: { 'Customer.email': 'email' },
  denials: [],
  durationMs: 1,
  outcome: 'ok',
  ...over,
});

describe('SQLite store writer thread', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'dg-writer-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  test('a store file writes through its own thread; an in-memory store (one connection) has none', async () => {
    const file = await openStore({ dir });
    const memory = await openStore({ url: ':memory:', dir });
    try {
      expect(file.writer).toBeDefined();
      expect(memory.writer).toBeUndefined();
      await memory.migrate();
      await insertAuditRecords(memory, [record(1)]);
      expect((await listAuditRecords(memory, {})).records.map((r) => r.requestId)).toEqual(['req-1']);
    } finally {
      await file.close();
      await memory.close();
    }
  });

  test("what the thread wrote is read back on the event loop's connection, and a retried batch adds nothing", async () => {
    const store = await openStore({ dir });
    try {
      await store.migrate();
      const batch = Array.from({ length: 1200 }, (_, i) => record(i));
      await insertAuditRecords(store, batch);
      await insertAuditRecords(store, batch);
      const [{ n }] = await store.knex('audit_records').count({ n: '*' });
      expect(Number(n)).toBe(1200);
      const newest = (await listAuditRecords(store, { first: 1 })).records[0];
      expect(newest).toEqual({ ...batch[1199], id: batch[1199].id });
    } finally {
      await store.close();
    }
  });

  test('a batch the store refuses is written not at all and fails with SQLite code only, never SQL or values', async () => {
    const store = await openStore({ dir });
    try {
      await store.migrate();
      const secret = 'jane.doe@example.com';
      // outcome is NOT NULL: the 3rd row breaks the batch.
      const batch = [record(1, { userId: secret }), record(2, { userId: secret }), record(3, { outcome: null as never })];
      const err = await insertAuditRecords(store, batch).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SqliteWriteError);
      expect((err as SqliteWriteError).code).toBe('SQLITE_CONSTRAINT_NOTNULL');
      expect((err as SqliteWriteError).name).toBe('SqliteError');
      const text = `${(err as Error).message} ${JSON.stringify(err)}`;
      expect(text).not.toContain(secret);
      expect(text).not.toMatch(/insert|audit_records/i);
      const [{ n }] = await store.knex('audit_records').count({ n: '*' });
      expect(Number(n)).toBe(0);
      // The thread goes on writing after a refused batch.
      await insertAuditRecords(store, [record(4)]);
      const [{ m }] = await store.knex('audit_records').count({ m: '*' });
      expect(Number(m)).toBe(1);
    } finally {
      await store.close();
    }
  });

  test('an unmigrated file fails clearly (SQLITE_ERROR: no such table) and close() still ends the thread', async () => {
    const store = await openStore({ dir });
    const err = await insertAuditRecords(store, [record(1)]).then(
      () => undefined,
      (e: unknown) => e as SqliteWriteError,
    );
    expect(err?.code).toBe('SQLITE_ERROR');
    await store.close();
    await expect(store.writer!.insertIgnore('audit_records', 'id', [{ id: 'x' }])).rejects.toMatchObject({ name: 'SqliteWriterClosed', message: expect.stringMatching(/could not be written/) });
  });

  test('close() waits for the batches already sent: nothing handed to the thread is lost', async () => {
    const store = await openStore({ dir });
    await store.migrate();
    const writes = [0, 1, 2, 3].map((b) => insertAuditRecords(store, Array.from({ length: 500 }, (_, i) => record(b * 500 + i))));
    await store.close();
    await Promise.all(writes);
    const again = await openStore({ dir });
    try {
      const [{ n }] = await again.knex('audit_records').count({ n: '*' });
      expect(Number(n)).toBe(2000);
    } finally {
      await again.close();
    }
  });
});
