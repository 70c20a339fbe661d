import { createHash } from 'node:crypto';
import { HeaderMap, type ApolloServerPlugin, type GraphQLRequestContext, type GraphQLRequestListener } from '@apollo/server';
import { GraphQLError, getOperationAST, Kind, parse, print, type FormattedExecutionResult, type GraphQLFormattedError, type OperationDefinitionNode } from 'graphql';
import { DatagateError, ErrorCode } from '../../errors';
import type { AuditLog } from '../../governance';
import type { QueryTrace, RequestContext } from '../../graph';
import type { AuditOutcome, NewAuditRecord } from '../../store';

/**
 * The audit plugin: one record per GraphQL operation, built from what the request already holds
 * (the trace of the statements it ran, its errors, its view) and handed to the AuditLog's queue.
 * Nothing here waits on the store: building a record is O(statements + errors + root fields).
 *
 * It also refuses operations the log could not record: in `onStoreFailure: refuse` mode, once the
 * store counts as failed, every operation but `health` (and introspection) is answered with
 * AUDIT_UNAVAILABLE before it runs.
 */
export function auditPlugin(audit: AuditLog): ApolloServerPlugin<RequestContext> {
  const hashes = new OperationHashes();
  return {
    async requestDidStart(): Promise<GraphQLRequestListener<RequestContext>> {
      const at = new Date();
      const started = performance.now();
      return {
        async didResolveOperation(rc) {
          if (audit.refusing && !isExempt(rc.operation)) {
            throw new GraphQLError(AUDIT_UNAVAILABLE_MESSAGE, {
              originalError: new DatagateError(ErrorCode.AUDIT_UNAVAILABLE, AUDIT_UNAVAILABLE_MESSAGE),
              extensions: { http: { status: 503, headers: new HeaderMap([['retry-after', '5']]) } },
            });
          }
        },
        async willSendResponse(rc) {
          audit.record(buildRecord(rc, at, performance.now() - started, hashes));
        },
      };
    },
  };
}

export const AUDIT_UNAVAILABLE_MESSAGE = 'reads are refused while the audit log cannot be written; see /health';

/** Fields an operation may ask for while reads are refused: they read no data and report the failure. */
const EXEMPT_ROOT_FIELDS = new Set(['health', '__typename', '__schema', '__type']);

function isExempt(op: OperationDefinitionNode | undefined): boolean {
  if (!op || op.operation !== 'query') return false;
  return op.selectionSet.selections.every((s) => s.kind === Kind.FIELD && EXEMPT_ROOT_FIELDS.has(s.name.value));
}

/** Error codes that mean "refused" rather than "failed". Validation errors count: a role's schema hides what it may not read. */
const DENIAL_CODES = new Set<string>([
  ErrorCode.FORBIDDEN,
  ErrorCode.LIMIT_EXCEEDED,
  ErrorCode.UNAUTHENTICATED,
  ErrorCode.AUDIT_UNAVAILABLE,
  'FORBIDDEN_FIELD',
  'GRAPHQL_VALIDATION_FAILED',
]);

export interface Denial {
  code: string;
  message: string;
  path?: string;
}

const MAX_MESSAGE = 500;
const MAX_DENIALS = 20;

/** The trace entry as the lineage work extends it (optional fields; read only when present). */
type Trace = QueryTrace & { readonly path?: string; readonly returned?: number; readonly lookup?: unknown };

function buildRecord(rc: GraphQLRequestContext<RequestContext>, at: Date, durationMs: number, hashes: OperationHashes): NewAuditRecord {
  const ctx = rc.contextValue;
  const view = ctx.access.view;
  const entities = new Set<string>();
  const fields = new Set<string>();
  const sources = new Set<string>();
  const rowCounts: Record<string, number> = {};
  const masks: Record<string, string> = {};
  for (const t of ctx.trace as readonly Trace[]) {
    entities.add(t.entity);
    sources.add(t.source);
    const fv = view.entities.get(t.entity)?.fields;
    for (const f of t.fields) {
      const name = `${t.entity}.${f}`;
      if (fields.has(name)) continue;
      fields.add(name);
      const v = fv?.get(f);
      if (v?.mask && v.maskMode !== 'none') masks[name] = v.maskMode === 'conditional' ? `${v.mask} (some rows)` : v.mask;
    }
    if (t.lookup || t.kind === 'count') continue; // keys fetched for a filter, or a count: no rows reach the answer
    const key = t.kind === 'aggregate' ? `${t.path ?? t.entity} (groups)` : (t.path ?? t.entity);
    rowCounts[key] = (rowCounts[key] ?? 0) + (t.returned ?? t.rows);
  }
  // A request that failed validation never resolved its operation: take it from the document.
  const op = rc.operation ?? (rc.document ? (getOperationAST(rc.document, rc.request.operationName) ?? undefined) : undefined);
  if (op) for (const f of rootFields(op)) fields.add(f);
  const { errors, data } = responseOf(rc);
  const denials: Denial[] = [];
  for (const e of errors) {
    const code = typeof e.extensions?.code === 'string' ? e.extensions.code : '';
    if (!DENIAL_CODES.has(code) || denials.length >= MAX_DENIALS) continue;
    denials.push({ code, message: e.message.length > MAX_MESSAGE ? `${e.message.slice(0, MAX_MESSAGE)}…` : e.message, ...(e.path ? { path: e.path.join('.') } : {}) });
  }
  return {
    at,
    requestId: ctx.requestId,
    userId: ctx.user.id,
    roles: [...view.roles],
    operationName: rc.operationName ?? op?.name?.value ?? null,
    operationHash: hashes.of(rc),
    entities: [...entities],
    fields: [...fields],
    sources: [...sources],
    rowCounts,
    masks,
    denials,
    durationMs: Math.round(durationMs * 1000) / 1000,
    outcome: outcomeOf(errors, data, denials),
  };
}

