import type { LineageEntry } from '../graph';
import { CliFailure } from './command';

export const FORMATS = ['csv', 'jsonl'] as const;
export type Format = (typeof FORMATS)[number];

/** Turns answer rows into the lines of the data file. */
export interface RowFormat {
  /** Written once, before the first row. */
  readonly header: string;
  lines(rows: readonly unknown[]): string;
}

/** JSON Lines: each row exactly as the gateway answered it, one per line. */
export function jsonlFormat(): RowFormat {
  return { header: '', lines: (rows) => rows.map((r) => `${JSON.stringify(r)}\n`).join('') };
}

/**
 * CSV (RFC 4180): one column per selected leaf, nested objects as `a.b` columns, a null object as
 * empty cells. A list of objects inside a row has no CSV shape: it is refused (export that entity
 * through its own root field, or use jsonl). A leaf holding JSON (a JSON field, a list of scalars)
 * is JSON text in its cell.
 */
export function csvFormat(columns: readonly (readonly string[])[], rowsAt: string): RowFormat {
  const header = `${columns.map((c) => csvCell(c.join('.'))).join(',')}\r\n`;
  return {
    header,
    lines(rows) {
      let out = '';
      for (const row of rows) out += `${columns.map((c) => csvCell(valueAt(row, c, rowsAt))).join(',')}\r\n`;
      return out;
    },
  };
}

function valueAt(row: unknown, path: readonly string[], rowsAt: string): unknown {
  let v = row;
  for (let i = 0; i < path.length; i++) {
    if (v === null || v === undefined) return null;
    if (Array.isArray(v))
      throw new CliFailure(
        `"${[rowsAt, ...path.slice(0, i)].join('.')}" is a list of objects, which has no CSV shape: export that entity through its own root field ` +
          `(filtered by this one's key), or use --format jsonl, which keeps nested lists`,
      );
    v = (v as Record<string, unknown>)[path[i]];
  }
  return v;
}

function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** Lineage over every page: entries of the same path, kind, entity and lookup add up; a count is the latest. */
export function mergeLineage(into: Map<string, LineageEntry>, entries: unknown): void {
  if (!Array.isArray(entries)) return;
  for (const e of entries as LineageEntry[]) {
    const key = `${e.path}\u0000${e.kind}\u0000${e.entity}\u0000${e.for ?? ''}`;
    const was = into.get(key);
    if (!was) {
      into.set(key, e);
      continue;
    }
    const pairs = new Map(was.fields.map((f, i) => [f, was.columns[i]]));
    e.fields.forEach((f, i) => pairs.has(f) || pairs.set(f, e.columns[i]));
    const read = was.read !== undefined || e.read !== undefined ? (was.read ?? was.rows) + (e.read ?? e.rows) : undefined;
    into.set(key, {
      ...was,
      fields: [...pairs.keys()],
      columns: [...pairs.values()],
      rows: e.kind === 'count' ? e.rows : was.rows + e.rows,
      ...(read !== undefined ? { read } : {}),
      statements: was.statements + e.statements,
    });
  }
}
