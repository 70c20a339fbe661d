import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext, type GraphQLRequestListener } from '@apollo/server';
import Negotiator from 'negotiator';
import { GraphQLError, type DocumentNode, type ExecutionResult, type FormattedExecutionResult, type GraphQLFormattedError, type GraphQLSchema, type OperationDefinitionNode } from 'graphql';
import type { CompiledQuery } from 'graphql-jit';
import type { RequestContext } from '../graph';
import { asGraphQLError } from './jitExecutor';

/**
 * How many compiled operations all role sets together may keep. A compiled query is JavaScript
 * (closures per field) and pins its document: without a bound across role sets, a caller sending
 * distinct valid queries, under many role sets (grants are per user), would grow the heap without end.
 */
export class CompiledBudget {
  used = 0;
  constructor(readonly max = 4000) {}
}

/**
 * The known queries of one role set's server: the documents its Apollo Server parsed, validated
 * (graphql-armor's rules, introspection, recursion cap: everything this role set is held to) and
 * executed, each with graphql-jit's compiled form. Filled by the JIT executor (jitExecutor.ts) when
 * a query first runs through Apollo, keyed by the exact query text and the operation name the
 * request gave; only query operations (never mutations) are kept.
 *
 * Bounded per role set (`max`) and across role sets (the shared budget). Past either bound the role
 * set starts again from empty: the queries in use come back through Apollo once each and are kept
 * again, and other role sets' entries stay. A query not kept is answered by Apollo, never refused.
 */
export class CompiledOperations {
  private readonly byName = new Map<string | null, Map<string, CompiledOperation>>();
  private size = 0;
  constructor(
    private readonly budget = new CompiledBudget(),
    private readonly max = 500,
  ) {}

  get(operationName: string | null, query: string): CompiledOperation | undefined {
    return this.byName.get(operationName)?.get(query);
  }

  add(operationName: string | null, query: string, op: CompiledOperation): void {
    let m = this.byName.get(operationName);
    if (m?.has(query)) return;
    if (this.size >= this.max || this.budget.used >= this.budget.max) {
      this.clear();
      m = undefined;
      // Every other role set holds the whole budget: keep nothing rather than take from them.
      if (this.budget.used >= this.budget.max) return;
    }
    if (!m) this.byName.set(operationName, (m = new Map()));
    m.set(query, op);
    this.size++;
    this.budget.used++;
  }

  /** Forgets every entry and gives them back to the budget (also when the role set's server is dropped). */
  clear(): void {
    this.budget.used -= this.size;
    this.size = 0;
    this.byName.clear();
  }

  get count(): number {
    return this.size;
  }
}

export interface CompiledOperation {
  readonly document: DocumentNode;
  readonly operation: OperationDefinitionNode;
  /** `operation.name`, or null for an anonymous operation (as Apollo sets `operationName`). */
  readonly operationName: string | null;
  /** Apollo's hash of the query text (the audit plugin keys its normalized hash by it). */
  readonly queryHash: string;
  readonly compiled: CompiledQuery;
}

/** What the fast pipeline answered: Apollo's status and headers, and its body without the final newline (writeJsonLine adds it). */
export interface FastAnswer {
  readonly status: number;
  readonly headers: HeaderMap;
  readonly json: string;
}

type Listener = GraphQLRequestListener<RequestContext>;

export interface FastPipeline {
  /** Answers a request as Apollo would, or declines (null) before anything ran: see createFastPipeline. */
  run(body: unknown, accept: string | undefined, context: () => RequestContext): Promise<FastAnswer | null>;
  /** Requests it answered (the rest went to Apollo). */
  readonly answered: number;
}
/**
 * Hooks this pipeline does not run: it runs didResolveOperation, didEncounterErrors and
 * willSendResponse as Apollo does for a document found in its cache. A listener with any other hook
 * (Apollo skips parsing and validation hooks for a cached document too: declining is the cautious side)
 * sends the request to Apollo.
 */
const NOT_RUN = ['didResolveSource', 'parsingDidStart', 'validationDidStart', 'executionDidStart', 'responseForOperation', 'didEncounterSubsequentErrors', 'willSendSubsequentPayload'] as const;

/** A listener with a hook this pipeline does not run (read as properties: a class's methods count too). */
function needsApollo(l: Listener): boolean {
  for (const hook of NOT_RUN) if (l[hook] !== undefined) return true;
  return false;
}