/** Root fields per operation: a known document's operation node is the same object on every request. */
const rootFieldsOf = new WeakMap<OperationDefinitionNode, readonly string[]>();

/** `Query.customers`, `Mutation.approveAccessRequest`: what was asked, even when no statement ran. */
function rootFields(op: OperationDefinitionNode): readonly string[] {
  let fields = rootFieldsOf.get(op);
  if (!fields) rootFieldsOf.set(op, (fields = walkRootFields(op)));
  return fields;
}

function walkRootFields(op: OperationDefinitionNode): string[] {
  const type = op.operation === 'query' ? 'Query' : op.operation === 'mutation' ? 'Mutation' : 'Subscription';
  const out: string[] = [];
  const walk = (sels: OperationDefinitionNode['selectionSet']['selections'], depth: number) => {
    for (const s of sels) {
      if (s.kind === Kind.FIELD) {
        if (s.name.value !== '__typename') out.push(`${type}.${s.name.value}`);
      } else if (s.kind === Kind.INLINE_FRAGMENT && depth < 3) walk(s.selectionSet.selections, depth + 1);
    }
  };
  walk(op.selectionSet.selections, 0);
  return [...new Set(out)];
}

function responseOf(rc: GraphQLRequestContext<RequestContext>): { errors: readonly GraphQLFormattedError[]; data: FormattedExecutionResult['data'] } {
  const body = rc.response.body;
  if (body?.kind === 'single') return { errors: body.singleResult.errors ?? [], data: body.singleResult.data };
  if (body?.kind === 'incremental') return { errors: body.initialResult.errors ?? [], data: body.initialResult.data };
  // No body: count the raw errors, with codes only from our own errors.
  return { errors: (rc.errors ?? []).map((e) => ({ message: 'error', extensions: { code: (e.originalError as { code?: string } | undefined)?.code ?? ErrorCode.INTERNAL } })), data: undefined };
}

/** The outcome of a request as its audit record has it (`ok | partial | denied | error`), from its response. */
export function outcomeOfResponse(rc: GraphQLRequestContext<RequestContext>): AuditOutcome {
  const { errors, data } = responseOf(rc);
  if (!errors.length) return 'ok';
  const denied = errors.some((e) => typeof e.extensions?.code === 'string' && DENIAL_CODES.has(e.extensions.code));
  return outcomeOf(errors, data, denied ? [{ code: '', message: '' }] : []);
}

function outcomeOf(errors: readonly GraphQLFormattedError[], data: FormattedExecutionResult['data'], denials: readonly Denial[]): AuditOutcome {
  if (!errors.length) return 'ok';
  const answered = !!data && Object.values(data).some((v) => v !== null && v !== undefined);
  if (answered) return 'partial';
  return denials.length ? 'denied' : 'error';
}

/**
 * sha256 of the operation as graphql-js prints it (whitespace, commas and comments normalized),
 * computed once per distinct query text: Apollo already hashed the raw text, which keys this cache.
 */
class OperationHashes {
  private readonly cache = new Map<string, string>();
  of(rc: GraphQLRequestContext<RequestContext>): string | null {
    const raw = rc.queryHash;
    if (raw && this.cache.has(raw)) return this.cache.get(raw)!;
    const text = rc.document ? print(rc.document) : rc.source;
    if (text === undefined) return null;
    const hash = sha256(text);
    if (raw) {
      if (this.cache.size >= 1000) this.cache.delete(this.cache.keys().next().value!);
      this.cache.set(raw, hash);
    }
    return hash;
  }
}

/** The operation's name and the hash the plugin gives the same text; a text that does not parse is hashed as it came. */
function parseQuery(query: string, operationName: string | null): { name: string | null; hash: string } {
  try {
    const doc = parse(query, { noLocation: true });
    return { name: getOperationAST(doc, operationName)?.name?.value ?? null, hash: sha256(print(doc)) };
  } catch {
    return { name: null, hash: sha256(query) };
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * A request refused before it reached Apollo (a bad token: 401; a role header naming a role the
 * token lacks: 403): recorded as `denied`, with what the body named of the operation.
 */
export function auditRefusedRequest(
  audit: AuditLog,
  r: { requestId: string; at: Date; startedMs: number; code: string; message: string; body: unknown; userId?: string | null },
): void {
  const b = (typeof r.body === 'object' && r.body !== null ? r.body : {}) as { operationName?: unknown; query?: unknown };
  const named = typeof b.operationName === 'string' ? b.operationName : null;
  const parsed = typeof b.query === 'string' ? parseQuery(b.query, named) : null;
  audit.record({
    at: r.at,
    requestId: r.requestId,
    userId: r.userId ?? null,
    roles: [],
    operationName: named ?? parsed?.name ?? null,
    operationHash: parsed?.hash ?? null,
    entities: [],
    fields: [],
    sources: [],
    rowCounts: {},
    masks: {},
    denials: [{ code: r.code, message: r.message.slice(0, MAX_MESSAGE) }],
    durationMs: Math.round((performance.now() - r.startedMs) * 1000) / 1000,
    outcome: 'denied',
  });
}
