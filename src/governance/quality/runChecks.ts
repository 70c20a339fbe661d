import { badInput, ErrorCode, isDatagateError } from '../../errors';
import type { Entity, Registry } from '../../model';
import { checkSpecOf } from '../../model/modelSchema';
import type { SourceAdapter } from '../../sources';
import { specifiedChecks } from './specifiedChecks';
import type { CheckContext, CheckResult, CheckSpec, Measure, QualityCheck } from './types';

export interface RunChecksOptions {
  /** Only this entity's checks. */
  entity?: string;
  /** Checks running at once on one source (each is one query, or a sequence for cross-source references). Default 2. */
  concurrencyPerSource?: number;
  /** Reference time for freshness; default now. */
  now?: Date;
  /** Keys per round trip of a cross-source references check (default 1,000). */
  referenceBatch?: number;
  /** Once aborted, no further check starts; the results hold only the checks that ran (shutdown). */
  signal?: AbortSignal;
  /** After each check, in completion order. */
  onProgress?: (event: { done: number; total: number; result: CheckResult }) => void;
}

export interface PlannedCheck {
  readonly entity: Entity;
  readonly spec: CheckSpec;
  readonly label: string;
}

/** The checks of the model (or of one entity), in declaration order. An unknown entity is BAD_USER_INPUT naming the known ones. */
export function planChecks(registry: Registry, entity?: string): PlannedCheck[] {
  if (entity !== undefined && !registry.entities.has(entity))
    throw badInput(`unknown entity "${entity}"; the model has ${[...registry.entities.keys()].sort().join(', ')}`);
  const entities = entity !== undefined ? [registry.entity(entity)] : [...registry.entities.values()];
  return entities.flatMap((e) =>
    e.checks.map((raw) => {
      const spec = checkSpecOf(raw);
      return { entity: e, spec, label: checkOf(spec).label(spec as never) };
    }),
  );
}

function checkOf(spec: CheckSpec): QualityCheck {
  return specifiedChecks[spec.kind] as QualityCheck;
}

/**
 * Runs the checks, each measured in its entity's database, with at most `concurrencyPerSource` at once per
 * source and every source in parallel. A check that cannot run (source down, broken SQL) is a failed result
 * with `error: true`, never a thrown error. Results come back in declaration order.
 */
export async function runChecks(registry: Registry, sources: ReadonlyMap<string, SourceAdapter>, opts: RunChecksOptions = {}): Promise<CheckResult[]> {
  const planned = planChecks(registry, opts.entity);
  const now = opts.now ?? new Date();
  const perSource = Math.max(1, opts.concurrencyPerSource ?? 2);
  const results: CheckResult[] = new Array(planned.length);
  let done = 0;
  const bySource = new Map<string, number[]>();
  planned.forEach((p, i) => bySource.set(p.entity.source, [...(bySource.get(p.entity.source) ?? []), i]));
  await Promise.all(
    [...bySource.values()].map(async (indexes) => {
      let next = 0;
      const worker = async () => {
        while (next < indexes.length && !opts.signal?.aborted) {
          const i = indexes[next++];
          results[i] = await runOne(planned[i], registry, sources, now, opts.referenceBatch);
          opts.onProgress?.({ done: ++done, total: planned.length, result: results[i] });
        }
      };
      await Promise.all(Array.from({ length: Math.min(perSource, indexes.length) }, worker));
    }),
  );
  // Holes are the checks an abort kept from starting.
  return opts.signal?.aborted ? results.filter(Boolean) : results;
}

async function runOne(p: PlannedCheck, registry: Registry, sources: ReadonlyMap<string, SourceAdapter>, now: Date, referenceBatch?: number): Promise<CheckResult> {
  const started = Date.now();
  const base = { entity: p.entity.name, check: p.label, kind: p.spec.kind };
  let measure: Measure;
  let error: string | undefined;
  try {
    const source = sources.get(p.entity.source);
    if (!source) throw badInput(`source ${p.entity.source} is not open`);
    const ctx: CheckContext = { entity: p.entity, registry, sources, source, now, referenceBatch };
    measure = await checkOf(p.spec).run(ctx, p.spec as never);
  } catch (e) {
    error = isDatagateError(e) ? e.code : ErrorCode.INTERNAL;
    // Source errors are classified and safe to print; anything else is shown by its message (an operator's tool).
    const code = isDatagateError(e) ? `${e.code}: ` : '';
    measure = { passed: false, observed: null, message: `could not run: ${code}${(e as Error).message}` };
  }
  return { ...base, ...measure, ms: Date.now() - started, ...(error ? { error: true, errorCode: error } : {}) };
}
