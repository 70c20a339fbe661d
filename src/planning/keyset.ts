import { and, FALSE, or, type Condition } from './conditions';
import type { OrderTerm } from './plan';

/**
 * Rows strictly after the position `values` in the total order `terms` (keyset pagination):
 * OR over i of (terms before i equal AND term i after). NULLs sort where each term says.
 */
export function keysetAfter(terms: readonly OrderTerm[], values: readonly unknown[]): Condition {
  const branches: Condition[] = [];
  const equal: Condition[] = [];
  terms.forEach((t, i) => {
    const v = values[i];
    branches.push(and(...equal, after(t, v)));
    equal.push(v === null ? { kind: 'isNull', field: t.field, isNull: true } : { kind: 'compare', op: 'eq', field: t.field, value: v });
  });
  return or(...branches);
}

function after(t: OrderTerm, v: unknown): Condition {
  if (v === null) return t.nulls === 'first' ? { kind: 'isNull', field: t.field, isNull: false } : FALSE;
  const strict: Condition = { kind: 'compare', op: t.direction === 'asc' ? 'gt' : 'lt', field: t.field, value: v };
  return t.nulls === 'last' ? or(strict, { kind: 'isNull', field: t.field, isNull: true }) : strict;
}
