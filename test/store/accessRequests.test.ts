import {
  createAccessRequest,
  expireDueAccessRequests,
  getAccessRequest,
  lastAccessEventId,
  listAccessRequestEvents,
  listAccessRequests,
  listActiveGrants,
  openStore,
  transitionAccessRequest,
  type NewAccessRequest,
} from '../../src/store';
import { freshStore, KINDS, type TestStore } from './stores';

const T0 = new Date('2026-03-01T09:00:00.000Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const DAY = 86_400_000;

const ask = (over: Partial<NewAccessRequest> = {}): NewAccessRequest => ({
  requesterId: 'bob',
  requesterRoles: ['marketing'],
  entity: 'Customer',
  fields: ['email', 'phone'],
  reason: 'campaign follow-up',
  days: 7,
  at: T0,
  ...over,
});

describe.each(KINDS)('access requests on %s', (kind) => {
  let t: TestStore;
  beforeEach(async () => {
    t = await freshStore(kind);
  });
  afterEach(async () => {
    await t.cleanup();
  });

  test('create, get, and the first event', async () => {
    const r = await createAccessRequest(t.store, ask());
    expect(r).toMatchObject({ status: 'requested', requesterId: 'bob', requesterRoles: ['marketing'], fields: ['email', 'phone'], days: 7, createdAt: T0 });
    expect(await getAccessRequest(t.store, r.id)).toEqual(r);
    expect(await getAccessRequest(t.store, 'nope')).toBeUndefined();
    expect(await listAccessRequestEvents(t.store, r.id)).toEqual([{ id: expect.any(Number), requestId: r.id, from: null, to: 'requested', by: 'bob', at: T0, comment: null }]);
  });

  test('list by status, requester and entities, newest first', async () => {
    const a = await createAccessRequest(t.store, ask({ at: at(1) }));
    const b = await createAccessRequest(t.store, ask({ at: at(2), entity: 'Order', requesterId: 'carol' }));
    const c = await createAccessRequest(t.store, ask({ at: at(3), entity: 'Lead' }));
    await transitionAccessRequest(t.store, c.id, { to: 'denied', by: 'erin', at: at(4), comment: 'no' });
    const ids = (rs: { id: string }[]) => rs.map((r) => r.id);
    expect(ids(await listAccessRequests(t.store))).toEqual([c.id, b.id, a.id]);
    expect(ids(await listAccessRequests(t.store, { status: 'requested' }))).toEqual([b.id, a.id]);
    expect(ids(await listAccessRequests(t.store, { status: ['denied', 'approved'] }))).toEqual([c.id]);
    expect(ids(await listAccessRequests(t.store, { requesterId: 'bob' }))).toEqual([c.id, a.id]);
    expect(ids(await listAccessRequests(t.store, { entities: ['Customer', 'Order'], status: 'requested' }))).toEqual([b.id, a.id]);
    expect(ids(await listAccessRequests(t.store, { entities: [] }))).toEqual([]);
    expect(ids(await listAccessRequests(t.store, { limit: 1 }))).toEqual([c.id]);
  });

  test('approve then revoke: the status union carries each step, every transition is an event', async () => {
    const r = await createAccessRequest(t.store, ask());
    const approved = await transitionAccessRequest(t.store, r.id, { to: 'approved', by: 'erin', at: at(5), expiresAt: new Date(T0.getTime() + 7 * DAY), comment: 'ok for a week' });
    expect(approved).toEqual({ ok: true, request: expect.objectContaining({ status: 'approved', decidedBy: 'erin', decidedAt: at(5), comment: 'ok for a week', expiresAt: new Date(T0.getTime() + 7 * DAY) }) });
    const revoked = await transitionAccessRequest(t.store, r.id, { to: 'revoked', by: 'dave', at: at(10), comment: 'left the team' });
    expect(revoked.ok && revoked.request).toMatchObject({ status: 'revoked', decidedBy: 'erin', revokedBy: 'dave', revokedAt: at(10) });
    const events = await listAccessRequestEvents(t.store, r.id);
    expect(events.map((e) => [e.from, e.to, e.by, e.at.toISOString(), e.comment])).toEqual([
      [null, 'requested', 'bob', at(0).toISOString(), null],
      ['requested', 'approved', 'erin', at(5).toISOString(), 'ok for a week'],
      ['approved', 'revoked', 'dave', at(10).toISOString(), 'left the team'],
    ]);
  });

  test('a stale or impossible transition is refused and changes nothing', async () => {
    const r = await createAccessRequest(t.store, ask());
    expect(await transitionAccessRequest(t.store, r.id, { to: 'revoked', by: 'erin', at: at(1) })).toEqual({ ok: false, reason: 'stale', current: 'requested' });
    expect((await transitionAccessRequest(t.store, r.id, { to: 'denied', by: 'erin', at: at(2) })).ok).toBe(true);
    expect(await transitionAccessRequest(t.store, r.id, { to: 'approved', by: 'erin', at: at(3), expiresAt: at(100) })).toEqual({ ok: false, reason: 'stale', current: 'denied' });
    expect(await transitionAccessRequest(t.store, 'missing', { to: 'denied', by: 'erin', at: at(3) })).toEqual({ ok: false, reason: 'not_found' });
    expect((await getAccessRequest(t.store, r.id))?.status).toBe('denied');
    expect(await listAccessRequestEvents(t.store, r.id)).toHaveLength(2);
  });

  test('two concurrent approvals of one request, from two store handles: exactly one wins', async () => {
    // PostgreSQL: two pools, as two replicas. SQLite: the same handle twice (the embedded store is one process).
    const other = kind === 'postgres' ? await openStore({ url: t.url, dir: t.dir }) : t.store;
    try {
      for (let i = 0; i < 5; i++) {
        const r = await createAccessRequest(t.store, ask({ at: at(i) }));
        const results = await Promise.all([
          transitionAccessRequest(t.store, r.id, { to: 'approved', by: 'erin', at: at(i + 1), expiresAt: at(1000) }),
          transitionAccessRequest(other, r.id, { to: 'denied', by: 'frank', at: at(i + 1) }),
        ]);
        expect(results.filter((x) => x.ok)).toHaveLength(1);
        const loser = results.find((x) => !x.ok);
        const winner = results.find((x) => x.ok);
        expect(loser).toEqual({ ok: false, reason: 'stale', current: winner?.ok && winner.request.status });
        expect(await listAccessRequestEvents(t.store, r.id)).toHaveLength(2);
      }
      const r = await createAccessRequest(t.store, ask());
      const both = await Promise.all(
        [t.store, other, t.store, other].map((s, i) => transitionAccessRequest(s, r.id, { to: 'approved', by: `owner${i}`, at: at(1), expiresAt: at(1000) })),
      );
      expect(both.filter((x) => x.ok)).toHaveLength(1);
    } finally {
      if (other !== t.store) await other.close();
    }
  });

  test('grants: approved and unexpired only, by user; expiry ends them at once and the sweep records it', async () => {
    const a = await createAccessRequest(t.store, ask({ at: at(0) }));
    const b = await createAccessRequest(t.store, ask({ at: at(1), entity: 'Order', fields: ['amount'] }));
    const c = await createAccessRequest(t.store, ask({ at: at(2), requesterId: 'carol' }));
    await createAccessRequest(t.store, ask({ at: at(3) })); // still requested: no grant
    const d = await createAccessRequest(t.store, ask({ at: at(4), entity: 'Lead' }));
    await transitionAccessRequest(t.store, a.id, { to: 'approved', by: 'erin', at: at(10), expiresAt: at(60) });
    await transitionAccessRequest(t.store, b.id, { to: 'approved', by: 'erin', at: at(11), expiresAt: at(600) });
    await transitionAccessRequest(t.store, c.id, { to: 'approved', by: 'erin', at: at(12), expiresAt: at(600) });
    await transitionAccessRequest(t.store, d.id, { to: 'approved', by: 'erin', at: at(13), expiresAt: at(600) });
    await transitionAccessRequest(t.store, d.id, { to: 'revoked', by: 'erin', at: at(14) });

    const bob = await listActiveGrants(t.store, { userId: 'bob', now: at(30) });
    expect(bob).toEqual([
      { requestId: a.id, userId: 'bob', requesterRoles: ['marketing'], entity: 'Customer', fields: ['email', 'phone'], grantedBy: 'erin', grantedAt: at(10), expiresAt: at(60) },
      { requestId: b.id, userId: 'bob', requesterRoles: ['marketing'], entity: 'Order', fields: ['amount'], grantedBy: 'erin', grantedAt: at(11), expiresAt: at(600) },
    ]);
    expect((await listActiveGrants(t.store, { now: at(30) })).map((g) => g.requestId)).toEqual([a.id, b.id, c.id]);
    expect((await listActiveGrants(t.store, { now: at(30), entity: 'Order' })).map((g) => g.requestId)).toEqual([b.id]);
    // Past a's expiry: gone before any sweep.
    expect((await listActiveGrants(t.store, { userId: 'bob', now: at(60) })).map((g) => g.requestId)).toEqual([b.id]);

    const before = await lastAccessEventId(t.store);
    expect(await expireDueAccessRequests(t.store, at(61))).toEqual([a.id]);
    expect(await expireDueAccessRequests(t.store, at(62))).toEqual([]);
    expect(await lastAccessEventId(t.store)).toBeGreaterThan(before);
    expect(await getAccessRequest(t.store, a.id)).toMatchObject({ status: 'expired', expiresAt: at(60) });
    expect((await listAccessRequestEvents(t.store, a.id)).at(-1)).toMatchObject({ from: 'approved', to: 'expired', by: 'system', at: at(61) });
  });

  test('lastAccessEventId is 0 on an empty store and grows with every event', async () => {
    expect(await lastAccessEventId(t.store)).toBe(0);
    const r = await createAccessRequest(t.store, ask());
    const one = await lastAccessEventId(t.store);
    await transitionAccessRequest(t.store, r.id, { to: 'denied', by: 'erin', at: at(1) });
    expect(await lastAccessEventId(t.store)).toBeGreaterThan(one);
  });
});
