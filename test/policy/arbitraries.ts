/**
 * fast-check arbitraries for the policy property test: random users (role subsets, attributes) and
 * random query *intents*, which become concrete GraphQL once the role set's schema is known (only
 * fields its `where`/`orderBy`/`groupBy` inputs offer may be used: anything else is a validation
 * error by design). An intent picks by index, so shrinking still leads to smaller queries.
 */
import fc from 'fast-check';
import { apiValue, type Dir, type EntityDef, type Model, type Tables, type Where } from './oracle';

// ───────────────────────────── users ─────────────────────────────

export interface UserCase {
  sub: string;
  roles: string[];
  /** undefined: claim absent. */
  employeeId?: number | string | null;
  region?: string | number;
  /** Send `x-datagate-role` naming the token's role at this index: the request runs as that role alone. */
  narrow: number | undefined;
}

export function userArb(rolePool: readonly string[]): fc.Arbitrary<UserCase> {
  return fc.record(
    {
      sub: fc.constantFrom('u-1', 'u-2', 'u-3'),
      // Mostly one to three roles; several roles OR together.
      roles: fc.oneof({ weight: 3, arbitrary: fc.subarray([...rolePool], { minLength: 1, maxLength: 2 }) }, { weight: 1, arbitrary: fc.subarray([...rolePool], { minLength: 1 }) }),
      // 1–4 have customers (rep_id), 5 has none; "x" cannot be an Int and null is no value: rules using it drop out.
      employeeId: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 1, max: 5 }) }, { weight: 1, arbitrary: fc.constantFrom<number | string | null>('x', null) }),
      region: fc.oneof({ weight: 6, arbitrary: fc.constantFrom('EU', 'NA', 'APAC', 'LATAM') }, { weight: 1, arbitrary: fc.constant(7) }),
      // Now and then the request narrows itself to one of the token's roles.
      narrow: fc.oneof({ weight: 6, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: fc.nat(7) }),
    },
    { requiredKeys: ['sub', 'roles', 'narrow'] },
  );
}

/** The role named by `x-datagate-role`, if the case narrows. */
export const narrowedRole = (u: UserCase): string | undefined => (u.narrow === undefined ? undefined : u.roles[u.narrow % u.roles.length]);

export function claimsOf(u: UserCase): Record<string, unknown> {
  const c: Record<string, unknown> = { sub: u.sub, roles: u.roles };
  if (u.employeeId !== undefined) c.employee_id = u.employeeId;
  if (u.region !== undefined) c.region = u.region;
  return c;
}

// ───────────────────────────── intents ─────────────────────────────

/** Picks by index; hand-written examples may name the field, operator, value or relationship instead. */
export type WhereIntent =
  | { t: 'leaf'; f: number; op: number; v: number; n: number; name?: string; opName?: string; value?: unknown }
  | { t: 'and' | 'or'; items: WhereIntent[] }
  | { t: 'not'; item: WhereIntent }
  | { t: 'rel'; r: number; where: WhereIntent; name?: string };

export type LimitIntent = { k: 'none' } | { k: 'n'; n: number } | { k: 'cap' };

export interface ListIntent {
  where: WhereIntent | null;
  /** Sort keys by index into the fields the schema offers (or by name, in hand-written examples). */
  order: { f: number; dir: Dir; name?: string }[];
  limit: LimitIntent;
  offset: number | null;
}

export interface NestIntent {
  r: number;
  args: ListIntent;
  nest: NestIntent[];
}

export interface QueryIntent {
  kind: 'list' | 'connection' | 'aggregate' | 'byKey';
  entity: number;
  /** The entity by name, when the role set offers it (else `entity` picks by index). */
  entityName?: string;
  args: ListIntent;
  nest: NestIntent[];
  /** Ask for one row more than the role may read per list: refused with LIMIT_EXCEEDED. */
  over: boolean;
  page: number;
  groupBy: number[];
  aggLimit: number | null;
  key: number;
  /** Arguments as variables (graphql-js executes the document) instead of literals (graphql-jit compiles it). */
  vars: boolean;
}

const DIRS: Dir[] = ['ASC', 'DESC', 'ASC_NULLS_FIRST', 'ASC_NULLS_LAST', 'DESC_NULLS_FIRST', 'DESC_NULLS_LAST'];

