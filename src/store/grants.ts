import { fromDbDate, fromJson, toDb } from './codec';
import type { MetadataStore } from './openStore';

/** What an approved, unexpired, unrevoked access request gives its requester. */
export interface Grant {
  requestId: string;
  userId: string;
  /** The requester's roles when they asked. */
  requesterRoles: string[];
  entity: string;
  fields: string[];
  grantedBy: string;
  grantedAt: Date;
  expiresAt: Date;
}

/**
 * Grants in force at `now`, from the `grants` view (approved requests) with `expires_at > now`, so a
 * grant ends exactly at its expiry whether or not the expiry sweep has run. With `userId`, that user's
 * only (index access_requests_requester_status). Oldest grant first.
 */
export async function listActiveGrants(store: MetadataStore, opts: { now: Date; userId?: string; entity?: string }): Promise<Grant[]> {
  const q = store.knex('grants').select('*').where('expires_at', '>', toDb(opts.now));
  if (opts.userId !== undefined) q.where('user_id', opts.userId);
  if (opts.entity !== undefined) q.where('entity', opts.entity);
  const rows = (await q.orderBy([{ column: 'granted_at', order: 'asc' }, { column: 'request_id', order: 'asc' }])) as Record<string, unknown>[];
  return rows.map((r) => ({
    requestId: String(r.request_id),
    userId: String(r.user_id),
    requesterRoles: fromJson<string[]>(store.kind, r.requester_roles),
    entity: String(r.entity),
    fields: fromJson<string[]>(store.kind, r.fields),
    grantedBy: String(r.granted_by),
    grantedAt: fromDbDate(r.granted_at),
    expiresAt: fromDbDate(r.expires_at),
  }));
}
