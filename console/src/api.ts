/** The console's only way to the gateway: GraphQL at /graphql with the signed-in user's token. */

const TOKEN_KEY = 'datagate.token';

export const getToken = (): string | null => sessionStorage.getItem(TOKEN_KEY);
export const setToken = (t: string): void => sessionStorage.setItem(TOKEN_KEY, t);
export const clearToken = (): void => sessionStorage.removeItem(TOKEN_KEY);

/** Fired when the gateway refuses the token: the app goes back to sign-in with this message. */
export const SIGNED_OUT = 'datagate:signed-out';

export interface GqlError {
  message: string;
  path?: (string | number)[];
  extensions?: { code?: string; reason?: string; [k: string]: unknown };
}

/** A problem the user can act on: what happened and what to do next. */
export class ApiError extends Error {
  constructor(
    message: string,
    readonly hint: string,
    readonly code?: string,
  ) {
    super(message);
  }
}

/** What to do next, by error code. */
export function hintFor(code: string | undefined, message: string): string {
  switch (code) {
    case 'UNAUTHENTICATED':
      return 'Sign in again: your token is missing, expired or not accepted.';
    case 'SOURCE_UNAVAILABLE':
    case 'SOURCE_TIMEOUT':
    case 'SOURCE_BUSY':
    case 'SOURCE_CIRCUIT_OPEN':
      return 'The database behind this data is not answering. Try again in a minute; if it lasts, tell the owner shown in the catalog.';
    case 'FORBIDDEN':
      return 'You have no access to this yet: open it in the catalog and request access.';
    case 'AUDIT_UNAVAILABLE':
      return 'The gateway cannot record access right now, so it refuses reads. Try again shortly.';
    case 'GRAPHQL_VALIDATION_FAILED':
      return /Cannot query field|Unknown argument|not defined/.test(message)
        ? 'Your role does not see this field or entity: check the catalog, or request access.'
        : 'Check the query against your schema (the playground lists what you may ask).';
    default:
      return code === 'LIMIT_EXCEEDED' ? 'Ask for fewer rows (a smaller page or a narrower filter).' : 'Try again; if it keeps failing, copy the message for the data platform team.';
  }
}

export interface GqlResult<T> {
  data: T;
  errors?: GqlError[];
  extensions?: { lineage?: LineageEntry[]; quality?: unknown; [k: string]: unknown };
}

export interface LineageEntry {
  path: string;
  kind: string;
  entity: string;
  source: string;
  table: string;
  fields: string[];
  columns: string[];
  masks?: Record<string, string>;
  rows: number;
  statements: number;
  [k: string]: unknown;
}

export function authHeaders(): Record<string, string> {
  const t = getToken();
  return t ? { authorization: `Bearer ${t}` } : {};
}

/** Turns an HTTP answer that is not a usable GraphQL answer into an ApiError (401 also signs out). */
async function failure(res: Response, body: { errors?: GqlError[] } | undefined): Promise<ApiError> {
  const e = body?.errors?.[0];
  if (res.status === 401) {
    const reason = e?.extensions?.reason ?? e?.message ?? 'the token was refused';
    clearToken();
    window.dispatchEvent(new CustomEvent(SIGNED_OUT, { detail: `Your session ended (${reason}). Sign in again.` }));
    return new ApiError(`Not signed in: ${reason}`, hintFor('UNAUTHENTICATED', ''), 'UNAUTHENTICATED');
  }
  const message = e?.message ?? `The gateway answered HTTP ${res.status}.`;
  return new ApiError(message, hintFor(e?.extensions?.code, message), e?.extensions?.code);
}

/**
 * Runs a GraphQL operation. Throws ApiError when there is no data at all; a partial answer (one
 * source down) resolves with its errors so the page can show what arrived and what did not.
 */
export async function gql<T = any>(query: string, variables?: Record<string, unknown>): Promise<GqlResult<T>> {
  let res: Response;
  try {
    res = await fetch('/graphql', {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...authHeaders() },
      body: JSON.stringify({ query, variables }),
    });
  } catch {
    throw new ApiError('The gateway cannot be reached.', 'Check your network connection, or whether the gateway is running, then retry.', 'NETWORK');
  }
  let body: GqlResult<T> | undefined;
  try {
    body = (await res.json()) as GqlResult<T>;
  } catch {
    body = undefined;
  }
  if (!res.ok || !body) throw await failure(res, body);
  if (body.data == null || (body.errors?.length && Object.values(body.data as object).every((v) => v === null))) {
    const e = body.errors?.[0];
    throw new ApiError(e?.message ?? 'The gateway answered without data.', hintFor(e?.extensions?.code, e?.message ?? ''), e?.extensions?.code);
  }
  return body;
}

const DOWNLOAD_FRAME = 'datagate-download';

/**
 * Downloads the rows of a query as CSV through POST /export.csv (same policy, masks and audit as the
 * screen) as a real browser download: a form posted into a hidden frame, which the browser saves to
 * disk as the rows stream in (a fetch would hold the whole file in this page's memory first). A
 * form cannot send an Authorization header, so the token goes in the POST body, never in a URL.
 * The browser reports nothing when a download starts; when the gateway refuses instead, its JSON
 * answer loads in the frame, and `onRefused` gets it as an ApiError (a refused token also signs out).
 */
export function downloadCsv(query: string, variables: Record<string, unknown>, filename: string, onRefused: (e: ApiError) => void): void {
  let frame = document.querySelector<HTMLIFrameElement>(`iframe[name="${DOWNLOAD_FRAME}"]`);
  if (!frame) {
    frame = document.createElement('iframe');
    frame.name = DOWNLOAD_FRAME;
    frame.title = 'CSV download';
    frame.hidden = true;
    document.body.appendChild(frame);
  }
  frame.onload = () => {
    const doc = frame!.contentDocument;
    if (!doc || doc.location.href === 'about:blank') return;
    let body: { errors?: GqlError[] } | undefined;
    try {
      body = JSON.parse(doc.body?.textContent ?? '');
    } catch {
      body = undefined;
    }
    const e = body?.errors?.[0];
    const code = e?.extensions?.code;
    if (code === 'UNAUTHENTICATED') {
      const reason = e?.extensions?.reason ?? e?.message ?? 'the token was refused';
      clearToken();
      window.dispatchEvent(new CustomEvent(SIGNED_OUT, { detail: `Your session ended (${reason}). Sign in again.` }));
    }
    const message = e?.message ?? 'The download did not start: the gateway answered something other than a CSV file.';
    onRefused(new ApiError(message, hintFor(code, message), code));
  };
  const form = document.createElement('form');
  form.method = 'POST';
  form.action = '/export.csv';
  form.target = DOWNLOAD_FRAME;
  form.hidden = true;
  const fields: Record<string, string> = { query, variables: JSON.stringify(variables), filename, operationName: 'ConsoleExport', token: getToken() ?? '' };
  for (const [name, value] of Object.entries(fields)) {
    const input = document.createElement('input');
    input.type = 'hidden';
    input.name = name;
    input.value = value;
    form.appendChild(input);
  }
  document.body.appendChild(form);
  form.submit();
  form.remove();
}