const APPLICATION_JSON = 'application/json; charset=utf-8';
const GRAPHQL_RESPONSE_JSON = 'application/graphql-response+json; charset=utf-8';
const JSON_CALLBACK = 'application/json; callbackSpec=1.0; charset=utf-8';

/**
 * Apollo Server's request pipeline, for the case that is nearly all of a gateway's traffic: a POST of
 * a query this role set's server has already parsed, validated and compiled. Apollo's pipeline costs
 * a fixed ~0.06 ms of CPU per request on this machine (hashing the text, its document cache, content
 * negotiation twice, a dozen rounds of plugin hooks, cloning the context: PERFORMANCE-NOTES), as much
 * as the rest of a point lookup. This runs the same steps for a known document, with the same
 * plugins and the same error formatting, and answers the same bytes (test/server/fastPipeline.test.ts
 * holds it to that, request by request, against Apollo's own answer).
 *
 * It declines (returns null) before anything is recorded or read whenever it would not answer
 * exactly as Apollo: an unknown query (Apollo parses, validates and registers it), anything but a
 * plain JSON POST of a query, an Accept header that does not take JSON, a plugin hook it does not
 * run, a plugin refusing the operation before execution (row budget, audit store down), variables
 * that do not coerce. The caller then hands the request to Apollo, which answers it from scratch.
 *
 * What it never skips: every check that depends on the request rather than the document. Parse and
 * validation limits are properties of the text, which this role set's server already passed; the
 * row budget, the audit store's state and everything a plugin decides per request run here through
 * the plugins themselves.
 */
export function createFastPipeline(o: {
  schema: GraphQLSchema;
  /** Every plugin the role set's Apollo Server runs, in the same order. */
  plugins: readonly ApolloServerPlugin<RequestContext>[];
  /** The server's formatError. */
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError;
  operations: CompiledOperations;
}): FastPipeline {
  const withRequestHooks = o.plugins.filter((p) => p.requestDidStart);
  const contentTypes = new Map<string, string | null>();
  /** Apollo's choice of content type for a single result (chooseContentTypeForSingleResultResponse), memoized per Accept header. */
  const contentTypeFor = (accept: string | undefined): string | null => {
    if (!accept) return APPLICATION_JSON;
    let t = contentTypes.get(accept);
    if (t === undefined) {
      t = new Negotiator({ headers: { accept } }).mediaType([APPLICATION_JSON, GRAPHQL_RESPONSE_JSON, JSON_CALLBACK]) ?? null;
      if (contentTypes.size >= 100) contentTypes.clear();
      contentTypes.set(accept, t);
    }
    return t;
  };

  /** Per plugin, the last listener found to have no hook this pipeline skips. */
  const passed: (Listener | undefined)[] = withRequestHooks.map(() => undefined);
  let answered = 0;
  const run: FastPipeline['run'] = async (body, accept, context) => {
    if (typeof body !== 'object' || body === null) return null;
    const { query, variables, operationName, extensions } = body as { query?: unknown; variables?: unknown; operationName?: unknown; extensions?: unknown };
    if (typeof query !== 'string' || extensions != null) return null;
    if (variables != null && (typeof variables !== 'object' || Array.isArray(variables))) return null;
    if (operationName != null && (typeof operationName !== 'string' || operationName === '')) return null;
    const known = o.operations.get((operationName as string | undefined) ?? null, query);
    if (!known) return null;
    const contentType = contentTypeFor(accept);
    // Apollo answers 406 to an Accept without JSON, and subscription callbacks are not ours to answer.
    if (contentType === null || contentType === JSON_CALLBACK) return null;

    const ctx = context();
    const response = { http: { status: undefined as number | undefined, headers: new HeaderMap() }, body: undefined as unknown };
    // The request context Apollo would hand plugins for a document found in its cache. Not built:
    // `request.http` (no plugin of ours reads it), `logger`, `cache`, `metrics`, `overallCachePolicy`.
    const rc = {
      schema: o.schema,
      contextValue: ctx,
      request: { query, operationName: operationName ?? undefined, variables: (variables as Record<string, unknown> | null) ?? undefined },
      response,
      source: query,
      queryHash: known.queryHash,
      document: known.document,
      operation: known.operation,
      operationName: known.operationName,
      errors: undefined as readonly GraphQLError[] | undefined,
      metrics: {},
      requestIsBatched: false,
    } as unknown as GraphQLRequestContext<RequestContext> & { errors?: readonly GraphQLError[] };

    // As Apollo: every plugin's requestDidStart at once, then each hook over the listeners that have it.
    const listeners: Listener[] = [];
    const started = await Promise.all(withRequestHooks.map((p) => p.requestDidStart!(rc)));
    for (let i = 0; i < started.length; i++) {
      const l = started[i];
      if (!l) continue;
      // A plugin that hands every request the same listener (lineage's) is checked once.
      if (l !== passed[i]) {
        if (needsApollo(l)) return null;
        passed[i] = l;
      }
      listeners.push(l);
    }
    try {
      const resolving: Promise<void>[] = [];
      for (const l of listeners) if (l.didResolveOperation) resolving.push(l.didResolveOperation(rc as never));
      if (resolving.length) await Promise.all(resolving);
    } catch {
      // A refusal (row budget, audit store down): Apollo answers it, with its status and headers.
      return null;
    }

    let result: ExecutionResult;
    try {
      result = (await known.compiled.query(undefined, ctx, (variables as Record<string, unknown> | null) ?? {})) as ExecutionResult;
    } catch (e) {
      // Apollo's answer to an executor that throws: the error alone, 500 unless it says otherwise.
      answered++;
      return respond(rc, listeners, response, [asGraphQLError(e instanceof Error ? e : new Error(String(e)))], undefined, contentType, o.formatError, 500);
    }
    // No data: the variables did not coerce, and nothing ran. Apollo answers those (400, BAD_USER_INPUT).
    if (result.data === undefined) return null;
    answered++;
    return respond(rc, listeners, response, result.errors?.map(asGraphQLError), result, contentType, o.formatError);
  };
  return {
    run,
    get answered() {
      return answered;
    },
  };
}

