import type { Entity } from '../../model';
import type { SourceAdapter } from '../../sources';
import { columnOf, oneRow, runQuery, tableOf, toNumber } from './sql';
import type { Measure, QualityCheck } from './types';

/** Keys per round trip across sources; below every engine's bind limit. */
export const REFERENCE_BATCH = 1000;
const SAMPLES = 5;

/**
 * Every non-null value of `field` exists as `entity.targetField` (referential integrity). Observed: distinct
 * values with no match.
 * - Same source: one query, `count(distinct a.col) … where not exists (select 1 from b where b.key = a.col)`.
 * - Across sources: the distinct values are paged out of this source in key order (keyset, `referenceBatch` (default 1,000) at a
 *   time, never all in memory), and each page is looked up in the other source with one `in (…)` query; so
 *   2 × ⌈distinct values / batch⌉ bounded queries, and the gateway holds one page at a time.
 */
export const ReferencesCheck: QualityCheck<'references'> = {
  kind: 'references',
  label: (s) => `references(${s.field} → ${s.entity}.${s.targetField})`,
  async run({ source, entity, registry, sources, referenceBatch }, spec) {
    const target = registry.entity(spec.entity);
    const targetSource = sources.get(target.source);
    if (!targetSource) throw new Error(`source ${target.source} of ${target.name} is not open`);
    const col = columnOf(entity, spec.field);
    const tcol = columnOf(target, spec.targetField);
    if (target.source === entity.source) return sameSource(source, entity, col, target, tcol, spec.entity);
    return acrossSources(source, entity, col, targetSource, target, tcol, Math.max(1, Math.min(referenceBatch ?? REFERENCE_BATCH, targetSource.capabilities.maxBindParams)));
  },
};

async function sameSource(source: SourceAdapter, entity: Entity, col: string, target: Entity, tcol: string, targetName: string): Promise<Measure> {
  const k = source.knex;
  const q = tableOf(source, entity, 'a')
    .whereNotNull(`a.${col}`)
    .whereNotExists(tableOf(source, target, 'b').select(k.raw('1')).whereRaw('?? = ??', [`b.${tcol}`, `a.${col}`]))
    .select(k.raw('count(*) as rows_missing'), k.raw('count(distinct ??) as missing', [`a.${col}`]));
  const row = await oneRow(source, q);
  const missing = toNumber(row.missing);
  return {
    passed: missing === 0,
    observed: missing,
    message: missing ? `${missing} values (${toNumber(row.rows_missing)} rows) have no ${targetName}` : `every value has its ${targetName}`,
  };
}

async function acrossSources(source: SourceAdapter, entity: Entity, col: string, targetSource: SourceAdapter, target: Entity, tcol: string, batchSize: number): Promise<Measure> {
  let after: unknown;
  let checked = 0;
  let missing = 0;
  const samples: string[] = [];
  for (;;) {
    const page = tableOf(source, entity).distinct({ v: col }).whereNotNull(col).orderBy(col).limit(batchSize);
    if (after !== undefined) page.where(col, '>', after as never);
    const keys = (await runQuery(source, page)).map((r) => r.v);
    if (!keys.length) break;
    const found = await runQuery(targetSource, tableOf(targetSource, target).distinct({ v: tcol }).whereIn(tcol, keys as never[]));
    const present = new Set(found.map((r) => String(r.v)));
    for (const key of keys) {
      if (present.has(String(key))) continue;
      missing++;
      if (samples.length < SAMPLES) samples.push(String(key));
    }
    checked += keys.length;
    after = keys[keys.length - 1];
    if (keys.length < batchSize) break;
  }
  return {
    passed: missing === 0,
    observed: missing,
    message: missing
      ? `${missing} of ${checked} distinct values have no ${target.name} in ${targetSource.name} (e.g. ${samples.join(', ')})`
      : `all ${checked} distinct values exist in ${target.name} (${targetSource.name})`,
  };
}
