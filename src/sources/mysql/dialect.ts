import knex from 'knex';
import type { Capabilities } from '../SourceAdapter';
import { baseOperators, ref } from '../sql/operators';
import { bindValue } from '../sql/params';
import type { SqlDialect } from '../sql/SqlDialect';

export function mysqlDialect(): SqlDialect {
  const capabilities: Capabilities = {
    engine: 'mysql',
    embedded: false,
    statementTimeout: true,
    windowFunctions: true,
    maxBindParams: 65535,
    arrayParams: false,
  };
  return {
    capabilities,
    builder: knex({ client: 'mysql2' }),
    // mysql2 binds Date in the connection's time zone (UTC). ISO text (a cursor's exact DateTime)
    // becomes MySQL's own `YYYY-MM-DD HH:MM:SS.ffffff`, which it compares with full precision.
    encode: (type, v) => (type === 'DateTime' && typeof v === 'string' ? v.replace('T', ' ').replace(/Z$/, '') : v),
    // DATETIME text needs its T and Z, MariaDB's JSON is text, a binary string column is a Buffer.
    decodedTypes: new Set(['String', 'DateTime', 'JSON', 'Boolean']),
    // MySQL sorts NULL as the smallest value and has no NULLS FIRST/LAST: sort on `is null` first.
    orderTerm: (r, t) => {
      const isDefault = (t.nulls === 'first') === (t.direction === 'asc');
      if (isDefault) return { sql: `?? ${t.direction}`, bindings: [r] };
      return { sql: `(?? is null) ${t.nulls === 'last' ? 'asc' : 'desc'}, ?? ${t.direction}`, bindings: [r, r] };
    },
    // AVG of integers is DECIMAL with 4 digits (div_precision_increment); average as a double instead.
    aggregateTemplate: (fn, type) => (fn === 'avg' && (type === 'Int' || type === 'Float') ? 'avg(?? * 1e0)' : undefined),
    operators: {
      ...baseOperators,
      // Case-sensitive whatever the column's collation; ilike compares lower-cased under the column's own collation.
      like: (b, n, s) => {
        if (n.caseInsensitive) b.whereRaw('lower(??) like lower(?)', [ref(s, n.field), bindValue(n.pattern) as string]);
        else b.whereRaw('?? like convert(? using utf8mb4) collate utf8mb4_bin', [ref(s, n.field), bindValue(n.pattern) as string]);
      },
    },
  };
}
