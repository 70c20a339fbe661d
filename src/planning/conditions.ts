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

/**
 * The condition with each `related` node (outside other `related` nodes) replaced by `f(node)`,
 * through and / or / not, constants folded again.
 */
export function mapRelated(c: Condition, f: (r: Extract<Condition, { kind: 'related' }>) => Condition): Condition {
  switch (c.kind) {
    case 'and':
      return and(...c.items.map((i) => mapRelated(i, f)));
    case 'or':
      return or(...c.items.map((i) => mapRelated(i, f)));
    case 'not':
      return not(mapRelated(c.item, f));
    case 'related':
      return f(c);
    default:
      return c;
  }
}

export function inKeys(fields: readonly string[], values: readonly (readonly unknown[])[]): Condition {
  return values.length === 0 ? FALSE : { kind: 'in', fields, values, negate: false };
}

/**
 * Whether every row that satisfies `premise` satisfies `conclusion`, proven the simple way: each
 * conjunct of `conclusion` appears, structurally equal, among the conjuncts of `premise`. False
 * when unsure (it never guesses: a policy decision may rest on it).
 */
export function implies(premise: Condition, conclusion: Condition): boolean {
  if (conclusion.kind === 'true') return true;
  const have = premise.kind === 'and' ? premise.items : [premise];
  const need = conclusion.kind === 'and' ? conclusion.items : [conclusion];
  return need.every((n) => have.some((h) => sameCondition(h, n)));
}

/** Structural equality: same kinds, fields, operators and values; relationships and entities by identity. */
export function sameCondition(a: Condition, b: Condition): boolean {
  if (a === b) return true;
  switch (a.kind) {
    case 'true':
    case 'false':
      return b.kind === a.kind;
    case 'and':
    case 'or':
      return b.kind === a.kind && a.items.length === b.items.length && a.items.every((x, i) => sameCondition(x, b.items[i]));
    case 'not':
      return b.kind === 'not' && sameCondition(a.item, b.item);
    case 'compare':
      return b.kind === 'compare' && a.op === b.op && a.field === b.field && sameValue(a.value, b.value);
    case 'in':
      return (
        b.kind === 'in' &&
        a.negate === b.negate &&
        sameValue(a.fields, b.fields) &&
        a.values.length === b.values.length &&
        a.values.every((t, i) => sameValue(t, b.values[i]))
      );
    case 'isNull':
      return b.kind === 'isNull' && a.field === b.field && a.isNull === b.isNull;
    case 'like':
      return b.kind === 'like' && a.field === b.field && a.pattern === b.pattern && a.caseInsensitive === b.caseInsensitive;
    case 'related':
      return b.kind === 'related' && a.relationship === b.relationship && a.target === b.target && sameCondition(a.where, b.where);
  }
}

function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Date && b instanceof Date) return a.getTime() === b.getTime();
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  return false;
}
