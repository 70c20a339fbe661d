import { columnOf, oneRow, tableOf, toNumber } from './sql';
import type { QualityCheck } from './types';

/** Every non-null value lies within [min, max]: rows outside counted, with the column's min and max, in one query. */
export const RangeCheck: QualityCheck<'range'> = {
  kind: 'range',
  label: (s) => `range(${s.field})`,
  async run({ source, entity }, spec) {
    const col = columnOf(entity, spec.field);
    const k = source.knex;
    const outside: string[] = [];
    const bindings: (string | number)[] = [];
    if (spec.min !== undefined) outside.push('?? < ?'), bindings.push(col, spec.min);
    if (spec.max !== undefined) outside.push('?? > ?'), bindings.push(col, spec.max);
    const q = tableOf(source, entity).select(
      k.raw(`coalesce(sum(case when ${outside.join(' or ')} then 1 else 0 end), 0) as failures`, bindings),
      k.raw('min(??) as lo', [col]),
      k.raw('max(??) as hi', [col]),
    );
    const row = await oneRow(source, q);
    const failures = toNumber(row.failures);
    const bounds = `[${spec.min ?? '-∞'}, ${spec.max ?? '∞'}]`;
    return {
      passed: failures === 0,
      observed: failures,
      message: `${failures} rows have ${spec.field} outside ${bounds} (values from ${row.lo ?? 'none'} to ${row.hi ?? 'none'})`,
    };
  },
};
