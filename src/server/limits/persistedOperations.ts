import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ConfigError } from '../../errors';

/** The allow-list of operations: sha256 of the query text → the text. */
export type PersistedOperations = ReadonlyMap<string, string>;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * Reads the manifest `{ "<sha256>": "<query text>" }` (the hash of each text, as Apollo APQ clients
 * compute it). Every entry is checked: a hash that is not its text's would refuse the very operation
 * it is meant to allow.
 */
export function loadPersistedOperations(file: string, configDir: string): PersistedOperations {
  const full = path.resolve(configDir, file);
  const where = { file: full, path: '' };
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(full, 'utf8'));
  } catch (e) {
    throw new ConfigError([{ ...where, message: `server.persistedOperations.file cannot be read as JSON: ${(e as Error).message}` }]);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json))
    throw new ConfigError([{ ...where, message: 'expected a JSON object { "<sha256 of the query>": "<query text>" }' }]);
  const problems = Object.entries(json).flatMap(([hash, text]) =>
    typeof text !== 'string'
      ? [{ ...where, path: hash, message: 'expected the query text (a string)' }]
      : sha256(text) !== hash.toLowerCase()
        ? [{ ...where, path: hash, message: `the key is not the sha256 of its query text (that is ${sha256(text)})` }]
        : [],
  );
  if (problems.length) throw new ConfigError(problems);
  return new Map(Object.entries(json as Record<string, string>).map(([h, t]) => [h.toLowerCase(), t]));
}

export type Admission = { ok: true; body: unknown } | Refusal;
export interface Refusal {
  ok: false;
  status: number;
  code: string;
  message: string;
}

/**
 * A request body under the allow-list. A known `extensions.persistedQuery.sha256Hash` or `id` becomes
 * its query text (so Apollo runs it as any query, its document cached by text). With `enforce`, only
 * operations of the manifest run: named by hash or id, or sent as their exact text.
 */
export function admitPersisted(ops: PersistedOperations, enforce: boolean, body: unknown): Admission {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return { ok: true, body };
  const b = body as { query?: unknown; id?: unknown; extensions?: { persistedQuery?: { sha256Hash?: unknown } } & Record<string, unknown> };
  const named = typeof b.id === 'string' ? b.id : typeof b.extensions?.persistedQuery?.sha256Hash === 'string' ? b.extensions.persistedQuery.sha256Hash : undefined;
  if (named !== undefined) {
    const text = ops.get(named.toLowerCase());
    if (text !== undefined) {
      if (typeof b.query === 'string' && b.query !== text) return { ok: false, status: 400, code: 'BAD_REQUEST', message: 'the query text is not the persisted operation its hash names' };
      const { persistedQuery: _, ...extensions } = b.extensions ?? {};
      const { id: __, ...rest } = b;
      return { ok: true, body: { ...rest, query: text, extensions } };
    }
    if (enforce) return { ok: false, status: 400, code: 'PERSISTED_QUERY_NOT_FOUND', message: `operation ${named.slice(0, 64)} is not among this gateway's persisted operations; your role may run only those` };
    return { ok: true, body };
  }
  if (!enforce) return { ok: true, body };
  if (typeof b.query === 'string' && ops.has(sha256(b.query))) return { ok: true, body };
  return {
    ok: false,
    status: 400,
    code: 'PERSISTED_QUERY_NOT_FOUND',
    message: "this gateway runs only its persisted operations for your role: send extensions.persistedQuery.sha256Hash (or id) of one, or its exact text",
  };
}
