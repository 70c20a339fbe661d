import knex from 'knex';
import type { FieldType } from '../../model';
import type { Capabilities } from '../SourceAdapter';
import { baseOperators, columnsSql, field, int64Json, isLargeList, jsonKeySet, ref, type JsonCell } from '../sql/operators';
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

/**
 * One key as a JSON value for `json_each`, which yields SQL values of the JSON type: a JSON string
 * is TEXT and a number INTEGER or REAL, exactly as encodeSqlite's value would bind, so a large key
 * set matches what a small list of `?` would (the column's affinity applies to both alike). Int and
 * BigInt keys are JSON numbers (raw digits beyond 2^53), so `json_each` yields an exact 64-bit
 * INTEGER: BigInt keys arrive as strings or bigint.
 */
export function sqliteJson(type: FieldType, value: unknown): JsonCell {
  const v = encodeSqlite(type, value);
  if (type === 'Int' || type === 'BigInt') {
    const n = int64Json(v);
    if (n !== undefined) return n;
  }
  return v === undefined ? null : (v as JsonCell);
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
    nestedRows: false,
  };
  return {
    capabilities,
    builder: knex({ client: 'better-sqlite3', useNullAsDefault: true }),
    encode: encodeSqlite,
    // SQLite sorts NULL as the smallest value.
    orderTerm: orderTermWithNulls(false),
    operators: {
      ...baseOperators,
      // A large key set is one JSON parameter, whatever its length: SQLite allows at most 32,766
      // bound values, and every length would be a statement of its own.
      in: (b, n, s, c) => {
        if (!isLargeList(n.values)) return baseOperators.in(b, n, s, c);
        const types = n.fields.map((f) => field(s, f).type);
        const json = bindValue(n.values, (list) => jsonKeySet(list as unknown[][], types.length, (col, v) => sqliteJson(types[col], v)));
        const { sql, refs } = columnsSql(s, n.fields);
        const keys =
          types.length === 1
            ? 'select value from json_each(?)'
            : `select ${types.map((_, i) => `json_extract(value, '$[${i}]')`).join(', ')} from json_each(?)`;
        b.whereRaw(`${sql} ${n.negate ? 'not in' : 'in'} (${keys})`, [...refs, json as string]);
      },
      like: (b, n, s) => {
        if (n.caseInsensitive) b.whereRaw("lower(??) like lower(?) escape '\\'", [ref(s, n.field), bindValue(n.pattern) as string]);
        else b.whereRaw('?? glob ?', [ref(s, n.field), bindValue(n.pattern, (p) => likeToGlob(p as string)) as string]);
      },
    },
  };
}
