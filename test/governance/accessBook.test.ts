import { parseYaml } from '../../src/config';
import { createAccessBook, type AccessBook } from '../../src/governance';
import type { User } from '../../src/identity';
import { buildModel } from '../../src/model';
import { buildPolicies, createPolicyEngine, type PolicyEngine } from '../../src/policy';
import { createAccessRequest, getAccessRequest, listAccessRequestEvents, transitionAccessRequest } from '../../src/store';
import { freshStore, KINDS, type TestStore } from '../store/stores';

/**
 * The access book with a clock the test moves, on both metadata stores: a grant ends exactly at its
 * expiry whatever the cache holds, the sweep records the expiry once, a row cap of the requester's
 * roles survives the grant, and a store that stops answering leaves the last known grants in force
 * until they expire while the status says so.
 */
const registry = buildModel(
  [
    parseYaml(
      'model.yaml',
      `
Customer:
  source: crm
  table: customers
  key: id
  owner: { roles: [owner] }
  fields:
    id: { type: Int }
    name: { type: String }
    email: { type: String }
`,
    ),
  ],
  ['crm'],
);
const policies = buildPolicies(
  [
    parseYaml('analyst.yaml', 'role: analyst\nrules:\n  - { action: read, subject: Customer, fields: [id, name] }\nlimits:\n  maxRows: 25\n'),
    parseYaml('owner.yaml', 'role: owner\nrules:\n  - { action: read, subject: Customer }\n'),
  ],
  registry,
  { attributes: [], anonymousRole: 'anonymous' },
);

const ana: User = { id: 'ana', roles: ['analyst'], attributes: {} };
const olga: User = { id: 'olga', roles: ['owner'], attributes: {} };
const DAY = 86_400_000;

describe.each(KINDS)('access book on %s', (kind) => {
  let t: TestStore;
  let policy: PolicyEngine;
  let book: AccessBook;
  let clock = new Date('2026-03-01T09:00:00Z');
  const logs: Record<string, unknown>[] = [];

  beforeAll(async () => {
    t = await freshStore(kind);
    policy = createPolicyEngine(policies, registry, { maskSecret: 'test-mask-secret-0123456789' });
    book = createAccessBook(t.store, registry, policy, { pollIntervalMs: 20, maxDays: 30, now: () => clock, log: (r) => logs.push(r) });
    await book.start();
  });
  afterAll(async () => {
    await book?.stop();
    await t?.cleanup();
  });

  const waitFor = async (what: () => Promise<boolean> | boolean) => {
    const until = Date.now() + 5000;
    while (!(await what())) {
      if (Date.now() > until) throw new Error('condition not met within 5 s');
      await new Promise((r) => setTimeout(r, 20));
    }
  };

  test('a grant is in force from approval until its expiry, to the millisecond, and the sweep records the expiry once', async () => {
    const access = policy.access(ana, ['analyst']);
    const req = await book.request(ana, access, { entity: 'Customer', fields: ['email'], reason: 'dedupe', days: 2 });
    expect(book.grantRolesFor(ana, clock)).toEqual([]);
    const approved = await book.approve(olga, req.id, 'fine', 1);
    expect(approved.status).toBe('approved');
    const expiresAt = clock.getTime() + DAY;
    expect(book.grantRolesFor(ana, clock)).toEqual([`grant:${req.id}`]);
    expect(book.grantRolesFor(olga, clock)).toEqual([]);
    expect(book.grantRolesFor(ana, new Date(expiresAt - 1))).toEqual([`grant:${req.id}`]);
    expect(book.grantRolesFor(ana, new Date(expiresAt))).toEqual([]);

    // The grant's view: email joins, the analyst's cap of 25 rows stays.
    const view = policy.view(['analyst', ...book.grantRolesFor(ana, clock)]);
    const ev = view.entities.get('Customer')!;
    expect([...ev.fields.keys()].sort()).toEqual(['email', 'id', 'name']);
    expect([...ev.clear].sort()).toEqual(['email', 'id', 'name']);
    expect(ev.maxRows).toBe(25);

    clock = new Date(expiresAt + 1);
    await waitFor(async () => (await getAccessRequest(t.store, req.id))?.status === 'expired');
    const events = await listAccessRequestEvents(t.store, req.id);
    expect(events.map((e) => [e.from, e.to, e.by])).toEqual([
      [null, 'requested', 'ana'],
      ['requested', 'approved', 'olga'],
      ['approved', 'expired', 'system'],
    ]);
    expect(book.grantsOf('ana', clock)).toEqual([]);
  });

  test('a store that stops answering: status says so, known grants stay until they expire, then recovery', async () => {
    const req = await book.request(ana, policy.access(ana, ['analyst']), { entity: 'Customer', fields: ['email'], reason: 'again', days: 3 });
    await book.approve(olga, req.id);
    expect(book.grantRolesFor(ana, clock)).toEqual([`grant:${req.id}`]);
    // Break the store's reads: the table the poll reads disappears.
    await t.store.knex.schema.renameTable('access_request_events', 'access_request_events_away');
    try {
      await waitFor(() => !book.status().ok);
      expect(book.status().lastError).toBeTruthy();
      expect(logs.some((l) => l.level === 'warn' && String(l.msg).includes('last known grants stay in force'))).toBe(true);
      expect(book.grantRolesFor(ana, clock)).toEqual([`grant:${req.id}`]);
      expect(book.grantRolesFor(ana, new Date(clock.getTime() + 3 * DAY))).toEqual([]);
    } finally {
      await t.store.knex.schema.renameTable('access_request_events_away', 'access_request_events');
    }
    await waitFor(() => book.status().ok);
    // A decision made elsewhere (another replica writing the store directly) reaches this book by polling.
    const other = await createAccessRequest(t.store, { requesterId: 'ana', requesterRoles: ['analyst'], entity: 'Customer', fields: [], reason: 'x', days: 1, at: clock });
    await transitionAccessRequest(t.store, other.id, { to: 'approved', by: 'olga', at: clock, expiresAt: new Date(clock.getTime() + DAY) });
    await waitFor(() => book.grantRolesFor(ana, clock).includes(`grant:${other.id}`));
    await transitionAccessRequest(t.store, other.id, { to: 'revoked', by: 'olga', at: clock });
    await waitFor(() => !book.grantRolesFor(ana, clock).includes(`grant:${other.id}`));
  });
});
