import { Registry } from 'prom-client';
import { AuditLog, type AuditLogOptions } from '../../src/governance';
import type { NewAuditRecord } from '../../src/store';

/** The AuditLog's queue against a writer the test controls: batching, one writer, retries, failure, drain. */

const rec = (i: number): NewAuditRecord => ({
  at: new Date(),
  requestId: `r${i}`,
  userId: 'u',
  roles: ['r'],
  operationName: `op${i}`,
  operationHash: null,
  entities: [],
  fields: [],
  sources: [],
  rowCounts: {},
  masks: {},
  denials: [],
  durationMs: 1,
  outcome: 'ok',
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(what: string, cond: () => boolean, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await sleep(5);
  }
}

function writer() {
  const batches: string[][] = [];
  let failing = false;
  let active = 0;
  let maxActive = 0;
  return {
    batches,
    written: () => batches.flat(),
    fail: (v: boolean) => (failing = v),
    get maxActive() {
      return maxActive;
    },
    write: async (records: readonly NewAuditRecord[]) => {
      active++;
      maxActive = Math.max(maxActive, active);
      try {
        await sleep(10);
        if (failing) throw Object.assign(new Error('insert into audit_records values (secret-value) - connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
        batches.push(records.map((r) => r.operationName!));
      } finally {
        active--;
      }
    },
  };
}

const opts = (o: Partial<AuditLogOptions> = {}): AuditLogOptions => ({ batchSize: 10, flushInterval: 50, maxQueue: 100, onStoreFailure: 'refuse', readers: ['auditor'], ...o });

describe('AuditLog', () => {
  test('batches: records wait for flushInterval, a full batch goes at once, one writer at a time, in order', async () => {
    const w = writer();
    const log = new AuditLog(w.write, null, opts({ flushInterval: 200 }));
    for (let i = 0; i < 3; i++) log.record(rec(i));
    await sleep(50);
    expect(w.batches).toEqual([]);
    expect(log.status().queued).toBe(3);
    for (let i = 3; i < 25; i++) log.record(rec(i));
    await until('a full batch written', () => w.batches.length >= 1);
    await until('everything written', () => w.written().length === 25);
    expect(w.written()).toEqual(Array.from({ length: 25 }, (_, i) => `op${i}`));
    expect(w.batches.length).toBeLessThanOrEqual(4);
    expect(w.batches.every((b) => b.length <= 10)).toBe(true);
    expect(w.maxActive).toBe(1);
    expect(log.status()).toMatchObject({ ok: true, queued: 0, written: 25, dropped: 0 });
    await log.close();
  });

  test('under load, records that come while a batch is written wait for a full batch or the timer, not a write of their own', async () => {
    const w = writer();
    const log = new AuditLog(w.write, null, opts({ flushInterval: 300 }));
    for (let i = 0; i < 10; i++) log.record(rec(i));
    // The full batch is being written (10 ms): three more come meanwhile.
    for (let i = 10; i < 13; i++) log.record(rec(i));
    await until('the full batch written', () => w.batches.length === 1);
    await sleep(60);
    expect(w.batches).toEqual([Array.from({ length: 10 }, (_, i) => `op${i}`)]);
    expect(log.status().queued).toBe(3);
    // Seven more make a batch: it goes at once, the three first.
    for (let i = 13; i < 20; i++) log.record(rec(i));
    await until('the second batch written', () => w.batches.length === 2);
    expect(w.batches[1]).toEqual(Array.from({ length: 10 }, (_, i) => `op${i + 10}`));
    // A rest short of a batch goes when the timer fires.
    log.record(rec(20));
    await sleep(60);
    expect(w.batches.length).toBe(2);
    await until('the rest written by the timer', () => w.batches.length === 3, 2000);
    expect(w.batches[2]).toEqual(['op20']);
    expect(log.status()).toMatchObject({ queued: 0, written: 21 });
    await log.close();
  });

  test('a failing store: records stay queued and are retried; failed after failAfterMs; recovers; lastError holds no message text', async () => {
    const w = writer();
    w.fail(true);
    const log = new AuditLog(w.write, null, opts({ failAfterMs: 150, maxBackoffMs: 40 }));
    log.record(rec(1));
    await until('a failed write', () => log.status().failedWrites >= 1);
    expect(log.status().ok).toBe(true); // not yet: failing for less than failAfterMs
    await until('failed', () => !log.status().ok);
    expect(log.refusing).toBe(true);
    const s = log.status();
    expect(s.lastError).toBe('Error (ECONNREFUSED)');
    expect(s.queued).toBe(1);
    w.fail(false);
    await until('recovered', () => log.status().ok && log.status().queued === 0);
    expect(w.written()).toEqual(['op1']);
    expect(log.status().lastError).toBeNull();
    await log.close();
  });

  test('a full queue counts as failed; serve mode drops past it and counts; metrics say so', async () => {
    const w = writer();
    w.fail(true);
    const metrics = new Registry();
    const log = new AuditLog(w.write, metrics, opts({ maxQueue: 5, onStoreFailure: 'serve', maxBackoffMs: 30 }));
    const taken = Array.from({ length: 8 }, (_, i) => log.record(rec(i)));
    expect(taken).toEqual([true, true, true, true, true, false, false, false]);
    const s = log.status();
    expect(s).toMatchObject({ ok: false, queued: 5, dropped: 3, mode: 'serve' });
    expect(log.refusing).toBe(false);
    const text = await metrics.metrics();
    expect(text).toMatch(/^datagate_audit_store_up 0$/m);
    expect(text).toMatch(/^datagate_audit_queue_depth 5$/m);
    expect(text).toMatch(/^datagate_audit_records_dropped_total 3$/m);
    w.fail(false);
    await until('drained', () => log.status().queued === 0);
    const after = await metrics.metrics();
    expect(after).toMatch(/^datagate_audit_store_up 1$/m);
    expect(after).toMatch(/^datagate_audit_records_written_total 5$/m);
    await log.close();
  });

  test('close() drains everything queued, however long flushInterval is, and takes nothing after', async () => {
    const w = writer();
    const log = new AuditLog(w.write, null, opts({ flushInterval: 60_000, batchSize: 7 }));
    for (let i = 0; i < 30; i++) log.record(rec(i));
    await log.close();
    expect(w.written()).toHaveLength(30);
    expect(log.record(rec(99))).toBe(false);
    expect(log.status()).toMatchObject({ queued: 0, written: 30, dropped: 1 });
  });

  test('close() gives up on a dead store after closeTimeoutMs and counts what it lost', async () => {
    const w = writer();
    w.fail(true);
    const logs: Record<string, unknown>[] = [];
    const log = new AuditLog(w.write, null, opts({ closeTimeoutMs: 200, log: (r) => logs.push(r) }));
    for (let i = 0; i < 4; i++) log.record(rec(i));
    const t = Date.now();
    await log.close();
    expect(Date.now() - t).toBeLessThan(2000);
    expect(log.status()).toMatchObject({ queued: 0, written: 0, dropped: 4 });
    expect(logs.some((l) => /closed with 4 record/.test(String(l.msg)))).toBe(true);
    expect(JSON.stringify(logs)).not.toContain('secret-value');
  });

  test('over-long names are cut to what the store columns hold', async () => {
    const w = writer();
    const log = new AuditLog(w.write, null, opts());
    log.record({ ...rec(1), operationName: 'x'.repeat(1000) });
    await log.close();
    expect(w.written()[0]).toHaveLength(255);
  });
});
