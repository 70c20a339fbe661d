import knex from 'knex';
import type { FieldType } from '../../model';
import type { Capabilities } from '../SourceAdapter';
import { baseOperators, field, ref } from '../sql/operators';
import { bindValue } from '../sql/params';
import { identityEncode, orderTermWithNulls } from '../sql/common';
import type { SqlDialect } from '../sql/SqlDialect';

/** Field types whose PostgreSQL values JSON carries exactly (int4, float8, boolean, text). */
const NATIVE_JSON: ReadonlySet<FieldType> = new Set(['Int', 'Float', 'Boolean', 'String']);

export function postgresDialect(embedded: boolean): SqlDialect {
  const capabilities: Capabilities = {
    engine: 'postgres',
    embedded,
    statementTimeout: !embedded,
    windowFunctions: true,
    maxBindParams: 65535,
    arrayParams: true,
    nestedRows: { maxCells: 100, byDefault: true },
  };
  return {
    capabilities,
    builder: knex({ client: 'pg' }),
    encode: identityEncode,
    // The adapter's type parsers already give DATE and timestamps as text; numeric and int8 come as exact text.
    decodedTypes: new Set(),
    // Related rows as arrays of cells: ARRAY(subquery) keeps the subquery's order; json_build_array
    // takes at most 100 arguments (maxCells). Int, Float, Boolean and String are exact as JSON; the rest
    // go as their text, which is what pg's top-level parsers see (decode.ts decodes it the same way).
    nestedRows: {
      row: (cells) => `json_build_array(${cells.join(', ')})`,
      list: { kind: 'subquery', wrap: (subquery) => `array_to_json(array(${subquery}))` },
      cell: (type) => (NATIVE_JSON.has(type) ? '??' : '??::text'),
    },
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
