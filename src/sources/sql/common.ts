import type { FieldType } from '../../model';
import type { OrderTerm } from '../../planning';

/** ORDER BY for engines that know NULLS FIRST/LAST; the clause is left out when it is the engine's default (keeps indexes usable). */
export function orderTermWithNulls(nullsLargest: boolean) {
  return (ref: string, t: OrderTerm): { sql: string; bindings: unknown[] } => {
    const isDefault = (t.nulls === 'last') === (t.direction === 'asc') === nullsLargest;
    return { sql: `?? ${t.direction}${isDefault ? '' : ` nulls ${t.nulls}`}`, bindings: [ref] };
  };
}

/** Values most drivers bind as they are. */
export function identityEncode(_type: FieldType, value: unknown): unknown {
  return value;
}
