import { columnOf, oneRow, tableOf, toNumber } from './sql';
import type { QualityCheck } from './types';

/**
 * No two rows share a value of the field(s). One query: the duplicated groups counted over a grouped subquery;
 * rows with a NULL in the key are left out, as a SQL UNIQUE constraint does. Observed: rows in duplicated groups.
 */
export const UniqueCheck: QualityCheck<'unique'> = {
  kind: 'unique',
  label: (s) => `unique(${s.fields.join(', ')})`,
  async run({ source, entity }, spec) {
    const cols = spec.fields.map((f) => columnOf(entity, f));
    const groups = tableOf(source, entity).select(source.knex.raw('count(*) as n')).groupBy(cols).havingRaw('count(*) > 1');
    for (const c of cols) groups.whereNotNull(c);
    const row = await oneRow(source, source.knex.from(groups.as('d')).count({ groups: '*' }).sum({ dup: 'n' }));
    const dupGroups = toNumber(row.groups);
    const dupRows = toNumber(row.dup);
    return {
      passed: dupGroups === 0,
      observed: dupRows,
      message: dupGroups ? `${dupRows} rows share ${dupGroups} values of (${spec.fields.join(', ')})` : `every (${spec.fields.join(', ')}) is unique`,
    };
  },
};
