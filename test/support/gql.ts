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
