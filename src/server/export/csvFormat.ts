import { ExportShapeError } from './ExportShapeError';

/** Turns answer rows into the lines of a data file. */
export interface RowFormat {
  /** Written once, before the first row. */
  readonly header: string;
  lines(rows: readonly unknown[]): string;
}

/**
 * CSV (RFC 4180): one column per selected leaf, nested objects as `a.b` columns, a null object as
 * empty cells. A list of objects inside a row has no CSV shape: it is refused (export that entity
 * through its own root field, or use JSON Lines). A leaf holding JSON (a JSON field, a list of
 * scalars) is JSON text in its cell.
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
      throw new ExportShapeError(
        `"${[rowsAt, ...path.slice(0, i)].join('.')}" is a list of objects, which has no CSV shape: export that entity through its own root field ` +
          `(filtered by this one's key), or use --format jsonl, which keeps nested lists`,
      );
    v = (v as Record<string, unknown>)[path[i]];
  }
  return v;
}

export function csvCell(v: unknown): string {
  if (v === null || v === undefined) return '';
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}
