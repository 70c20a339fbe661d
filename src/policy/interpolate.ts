import type { User } from '../identity';

/** A placeholder that cannot be filled for this user: the rule holding it drops out (see docs/POLICIES.md). */
export class MissingValue extends Error {
  constructor(readonly variable: string) {
    super(`no value for \${${variable}}`);
  }
}

export const PLACEHOLDER = /\$\{([a-zA-Z0-9_.]+)\}/g;
const WHOLE = /^\$\{([a-zA-Z0-9_.]+)\}$/;

export type Lookup = (path: string) => unknown;

const isPrimitive = (x: unknown) => x === null || ['string', 'number', 'boolean'].includes(typeof x);

/** `user.id`, `user.roles`, `user.<attribute>` of one user: primitives and lists of them only. */
export function userLookup(user: User, roles: readonly string[]): Lookup {
  return (path) => {
    const [head, name, ...rest] = path.split('.');
    if (head !== 'user' || !name || rest.length) throw new MissingValue(path);
    const v = name === 'id' ? user.id : name === 'roles' ? [...roles] : Object.prototype.hasOwnProperty.call(user.attributes, name) ? user.attributes[name] : undefined;
    if (v === undefined || v === null) throw new MissingValue(path);
    // Objects could carry `$`-operators into a query: never.
    if (!(isPrimitive(v) || (Array.isArray(v) && v.every(isPrimitive)))) throw new MissingValue(path);
    return v;
  };
}

/**
 * Fills `${user.*}` by walking the parsed value and replacing whole values, keeping their types:
 * never by text replacement in JSON, where a `"` in a claim could inject operators.
 */
export function interpolate<T>(node: T, lookup: Lookup): T {
  if (typeof node === 'string') {
    const whole = WHOLE.exec(node);
    if (whole) return lookup(whole[1]) as T;
    return node.replace(PLACEHOLDER, (_, p: string) => String(lookup(p))) as T;
  }
  if (Array.isArray(node)) return node.map((n) => interpolate(n, lookup)) as T;
  if (node && typeof node === 'object') return Object.fromEntries(Object.entries(node).map(([k, v]) => [k, interpolate(v, lookup)])) as T;
  return node;
}

/** Every placeholder variable in a value, for start-up checks. */
export function placeholdersIn(node: unknown, out: string[] = []): string[] {
  if (typeof node === 'string') for (const m of node.matchAll(PLACEHOLDER)) out.push(m[1]);
  else if (Array.isArray(node)) node.forEach((n) => placeholdersIn(n, out));
  else if (node && typeof node === 'object') Object.values(node).forEach((n) => placeholdersIn(n, out));
  return out;
}
