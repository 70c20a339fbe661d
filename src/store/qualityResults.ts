import { randomUUID } from 'node:crypto';
import { chunks, fromDbBool, fromDbDate, fromJson, json, toDb } from './codec';
import type { MetadataStore } from './openStore';

export interface QualityResult {
  id: string;
  entity: string;
  /** The check's name, unique within its entity. */
  checkName: string;
  /** freshness, notNull, unique, acceptedValues, range, rowCount, references, sql, … */
  kind: string;
  passed: boolean;
  /** What the check measured (age, rate, offending count, …), any JSON value. */
  observed: unknown;
  at: Date;
  durationMs: number;
}

export type NewQualityResult = Omit<QualityResult, 'id'> & { id?: string };

export async function insertQualityResults(store: MetadataStore, results: readonly NewQualityResult[]): Promise<void> {
  if (!results.length) return;
  const rows = results.map((r) => ({
    id: r.id ?? randomUUID(),
    entity: r.entity,
    check_name: r.checkName,
    kind: r.kind,
    passed: r.passed,
    observed: json(r.observed),
    at: toDb(r.at),
    duration_ms: r.durationMs,
  }));
  await store.knex.transaction(async (trx) => {
    for (const part of chunks(rows, 500)) await trx('quality_results').insert(part);
  });
}

export async function insertQualityResult(store: MetadataStore, result: NewQualityResult): Promise<QualityResult> {
  const id = result.id ?? randomUUID();
  await insertQualityResults(store, [{ ...result, id }]);
  return { ...result, id, at: new Date(toDb(result.at)) };
}

function toResult(store: MetadataStore, r: Record<string, unknown>): QualityResult {
  return {
    id: String(r.id),
    entity: String(r.entity),
    checkName: String(r.check_name),
    kind: String(r.kind),
    passed: fromDbBool(r.passed),
    observed: fromJson<unknown>(store.kind, r.observed),
    at: fromDbDate(r.at),
    durationMs: Number(r.duration_ms),
  };
}

/** The newest result of each (entity, check), optionally for some entities only; ordered by entity, check. */
export async function latestQualityResults(store: MetadataStore, opts: { entities?: readonly string[] } = {}): Promise<QualityResult[]> {
  const k = store.knex;
  const ranked = k('quality_results')
    .select('*', k.raw('row_number() over (partition by entity, check_name order by at desc, id desc) as rn'));
  if (opts.entities !== undefined) ranked.whereIn('entity', [...opts.entities]);
  const rows = (await k
    .select('*')
    .from(ranked.as('ranked'))
    .where('rn', 1)
    .orderBy([{ column: 'entity' }, { column: 'check_name' }])) as Record<string, unknown>[];
  return rows.map((r) => toResult(store, r));
}

/** One entity's results, newest first: all checks, or one with `checkName`. */
export async function qualityHistory(
  store: MetadataStore,
  opts: { entity: string; checkName?: string; since?: Date; limit?: number },
): Promise<QualityResult[]> {
  const q = store.knex('quality_results').select('*').where('entity', opts.entity);
  if (opts.checkName !== undefined) q.where('check_name', opts.checkName);
  if (opts.since) q.where('at', '>=', toDb(opts.since));
  const rows = (await q.orderBy([{ column: 'at', order: 'desc' }, { column: 'id', order: 'desc' }]).limit(opts.limit ?? 100)) as Record<string, unknown>[];
  return rows.map((r) => toResult(store, r));
}
