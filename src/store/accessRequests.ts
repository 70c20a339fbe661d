import { randomUUID } from 'node:crypto';
import type { Knex } from 'knex';
import { fromDbDate, fromDbDateOrNull, fromJson, json, toDb } from './codec';
import type { MetadataStore, StoreKind } from './openStore';

/**
 * Access requests and their lifecycle. The store records and queries; who may approve (owners, never
 * the requester) is decided above it, in governance.
 *
 *   requested ──▶ approved ──▶ expired
 *       │             └──────▶ revoked
 *       └──────▶ denied
 */
export const ACCESS_REQUEST_STATUSES = ['requested', 'approved', 'denied', 'expired', 'revoked'] as const;
export type AccessRequestStatus = (typeof ACCESS_REQUEST_STATUSES)[number];

interface RequestBase {
  id: string;
  requesterId: string;
  requesterRoles: string[];
  entity: string;
  fields: string[];
  reason: string;
  days: number;
  createdAt: Date;
}
interface Decided {
  decidedBy: string;
  decidedAt: Date;
  comment: string | null;
}
export interface RequestedAccess extends RequestBase {
  status: 'requested';
}
export interface ApprovedAccess extends RequestBase, Decided {
  status: 'approved';
  expiresAt: Date;
}
export interface DeniedAccess extends RequestBase, Decided {
  status: 'denied';
}
export interface ExpiredAccess extends RequestBase, Decided {
  status: 'expired';
  expiresAt: Date;
}
export interface RevokedAccess extends RequestBase, Decided {
  status: 'revoked';
  expiresAt: Date;
  revokedBy: string;
  revokedAt: Date;
}
/** One request, its fields fixed by its status. */
export type AccessRequest = RequestedAccess | ApprovedAccess | DeniedAccess | ExpiredAccess | RevokedAccess;

export interface AccessRequestEvent {
  id: number;
  requestId: string;
  from: AccessRequestStatus | null;
  to: AccessRequestStatus;
  by: string;
  at: Date;
  comment: string | null;
}

/** A transition names its target; its only allowed origin follows from it (FROM). */
export type AccessTransition =
  | { to: 'approved'; by: string; at: Date; expiresAt: Date; comment?: string }
  | { to: 'denied'; by: string; at: Date; comment?: string }
  | { to: 'revoked'; by: string; at: Date; comment?: string }
  | { to: 'expired'; by: string; at: Date; comment?: string };

export const TRANSITION_FROM: Record<AccessTransition['to'], AccessRequestStatus> = {
  approved: 'requested',
  denied: 'requested',
  revoked: 'approved',
  expired: 'approved',
};

export type TransitionResult =
  | { ok: true; request: AccessRequest }
  | { ok: false; reason: 'not_found' }
  /** The request was no longer in the transition's origin status (another replica or person got there first). */
  | { ok: false; reason: 'stale'; current: AccessRequestStatus };

export interface NewAccessRequest {
  requesterId: string;
  requesterRoles: readonly string[];
  entity: string;
  fields: readonly string[];
  reason: string;
  days: number;
  /** Defaults to now. */
  at?: Date;
  /** Defaults to a random UUID. */
  id?: string;
}

type Row = Record<string, unknown>;

export function toAccessRequest(kind: StoreKind, r: Row): AccessRequest {
  const base: RequestBase = {
    id: String(r.id),
    requesterId: String(r.requester_id),
    requesterRoles: fromJson<string[]>(kind, r.requester_roles),
    entity: String(r.entity),
    fields: fromJson<string[]>(kind, r.fields),
    reason: String(r.reason),
    days: Number(r.days),
    createdAt: fromDbDate(r.created_at),
  };
  const status = r.status as AccessRequestStatus;
  if (status === 'requested') return { ...base, status };
  const decided: Decided = { decidedBy: String(r.decided_by), decidedAt: fromDbDate(r.decided_at), comment: (r.comment as string | null) ?? null };
  if (status === 'denied') return { ...base, ...decided, status };
  const expiresAt = fromDbDate(r.expires_at);
  if (status === 'approved' || status === 'expired') return { ...base, ...decided, status, expiresAt };
  return { ...base, ...decided, status, expiresAt, revokedBy: String(r.revoked_by), revokedAt: fromDbDate(r.revoked_at) };
}

function toEvent(r: Row): AccessRequestEvent {
  return {
    id: Number(r.id),
    requestId: String(r.request_id),
    from: (r.from_status as AccessRequestStatus | null) ?? null,
    to: r.to_status as AccessRequestStatus,
    by: String(r.actor_id),
    at: fromDbDate(r.at),
    comment: (r.comment as string | null) ?? null,
  };
}

