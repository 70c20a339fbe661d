import { badInput } from '../errors';
import type { Entity } from '../model';
import type { OrderTerm } from './plan';

/** `ASC`, `DESC_NULLS_LAST`, … as offered by the `OrderDirection` enum. */
export function parseDirection(value: string): Pick<OrderTerm, 'direction' | 'nulls'> {
  const [dir, , where] = value.toLowerCase().split('_');
  const direction = dir === 'desc' ? 'desc' : 'asc';
  // Defaults follow PostgreSQL: NULLs sort as the largest value.
  const nulls = where === 'first' || where === 'last' ? where : direction === 'asc' ? 'last' : 'first';
  return { direction, nulls };
}

/** `[{ region: ASC }, { created_at: DESC_NULLS_LAST }]` → order terms. One key per element: input objects have no key order. */
export function orderByToTerms(entity: Entity, orderBy: readonly Record<string, string>[] | null | undefined): OrderTerm[] {
  if (!orderBy) return [];
  return orderBy.map((item) => {
    const keys = Object.keys(item).filter((k) => item[k] !== undefined && item[k] !== null);
    if (keys.length !== 1) throw badInput(`each orderBy element names exactly one field, found ${keys.length}: write [{a: ASC}, {b: DESC}]`);
    const field = keys[0];
    if (!entity.fields.has(field)) throw badInput(`${entity.name} has no field "${field}" to order by`);
    return { field, ...parseDirection(item[field]) };
  });
}

/** Appends the key so that every order is total: stable pages with offset and with cursors. */
export function withKeyTieBreak(entity: Entity, terms: readonly OrderTerm[]): OrderTerm[] {
  if (terms.some((t) => t.field === entity.key)) return [...terms];
  return [...terms, { field: entity.key, direction: 'asc', nulls: 'last' }];
}
