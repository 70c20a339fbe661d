import type { Entity, Registry } from '../../model';
// model/index.ts does not re-export the check types yet (not this change's file); the module is the model's own.
import type { CheckKind, CheckSpec } from '../../model/modelSchema';
import type { SourceAdapter } from '../../sources';

/** What one check run found. `observed` is the measure (a rate, a count of failing rows or keys, an age in ms). */
export interface CheckResult {
  readonly entity: string;
  /** Label of the check within its entity: `notNull(email)`, `unique(customer_id, channel)`, a sql check's name. */
  readonly check: string;
  readonly kind: CheckKind;
  readonly passed: boolean;
  readonly observed: number | null;
  readonly message: string;
  readonly ms: number;
  /** The check could not run (source down, bad SQL): not passed, and not a measure of the data either. */
  readonly error?: boolean;
  /** With `error`: the error's code (SOURCE_UNAVAILABLE, …) when it had one, else INTERNAL_SERVER_ERROR. Safe to store and show. */
  readonly errorCode?: string;
}

/** A check's verdict before the runner adds entity, label and timing. */
export interface Measure {
  readonly passed: boolean;
  readonly observed: number | null;
  readonly message: string;
}

export interface CheckContext {
  readonly entity: Entity;
  readonly registry: Registry;
  readonly sources: ReadonlyMap<string, SourceAdapter>;
  /** The entity's source. */
  readonly source: SourceAdapter;
  /** Reference time for freshness (tests and reproducible runs pin it). */
  readonly now: Date;
  /** Keys per round trip of a cross-source references check. */
  readonly referenceBatch?: number;
}

/** One kind of check: its label and how it measures, in the database. */
export interface QualityCheck<K extends CheckKind = CheckKind> {
  readonly kind: K;
  label(spec: Extract<CheckSpec, { kind: K }>): string;
  run(ctx: CheckContext, spec: Extract<CheckSpec, { kind: K }>): Promise<Measure>;
}

export type { CheckKind, CheckSpec };
