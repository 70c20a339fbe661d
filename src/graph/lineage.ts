import path from 'node:path';
import type { GraphQLResolveInfo } from 'graphql';
import type { Entity } from '../model';
import { describeCondition, type Action, type MaskKind, type Origin, type UserAccess } from '../policy';
import type { QueryTrace, RequestContext } from './context';

/**
 * Where one part of an answer came from: one entry per (response path, kind of statement, entity),
 * summed over the statements that served it (a DataLoader batch, a page of a connection and its
 * count). Built once per response from the request's traces: nothing per row.
 *
 * - `path`: the response path without list indexes (`customers.orders`); a connection's rows sit
 *   under `<path>.edges.node` / `<path>.nodes`, its count is the entry of kind `count`.
 * - `kind`: `select` (rows), `count` (a connection's totalCount), `aggregate` (groups), `lookup`
 *   (join keys fetched from another source to decide a cross-source condition of the entry at the
 *   same path; `for` names the entity and relationship whose condition needed them).
 * - `columns` / `fields`: the database columns read and the model fields they are, in the same
 *   order; only what the caller's roles may read is named (a key read for the gateway's own use
 *   but hidden from the role is left out).
 * - `rows`: rows of the source that reached the answer (`select`), rows counted (`count`), groups
 *   (`aggregate`) or keys (`lookup`); `read`: rows read, when more (a connection reads one past its page).
 * - `masks`: masks applied to the selected fields; `policy`: the roles whose rules admitted the
 *   rows, those rules (role, file, line) and the row condition in words; `retention`, when the
 *   entity has one; `cachedAgeSeconds`, when rows came from the result cache (`@cached`): how old;
 *   `sharedRequests`, when a statement of the entry ran once for several requests (the source's
 *   `shareStatements`: identical statements that overlapped in time): how many it answered, this one
 *   included (the most, over the entry's statements).
 * - `statements`: the statements that read the entry's rows; `readWith`, when the rows were read
 *   inside the statement of the entry at that path (a relationship folded into its parents'
 *   statement: graph/nesting.ts), which then counts no statement of its own.
 */
export interface LineageEntry {
  readonly path: string;
  readonly kind: 'select' | 'count' | 'aggregate' | 'lookup';
  readonly entity: string;
  readonly source: string;
  readonly table: string;
  readonly columns: readonly string[];
  readonly fields: readonly string[];
  readonly rows: number;
  readonly read?: number;
  readonly statements: number;
  readonly readWith?: string;
  readonly for?: string;
  readonly masks?: readonly { readonly field: string; readonly mask: MaskKind; readonly conditional?: true }[];
  readonly policy?: LineagePolicy;
  readonly retention?: string;
  /** Served (in part) from the result cache of a `@cached` request: the age of the oldest rows used, in seconds. */
  readonly cachedAgeSeconds?: number;
  /** A statement of the entry ran once for this many requests, this one included (shareStatements). */
  readonly sharedRequests?: number;
}

export interface LineagePolicy {
  readonly roles: readonly string[];
  /** `role file.yaml:line rules[i]`: the granting rules, by where they are written. */
  readonly rules: readonly string[];
  readonly condition: string;
}

/** A resolver's `info.path` as lineage names it: response keys (aliases) joined by dots, list indexes left out. */
export function responsePath(p: GraphQLResolveInfo['path'] | undefined): string {
  const keys: string[] = [];
  for (let at = p; at; at = at.prev) if (typeof at.key === 'string') keys.push(at.key);
  return keys.reverse().join('.');
}

interface Acc {
  path: string;
  kind: LineageEntry['kind'];
  entity: Entity;
  source: string;
  fields: Set<string>;
  rows: number;
  read: number;
  statements: number;
  readWith?: string;
  for?: string;
  cachedAgeMs?: number;
  sharedRequests?: number;
}

/** The lineage of one response, from the statements its request ran (`ctx.trace`). */
export function buildLineage(ctx: Pick<RequestContext, 'trace' | 'access' | 'runtime'>): LineageEntry[] {
  const groups = new Map<string, Acc>();
  for (const t of ctx.trace) {
    const kind = t.lookup ? 'lookup' : t.kind;
    const forWhat = t.lookup ? `${t.lookup.for}.${t.lookup.relationship}` : undefined;
    const id = `${t.path ?? ''}\u0000${kind}\u0000${t.entity}\u0000${forWhat ?? ''}`;
    let g = groups.get(id);
    if (!g) {
      const entity = ctx.runtime.registry.entities.get(t.entity);
      if (!entity) continue;
      g = { path: t.path ?? '', kind, entity, source: t.source, fields: new Set(), rows: 0, read: 0, statements: 0, for: forWhat };
      groups.set(id, g);
    }
    for (const f of t.fields) g.fields.add(f);
    g.rows += used(t);
    g.read += t.rows;
    if (t.readWith === undefined) g.statements++;
    else g.readWith = t.readWith;
    if (t.cachedAgeMs !== undefined) g.cachedAgeMs = Math.max(g.cachedAgeMs ?? 0, t.cachedAgeMs);
    if (t.sharedRequests !== undefined) g.sharedRequests = Math.max(g.sharedRequests ?? 0, t.sharedRequests);
  }
  const out = [...groups.values()];
  // Statements of one request run concurrently and finish in any order: the entries do not follow
  // them, so that the same request always reads the same lineage (parents before their children).
  if (out.length > 1) out.sort(byPlace);
  return out.map((g) => entryOf(ctx.access, g));
}

