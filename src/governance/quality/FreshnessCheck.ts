import { columnOf, formatAge, oneRow, tableOf, toEpochMs } from './sql';
import type { QualityCheck } from './types';

/** The newest value of a timestamp column is at most `maxAge` old: `select max(col)`; observed is the age in ms. */
export const FreshnessCheck: QualityCheck<'freshness'> = {
  kind: 'freshness',
  label: (s) => `freshness(${s.field})`,
  async run({ source, entity, now }, spec) {
    const col = columnOf(entity, spec.field);
    const row = await oneRow(source, tableOf(source, entity).max({ latest: col }));
    const latest = toEpochMs(row.latest);
    if (latest === undefined) return { passed: false, observed: null, message: `no ${spec.field} value: the table is empty or the column all null` };
    const age = now.getTime() - latest;
    const passed = age <= spec.maxAgeMs;
    return {
      passed,
      observed: age,
      message: `latest ${spec.field} ${new Date(latest).toISOString()} is ${formatAge(age)} old at ${now.toISOString()} (max ${spec.maxAge})`,
    };
  },
};
