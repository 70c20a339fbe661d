import type { LineageEntry } from '../graph';
import type { RowFormat } from '../server/export/csvFormat';
export { csvFormat, type RowFormat } from '../server/export/csvFormat';

export const FORMATS = ['csv', 'jsonl'] as const;
export type Format = (typeof FORMATS)[number];

/** JSON Lines: each row exactly as the gateway answered it, one per line. */
export function jsonlFormat(): RowFormat {
  return { header: '', lines: (rows) => rows.map((r) => `${JSON.stringify(r)}\n`).join('') };
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
