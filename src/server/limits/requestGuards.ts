import type { ApolloServerPlugin } from '@apollo/server';
import type http from 'node:http';
import type { ParseOptions } from 'graphql/language/parser';
import type { ValidationRule } from 'graphql';
import type { LimitsConfig, LimitValues, ServerConfig } from '../../config';
import type { RequestContext, Runtime } from '../../graph';
import { rowFieldsOf } from '../../graph/rowEstimate';
import type { Registry } from '../../model';
import type { RoleSetView } from '../../policy';
import type { Logger } from '../formatError';
import { rowBudgetPlugin } from '../plugins/rowBudget';
import { armorRules } from './armor';
import { applyCors } from './cors';
import { hideDetailsPlugin } from './hideDetails';
import { NoIntrospection } from './noIntrospection';
import { admitPersisted, loadPersistedOperations, type Refusal } from './persistedOperations';
import { limitsForRoles } from './roleLimits';

/** What one role set's Apollo Server is built with, beside the plugins every role set runs. */
export interface RoleSetApolloOptions {
  plugins: ApolloServerPlugin<RequestContext>[];
  validationRules: ValidationRule[];
  parseOptions: ParseOptions;
  introspection: boolean;
  hideSchemaDetailsFromClientErrors: boolean;
  maxRecursiveSelections: boolean;
  allowBatchedHttpRequests: boolean;
}

/** The limits of one role set, resolved once and kept with its server. */
export interface RoleSetGuard {
  readonly limits: LimitValues;
  /** The gateway's runtime with this role set's limits: resolvers read defaultLimit, maxLimit… from it. */
  readonly runtime: Runtime;
  readonly apollo: RoleSetApolloOptions;
  /**
   * Checks made before Apollo: batching, the role set's body cap, characters, the allow-list. A GET's
   * operation is in its query string: it is checked there, and rewritten there when the allow-list names it.
   */
  admit(r: { method: string; body: unknown; search: string; bytes: () => number }): { ok: true; body: unknown; search: string } | Refusal;
}

export interface RequestGuards {
  /** The largest body any role may send: the cap while reading, before the caller is known. */
  readonly readCap: number;
  forView(view: RoleSetView): RoleSetGuard;
  /** CORS headers for /graphql; true when it answered the request itself (a preflight). */
  cors(req: http.IncomingMessage, res: http.ServerResponse): boolean;
}

const MAX_ROLE_SETS = 256;

export function createRequestGuards(o: {
  limits: LimitsConfig;
  server: ServerConfig;
  /** Folder of datagate.yaml: the persisted operations' file is relative to it. */
  configDir: string;
  runtime: Runtime;
  registry: Registry;
  /** Roles that have a policy: limits and lists naming another role are a typo, warned about at start. */
  roles: readonly string[];
  log: Logger;
}): RequestGuards {
  const { limits, server } = o;
  const production = server.mode === 'production';
  const persisted = server.persistedOperations;
  const ops = persisted ? loadPersistedOperations(persisted.file, o.configDir) : undefined;
  const known = new Set(o.roles);
  const unknown = (where: string, names: readonly string[]) => {
    const bad = names.filter((r) => !known.has(r));
    if (bad.length) o.log({ level: 'warn', msg: `${where} names role${bad.length === 1 ? '' : 's'} without a policy: ${bad.join(', ')}` });
  };
  unknown('limits.roles', Object.keys(limits.roles));
  if (production) unknown('server.introspection', server.introspection);
  if (persisted?.enforce) unknown('server.persistedOperations.exempt', persisted.exempt);

  const guards = new Map<string, RoleSetGuard>();
  const build = (view: RoleSetView): RoleSetGuard => {
    const l = limitsForRoles(limits, view.roles);
    const introspect = !production || view.roles.some((r) => server.introspection.includes(r));
    const enforce = !!persisted?.enforce && !view.roles.some((r) => persisted.exempt.includes(r));
    const refuse = (status: number, code: string, message: string): Refusal => ({ ok: false, status, code, message });
    return {
      limits: l,
      runtime: { ...o.runtime, limits: { ...limits, ...l } },
      apollo: {
        plugins: [rowBudgetPlugin(rowFieldsOf(o.registry, view), l), ...(production ? [hideDetailsPlugin()] : [])],
        validationRules: [...armorRules(l, !production), ...(introspect ? [] : [NoIntrospection])],
        parseOptions: { maxTokens: l.maxTokens },
        // Refused per role set by NoIntrospection, with a message that names the setting.
        introspection: true,
        hideSchemaDetailsFromClientErrors: production,
        maxRecursiveSelections: true,
        allowBatchedHttpRequests: false,
      },
      admit({ method, body, search, bytes }) {
        if (Array.isArray(body)) return refuse(400, 'BAD_REQUEST', 'batched requests (a JSON array of operations) are not accepted: send one operation per request');
        if (l.maxBodyBytes < readCap) {
          const n = bytes();
          if (n > l.maxBodyBytes)
            return refuse(413, 'PAYLOAD_TOO_LARGE', production ? 'request body larger than this gateway accepts for your role (limits.maxBodyBytes)' : `request body of ${n} bytes is larger than the ${l.maxBodyBytes} bytes your role may send (limits.maxBodyBytes)`);
        }
        const get = method === 'GET' ? fromSearch(search) : undefined;
        const request = get ?? body;
        const query = typeof request === 'object' && request !== null ? (request as { query?: unknown }).query : undefined;
        if (typeof query === 'string' && query.length > l.maxChars)
          return refuse(400, 'LIMIT_EXCEEDED', production ? 'the query is longer than this gateway allows (limits.maxChars)' : `the query has ${query.length} characters, above the limit of ${l.maxChars} (limits.maxChars)`);
        if (!ops) return { ok: true, body, search };
        const a = admitPersisted(ops, enforce, request);
        if (!a.ok) return a;
        if (a.body === request) return { ok: true, body, search };
        return get ? { ok: true, body, search: toSearch(a.body as Record<string, unknown>) } : { ok: true, body: a.body, search };
      },
    };
  };
  const readCap = Math.max(limits.maxBodyBytes, ...Object.values(limits.roles).map((r) => r.maxBodyBytes ?? 0));
  return {
    readCap,
    forView(view) {
      let g = guards.get(view.key);
      if (!g) {
        if (guards.size >= MAX_ROLE_SETS) guards.delete(guards.keys().next().value!);
        guards.set(view.key, (g = build(view)));
      }
      return g;
    },
    cors: (req, res) => applyCors(server.cors, req, res),
  };
}

/** A GET's operation, from its query string (`extensions` and `variables` are JSON there). */
function fromSearch(search: string): Record<string, unknown> {
  const p = new URLSearchParams(search);
  const out: Record<string, unknown> = {};
  for (const k of ['query', 'operationName', 'id', 'variables']) if (p.has(k)) out[k] = p.get(k);
  const ext = p.get('extensions');
  if (ext !== null)
    try {
      out.extensions = JSON.parse(ext);
    } catch {
      // Apollo refuses it with its own message.
    }
  return out;
}

function toSearch(body: Record<string, unknown>): string {
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(body)) if (v !== undefined) p.set(k, typeof v === 'string' ? v : JSON.stringify(v));
  return `?${p}`;
}
