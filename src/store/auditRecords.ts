import { DatagateError, ErrorCode } from '../errors';
import { chunks, fromDbDate, fromJson, json, toDb, uuidv7 } from './codec';
import type { MetadataStore } from './openStore';

/** How an operation ended; `denied` is a read refused by policy or limits, `partial` an answer with some fields failed. */
export type AuditOutcome = 'ok' | 'partial' | 'denied' | 'error';

export interface AuditRecord {
  id: string;
  at: Date;
  /** The HTTP request's id, to join the server log. */
  requestId: string | null;
  /** null for the anonymous role. */
  userId: string | null;
  roles: string[];
  operationName: string | null;
  operationHash: string | null;
  entities: string[];
  /** `Entity.field` names read. */
  fields: string[];
  sources: string[];
  /** Rows returned per entity (or per response path). */
  rowCounts: Record<string, number>;
  /** Masks applied, e.g. `{ "Customer.email": "email" }`. */
  masks: Record<string, string>;
  /** What was refused and why. */
  denials: unknown[];
  durationMs: number;
  outcome: AuditOutcome;
}

export type NewAuditRecord = Omit<AuditRecord, 'id'> & { id?: string };

const BATCH = 500; // 15 columns each: well under SQLite's and PostgreSQL's bind limits
/**
 * SQLite (better-sqlite3) writes synchronously: a 200-record batch committed on the event loop held every
 * request for about 10 ms (bench/RESULTS.md, issue 5's run). A store file is written by its worker thread
 * (store.writer); an in-memory store, on the event loop, in small transactions with a turn of the event
 * loop between them, so requests interleave.
 */
const SQLITE_SLICE = 25;

/**
 * Inserts a batch. Each record gets its id once (kept on the record), and a record already in the
 * store is skipped, so a batch retried after a partial write neither fails nor writes twice.
 * PostgreSQL: one transaction. A SQLite file: one transaction in the store's writer thread. In-memory
 * SQLite: slices of 25, yielding to the event loop between them.
 */
export async function insertAuditRecords(store: MetadataStore, records: readonly NewAuditRecord[]): Promise<void> {
  if (!records.length) return;
  // Time-ordered ids (UUIDv7 of the record's time): inserts append to the primary key's index.
  for (const r of records) r.id ??= uuidv7(r.at.getTime());
  const rows = records.map((r) => ({
    id: r.id!,
    at: toDb(r.at),
    request_id: r.requestId,
    user_id: r.userId,
    roles: json(r.roles),
    operation_name: r.operationName,
    operation_hash: r.operationHash,
    entities: json(r.entities),
    fields: json(r.fields),
    sources: json(r.sources),
    row_counts: json(r.rowCounts),
    masks: json(r.masks),
    denials: json(r.denials),
    duration_ms: r.durationMs,
    outcome: r.outcome,
  }));
  // One statement per row in the thread: no bind limit to slice for, and the batch is one transaction.
  if (store.writer) return store.writer.insertIgnore('audit_records', 'id', rows);
  if (store.kind === 'sqlite') {
    for (const [i, part] of chunks(rows, SQLITE_SLICE).entries()) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      await store.knex('audit_records').insert(part).onConflict('id').ignore();
    }
    return;
  }
  await store.knex.transaction(async (trx) => {
    for (const part of chunks(rows, BATCH)) await trx('audit_records').insert(part).onConflict('id').ignore();
  });
}

export interface AuditFilter {
  userId?: string;
  /** Records whose operation read this entity. */
  entity?: string;
  operationName?: string;
  outcome?: AuditOutcome;
  /** `at >= since`. */
  since?: Date;
  /** `at < until`. */
  until?: Date;
  /** Page size, 1..1000, default 100. */
  first?: number;
  /** `nextCursor` of the previous page. */
  after?: string;
}

export interface AuditPage {
  records: AuditRecord[];
  /** null on the last page. */
  nextCursor: string | null;
}

function encodeCursor(r: AuditRecord): string {
  return Buffer.from(JSON.stringify([r.at.toISOString(), r.id])).toString('base64url');
}

function decodeCursor(cursor: string): { at: string; id: string } {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[0] === 'string' && typeof v[1] === 'string' && !Number.isNaN(Date.parse(v[0])))
      return { at: new Date(v[0]).toISOString(), id: v[1] };
  } catch {
    // fall through
  }
  throw new DatagateError(ErrorCode.BAD_CURSOR, 'this audit cursor is not one the audit log gave out: start again without `after`');
}

function toRecord(store: MetadataStore, r: Record<string, unknown>): AuditRecord {
  const j = <T>(v: unknown) => fromJson<T>(store.kind, v);
  return {
    id: String(r.id),
    at: fromDbDate(r.at),
    requestId: (r.request_id as string | null) ?? null,
    userId: (r.user_id as string | null) ?? null,
    roles: j(r.roles),
    operationName: (r.operation_name as string | null) ?? null,
    operationHash: (r.operation_hash as string | null) ?? null,
    entities: j(r.entities),
    fields: j(r.fields),
    sources: j(r.sources),
    rowCounts: j(r.row_counts),
    masks: j(r.masks),
    denials: j(r.denials),
    durationMs: Number(r.duration_ms),
    outcome: r.outcome as AuditOutcome,
  };
}

/**
 * Newest first, paged by keyset on (at, id): a page starts strictly after the previous page's last
 * record, so records inserted while paging never shift a page and every record is returned once.
 */
export async function listAuditRecords(store: MetadataStore, filter: AuditFilter = {}): Promise<AuditPage> {
  const first = filter.first ?? 100;
  if (!Number.isInteger(first) || first < 1 || first > 1000)
    throw new DatagateError(ErrorCode.BAD_USER_INPUT, `first must be between 1 and 1000, found ${first}`);
  const k = store.knex;
  const q = k('audit_records').select('*');
  if (filter.userId !== undefined) q.where('user_id', filter.userId);
  if (filter.operationName !== undefined) q.where('operation_name', filter.operationName);
  if (filter.outcome !== undefined) q.where('outcome', filter.outcome);
  if (filter.since) q.where('at', '>=', toDb(filter.since));
  if (filter.until) q.where('at', '<', toDb(filter.until));
  if (filter.entity !== undefined) {
    const entity = filter.entity;
    if (store.kind === 'postgres') q.whereRaw('entities @> ?::jsonb', [json([entity])]);
    else q.whereRaw('exists (select 1 from json_each(audit_records.entities) e where e.value = ?)', [entity]);
  }
  if (filter.after) {
    const c = decodeCursor(filter.after);
    q.where((w) => w.where('at', '<', c.at).orWhere((w2) => w2.where('at', '=', c.at).andWhere('id', '<', c.id)));
  }
  const rows = (await q.orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(first + 1)) as Record<string, unknown>[];
  const records = rows.slice(0, first).map((r) => toRecord(store, r));
  return { records, nextCursor: rows.length > first ? encodeCursor(records[records.length - 1]) : null };
}
