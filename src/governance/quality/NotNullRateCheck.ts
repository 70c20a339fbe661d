import { columnOf, oneRow, tableOf, toNumber } from './sql';
import type { QualityCheck } from './types';

/** At least `minRate` of the rows have a value: `count(col) / count(*)`; an empty table passes (rate 1). */
export const NotNullRateCheck: QualityCheck<'notNull'> = {
  kind: 'notNull',
  label: (s) => `notNull(${s.field})`,
  async run({ source, entity }, spec) {
    const col = columnOf(entity, spec.field);
    const row = await oneRow(source, tableOf(source, entity).count({ total: '*' }).count({ present: col }));
    const total = toNumber(row.total);
    const present = toNumber(row.present);
    const rate = total ? present / total : 1;
    return {
      passed: rate >= spec.minRate,
      observed: rate,
      message: `${total - present} of ${total} rows have no ${spec.field} (rate ${(rate * 100).toFixed(2)}%, min ${(spec.minRate * 100).toFixed(2)}%)`,
    };
  },
};
