import { columnOf, oneRow, tableOf, toNumber } from './sql';
import type { QualityCheck } from './types';

/** Every non-null value is one of `values` (bound, never spliced). Observed: rows with another value. */
export const AcceptedValuesCheck: QualityCheck<'accepted'> = {
  kind: 'accepted',
  label: (s) => `accepted(${s.field})`,
  async run({ source, entity }, spec) {
    const col = columnOf(entity, spec.field);
    const q = tableOf(source, entity).whereNotNull(col).whereNotIn(col, spec.values as (string | number | boolean)[]).count({ failures: '*' });
    const failures = toNumber((await oneRow(source, q)).failures);
    return {
      passed: failures === 0,
      observed: failures,
      message: failures ? `${failures} rows have a ${spec.field} outside [${spec.values.join(', ')}]` : `every ${spec.field} is one of [${spec.values.join(', ')}]`,
    };
  },
};
