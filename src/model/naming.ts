/** `OrderLine` → `orderLine`. */
export function lowerFirst(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

/** English plural good enough for entity names; a model can override it with `plural:`. */
export function pluralize(word: string): string {
  if (/[^aeiou]y$/i.test(word)) return word.slice(0, -1) + 'ies';
  if (/(s|x|z|ch|sh)$/i.test(word)) return word + 'es';
  return word + 's';
}

/** Root fields of the hand-written API: no entity may generate one of these names. */
export const RESERVED_ROOT_FIELDS: ReadonlySet<string> = new Set(['health', 'sources', 'me', 'myAccess', 'whyNot', 'catalog', 'accessRequests', 'auditLog', 'node', 'nodes']);