const whereArb: fc.Arbitrary<WhereIntent> = fc.letrec<{ node: WhereIntent }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', maxDepth: 3, depthIdentifier: 'where', withCrossShrink: true },
    { weight: 6, arbitrary: fc.record({ t: fc.constant('leaf' as const), f: fc.nat(50), op: fc.nat(50), v: fc.nat(400), n: fc.nat(20) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constantFrom('and' as const, 'or' as const), items: fc.array(tie('node'), { maxLength: 3, depthIdentifier: 'where' }) }) },
    { weight: 1, arbitrary: fc.record({ t: fc.constant('not' as const), item: tie('node') }) },
    { weight: 2, arbitrary: fc.record({ t: fc.constant('rel' as const), r: fc.nat(10), where: tie('node') }) },
  ),
})).node;

const limitArb: fc.Arbitrary<LimitIntent> = fc.oneof(
  { weight: 2, arbitrary: fc.constant({ k: 'none' as const }) },
  { weight: 4, arbitrary: fc.record({ k: fc.constant('n' as const), n: fc.nat(25) }) },
  { weight: 1, arbitrary: fc.constant({ k: 'cap' as const }) },
);

const listArb: fc.Arbitrary<ListIntent> = fc.record({
  where: fc.option(whereArb, { freq: 3 }),
  order: fc.array(fc.record({ f: fc.nat(20), dir: fc.constantFrom(...DIRS) }), { maxLength: 2 }),
  limit: limitArb,
  offset: fc.option(fc.nat(30), { freq: 2 }),
});

/** Relationships followed from a root row: at most two per level, three levels below the root. */
const nestLevel = (below: fc.Arbitrary<NestIntent[]>): fc.Arbitrary<NestIntent[]> => fc.array(fc.record({ r: fc.nat(10), args: listArb, nest: below }), { maxLength: 2 });
const nestArb: fc.Arbitrary<NestIntent[]> = nestLevel(nestLevel(nestLevel(fc.constant([]))));

