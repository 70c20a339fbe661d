import knex from 'knex';
import type { Capabilities } from '../SourceAdapter';
import { baseOperators, field, ref } from '../sql/operators';
import { bindValue } from '../sql/params';
import { identityEncode, orderTermWithNulls } from '../sql/common';
import type { SqlDialect } from '../sql/SqlDialect';

export function postgresDialect(embedded: boolean): SqlDialect {
  const capabilities: Capabilities = {
    engine: 'postgres',
    embedded,
    statementTimeout: !embedded,
    windowFunctions: true,
    maxBindParams: 65535,
    arrayParams: true,
  };
  return {
    capabilities,
    builder: knex({ client: 'pg' }),
    encode: identityEncode,
    // The adapter's type parsers already give DATE and timestamps as text; numeric and int8 come as exact text.
    decodedTypes: new Set(),
    // PostgreSQL sorts NULL as the largest value.
    orderTerm: orderTermWithNulls(true),
    operators: {
      ...baseOperators,
      // One array parameter however many keys: `= ANY(?)` stays one bind, under the 65535 limit at 100k keys.
      in: (b, n, s, c) => {
        if (n.fields.length !== 1) return baseOperators.in(b, n, s, c);
        const type = field(s, n.fields[0]).type;
        const values = bindValue(n.values, (list) => (list as unknown[][]).map((v) => c.dialect.encode(type, v[0])));
        b.whereRaw(n.negate ? 'not (?? = any(?))' : '?? = any(?)', [ref(s, n.fields[0]), values as never]);
      },
      like: (b, n, s) => {
        b.whereRaw(n.caseInsensitive ? '?? ilike ?' : '?? like ?', [ref(s, n.field), bindValue(n.pattern) as string]);
      },
    },
  };
}
