/** Plain-TypeScript reference semantics the SQL answers are checked against. */
export type Dir = 'ASC' | 'DESC' | 'ASC_NULLS_FIRST' | 'ASC_NULLS_LAST' | 'DESC_NULLS_FIRST' | 'DESC_NULLS_LAST';

function cmp(a: unknown, b: unknown): number {
  if (a instanceof Date && b instanceof Date) return a.getTime() - b.getTime();
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  if (typeof a === 'string' && typeof b === 'string' && /^-?\d+(\.\d+)?$/.test(a) && /^-?\d+(\.\d+)?$/.test(b)) return Number(a) - Number(b);
  return a! < b! ? -1 : a! > b! ? 1 : 0;
}

/** Sorts like SQL with explicit NULL placement; the key (`id`) breaks ties, ascending. */
export function sortRows<T extends Record<string, unknown>>(rows: T[], order: [keyof T & string, Dir][]): T[] {
  return [...rows].sort((x, y) => {
    for (const [f, dir] of order) {
      const desc = dir.startsWith('DESC');
      const nullsFirst = dir.endsWith('NULLS_FIRST') || (!dir.includes('NULLS') && desc);
      const a = x[f], b = y[f];
      if (a === null && b === null) continue;
      if (a === null) return nullsFirst ? -1 : 1;
      if (b === null) return nullsFirst ? 1 : -1;
      const c = cmp(a, b);
      if (c !== 0) return desc ? -c : c;
    }
    return (x.id as number) - (y.id as number);
  });
}

export const ids = (rows: { id: number | string }[]) => rows.map((r) => Number(r.id));

/** Decimal strings summed exactly (in cents). */
export function sumCents(values: string[]): string {
  const cents = values.reduce((acc, v) => acc + BigInt(Math.round(Number(v) * 100)), 0n);
  const sign = cents < 0n ? '-' : '';
  const abs = cents < 0n ? -cents : cents;
  return `${sign}${abs / 100n}.${String(abs % 100n).padStart(2, '0')}`;
}
