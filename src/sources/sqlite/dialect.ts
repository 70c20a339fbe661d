import knex from 'knex';
import type { FieldType } from '../../model';
import type { Capabilities } from '../SourceAdapter';
import { baseOperators, field, listLength, ref } from '../sql/operators';
import { bindValue } from '../sql/params';
import { orderTermWithNulls } from '../sql/common';
import type { SqlDialect } from '../sql/SqlDialect';

/**
 * SQLite has no date, boolean or decimal types: datagate stores DateTime as ISO-8601 UTC text
 * (`2026-01-02T03:04:05.000Z`), Date as `YYYY-MM-DD`, Boolean as 0/1, so comparisons on text work.
 */
export function encodeSqlite(type: FieldType, value: unknown): unknown {
  if (value instanceof Date) return type === 'Date' ? value.toISOString().slice(0, 10) : value.toISOString();
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'bigint') return value.toString();
  return value;
}

/** LIKE pattern (with `\` escapes) → GLOB pattern, for case-sensitive matching. */
export function likeToGlob(pattern: string): string {
  let out = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i];
    if (ch === '\\' && i + 1 < pattern.length) {
      const next = pattern[++i];
      out += next === '*' || next === '?' || next === '[' ? `[${next}]` : next;
    } else if (ch === '%') out += '*';
    else if (ch === '_') out += '?';
    else if (ch === '*' || ch === '?' || ch === '[') out += `[${ch}]`;
    else out += ch;
  }
  return out;
}

export function sqliteDialect(embedded: boolean): SqlDialect {
  const capabilities: Capabilities = {
    engine: 'sqlite',
    embedded,
    statementTimeout: false,
    windowFunctions: true,
    maxBindParams: 32766,
    arrayParams: false,
  };
  return {
    capabilities,
    builder: knex({ client: 'better-sqlite3', useNullAsDefault: true }),
    encode: encodeSqlite,
    // SQLite sorts NULL as the smallest value.
    orderTerm: orderTermWithNulls(false),
    operators: {
      ...baseOperators,
      // One JSON parameter for any number of keys: SQLite allows at most 32766 bound values.
      in: (b, n, s, c) => {
        if (n.fields.length !== 1 || listLength(n.values) < 500) return baseOperators.in(b, n, s, c);
        const type = field(s, n.fields[0]).type;
        const json = bindValue(n.values, (list) => JSON.stringify((list as unknown[][]).map((v) => encodeSqlite(type, v[0]))));
        b.whereRaw(n.negate ? '?? not in (select value from json_each(?))' : '?? in (select value from json_each(?))', [ref(s, n.fields[0]), json as string]);
      },
      like: (b, n, s) => {
        if (n.caseInsensitive) b.whereRaw("lower(??) like lower(?) escape '\\'", [ref(s, n.field), bindValue(n.pattern) as string]);
        else b.whereRaw('?? glob ?', [ref(s, n.field), bindValue(n.pattern, (p) => likeToGlob(p as string)) as string]);
      },
    },
  };
}
