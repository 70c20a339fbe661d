import { insertQualityResults, qualityHistory, latestQualityResults, type MetadataStore, type QualityResult } from '../../store';
import type { CheckKind } from './types';
import type { CheckResult } from './types';

/**
 * One check result as the metadata store keeps it (history): the measure and the verdict, never the
 * message, which may quote row values (a range check names the lowest and highest value, a references
 * check samples missing keys). A check that could not run keeps its error code instead of a measure.
 */
export interface QualityRecord {
  readonly entity: string;
  readonly check: string;
  readonly kind: CheckKind;
  readonly passed: boolean;
  /** The measure (rate, count, age in ms); null when the check could not run or measured nothing. */
  readonly observed: number | null;
  /** The check could not run: its error code (SOURCE_UNAVAILABLE, …); null when it ran. */
  readonly error: string | null;
  readonly at: Date;
  readonly durationMs: number;
}

/** `observed` in the store: the number, or `{ error: CODE }` for a check that could not run. */
type StoredObserved = number | null | { error: string };

export function toRecord(r: CheckResult, at: Date): QualityRecord {
  return {
    entity: r.entity,
    check: r.check,
    kind: r.kind,
    passed: r.passed,
    observed: r.error ? null : r.observed,
    error: r.error ? (r.errorCode ?? 'INTERNAL_SERVER_ERROR') : null,
    at,
    durationMs: r.ms,
  };
}

/** Appends one run's results to the quality history. */
export async function recordResults(store: MetadataStore, records: readonly QualityRecord[]): Promise<void> {
  await insertQualityResults(
    store,
    records.map((r) => ({
      entity: r.entity,
      checkName: r.check,
      kind: r.kind,
      passed: r.passed,
      observed: (r.error ? { error: r.error } : r.observed) satisfies StoredObserved,
      at: r.at,
      durationMs: r.durationMs,
    })),
  );
}

function fromStored(r: QualityResult): QualityRecord {
  const o = r.observed as StoredObserved | undefined;
  const error = o !== null && typeof o === 'object' && typeof o.error === 'string' ? o.error : null;
  return {
    entity: r.entity,
    check: r.checkName,
    kind: r.kind as CheckKind,
    passed: r.passed,
    observed: typeof o === 'number' && Number.isFinite(o) ? o : null,
    error,
    at: r.at,
    durationMs: r.durationMs,
  };
}

/** The newest record of every (entity, check) in the store. */
export async function latestRecords(store: MetadataStore, entities?: readonly string[]): Promise<QualityRecord[]> {
  return (await latestQualityResults(store, entities ? { entities } : {})).map(fromStored);
}

/** One entity's records, newest first (one check's with `check`). */
export async function recordHistory(store: MetadataStore, opts: { entity: string; check?: string; limit?: number }): Promise<QualityRecord[]> {
  return (await qualityHistory(store, { entity: opts.entity, checkName: opts.check, limit: opts.limit })).map(fromStored);
}
