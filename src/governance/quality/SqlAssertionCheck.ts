import { toNumber } from './sql';
import type { QualityCheck } from './types';

/**
 * A custom assertion: the owner's SQL (one statement, run as written on the entity's source) returns one row
 * with a `failures` column; the check passes when it is 0. The SQL comes from the model, not from a request.
 */
export const SqlAssertionCheck: QualityCheck<'sql'> = {
  kind: 'sql',
  label: (s) => s.name,
  async run({ source }, spec) {
    const rows = await source.run({ sql: spec.sql, bindings: [] });
    const row = rows[0];
    const key = row && Object.keys(row).find((k) => k.toLowerCase() === 'failures');
    if (!key) return { passed: false, observed: null, message: 'the query must return one row with a "failures" column (select count(*) as failures from … where <violation>)' };
    const failures = toNumber(row[key]);
    return { passed: failures === 0, observed: failures, message: `${failures} failures` };
  },
};
