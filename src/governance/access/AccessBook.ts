import { DatagateError, ErrorCode, badInput } from '../../errors';
import type { User } from '../../identity';
import type { Entity, Registry } from '../../model';
import type { PolicyEngine, UserAccess } from '../../policy';
import {
  createAccessRequest,
  expireDueAccessRequests,
  getAccessRequest,
  lastAccessEventId,
  listAccessRequestEvents,
  listAccessRequests,
  listActiveGrants,
  transitionAccessRequest,
  type AccessRequest,
  type AccessRequestEvent,
  type AccessRequestStatus,
  type AccessTransition,
  type Grant,
  type MetadataStore,
  type RequestedAccess,
} from '../../store';

export interface AccessBookOptions {
  /** How often to look for grants and revocations made by other replicas (ms). */
  pollIntervalMs: number;
  /** Longest grant a request may ask for. */
  maxDays: number;
  log?: (record: Record<string, unknown>) => void;
  /** The clock (tests move it). */
  now?: () => Date;
}

export interface NewRequestInput {
  entity: string;
  /** Empty: the whole entity. */
  fields: readonly string[];
  reason: string;
  days: number;
}

export interface AccessBookStatus {
  /** The last poll of the store succeeded. */
  ok: boolean;
  lastPollAt: Date | null;
  lastError: string | null;
  /** Grants in force in this replica's cache. */
  grants: number;
}

/** Which requests a listing shows: the caller's own, those they may decide, or both. */
export type RequestScope = 'mine' | 'toDecide' | 'all';

/**
 * Self-service access: requests, owners' decisions, and the grants they produce.
 *
 * Grants are cached per replica and refreshed by polling the store's newest lifecycle event id
 * (one indexed value) every `pollIntervalMs`: a grant or revocation made through any replica is
 * enforced by every other within about one interval. A grant ends at its expiry whatever the cache
 * holds (the expiry is checked on every request), and an expiry sweep records the transition.
 * While the store cannot be reached the last known grants stay in force until they expire and the
 * status says so.
 */
export interface AccessBook {
  /** Loads the grants in force and starts polling. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** Re-reads the grants in force now (after a local decision; tests). */
  refresh(): Promise<void>;
  /** The grant roles of `user` in force at `now` (sorted; empty without an id). Cheap: called on every request. */
  grantRolesFor(user: User, now: Date): readonly string[];
  /** The grants of a user in force at `now`. */
  grantsOf(userId: string, now: Date): Grant[];
  request(user: User, access: UserAccess, input: NewRequestInput): Promise<RequestedAccess>;
  approve(user: User, id: string, comment?: string, days?: number): Promise<AccessRequest>;
  deny(user: User, id: string, comment?: string): Promise<AccessRequest>;
  revoke(user: User, id: string, comment?: string): Promise<AccessRequest>;
  /** Requests the caller may see: their own and those for entities they own. Newest first. */
  list(user: User, opts: { status?: AccessRequestStatus; scope?: RequestScope; limit?: number }): Promise<AccessRequest[]>;
  /** One request and its transitions, if the caller may see it. */
  get(user: User, id: string): Promise<{ request: AccessRequest; events: AccessRequestEvent[] }>;
  /** The caller may approve, deny and revoke requests for this entity (an owner by role or by name). */
  owns(user: User, entity: Entity): boolean;
  status(): AccessBookStatus;
}

const EMPTY: readonly string[] = Object.freeze([]);
const MAX_REASON = 2000;
const MAX_COMMENT = 2000;
/** The expiry sweep runs at most this often (each replica; each expiry is recorded once). */
const SWEEP_EVERY_MS = 10_000;