/** Creates a request in status `requested`, with its first event (null → requested, by the requester). */
export async function createAccessRequest(store: MetadataStore, input: NewAccessRequest): Promise<RequestedAccess> {
  const id = input.id ?? randomUUID();
  const at = input.at ?? new Date();
  await store.knex.transaction(async (trx) => {
    await trx('access_requests').insert({
      id,
      requester_id: input.requesterId,
      requester_roles: json(input.requesterRoles),
      entity: input.entity,
      fields: json(input.fields),
      reason: input.reason,
      days: input.days,
      status: 'requested',
      created_at: toDb(at),
    });
    await trx('access_request_events').insert({ request_id: id, from_status: null, to_status: 'requested', actor_id: input.requesterId, at: toDb(at), comment: null });
  });
  return {
    id,
    requesterId: input.requesterId,
    requesterRoles: [...input.requesterRoles],
    entity: input.entity,
    fields: [...input.fields],
    reason: input.reason,
    days: input.days,
    createdAt: new Date(toDb(at)),
    status: 'requested',
  };
}

export async function getAccessRequest(store: MetadataStore, id: string, db: Knex = store.knex): Promise<AccessRequest | undefined> {
  const row = (await db('access_requests').where({ id }).first()) as Row | undefined;
  return row ? toAccessRequest(store.kind, row) : undefined;
}

export interface AccessRequestFilter {
  status?: AccessRequestStatus | readonly AccessRequestStatus[];
  requesterId?: string;
  /** Requests for any of these entities (an owner's queue: governance passes the entities they own). */
  entities?: readonly string[];
  /** Default 100. */
  limit?: number;
}

/** Newest first. */
export async function listAccessRequests(store: MetadataStore, filter: AccessRequestFilter = {}): Promise<AccessRequest[]> {
  const q = store.knex('access_requests').select('*');
  if (filter.status !== undefined) q.whereIn('status', typeof filter.status === 'string' ? [filter.status] : [...filter.status]);
  if (filter.requesterId !== undefined) q.where('requester_id', filter.requesterId);
  if (filter.entities !== undefined) q.whereIn('entity', [...filter.entities]);
  const rows = (await q.orderBy([{ column: 'created_at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(filter.limit ?? 100)) as Row[];
  return rows.map((r) => toAccessRequest(store.kind, r));
}

/** Every transition of one request, oldest first. */
export async function listAccessRequestEvents(store: MetadataStore, requestId: string): Promise<AccessRequestEvent[]> {
  const rows = (await store.knex('access_request_events').where({ request_id: requestId }).orderBy('id', 'asc')) as Row[];
  return rows.map(toEvent);
}

/**
 * Moves a request from the transition's origin status to its target and records the event, in one
 * transaction. The update is conditional on the current status (optimistic check), so of two replicas
 * approving the same request at once exactly one succeeds; the other gets `{ ok: false, reason: 'stale' }`.
 */
export async function transitionAccessRequest(store: MetadataStore, id: string, t: AccessTransition): Promise<TransitionResult> {
  const from = TRANSITION_FROM[t.to];
  const at = toDb(t.at);
  const set: Row = { status: t.to };
  switch (t.to) {
    case 'approved':
      Object.assign(set, { decided_by: t.by, decided_at: at, comment: t.comment ?? null, expires_at: toDb(t.expiresAt) });
      break;
    case 'denied':
      Object.assign(set, { decided_by: t.by, decided_at: at, comment: t.comment ?? null });
      break;
    case 'revoked':
      Object.assign(set, { revoked_by: t.by, revoked_at: at });
      break;
    case 'expired':
      break;
  }
  return store.knex.transaction(async (trx): Promise<TransitionResult> => {
    const changed = await trx('access_requests').where({ id, status: from }).update(set);
    if (!changed) {
      const row = (await trx('access_requests').select('status').where({ id }).first()) as Row | undefined;
      return row ? { ok: false, reason: 'stale', current: row.status as AccessRequestStatus } : { ok: false, reason: 'not_found' };
    }
    await trx('access_request_events').insert({ request_id: id, from_status: from, to_status: t.to, actor_id: t.by, at, comment: t.comment ?? null });
    const request = await getAccessRequest(store, id, trx);
    return { ok: true, request: request! };
  });
}

/**
 * Marks every approved request whose expiry has passed as expired (by `by`, e.g. "system"), one
 * recorded transition each. Safe from several replicas at once: a request another replica expired first
 * is skipped. Returns the ids this call expired.
 */
export async function expireDueAccessRequests(store: MetadataStore, now: Date, by = 'system'): Promise<string[]> {
  const due = (await store.knex('access_requests').select('id').where('status', 'approved').andWhere('expires_at', '<=', toDb(now))) as Row[];
  const expired: string[] = [];
  for (const { id } of due) {
    const r = await transitionAccessRequest(store, String(id), { to: 'expired', by, at: now });
    if (r.ok) expired.push(String(id));
  }
  return expired;
}

/**
 * The id of the newest lifecycle event: it grows with every create and transition, so a replica that
 * caches grants can poll this one indexed value (e.g. every second) and reload only when it moved.
 */
export async function lastAccessEventId(store: MetadataStore): Promise<number> {
  const row = (await store.knex('access_request_events').max({ m: 'id' }).first()) as Row | undefined;
  return row?.m === null || row?.m === undefined ? 0 : Number(row.m);
}
