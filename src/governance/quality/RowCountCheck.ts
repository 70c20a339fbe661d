import { oneRow, tableOf, toNumber } from './sql';
import type { QualityCheck } from './types';

/** The table holds between `min` and `max` rows. */
export const RowCountCheck: QualityCheck<'rowCount'> = {
  kind: 'rowCount',
  label: () => 'rowCount',
  async run({ source, entity }, spec) {
    const count = toNumber((await oneRow(source, tableOf(source, entity).count({ n: '*' }))).n);
    const passed = (spec.min === undefined || count >= spec.min) && (spec.max === undefined || count <= spec.max);
    return { passed, observed: count, message: `${count} rows (expected ${spec.min ?? 0} to ${spec.max ?? '∞'})` };
  },
};
