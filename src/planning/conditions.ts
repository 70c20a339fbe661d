import type { Entity, Relationship } from '../model';

/**
 * A source-agnostic condition tree over one entity's fields. User filters, policy rules
 * and cursors all become this tree; each dialect turns it into SQL through its operator table.
 *
 * Values are canonical JS values: DateTime → Date, Decimal/BigInt → string, Boolean → boolean.
 */
export type CompareOp = 'eq' | 'neq' | 'lt' | 'lte' | 'gt' | 'gte';

export type Condition =
  | { readonly kind: 'true' }
  | { readonly kind: 'false' }
  | { readonly kind: 'and'; readonly items: readonly Condition[] }
  | { readonly kind: 'or'; readonly items: readonly Condition[] }
  | { readonly kind: 'not'; readonly item: Condition }
  | { readonly kind: 'compare'; readonly op: CompareOp; readonly field: string; readonly value: unknown }
  | { readonly kind: 'in'; readonly fields: readonly string[]; readonly values: readonly (readonly unknown[])[]; readonly negate: boolean }
  | { readonly kind: 'isNull'; readonly field: string; readonly isNull: boolean }
  | { readonly kind: 'like'; readonly field: string; readonly pattern: string; readonly caseInsensitive: boolean }
  /** Some row of `relationship`'s target (in the same source) matches `where`. */
  | { readonly kind: 'related'; readonly relationship: Relationship; readonly target: Entity; readonly where: Condition };

export const TRUE: Condition = Object.freeze({ kind: 'true' });
export const FALSE: Condition = Object.freeze({ kind: 'false' });

/** AND that folds constants, so "allow all" costs nothing and "deny" stays a visible FALSE. */
export function and(...items: Condition[]): Condition {
  const kept: Condition[] = [];
  for (const c of items) {
    if (c.kind === 'false') return FALSE;
    if (c.kind === 'true') continue;
    if (c.kind === 'and') kept.push(...c.items);
    else kept.push(c);
  }
  return kept.length === 0 ? TRUE : kept.length === 1 ? kept[0] : { kind: 'and', items: kept };
}

export function or(...items: Condition[]): Condition {
  const kept: Condition[] = [];
  for (const c of items) {
    if (c.kind === 'true') return TRUE;
    if (c.kind === 'false') continue;
    if (c.kind === 'or') kept.push(...c.items);
    else kept.push(c);
  }
  return kept.length === 0 ? FALSE : kept.length === 1 ? kept[0] : { kind: 'or', items: kept };
}

export function not(item: Condition): Condition {
  if (item.kind === 'true') return FALSE;
  if (item.kind === 'false') return TRUE;
  if (item.kind === 'not') return item.item;
  return { kind: 'not', item };
}

export function inKeys(fields: readonly string[], values: readonly (readonly unknown[])[]): Condition {
  return values.length === 0 ? FALSE : { kind: 'in', fields, values, negate: false };
}