const KIND_ORDER: Record<string, number> = { select: 0, aggregate: 1, count: 2, lookup: 3 };

function byPlace(a: Acc, b: Acc): number {
  if (a.path !== b.path) return a.path < b.path ? -1 : 1;
  if (a.kind !== b.kind) return (KIND_ORDER[a.kind] ?? 9) - (KIND_ORDER[b.kind] ?? 9);
  if (a.entity.name !== b.entity.name) return a.entity.name < b.entity.name ? -1 : 1;
  return (a.for ?? '') < (b.for ?? '') ? -1 : (a.for ?? '') > (b.for ?? '') ? 1 : 0;
}

/**
 * What an entry says that depends only on the caller's access, the entity, the kind of statement and
 * the fields read (names, columns, masks, policy in words, retention): the same for every request of a
 * role set that asks the same thing, so it is worked out once per UserAccess (cached by the policy
 * engine per role set and user attributes) and shared, read-only, by the responses.
 */
interface StaticPart {
  readonly table: string;
  readonly columns: readonly string[];
  readonly fields: readonly string[];
  readonly masks?: LineageEntry['masks'];
  readonly policy?: LineagePolicy;
  readonly retention?: string;
}

const staticParts = new WeakMap<UserAccess, Map<string, StaticPart>>();
/** Distinct (kind, entity, fields) per access kept; past it the oldest goes (operations are few, field sets fewer). */
const MAX_STATIC_PARTS = 500;

function used(t: QueryTrace): number {
  if (t.kind === 'count') return t.counted ?? 0;
  return t.returned ?? t.rows;
}

function entryOf(access: UserAccess, g: Acc): LineageEntry {
  const part = staticPartOf(access, g);
  return {
    path: g.path,
    kind: g.kind,
    entity: g.entity.name,
    source: g.source,
    table: part.table,
    columns: part.columns,
    fields: part.fields,
    rows: g.rows,
    ...(g.read > g.rows && g.kind === 'select' ? { read: g.read } : {}),
    statements: g.statements,
    ...(g.readWith !== undefined ? { readWith: g.readWith } : {}),
    ...(g.for ? { for: g.for } : {}),
    ...(part.masks ? { masks: part.masks } : {}),
    ...(part.policy ? { policy: part.policy } : {}),
    ...(part.retention !== undefined ? { retention: part.retention } : {}),
    ...(g.cachedAgeMs !== undefined ? { cachedAgeSeconds: Math.round(g.cachedAgeMs / 100) / 10 } : {}),
    ...(g.sharedRequests !== undefined ? { sharedRequests: g.sharedRequests } : {}),
  };
}

function staticPartOf(access: UserAccess, g: Acc): StaticPart {
  let parts = staticParts.get(access);
  if (!parts) staticParts.set(access, (parts = new Map()));
  const key = `${g.kind}\u0000${g.entity.name}\u0000${[...g.fields].join('\u0000')}`;
  let part = parts.get(key);
  if (part) return part;
  const ev = access.view.entities.get(g.entity.name);
  // Only what the caller may read is named: a hidden column never shows, even one the gateway read.
  const fields = [...g.fields].filter((f) => ev?.fields.has(f));
  const columns = fields.map((f) => g.entity.fields.get(f)?.column ?? f);
  const masks =
    g.kind === 'select'
      ? fields.flatMap((f) => {
          const fv = ev!.fields.get(f)!;
          return fv.mask ? [fv.maskMode === 'conditional' ? { field: f, mask: fv.mask, conditional: true as const } : { field: f, mask: fv.mask }] : [];
        })
      : [];
  part = {
    table: g.entity.schema ? `${g.entity.schema}.${g.entity.table}` : g.entity.table,
    columns,
    fields,
    ...(masks.length ? { masks } : {}),
    ...(g.kind === 'lookup' ? {} : { policy: describePolicy(access, g.entity, g.kind === 'aggregate' ? 'aggregate' : 'read') }),
    ...(g.entity.retention && g.kind !== 'lookup' ? { retention: retentionOf(g.entity.retention, ev?.fields.has(g.entity.retention.column) ?? false) } : {}),
  };
  if (parts.size >= MAX_STATIC_PARTS) parts.delete(parts.keys().next().value!);
  parts.set(key, part);
  return part;
}

/** `7y on created_at`; the column is named only when the caller may read it. */
function retentionOf(r: NonNullable<Entity['retention']>, readable: boolean): string {
  return readable ? `${r.keep} on ${r.column}` : r.keep;
}

interface RuleWithOrigin {
  readonly inverted: boolean;
  readonly origin?: { readonly origin?: Origin };
}

/** The roles that grant `action` on the entity, their granting rules, and the caller's row condition in words. */
function describePolicy(access: UserAccess, entity: Entity, action: Action): LineagePolicy {
  const roles: string[] = [];
  const rules: string[] = [];
  for (const role of access.view.roles) {
    const ability = access.abilities.get(role);
    if (!ability) continue;
    const granting = (ability.rulesFor(action, entity.name) as unknown as RuleWithOrigin[]).filter((r) => !r.inverted);
    if (!granting.length) continue;
    roles.push(role);
    for (const r of granting) {
      const o = r.origin?.origin;
      // The file's name only: where the deployment lives on the server is nobody's business.
      if (o) rules.push(`${o.role} ${path.basename(o.file)}${o.line ? `:${o.line}` : ''} ${o.path}`);
    }
  }
  const ea = access.entity(entity.name);
  return { roles, rules, condition: describeCondition(action === 'aggregate' ? ea.aggregate : ea.row) };
}
