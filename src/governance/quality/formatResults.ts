import { formatAge } from './sql';
import type { CheckResult } from './types';

/** The observed measure in words: a rate as a percentage, an age as a duration, a count as it is. */
export function formatObserved(r: Pick<CheckResult, 'kind' | 'observed'>): string {
  if (r.observed === null) return '-';
  if (r.kind === 'notNull') return `${(r.observed * 100).toFixed(2)}%`;
  if (r.kind === 'freshness') return `age ${formatAge(r.observed)}`;
  return String(r.observed);
}

/** A plain-text table: entity, check, observed, passed, then what was found. */
export function formatResultsTable(results: readonly CheckResult[]): string {
  const head = ['entity', 'check', 'observed', 'passed', 'detail'];
  const rows = results.map((r) => [r.entity, r.check, formatObserved(r), r.error ? 'ERROR' : r.passed ? 'yes' : 'NO', r.message]);
  const widths = head.slice(0, 4).map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (i < 4 ? c.padEnd(widths[i]) : c)).join('  ').trimEnd();
  const failed = results.filter((r) => !r.passed).length;
  return [line(head), ...rows.map(line), '', `${results.length - failed} passed, ${failed} failed of ${results.length} checks`].join('\n');
}
