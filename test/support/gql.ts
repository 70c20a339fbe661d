import type { LineageEntry } from '../../src/graph';

/** POSTs a GraphQL request the way any client would, and returns status and parsed body. */
export async function postGraphQL(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const text = await res.text();
  let body: { data?: any; errors?: { message: string; path?: (string | number)[]; extensions?: Record<string, unknown> }[]; extensions?: any };
  try {
    body = JSON.parse(text);
  } catch {
    throw new Error(`non-JSON answer (HTTP ${res.status}): ${text.slice(0, 200)}`);
  }
  return { status: res.status, body, text, headers: res.headers };
}

/**
 * A request that must succeed (HTTP 200, no errors): its data and its lineage entries
 * (`extensions.lineage`, empty when the answer has none).
 */
export async function dataWithLineage(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}) {
  const r = await postGraphQL(url, query, variables, headers);
  expect({ status: r.status, errors: r.body.errors }).toEqual({ status: 200, errors: undefined });
  return { data: r.body.data, lineage: (r.body.extensions?.lineage ?? []) as LineageEntry[] };
}