export function createAccessBook(store: MetadataStore, registry: Registry, policy: PolicyEngine, opts: AccessBookOptions): AccessBook {
  const now = opts.now ?? (() => new Date());
  let byUser = new Map<string, Grant[]>();
  let count = 0;
  let lastEvent = -1;
  let lastSweep = 0;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> | undefined;
  let stopped = false;
  const state: AccessBookStatus = { ok: true, lastPollAt: null, lastError: null, grants: 0 };

  const load = async () => {
    const grants = await listActiveGrants(store, { now: now() });
    const next = new Map<string, Grant[]>();
    for (const g of grants) {
      if (!registry.entities.has(g.entity)) continue; // an entity since removed from the model
      const list = next.get(g.userId);
      if (list) list.push(g);
      else next.set(g.userId, [g]);
    }
    byUser = next;
    count = grants.length;
  };

  const poll = async () => {
    try {
      const id = await lastAccessEventId(store);
      if (id !== lastEvent) {
        await load();
        lastEvent = id;
      }
      const t = now().getTime();
      if (t - lastSweep >= SWEEP_EVERY_MS) {
        lastSweep = t;
        const expired = await expireDueAccessRequests(store, new Date(t));
        if (expired.length) opts.log?.({ level: 'info', component: 'access', msg: `${expired.length} grant(s) expired`, requests: expired });
      }
      Object.assign(state, { ok: true, lastPollAt: now(), lastError: null, grants: count });
    } catch (e) {
      const message = (e as Error)?.message ?? String(e);
      if (state.ok) opts.log?.({ level: 'warn', component: 'access', msg: `cannot read grants from the metadata store; the last known grants stay in force until they expire: ${message}` });
      Object.assign(state, { ok: false, lastError: message });
    }
  };

  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      polling = poll().finally(schedule);
    }, opts.pollIntervalMs);
    timer.unref();
  };

  const ownerOf = (entity: Entity, user: User) =>
    (user.id !== null && entity.owner.users.includes(user.id)) || entity.owner.roles.some((r) => user.roles.includes(r));

  const entityOf = (name: string): Entity => {
    const e = registry.entities.get(name);
    if (!e) throw badInput(`unknown entity "${name}"; the catalog lists the entities you may request`);
    return e;
  };

  const signedIn = (user: User): string => {
    if (user.id === null) throw new DatagateError(ErrorCode.UNAUTHENTICATED, 'sign in first: access requests and decisions need a token with a user id');
    return user.id;
  };

  /** The request, if the caller may see it (theirs, or they own its entity); otherwise NOT_FOUND, saying nothing more. */
  const visible = async (user: User, id: string): Promise<AccessRequest> => {
    const r = typeof id === 'string' && id.length <= 64 ? await getAccessRequest(store, id) : undefined;
    const e = r && registry.entities.get(r.entity);
    if (!r || !(r.requesterId === user.id || (e && ownerOf(e, user)))) throw new DatagateError(ErrorCode.NOT_FOUND, `no access request "${String(id).slice(0, 64)}" that you may see`);
    return r;
  };

  const transition = async (id: string, t: AccessTransition): Promise<AccessRequest> => {
    const res = await transitionAccessRequest(store, id, t);
    if (!res.ok) {
      if (res.reason === 'not_found') throw new DatagateError(ErrorCode.NOT_FOUND, `no access request "${id}"`);
      throw new DatagateError(ErrorCode.CONFLICT, `the request is ${res.current}, so it cannot become ${t.to}`, { status: res.current });
    }
    await refreshNow();
    return res.request;
  };

  const refreshNow = async () => {
    try {
      await load();
      lastEvent = await lastAccessEventId(store);
    } catch {
      // The next poll retries; the decision itself is recorded.
    }
  };

  const comment = (c: string | undefined) => {
    if (c !== undefined && c.length > MAX_COMMENT) throw badInput(`a comment has at most ${MAX_COMMENT} characters`);
    return c?.trim() || undefined;
  };

  const decider = async (user: User, id: string, verb: string): Promise<{ by: string; request: AccessRequest }> => {
    const by = signedIn(user);
    const r = await visible(user, id);
    const e = entityOf(r.entity);
    if (!ownerOf(e, user)) throw new DatagateError(ErrorCode.FORBIDDEN, `only the owners of ${e.name} may ${verb} its access requests (${ownersText(e)})`);
    if (r.requesterId === by) throw new DatagateError(ErrorCode.FORBIDDEN, `nobody may ${verb} their own access request; another owner of ${e.name} must decide`);
    return { by, request: r };
  };

  return {
    async start() {
      await load();
      lastEvent = await lastAccessEventId(store);
      lastSweep = now().getTime();
      Object.assign(state, { ok: true, lastPollAt: now(), grants: count });
      schedule();
    },
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await polling?.catch(() => {});
    },
    refresh: refreshNow,
    grantRolesFor(user, at) {
      if (user.id === null) return EMPTY;
      const grants = byUser.get(user.id);
      if (!grants) return EMPTY;
      const t = at.getTime();
      const roles: string[] = [];
      for (const g of grants)
        if (g.expiresAt.getTime() > t) roles.push(policy.grantRole({ id: g.requestId, entity: g.entity, fields: g.fields, requesterRoles: g.requesterRoles }));
      return roles.length ? roles.sort() : EMPTY;
    },
    grantsOf(userId, at) {
      return (byUser.get(userId) ?? []).filter((g) => g.expiresAt.getTime() > at.getTime());
    },
    async request(user, access, input) {
      const requesterId = signedIn(user);
      const e = entityOf(input.entity);
      if (!e.owner.roles.length && !e.owner.users.length)
        throw badInput(`${e.name} has no owner who could approve a request; ask ${e.owner.steward ?? e.owner.team ?? 'the data platform team'} to name owners in the model`);
      const fields = [...new Set(input.fields)];
      const unknown = fields.filter((f) => !e.fields.has(f));
      if (unknown.length) throw badInput(`${e.name} has no field ${unknown.map((f) => `"${f}"`).join(', ')}`);
      const reason = input.reason?.trim() ?? '';
      if (!reason) throw badInput('say why you need the access (reason): the owners decide on it');
      if (reason.length > MAX_REASON) throw badInput(`a reason has at most ${MAX_REASON} characters`);
      if (!Number.isInteger(input.days) || input.days < 1 || input.days > opts.maxDays)
        throw badInput(`days must be a whole number from 1 to ${opts.maxDays}`);
      const ev = access.view.entities.get(e.name);
      const wanted = fields.length ? fields : [...e.fields.keys()];
      const row = access.entity(e.name).row;
      if (ev?.read && row.kind === 'true' && wanted.every((f) => ev.fields.get(f)?.uniform && ev.fields.get(f)?.maskMode === 'none'))
        throw badInput(`you already read ${fields.length ? wanted.join(', ') : 'every field'} of ${e.name} in clear on every row`);
      const pending = await listAccessRequests(store, { requesterId, status: 'requested', entities: [e.name] });
      const same = pending.find((p) => p.fields.length === fields.length && p.fields.every((f) => fields.includes(f)));
      if (same) throw new DatagateError(ErrorCode.CONFLICT, `you already asked for this access (request ${same.id}, pending)`, { requestId: same.id });
      return createAccessRequest(store, { requesterId, requesterRoles: [...user.roles], entity: e.name, fields, reason, days: input.days, at: now() });
    },
    async approve(user, id, c, days) {
      const { by, request } = await decider(user, id, 'approve');
      const granted = days ?? request.days;
      if (!Number.isInteger(granted) || granted < 1 || granted > request.days) throw badInput(`days must be a whole number from 1 to the ${request.days} requested`);
      const at = now();
      return transition(request.id, { to: 'approved', by, at, expiresAt: new Date(at.getTime() + granted * 86_400_000), comment: comment(c) });
    },
    async deny(user, id, c) {
      const { by, request } = await decider(user, id, 'deny');
      return transition(request.id, { to: 'denied', by, at: now(), comment: comment(c) });
    },
    async revoke(user, id, c) {
      const by = signedIn(user);
      const r = await visible(user, id);
      // The owners may end a grant, and so may its holder, who no longer needs it.
      return transition(r.id, { to: 'revoked', by, at: now(), comment: comment(c) });
    },
    async list(user, o) {
      const id = signedIn(user);
      const scope = o.scope ?? 'all';
      const limit = Math.min(Math.max(o.limit ?? 100, 1), 500);
      const owned = [...registry.entities.values()].filter((e) => ownerOf(e, user)).map((e) => e.name);
      const lists = await Promise.all([
        scope !== 'toDecide' ? listAccessRequests(store, { requesterId: id, status: o.status, limit }) : [],
        scope !== 'mine' && owned.length ? listAccessRequests(store, { entities: owned, status: o.status, limit }) : [],
      ]);
      const seen = new Map<string, AccessRequest>();
      for (const r of lists.flat()) seen.set(r.id, r);
      return [...seen.values()].sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || (a.id < b.id ? 1 : -1)).slice(0, limit);
    },
    async get(user, id) {
      signedIn(user);
      const request = await visible(user, id);
      return { request, events: await listAccessRequestEvents(store, request.id) };
    },
    owns: (user, entity) => ownerOf(entity, user),
    status: () => ({ ...state, grants: count }),
  };
}

/** "role admin, users erin" — whom to ask. */
export function ownersText(e: Entity): string {
  const parts = [e.owner.roles.length ? `role ${e.owner.roles.join(', ')}` : '', e.owner.users.length ? `user ${e.owner.users.join(', ')}` : ''].filter(Boolean);
  return parts.length ? `owners: ${parts.join('; ')}` : 'no owners named';
}