async function respond(
  rc: GraphQLRequestContext<RequestContext> & { errors?: readonly GraphQLError[] },
  listeners: readonly Listener[],
  response: { http: { status: number | undefined; headers: HeaderMap }; body: unknown },
  errors: GraphQLError[] | undefined,
  result: ExecutionResult | undefined,
  contentType: string,
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
  defaultStatus?: number,
): Promise<FastAnswer> {
  let formatted: GraphQLFormattedError[] | undefined;
  if (errors?.length) {
    rc.errors = errors;
    await Promise.all(listeners.flatMap((l) => (l.didEncounterErrors ? [l.didEncounterErrors(rc as never)] : [])));
    formatted = errors.map((e) => formatOne(e, formatError, response.http));
  }
  if (defaultStatus !== undefined && !response.http.status) response.http.status = defaultStatus;
  // Apollo's copy of the result (its fields written out: a spread of graphql-jit's result object was a visible part of a by-key request's cost).
  const singleResult: FormattedExecutionResult = result ? { data: result.data, errors: formatted, extensions: result.extensions } : { errors: formatted };
  response.body = { kind: 'single', singleResult };
  const sending: Promise<void>[] = [];
  for (const l of listeners) if (l.willSendResponse) sending.push(l.willSendResponse(rc as never));
  if (sending.length) await Promise.all(sending);
  if (!response.http.headers.has('content-type')) response.http.headers.set('content-type', contentType);
  const r = singleResult;
  return { status: response.http.status ?? 200, headers: response.http.headers, json: JSON.stringify({ errors: r.errors, data: r.data, extensions: r.extensions }) };
}

/** Apollo's normalizeAndFormatErrors for one error (without stack traces, which the gateway never sends). */
function formatOne(
  error: GraphQLError,
  formatError: (formatted: GraphQLFormattedError, error: unknown) => GraphQLFormattedError,
  http: { status: number | undefined; headers: HeaderMap },
): GraphQLFormattedError {
  try {
    const extensions: Record<string, unknown> = { ...error.extensions, code: error.extensions.code ?? 'INTERNAL_SERVER_ERROR' };
    const h = extensions.http as { status?: unknown; headers?: unknown } | undefined;
    if (h && typeof h === 'object' && (!('status' in h) || typeof h.status === 'number') && (!('headers' in h) || h.headers instanceof Map)) {
      if (typeof h.status === 'number' && h.status) http.status = h.status;
      if (h.headers instanceof Map) for (const [k, v] of h.headers) http.headers.set(k, v);
      delete extensions.http;
    }
    return formatError({ ...error.toJSON(), extensions }, error);
  } catch {
    return { message: 'Internal server error', extensions: { code: 'INTERNAL_SERVER_ERROR' } };
  }
}
