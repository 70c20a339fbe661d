import { Registry as MetricsRegistry } from 'prom-client';
import { parseYaml } from '../../src/config';
import { createQualityMonitor, type QualityMonitor } from '../../src/governance/quality';
import { buildModel } from '../../src/model';
import type { Gateway } from '../../src/server';
import { connectSource, type SourceAdapter } from '../../src/sources';
import { openStore, type MetadataStore } from '../../src/store';
import { createMysqlDatabase, createPgDatabase, knexFor, type TestDatabase } from '../support/databases';
import { createCrm, createSales, startGateway } from '../support/fixture';
import { postGraphQL } from '../support/gql';
import { TcpProxy } from '../support/tcpProxy';

/**
 * The quality monitor as the server runs it: on a schedule, against real PostgreSQL (crm) and MariaDB
 * (sales, behind a TCP proxy the test can cut), recording every run in the metadata store.
 */

/** Polls until `cond` holds; fails saying what it waited for. */
async function until(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const MODEL = {
  'crm.yaml': `
Customer:
  source: crm
  table: customers
  key: id
  fields:
    id: { type: Int }
    name: { type: String }
    region: { type: String }
    score: { type: Int }
  checks:
    - { accepted: region, values: [EU, NA, APAC, LATAM] }
    - { range: score, min: 0, max: 100 }
`,
  'sales.yaml': `
Order:
  source: sales
  table: orders
  key: id
  fields:
    id: { type: Int }
    customer_id: { type: Int }
    status: { type: String }
  checks:
    - { accepted: status, values: [pending, paid, shipped, cancelled] }
    - { references: customer_id, entity: Customer, field: id }
`,
};

describe('the scheduled monitor in a running gateway (PostgreSQL + MariaDB)', () => {
  const SCHEDULE_MS = 300;
  let crm: TestDatabase;
  let sales: TestDatabase;
  let proxy: TcpProxy;
  let gw: Gateway;
  let url: string;
  let monitor: QualityMonitor;

  beforeAll(async () => {
    crm = await createPgDatabase('qmon');
    sales = await createMysqlDatabase('qmon');
    for (const [db, create] of [[crm, createCrm], [sales, createSales]] as const) {
      const k = knexFor(db.url);
      try {
        await create(k);
      } finally {
        await k.destroy();
      }
    }
    proxy = new TcpProxy('127.0.0.1', Number(new URL(sales.url).port || 3306));
    const port = await proxy.start();
    const salesUrl = new URL(sales.url);
    salesUrl.port = String(port);
    ({ gw, url } = await startGateway(
      { crm: { dialect: 'postgres', url: crm.url }, sales: { dialect: 'mysql', url: salesUrl.toString(), connectTimeout: '1s', statementTimeout: '2s' } },
      { model: MODEL, extraConfig: `quality: { schedule: ${SCHEDULE_MS}ms }` },
    ));
    monitor = gw.governance.quality;
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await proxy?.stop();
    await Promise.allSettled([crm?.drop(), sales?.drop()]);
  });

  /** Waits for a run that started after now, then returns the entity's status. */
  async function nextRun(entity: string) {
    const after = Date.now();
    await until(`a run of ${entity}'s checks after ${new Date(after).toISOString()}`, () => (monitor.statusOf(entity).checkedAt?.getTime() ?? 0) > after);
    return monitor.statusOf(entity);
  }

  test('the schedule runs every check and records each run in the history', async () => {
    await until('three scheduled runs in the history', async () => new Set((await monitor.history('Customer', 50)).map((r) => r.at.getTime())).size >= 3);
    const history = await monitor.history('Customer', 50);
    expect(new Set(history.map((r) => r.check))).toEqual(new Set(['accepted(region)', 'range(score)']));
    expect(history.every((r) => r.passed && r.error === null)).toBe(true);
    // Newest first, runs spaced by the schedule (never two at once).
    const ats = [...new Set(history.map((r) => r.at.getTime()))];
    expect([...ats].sort((a, b) => b - a)).toEqual(ats);
    for (let i = 1; i < ats.length; i++) expect(ats[i - 1] - ats[i]).toBeGreaterThanOrEqual(SCHEDULE_MS - 20);
    expect(monitor.statusOf('Customer')).toMatchObject({ status: 'pass', failing: [], stale: false, freshness: null });
    expect(monitor.statusOf('Order')).toMatchObject({ status: 'pass', failing: [] });
    expect((await monitor.history('Customer', 1, 'range(score)')).map((r) => [r.check, r.observed])).toEqual([['range(score)', 0]]);
  });

  test('violating data fails the check by name at the next run; fixing it passes again', async () => {
    const k = knexFor(crm.url);
    try {
      await k('customers').whereIn('id', [1, 2]).update({ score: 250 });
      const failing = await nextRun('Customer');
      expect(failing).toMatchObject({ status: 'fail', failing: [{ check: 'range(score)', observed: '2', error: false }] });
      const recorded = await monitor.history('Customer', 1, 'range(score)');
      expect(recorded[0]).toMatchObject({ passed: false, observed: 2, error: null });
      await k('customers').whereIn('id', [1, 2]).update({ score: 50 });
      expect(await nextRun('Customer')).toMatchObject({ status: 'pass', failing: [] });
    } finally {
      await k.destroy();
    }
  });

  test('a source that is down gives failed results with their error; the server keeps serving and recovers', async () => {
    await proxy.stop();
    try {
      const down = await nextRun('Order');
      expect(down.status).toBe('fail');
      expect(down.failing.map((f) => f.check).sort()).toEqual(['accepted(status)', 'references(customer_id → Customer.id)']);
      expect(down.failing.every((f) => f.error && f.observed === null)).toBe(true);
      const recorded = await monitor.history('Order', 2);
      expect(recorded.map((r) => r.error)).toEqual([expect.stringMatching(/^SOURCE_/), expect.stringMatching(/^SOURCE_/)]);
      // Customer's checks (crm) still pass, and the gateway still answers from crm.
      expect(monitor.statusOf('Customer').status).toBe('pass');
      const r = await postGraphQL(url, '{ customers(limit: 2, orderBy: [{id: ASC}]) { id } }');
      expect(r.status).toBe(200);
      expect(r.body.data.customers).toEqual([{ id: 1 }, { id: 2 }]);
    } finally {
      await proxy.start();
    }
    expect(await nextRun('Order')).toMatchObject({ status: 'pass', failing: [] });
  }, 30_000);
});

describe('the monitor on its own (SQLite source, in-memory store)', () => {
  const MODEL_YAML = `
Event:
  source: main
  table: events
  key: id
  fields:
    id: { type: Int }
    kind: { type: String }
    at: { type: DateTime }
  checks:
    - { freshness: at, maxAge: 1h }
    - { accepted: kind, values: [click, view] }
Plain:
  source: main
  table: events
  key: id
  fields: { id: { type: Int } }
`;
  let source: SourceAdapter;
  let store: MetadataStore;
  const registry = buildModel([parseYaml('m.yaml', MODEL_YAML)], ['main']);
  let now = new Date('2026-03-01T12:00:00Z');
  const monitors: QualityMonitor[] = [];
  const monitor = (schedule: number | 'off' = 'off') => {
    const m = createQualityMonitor({ registry, sources: new Map([['main', source]]), store, metrics: new MetricsRegistry(), schedule, runAtStart: false, clock: () => now, checks: { concurrencyPerSource: 1 } });
    monitors.push(m);
    return m;
  };

  beforeAll(async () => {
    source = await connectSource('main', { dialect: 'sqlite', pool: 1, statementTimeout: 5000, connectTimeout: 5000 });
    await source.knex.schema.createTable('events', (t) => {
      t.integer('id').primary();
      t.string('kind');
      t.text('at');
    });
    await source.knex('events').insert([
      { id: 1, kind: 'click', at: '2026-03-01T11:30:00.000Z' },
      { id: 2, kind: 'view', at: '2026-03-01T10:00:00.000Z' },
    ]);
    store = await openStore({ url: ':memory:', dir: '.' });
    await store.migrate();
  });
  afterAll(async () => {
    await Promise.all(monitors.map((m) => m.stop()));
    await source?.close();
    await store?.close();
  });

  test('an entity without checks is unknown and never stale; before any run, status is unknown', async () => {
    const m = monitor();
    await m.start();
    expect(m.statusOf('Plain')).toEqual({ status: 'unknown', checkedAt: null, failing: [], freshness: null, stale: false });
    expect(m.statusOf('Event')).toMatchObject({ status: 'unknown', checkedAt: null, stale: false });
  });

  test('freshness: fresh data passes; older than maxAge it fails and the entity is stale, with the newest value found', async () => {
    const m = monitor();
    await m.start();
    await m.runNow();
    expect(m.statusOf('Event')).toEqual({
      status: 'pass',
      checkedAt: now,
      failing: [],
      freshness: { field: 'at', maxAge: '1h', ok: true, newest: new Date('2026-03-01T11:30:00Z') },
      stale: false,
    });
    now = new Date('2026-03-01T13:00:00Z');
    await m.runNow('Event');
    expect(m.statusOf('Event')).toMatchObject({
      status: 'fail',
      failing: [{ check: 'freshness(at)', observed: 'age 1h 30m', error: false }],
      freshness: { ok: false, newest: new Date('2026-03-01T11:30:00Z') },
      stale: true,
    });
    now = new Date('2026-03-01T12:00:00Z');
  });

  test('a new monitor starts from the latest results in the store', async () => {
    const first = monitor();
    await first.start();
    await first.runNow();
    const second = monitor();
    await second.start();
    expect(second.statusOf('Event')).toEqual(first.statusOf('Event'));
    expect(second.latest('Event').map((r) => r.check)).toEqual(['freshness(at)', 'accepted(kind)']);
  });

  test('with a schedule, an entity whose checks have not run within twice the schedule is stale', async () => {
    const m = monitor(60_000);
    await m.runNow();
    expect(m.statusOf('Event').stale).toBe(false);
    const saved = now;
    now = new Date(now.getTime() + 2 * 60_000 + 1);
    try {
      expect(m.statusOf('Event')).toMatchObject({ status: 'pass', stale: true });
    } finally {
      now = saved;
    }
  });

  test('never two runs at once: a run asked for during another waits for it', async () => {
    const m = monitor();
    let inFlight = 0;
    let most = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const run = source.run.bind(source);
    const spy = jest.spyOn(source, 'run').mockImplementation(async (q) => {
      most = Math.max(most, ++inFlight);
      try {
        await gate;
        return await run(q);
      } finally {
        inFlight--;
      }
    });
    try {
      const a = m.runNow('Event');
      const b = m.runNow('Event');
      await new Promise((r) => setTimeout(r, 50));
      expect(spy).toHaveBeenCalledTimes(1); // concurrencyPerSource 1: the first run's first check only
      release();
      const [ra, rb] = await Promise.all([a, b]);
      expect(ra).toHaveLength(2);
      expect(rb).toHaveLength(2);
      expect(spy).toHaveBeenCalledTimes(4);
      expect(most).toBe(1);
    } finally {
      spy.mockRestore();
    }
  });

  test('metrics: a gauge per check, its measure, the entity freshness; labels name checks, never values', async () => {
    const metrics = new MetricsRegistry();
    const m = createQualityMonitor({ registry, sources: new Map([['main', source]]), store, metrics, schedule: 'off', clock: () => now });
    monitors.push(m);
    await source.knex('events').where({ id: 2 }).update({ kind: 'secret-value-42' });
    try {
      await m.runNow();
      const text = await metrics.metrics();
      expect(text).toContain('datagate_quality_check_passed{entity="Event",check="accepted(kind)"} 0');
      expect(text).toContain('datagate_quality_check_passed{entity="Event",check="freshness(at)"} 1');
      expect(text).toContain('datagate_quality_check_observed{entity="Event",check="accepted(kind)"} 1');
      expect(text).toContain('datagate_quality_check_observed{entity="Event",check="freshness(at)"} 1800000');
      expect(text).toContain('datagate_entity_fresh{entity="Event"} 1');
      expect(text).toMatch(/^datagate_quality_last_run_timestamp_seconds 1772366400$/m);
      expect(text).toMatch(/^datagate_quality_run_duration_seconds_count 1$/m);
      expect(text).not.toContain('secret-value-42');
      expect(JSON.stringify(await m.history('Event', 10))).not.toContain('secret-value-42');
    } finally {
      await source.knex('events').where({ id: 2 }).update({ kind: 'view' });
    }
  });
});