export const queryArb: fc.Arbitrary<QueryIntent> = fc.record({
  kind: fc.constantFrom<QueryIntent['kind']>('list', 'list', 'connection', 'aggregate', 'byKey'),
  entity: fc.nat(20),
  // Customer carries most of the policies (NULLs, masks, partial fields): asked about more often.
  entityName: fc.oneof({ weight: 3, arbitrary: fc.constant(undefined) }, { weight: 2, arbitrary: fc.constant('Customer') }, { weight: 1, arbitrary: fc.constant('Order') }),
  args: listArb,
  nest: nestArb,
  over: fc.oneof({ weight: 12, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
  page: fc.integer({ min: 1, max: 12 }),
  groupBy: fc.array(fc.nat(10), { maxLength: 2 }),
  aggLimit: fc.option(fc.integer({ min: 1, max: 6 }), { freq: 2 }),
  key: fc.nat(400),
  vars: fc.boolean(),
});

// ───────────────────────────── the schema a role set sees ─────────────────────────────

export interface InputInfo {
  typeName: string;
  /** Filterable fields with the operators their filter type offers. */
  fields: { name: string; ops: string[] }[];
  rels: { name: string; target: string }[];
}

export interface EntitySchema {
  name: string;
  /** Scalar fields of the object type. */
  fields: string[];
  rels: { name: string; target: string; many: boolean }[];
  where?: InputInfo;
  orderBy: string[];
  list?: string;
  byKey?: { field: string; arg: string };
  connection?: string;
  aggregate?: { field: string; where?: InputInfo; groupBy: string[]; countDistinct: string[]; sum: string[]; avg: string[]; min: string[]; max: string[] };
}

export type SchemaInfo = Map<string, EntitySchema>;

// ───────────────────────────── concrete queries ─────────────────────────────

export interface ListArgs {
  where?: Where;
  orderBy?: [string, Dir][];
  limit?: number;
  offset?: number;
}
export interface Sel {
  entity: string;
  fields: string[];
  rels: RelSel[];
}
export interface RelSel {
  name: string;
  target: string;
  many: boolean;
  args: ListArgs;
  sel: Sel;
}

export type QuerySpec =
  | { kind: 'none' }
  | { kind: 'list'; entity: string; field: string; args: ListArgs; sel: Sel; over: boolean }
  | { kind: 'connection'; entity: string; field: string; where?: Where; orderBy?: [string, Dir][]; first: number; sel: Sel; over: boolean }
  | { kind: 'byKey'; entity: string; field: string; arg: string; key: number; sel: Sel }
  | {
      kind: 'aggregate';
      entity: string;
      field: string;
      where?: Where;
      whereType: string;
      groupBy: string[];
      limit?: number;
      pick: { countDistinct: string[]; sum: string[]; avg: string[]; min: string[]; max: string[] };
    };

const pick = <T>(list: readonly T[], i: number): T => list[i % list.length];

/** Candidate filter values per (entity, field): the column's own values in API form, plus a few that match nothing or everything. */
export class ValuePool {
  private cache = new Map<string, unknown[]>();
  constructor(
    private readonly model: Model,
    private readonly tables: Tables,
  ) {}
  values(entity: string, field: string): unknown[] {
    const key = `${entity}.${field}`;
    let v = this.cache.get(key);
    if (!v) {
      const f = this.model.get(entity)!.fields.get(field)!;
      const seen = new Map<string, unknown>();
      for (const r of this.tables.rows[entity]) {
        const x = apiValue(f.type, r[field]);
        if (x !== null) seen.set(JSON.stringify(x), x);
      }
      const extra: Record<string, unknown[]> = {
        Int: [-1, 0, 50, 1000],
        Decimal: ['0.00', '500.00', '-1.50', '999.99'],
        DateTime: ['2025-03-01T00:00:00.000Z', '2024-12-31T23:59:59.999Z', '2025-06-15T12:00:00+02:00'],
        String: ['Zed', 'nobody@example.org', 'EU'],
        Boolean: [true, false],
      };
      v = [...seen.values(), ...(extra[f.type] ?? [])];
      this.cache.set(key, v);
    }
    return v;
  }
}

const escapeLike = (cs: string[]) => cs.map((c) => (c === '\\' || c === '%' || c === '_' ? `\\${c}` : c)).join('');
const swapAsciiCase = (s: string) => s.replace(/[A-Za-z]/g, (c) => (c === c.toLowerCase() ? c.toUpperCase() : c.toLowerCase()));

/** A LIKE pattern derived from a value: a prefix, a suffix, or the value with one character as `_`. */
function likePattern(value: string, mode: number, n: number, insensitive: boolean): string {
  const cs = [...value];
  let p: string;
  if (cs.length === 0) p = '%';
  else if (mode % 3 === 0) p = escapeLike(cs.slice(0, 1 + (n % cs.length))) + '%';
  else if (mode % 3 === 1) p = '%' + escapeLike(cs.slice(cs.length - 1 - (n % cs.length)));
  else {
    const i = n % cs.length;
    p = escapeLike(cs.slice(0, i)) + '_' + escapeLike(cs.slice(i + 1));
  }
  return insensitive ? swapAsciiCase(p) : p;
}

export interface Materializer {
  schema: SchemaInfo;
  model: Model;
  pool: ValuePool;
  /** Most rows a list of the entity may return for this caller (undefined: no cap). */
  cap(entity: string): number | undefined;
  maxLimit: number;
  defaultLimit: number;
}

function whereOf(m: Materializer, info: InputInfo | undefined, w: WhereIntent | null): Where | undefined {
  if (!w || !info) return undefined;
  const entity = info.typeName.replace(/(Aggregate)?Where$/, '');
  switch (w.t) {
    case 'leaf': {
      if (!info.fields.length) return undefined;
      const f = info.fields.find((x) => x.name === w.name) ?? pick(info.fields, w.f);
      const op = w.opName && f.ops.includes(w.opName) ? w.opName : pick(f.ops, w.op);
      if (w.value !== undefined && f.name === w.name && op === w.opName) return { field: f.name, op, value: w.value };
      const values = m.pool.values(entity, f.name);
      const one = pick(values, w.v);
      let value: unknown;
      if (op === 'isNull') value = w.v % 2 === 0;
      else if (op === 'in' || op === 'nin') value = Array.from({ length: w.n % 4 }, (_, i) => pick(values, w.v + i * 7));
      else if (op === 'like' || op === 'ilike') value = likePattern(String(one), w.n, w.v, op === 'ilike');
      else value = one;
      return { field: f.name, op, value };
    }
    case 'and':
    case 'or': {
      const items = w.items.map((i) => whereOf(m, info, i)).filter((x): x is Where => x !== undefined);
      return w.t === 'and' ? { and: items } : { or: items };
    }
    case 'not': {
      const inner = whereOf(m, info, w.item);
      return inner && { not: inner };
    }
    case 'rel': {
      if (!info.rels.length) return whereOf(m, info, w.where);
      const rel = info.rels.find((x) => x.name === w.name) ?? pick(info.rels, w.r);
      const inner = whereOf(m, m.schema.get(rel.target)?.where, w.where) ?? { and: [] };
      return { rel: rel.name, where: inner };
    }
  }
}

function limitOf(m: Materializer, entity: string, l: LimitIntent): number | undefined {
  const cap = m.cap(entity);
  const most = Math.min(cap ?? m.maxLimit, m.maxLimit);
  if (l.k === 'none') return undefined;
  if (l.k === 'cap') return most;
  return Math.min(l.n, most);
}

function listArgsOf(m: Materializer, es: EntitySchema, a: ListIntent): ListArgs {
  const out: ListArgs = {};
  const where = whereOf(m, es.where, a.where);
  if (where) out.where = where;
  if (a.order.length && es.orderBy.length) out.orderBy = a.order.map((o) => [o.name && es.orderBy.includes(o.name) ? o.name : pick(es.orderBy, o.f), o.dir]);
  const limit = limitOf(m, es.name, a.limit);
  if (limit !== undefined) out.limit = limit;
  if (a.offset !== null) out.offset = a.offset;
  return out;
}

function selOf(m: Materializer, es: EntitySchema, nest: NestIntent[], depth: number): Sel {
  const rels: RelSel[] = [];
  if (depth < 3 && es.rels.length)
    for (const n of nest) {
      const r = pick(es.rels, n.r);
      if (rels.some((x) => x.name === r.name)) continue;
      const target = m.schema.get(r.target)!;
      rels.push({ name: r.name, target: r.target, many: r.many, args: r.many ? listArgsOf(m, target, n.args) : {}, sel: selOf(m, target, n.nest, depth + 1) });
    }
  return { entity: es.name, fields: es.fields, rels };
}

/** An intent → a concrete query over what the role set's schema offers; `none` when it offers no entity at all. */
export function materialize(m: Materializer, q: QueryIntent): QuerySpec {
  const all = [...m.schema.values()];
  const kinds: QueryIntent['kind'][] = [q.kind, 'list', 'aggregate'];
  for (const kind of kinds) {
    const offered = all.filter((e) => (kind === 'list' ? e.list : kind === 'connection' ? e.connection : kind === 'byKey' ? e.byKey : e.aggregate));
    if (!offered.length) continue;
    const es = offered.find((e) => e.name === q.entityName) ?? pick(offered, q.entity);
    const entity: EntityDef = m.model.get(es.name)!;
    switch (kind) {
      case 'list': {
        const args = listArgsOf(m, es, q.args);
        if (q.over) args.limit = Math.min(m.cap(es.name) ?? m.maxLimit, m.maxLimit) + 1;
        return { kind, entity: es.name, field: es.list!, args, sel: selOf(m, es, q.nest, 1), over: q.over };
      }
      case 'connection': {
        const a = listArgsOf(m, es, q.args);
        const most = Math.min(m.cap(es.name) ?? m.maxLimit, m.maxLimit);
        return { kind, entity: es.name, field: es.connection!, where: a.where, orderBy: a.orderBy, first: q.over ? most + 1 : Math.min(q.page, most), sel: selOf(m, es, q.nest, 1), over: q.over };
      }
      case 'byKey': {
        const n = m.pool.values(es.name, entity.key).length;
        return { kind, entity: es.name, field: es.byKey!.field, arg: es.byKey!.arg, key: (q.key % (n + 2)) + 1, sel: selOf(m, es, q.nest, 1) };
      }
      case 'aggregate': {
        const ag = es.aggregate!;
        const groupBy = [...new Set(q.groupBy.filter(() => ag.groupBy.length).map((g) => pick(ag.groupBy, g)))];
        return {
          kind,
          entity: es.name,
          field: ag.field,
          where: whereOf(m, ag.where, q.args.where),
          whereType: ag.where?.typeName ?? `${es.name}Where`,
          groupBy,
          limit: groupBy.length && q.aggLimit !== null ? q.aggLimit : undefined,
          pick: { countDistinct: ag.countDistinct, sum: ag.sum, avg: ag.avg, min: ag.min, max: ag.max },
        };
      }
    }
  }
  return { kind: 'none' };
}

// ───────────────────────────── GraphQL text ─────────────────────────────

export function whereInput(w: Where): Record<string, unknown> {
  if ('and' in w) return { and: w.and.map(whereInput) };
  if ('or' in w) return { or: w.or.map(whereInput) };
  if ('not' in w) return { not: whereInput(w.not) };
  if ('rel' in w) return { [w.rel]: whereInput(w.where) };
  return { [w.field]: { [w.op]: w.value } };
}

/** A GraphQL literal: object keys bare, enum values (orderBy directions) bare, strings JSON-quoted. */
export function literal(v: unknown, enumValue = false): string {
  if (Array.isArray(v)) return `[${v.map((x) => literal(x, enumValue)).join(', ')}]`;
  if (v && typeof v === 'object') return `{${Object.entries(v).map(([k, x]) => `${k}: ${literal(x, enumValue)}`).join(', ')}}`;
  if (typeof v === 'string') return enumValue ? v : JSON.stringify(v);
  return String(v);
}

/**
 * Arguments as literals, or (with `vars`) as variables: documents without variables of the filter
 * types run compiled by graphql-jit, the others by graphql-js, and both paths must enforce alike.
 */
class Args {
  readonly defs: string[] = [];
  readonly values: Record<string, unknown> = {};
  constructor(readonly vars: boolean) {}
  arg(type: string, value: unknown, enumValue = false): string {
    if (!this.vars) return literal(value, enumValue);
    const name = `v${this.defs.length}`;
    this.defs.push(`$${name}: ${type}`);
    this.values[name] = value;
    return `$${name}`;
  }
  list(entity: string, a: ListArgs): string {
    const parts: string[] = [];
    if (a.where) parts.push(`where: ${this.arg(`${entity}Where`, whereInput(a.where))}`);
    if (a.orderBy) parts.push(`orderBy: ${this.arg(`[${entity}OrderBy!]`, a.orderBy.map(([f, d]) => ({ [f]: d })), true)}`);
    if (a.limit !== undefined) parts.push(`limit: ${this.arg('Int', a.limit)}`);
    if (a.offset !== undefined) parts.push(`offset: ${this.arg('Int', a.offset)}`);
    return parts.length ? `(${parts.join(', ')})` : '';
  }
  sel(s: Sel): string {
    const rels = s.rels.map((r) => `${r.name}${r.many ? this.list(r.target, r.args) : ''} { ${this.sel(r.sel)} }`);
    return [...s.fields, ...rels].join(' ');
  }
  document(body: string, extra: string[] = []): string {
    const defs = [...extra, ...this.defs];
    return `query Q${defs.length ? `(${defs.join(', ')})` : ''} { ${body} }`;
  }
}

/** The GraphQL of a spec; a connection always takes `first` and its `after` cursor as variables. */
export function toGraphQL(q: QuerySpec, vars = false): { query: string; variables: Record<string, unknown> } {
  const a = new Args(vars);
  switch (q.kind) {
    case 'none':
      return { query: '{ me { roles } myAccess { entity } }', variables: {} };
    case 'list': {
      const body = `r: ${q.field}${a.list(q.entity, q.args)} { ${a.sel(q.sel)} }`;
      return { query: a.document(body), variables: a.values };
    }
    case 'byKey': {
      const body = `r: ${q.field}(${q.arg}: ${a.arg('Int!', q.key)}) { ${a.sel(q.sel)} }`;
      return { query: a.document(body), variables: a.values };
    }
    case 'connection': {
      const parts = ['first: $first', 'after: $after'];
      if (q.where) parts.push(`where: ${a.arg(`${q.entity}Where`, whereInput(q.where))}`);
      if (q.orderBy) parts.push(`orderBy: ${a.arg(`[${q.entity}OrderBy!]`, q.orderBy.map(([f, d]) => ({ [f]: d })), true)}`);
      const body = `r: ${q.field}(${parts.join(', ')}) { totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { ${a.sel(q.sel)} } } }`;
      return { query: a.document(body, ['$first: Int', '$after: String']), variables: { ...a.values, first: q.first, after: null } };
    }
    case 'aggregate': {
      const parts: string[] = [];
      if (q.where) parts.push(`where: ${a.arg(q.whereType, whereInput(q.where))}`);
      if (q.groupBy.length) parts.push(`groupBy: ${a.arg(`[${q.entity}Field!]`, q.groupBy, true)}`);
      if (q.limit !== undefined) parts.push(`limit: ${a.arg('Int', q.limit)}`);
      const sub = (name: string, fields: string[]) => (fields.length ? ` ${name} { ${fields.join(' ')} }` : '');
      const sel = 'count' + sub('group', q.groupBy) + sub('countDistinct', q.pick.countDistinct) + sub('sum', q.pick.sum) + sub('avg', q.pick.avg) + sub('min', q.pick.min) + sub('max', q.pick.max);
      return { query: a.document(`r: ${q.field}${parts.length ? `(${parts.join(', ')})` : ''} { ${sel} }`), variables: a.values };
    }
  }
}
