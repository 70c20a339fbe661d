import { lowerFirst, pluralize } from '../../model';

/**
 * Database names → model names: good guesses, not a grammar. A person reviews the draft; `plural:` and
 * renaming fix the rest.
 */

const GRAPHQL_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;

const IRREGULAR: Readonly<Record<string, string>> = {
  people: 'person', men: 'man', women: 'woman', children: 'child', mice: 'mouse', geese: 'goose', feet: 'foot', teeth: 'tooth',
  data: 'data', media: 'media', criteria: 'criterion', indices: 'index', matrices: 'matrix', vertices: 'vertex', analyses: 'analysis',
  news: 'news', series: 'series', species: 'species', statuses: 'status', buses: 'bus', bonuses: 'bonus', campuses: 'campus',
  viruses: 'virus', movies: 'movie', cookies: 'cookie', caches: 'cache',
};

/** `categories` → `category`, `addresses` → `address`, `people` → `person`, `status` → `status`. */
export function singularize(word: string): string {
  const irregular = IRREGULAR[word.toLowerCase()];
  if (irregular) return /^[A-Z]/.test(word) ? irregular.charAt(0).toUpperCase() + irregular.slice(1) : irregular;
  if (/[^aeiou]ies$/i.test(word)) return word.slice(0, -3) + (/IES$/.test(word) ? 'Y' : 'y');
  if (/(ss|x|ch|sh)es$/i.test(word)) return word.slice(0, -2);
  if (/(ss|us|is)$/i.test(word)) return word;
  if (/s$/i.test(word) && word.length > 1) return word.slice(0, -1);
  return word;
}

/** Words of an identifier: `order_lines`, `OrderLines`, `order-lines` → [order, lines]. */
export function words(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2') // HTTPLogs → HTTP Logs
    .split(/[^A-Za-z0-9]+/)
    .filter(Boolean)
    .map((w) => w.toLowerCase());
}

const cap = (w: string) => w.charAt(0).toUpperCase() + w.slice(1);

export function pascalCase(name: string): string {
  return words(name).map(cap).join('');
}

export function camelCase(name: string): string {
  return lowerFirst(pascalCase(name));
}

/** `order_lines` → `OrderLine`: PascalCase with the last word singular; always a valid entity name. */
export function entityNameOf(table: string): string {
  const w = words(table);
  if (w.length) w[w.length - 1] = singularize(w[w.length - 1]);
  const name = w.map(cap).join('');
  if (!name) return 'Table';
  return /^[0-9]/.test(name) ? `T${name}` : name;
}

/**
 * The root-field plural of an entity: the table's own name when it was a plural that naive `pluralize` would
 * not give back (`people`, not `persons`); undefined when the default is right.
 */
export function pluralOverride(table: string, entity: string): string | undefined {
  const w = words(table);
  const last = w[w.length - 1];
  if (!last || singularize(last) === last) return undefined;
  const tablePlural = camelCase(table);
  if (!GRAPHQL_NAME.test(tablePlural) || tablePlural === pluralize(lowerFirst(entity))) return undefined;
  return tablePlural;
}

/** A column name as a field name: itself when it is a valid GraphQL name, else a cleaned-up version. */
export function fieldNameOf(column: string): string {
  if (GRAPHQL_NAME.test(column)) return column;
  const cleaned = column.replace(/[^A-Za-z0-9_]+/g, '_').replace(/_+/g, '_').replace(/^_+|_+$/g, '');
  return GRAPHQL_NAME.test(cleaned) ? cleaned : `f_${cleaned || 'column'}`;
}

/** `customer_id` → `customer`, `billingAddressId` → `billingAddress`; composite keys join their columns. */
export function referenceStem(columns: readonly string[]): string {
  const stem = camelCase(columns.length === 1 ? columns[0].replace(/(_id|Id|_fk|_key)$/, '') : columns.join('_'));
  return stem || camelCase(columns.join('_')) || 'ref';
}

/** First of `base`, `base2`, `base3`… that `taken` does not hold. */
export function uniqueName(base: string, taken: (name: string) => boolean): string {
  if (!taken(base)) return base;
  for (let i = 2; ; i++) if (!taken(`${base}${i}`)) return `${base}${i}`;
}
